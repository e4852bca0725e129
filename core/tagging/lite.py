"""The fast model (LAC's embedding + BiGRU + linear + CRF) run in NumPy: tagging without torch.

`python -m core tag --model models/fast` spent more time importing torch than tagging: LAC's own
process tags the MSRA test in about 7 s, of which importing torch alone would take 2.5-5 s. This
tagger needs NumPy and safetensors only. It computes what core/tagging/predict.Tagger computes for
such a model, the same operations in the same order (tests/test_lite_tagger.py compares them), in
large length-sorted batches: a GRU step costs the same small matrix product whatever the batch, so
256 sentences a step are nearly as cheap as one. Written by hand because the model is four GRU
passes and a 9-tag CRF; bench/fast_vs_lac.py measures it against LAC.

Each GRU direction runs on one BLAS thread, the two directions of a layer side by side in two
Python threads (NumPy releases the GIL): the products are small (a batch x 128 by 128 x 384 each
step), and BLAS's own threads only waited for a core on a machine busy with other work.
"""
from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import numpy as np

from core.labels import tag_types
from core.model.config import CONFIG_FILE, WEIGHTS_FILE
from core.model.integrity import verify
from core.model.lac_files import MAX_CHARS, LacVocab
from core.tagging.batching import tag_pieces
from core.tagging.results import Tagged, tagged_result

BLAS_THREADS = 1


def runs_lite(folder) -> bool:
    """Whether the folder holds a model this tagger runs: LAC's encoder alone under a CRF."""
    try:
        ner = json.loads(Path(folder, CONFIG_FILE).read_text(encoding="utf-8"))["ner"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return ner.get("encoder_type") == "lac" and ner.get("head") == "crf" and not ner.get("stack")


def fastest_tagger(folder, device: str = "cpu"):
    """The folder's tagger where nothing asks for an engine (the app, the service): on the CPU this
    one for a LAC-encoder CRF model, which tags it faster than torch; torch's Tagger otherwise."""
    if device == "cpu" and runs_lite(folder):
        return LiteTagger.from_folder(folder)
    from core.tagging.predict import Tagger

    return Tagger.from_folder(folder, device=device)


class LiteTagger:
    """tag_texts / tag / max_chunk as Tagger has them, over a fast model folder's weights."""

    def __init__(self, weights: dict[str, np.ndarray], tags: list[str], vocab: LacVocab, layers: int,
                 batch_size: int = 256, max_tokens: int = 16384):
        if batch_size < 1 or max_tokens < 1:
            raise ValueError(f"batch_size and max_tokens must be positive, got {batch_size} and {max_tokens}")
        w = {name: np.ascontiguousarray(array, dtype=np.float32) for name, array in weights.items()}
        embedding = w["encoder.embedding.weight"]
        # Per layer, per direction: (input weights as x @ W, input bias, recurrent weights, recurrent bias).
        self.grus = [[(w[f"encoder.gru.weight_ih_l{layer}{suffix}"].T.copy(), w[f"encoder.gru.bias_ih_l{layer}{suffix}"],
                       w[f"encoder.gru.weight_hh_l{layer}{suffix}"].T.copy(), w[f"encoder.gru.bias_hh_l{layer}{suffix}"])
                      for suffix in ("", "_reverse")] for layer in range(layers)]
        # The first layer's input part depends on the character alone: one table row per embedding
        # row, computed once, turns a fifth of the arithmetic into a lookup.
        self.first_inputs = [embedding @ w_ih + b_ih for w_ih, b_ih, _, _ in self.grus[0]]
        self.classifier_t, self.classifier_bias = w["classifier.weight"].T.copy(), w["classifier.bias"]
        self.transitions, self.start, self.end = (w[f"crf.{name}"] for name in
                                                  ("transitions", "start_transitions", "end_transitions"))
        self.tags, self.vocab = list(tags), vocab
        self.batch_size, self.max_tokens = batch_size, max_tokens
        self.max_chunk = MAX_CHARS
        self._tag_index = {tag: i for i, tag in enumerate(self.tags)}
        self._begin_tags = np.array([tag.startswith("B_") for tag in self.tags])
        self._threads = None  # made on first use

    @property
    def entity_types(self) -> list[str]:
        return tag_types(self.tags)

    @classmethod
    def from_folder(cls, folder, **kwargs) -> "LiteTagger":
        from safetensors.numpy import load_file

        folder = Path(folder)
        if not runs_lite(folder):
            raise ValueError(f"{folder}: not a LAC-encoder CRF model folder; the torch Tagger runs it")
        verify(folder)  # DamagedModel (a ValueError) before a flipped byte can tag everything O
        config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
        return cls(load_file(str(folder / WEIGHTS_FILE)), config["ner"]["tags"], LacVocab.load(folder),
                   config["lac"]["layers"], **kwargs)

    def tag(self, text: str) -> Tagged:
        return self.tag_texts([text])[0]

    def tag_texts(self, texts, progress=None, confidence: bool = True) -> list[Tagged]:
        """Tag many texts; each is a str or a list of characters. progress(n_chars) is called per batch.
        confidence=False skips the marginals (the confidences are None)."""
        from threadpoolctl import threadpool_limits

        texts = [text if isinstance(text, str) else list(text) for text in texts]
        with threadpool_limits(limits=BLAS_THREADS, user_api="blas"):
            run_batch = partial(self._run_batch, confidence=confidence)
            tag_ids, probs = tag_pieces(texts, self.max_chunk, self.batch_size, self.max_tokens, run_batch, progress)
        return [tagged_result(text, [self.tags[i] for i in ids], p, self._tag_index)
                for text, ids, p in zip(texts, tag_ids, probs)]

    def _run_batch(self, chunks, confidence: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """Best tag ids (batch, seq) and tag probabilities (batch, seq, tags; None without confidence)
        for character lists."""
        lengths = np.array([len(chunk) for chunk in chunks])
        width = int(lengths.max())
        ids = np.full((len(chunks), width), self.vocab.pad, dtype=np.int64)
        spaces = np.zeros((len(chunks), width), dtype=bool)
        for row, chunk in enumerate(chunks):
            ids[row, : len(chunk)] = self.vocab.encode(chunk)
            spaces[row, : len(chunk)] = [char.isspace() for char in chunk]
        mask = np.arange(width)[None, :] < lengths[:, None]
        emissions = self._emissions(ids, lengths)  # shape: (seq, batch, tags)
        # As Tagger does: whitespace never begins an entity (tagged_result trims one ending in it).
        emissions[spaces.T[:, :, None] & self._begin_tags] = -1e4
        crf = (self.transitions, self.start, self.end)
        if not confidence:
            return viterbi(emissions, lengths, *crf), None
        best = self._pool().submit(viterbi, emissions, lengths, *crf)  # beside the marginals, on the other core
        return best.result(), marginals(emissions, mask, *crf)

    def _emissions(self, ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """(seq, batch, tags) scores: time-major, so each GRU step reads one contiguous slice."""
        # The backward direction reads each sequence from its own last character (a packed GRU):
        # reversing every row within its length puts padding last, where it cannot reach real steps.
        seq = np.arange(ids.shape[1])[:, None]
        reverse = np.where(seq < lengths[None, :], lengths[None, :] - 1 - seq, seq)  # shape: (seq, batch)
        order = (reverse, np.arange(ids.shape[0])[None, :])
        x = ids.T
        for layer in range(len(self.grus)):
            # The two directions are independent: NumPy lets go of the GIL in its loops and
            # products, so two threads run them, input products included, on two cores.
            ahead, behind = self._pool().map(self._direction, (layer, layer), (False, True), (x, x), (order, order))
            x = np.concatenate([ahead, behind], axis=2)
        return x @ self.classifier_t + self.classifier_bias

    def _direction(self, layer: int, backward: bool, x: np.ndarray, order) -> np.ndarray:
        """One direction of one layer over time-major x (character ids for the first layer)."""
        w_ih, b_ih, w_hh, b_hh = self.grus[layer][backward]
        if backward:
            x = x[order]
        out = gru(self.first_inputs[backward][x] if layer == 0 else x @ w_ih + b_ih, w_hh, b_hh)
        return out[order] if backward else out  # the backward outputs back in reading order

    def _pool(self):
        if self._threads is None:
            from concurrent.futures import ThreadPoolExecutor

            from core.threads import cores

            self._threads = ThreadPoolExecutor(min(2, cores()), thread_name_prefix="lite-gru")
        return self._threads

def gru(inputs: np.ndarray, w_hh: np.ndarray, b_hh: np.ndarray) -> np.ndarray:
    """One direction of torch.nn.GRU from a zero state: its (seq, batch, hidden) outputs, given every
    step's input part x @ W_ih + b_ih (seq, batch, 3 * hidden), gates in torch's order (reset,
    update, new). Each step writes into arrays made once: fewer allocations, 1.6x faster."""
    hidden = w_hh.shape[0]
    out = np.empty(inputs.shape[:2] + (hidden,), dtype=np.float32)
    recurrent = np.empty((inputs.shape[1], 3 * hidden), dtype=np.float32)
    gates = np.empty((inputs.shape[1], 2 * hidden), dtype=np.float32)
    new = np.empty((inputs.shape[1], hidden), dtype=np.float32)
    h = np.zeros((inputs.shape[1], hidden), dtype=np.float32)
    for t in range(inputs.shape[0]):
        np.matmul(h, w_hh, out=recurrent)
        recurrent += b_hh
        np.add(inputs[t, :, : 2 * hidden], recurrent[:, : 2 * hidden], out=gates)
        np.negative(gates, out=gates)
        np.exp(gates, out=gates)
        gates += 1.0
        np.reciprocal(gates, out=gates)  # sigmoid: reset | update
        np.multiply(gates[:, :hidden], recurrent[:, 2 * hidden:], out=new)
        new += inputs[t, :, 2 * hidden:]
        np.tanh(new, out=new)
        step = out[t]
        np.subtract(h, new, out=step)
        step *= gates[:, hidden:]
        step += new  # (1 - z) * n + z * h
        h = step
    return out

def viterbi(emissions: np.ndarray, lengths: np.ndarray, transitions, start, end) -> np.ndarray:
    """Best path per sequence, (batch, seq) tag ids, 0 past each length; ties to the lowest tag id,
    as core/model/crf.py's Viterbi (and pytorch-crf) break them. emissions: (seq, batch, tags)."""
    seq, batch, num_tags = emissions.shape
    scores = np.empty_like(emissions)
    scores[0] = start + emissions[0]
    pointers = np.empty((seq, batch, num_tags), dtype=np.int64)
    for t in range(1, seq):
        candidates = (scores[t - 1][:, :, None] + transitions) + emissions[t][:, None, :]  # (batch, from, to)
        pointers[t] = candidates.argmax(axis=1)
        scores[t] = np.take_along_axis(candidates, pointers[t][:, None, :], axis=1)[:, 0]
    columns = np.arange(batch)
    current = (scores[lengths - 1, columns] + end).argmax(axis=1)
    tag_ids = np.zeros((batch, seq), dtype=np.int64)
    for t in range(seq - 1, -1, -1):
        inside = t < lengths  # a sequence's backtrace starts at its own last character
        tag_ids[inside, t] = current[inside]
        if t:
            current = np.where(inside, pointers[t, columns, current], current)
    return tag_ids


def marginals(emissions: np.ndarray, mask: np.ndarray, transitions, start, end) -> np.ndarray:
    """P(tag at t | sentence) by forward-backward in float64, (batch, seq, tags), 0 where masked.

    In probabilities, each step a 9 x 9 product, rescaled as it goes: a path's weight is a product
    of factors, and every factor shared by all paths through a position (a constant shift of the
    scores, each step's rescaling) cancels when the product alpha x beta is normalised per position.
    Five times faster than the log-space recursion, which stays the fallback for scores so far
    apart that a rescaled step underflows to 0."""
    em = emissions.astype(np.float64)  # shape: (seq, batch, tags)
    seq = em.shape[0]
    em = np.exp(em - em.max(axis=2, keepdims=True))
    step = np.exp(np.asarray(transitions, dtype=np.float64) - np.max(transitions))
    first = np.exp(np.asarray(start, dtype=np.float64) - np.max(start))
    last = np.exp(np.asarray(end, dtype=np.float64) - np.max(end))
    lengths = mask.sum(axis=1)
    inside = mask.T[:, :, None]  # shape: (seq, batch, 1)
    with np.errstate(invalid="ignore", divide="ignore"):  # an underflowed step: caught below, answered in logs
        alpha = np.empty_like(em)
        alpha[0] = first * em[0]
        for t in range(1, seq):
            alpha[t] = (alpha[t - 1] @ step) * em[t]
            alpha[t] /= alpha[t].sum(axis=1, keepdims=True)
        beta = np.empty_like(em)
        beta[seq - 1] = last
        for t in range(seq - 2, -1, -1):
            recursed = (em[t + 1] * beta[t + 1]) @ step.T
            recursed /= recursed.sum(axis=1, keepdims=True)
            beta[t] = np.where((t + 1 < lengths)[:, None], recursed, last)
        joint = alpha * beta
        total = joint.sum(axis=2, keepdims=True)
        real = mask.T  # past a sequence's end the recursion runs on padding, never read
        if not (np.isfinite(joint[real]).all() and (total[real] > 0).all()):
            return _log_marginals(emissions, mask, transitions, start, end)
        return np.where(inside, joint / total, 0.0).transpose(1, 0, 2)


def _log_marginals(emissions: np.ndarray, mask: np.ndarray, transitions, start, end) -> np.ndarray:
    """marginals in log space: the same recursions as core/model/crf.py's, for any scores."""
    emissions = emissions.astype(np.float64).transpose(1, 0, 2)  # shape: (batch, seq, tags)
    transitions, start, end = (np.asarray(a, dtype=np.float64) for a in (transitions, start, end))
    batch, seq, num_tags = emissions.shape
    lengths = mask.sum(axis=1)
    alpha = np.empty_like(emissions)
    alpha[:, 0] = start + emissions[:, 0]
    for t in range(1, seq):
        step = logsumexp(alpha[:, t - 1][:, :, None] + transitions + emissions[:, t][:, None, :], axis=1)
        alpha[:, t] = np.where(mask[:, t : t + 1], step, alpha[:, t - 1])
    beta = np.empty_like(emissions)
    beta[:, seq - 1] = end
    for t in range(seq - 2, -1, -1):
        step = logsumexp(transitions + (emissions[:, t + 1] + beta[:, t + 1])[:, None, :], axis=2)
        beta[:, t] = np.where((t + 1 < lengths)[:, None], step, end)
    last = alpha[np.arange(batch), lengths - 1]
    log_z = logsumexp(last + end, axis=1)
    return np.exp(alpha + beta - log_z[:, None, None]) * mask[:, :, None]


def logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    top = x.max(axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    return (top + np.log(np.exp(x - top).sum(axis=axis, keepdims=True))).squeeze(axis)
