"""Batched inference: cut texts into sentences, tag them in length-sorted batches, stitch back.

Offsets in the results always refer to the text as given: every character (spaces, emoji,
control characters) gets exactly one tag.
"""
from __future__ import annotations

from functools import partial

import torch

from core.model.model import NerModel, load_model
from core.tagging.batching import tag_pieces
from core.tagging.onednn import onednn_linears
from core.tagging.results import Entity, Tagged, strip_whitespace, tagged_result  # noqa: F401 (callers import them here)
from core.threads import ThreadChooser

# A tagger re-chooses its threads at most this often, before the next texts, with its own recent
# work taken off the load (core/threads.py): a long job follows the machine as it gets busy or quiet.
RECHOOSE_THREADS_AFTER_S = 30.0


QUANTIZE = (None, "attention", "bf16")


class Tagger:
    """Tags texts with a model.

    batch_size caps the sentences in a batch and max_tokens its padded size (sentences x longest):
    on CPU, batches of a few hundred tokens keep the activations in cache and ran faster than
    64 long sentences at once (bench/README.md). onednn runs the encoder's Linear layers on oneDNN
    rather than torch's BLAS (MKL): the same float32 weights and arithmetic up to summation order,
    1.4x faster end to end for the 12-layer e5-small model on our AMD EPYC machines, where MKL
    takes a generic code path. Both defaults depend on the model (tuned_defaults).
    quantize is opt-in and changes the numbers a little:
    "attention" makes the attention Linear layers int8 (dynamic quantisation; the feed-forward
    layers are where int8 costs F1), "bf16" runs the encoder under bfloat16 autocast (fast only on
    CPUs with native bf16, e.g. AVX512-BF16). bench/quantize.py measures the speed and the F1 of both.
    """

    def __init__(self, model: NerModel, batch_size: int = 64, max_chunk: int | None = None,
                 max_tokens: int | None = None, quantize: str | None = None, onednn: bool | None = None,
                 copy_model: bool = True):
        if quantize not in QUANTIZE:
            raise ValueError(f"quantize must be one of {QUANTIZE}, got {quantize!r}")
        tuned_tokens, tuned_onednn = tuned_defaults(model)
        max_tokens = tuned_tokens if max_tokens is None else max_tokens
        if batch_size < 1 or max_tokens < 1:
            raise ValueError(f"batch_size and max_tokens must be positive, got {batch_size} and {max_tokens}")
        self.device = next(model.parameters()).device
        if onednn is None:  # bf16 autocast already runs its matmuls on oneDNN, and needs plain Linear
            onednn = (tuned_onednn and self.device.type == "cpu" and quantize != "bf16"
                      and torch.backends.mkldnn.is_available())
        if quantize == "attention":
            model = quantize_attention(model)  # a copy
        if onednn:
            # The caller's model stays trainable unless the tagger owns it (copy_model=False).
            model = onednn_linears(model, in_place=quantize == "attention" or not copy_model)
        self.model = model.eval()
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self.quantize = quantize
        self.onednn = onednn
        self.max_chunk = min(max_chunk or model.max_chars, model.max_chars)
        self._tag_index = {tag: i for i, tag in enumerate(model.tags)}
        self._begin_tags = torch.tensor([tag.startswith("B_") for tag in model.tags], device=self.device)
        self._threads = ThreadChooser(RECHOOSE_THREADS_AFTER_S)

    @property
    def tags(self) -> list[str]:
        return self.model.tags

    @property
    def entity_types(self) -> list[str]:
        return self.model.entity_types

    @classmethod
    def from_folder(cls, folder, device: str = "cpu", **kwargs) -> "Tagger":
        # Nobody else holds the freshly loaded model, so the tagger converts it in place.
        return cls(load_model(folder, device=device), copy_model=False, **kwargs)

    def tag(self, text: str) -> Tagged:
        return self.tag_texts([text])[0]

    @torch.inference_mode()
    def tag_texts(self, texts, progress=None, confidence: bool = True) -> list[Tagged]:
        """Tag many texts; each is a str or a list of characters. progress(n_chars) is called per batch.
        confidence=False skips the CRF's marginals (the confidences are None), for callers that
        write or score tags only."""
        if self.device.type == "cpu":
            self._threads.maybe_configure()
        return self._tag_texts(texts, progress, confidence)

    def _tag_texts(self, texts, progress, confidence: bool = True) -> list[Tagged]:
        texts = [text if isinstance(text, str) else list(text) for text in texts]
        run_batch = partial(self._run_batch, confidence=confidence)
        tag_ids, probs = tag_pieces(texts, self.max_chunk, self.batch_size, self.max_tokens, run_batch, progress)
        return [self._result(text, ids, p) for text, ids, p in zip(texts, tag_ids, probs)]

    def _run_batch(self, chunks, confidence: bool = True) -> tuple[torch.Tensor, torch.Tensor | None]:
        input_ids, mask = self.model.batch_ids(chunks)
        spaces = torch.zeros_like(mask)
        for row, chunk in enumerate(chunks):
            spaces[row, : len(chunk)] = torch.tensor([c.isspace() for c in chunk])
        input_ids, mask = input_ids.to(self.device), mask.to(self.device)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.quantize == "bf16"):
            emissions = self.model.emissions(input_ids, mask).float()
        # Whitespace never begins an entity, but it may continue one ("Tim Cook" is one PER in
        # ANNOTATION.md, and a user's correction can teach it); forbidding B_ here keeps Viterbi and
        # the marginals consistent. An entity that would end in whitespace is trimmed in _result.
        emissions = emissions.masked_fill(spaces.to(self.device).bool().unsqueeze(2) & self._begin_tags, -1e4)
        best = self.model.decode(emissions, mask)
        if not confidence:
            return best.cpu(), None
        return best.cpu(), self.model.tag_probabilities(emissions, mask).cpu()

    def _result(self, text, ids: list[int], probs: list[list[float]]) -> Tagged:
        return tagged_result(text, [self.model.tags[i] for i in ids], probs, self._tag_index)


def tuned_defaults(model: NerModel) -> tuple[int, bool]:
    """(max_tokens, onednn) measured fastest for this kind of model on CPU (README, target 1a).

    A model with a LAC BiGRU (the fast model, a stacked one) steps through a batch one character
    at a time, so more sentences a step pay: the current default tagged 3,879 chars/s at 2,048
    tokens against 3,378 at 512, and oneDNN's Linear layers made it slower at every size (2,885
    at 2,048); the fast model on torch, 20,073 -> 28,973. A transformer alone: 512 and oneDNN.
    """
    has_lac = model.config.encoder_type == "lac" or model.config.stack is not None
    return (2048, False) if has_lac else (512, True)


def quantize_attention(model: NerModel) -> NerModel:
    """A copy of model whose attention Linear layers are int8 (dynamic quantisation, CPU only)."""
    import warnings

    from torch.ao.quantization import quantize_dynamic

    if next(model.parameters()).device.type != "cpu":
        raise ValueError(f"int8 quantisation runs on the CPU only, the model is on {next(model.parameters()).device}")
    names = {name for name, module in model.named_modules()
             if isinstance(module, torch.nn.Linear) and ".attention." in f".{name}."}
    if not names:
        raise ValueError("the encoder has no Linear layers under an 'attention' module to quantise")
    with warnings.catch_warnings():
        # torch 2.13 deprecates quantized tensors in favour of torchao; they still work.
        warnings.filterwarnings("ignore", message=".*quantized tensor creation functions.*")
        return quantize_dynamic(model, names, dtype=torch.qint8, inplace=False)
