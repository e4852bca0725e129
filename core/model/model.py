"""Encoder + linear + CRF (or + softmax): run, save and load as a folder (core/model/build.py builds one).

A saved model is a folder: config.json (our settings and the encoder's config), weights in
model.safetensors, char_vocab.json, and what training writes beside them (curves, scores, the
run's settings). Loading reads JSON and safetensors only, never a pickle. The file names, in
core/model/config.py (no torch there), are the only place that knows them, but for char_vocab.json
(core/text.py's CharVocab), lac_vocab.json (core/model/lac.py) and the seal, checksums.json
(core/model/integrity.py): each module that reads a file names it.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from core.atomic import write_folder
from core.labels import tag_types
# The torch-free names live in config.py; imported here too, so `from core.model.model import X` still works.
from core.model.config import (CONFIG_FILE, CURVES_FILE, ENCODER_TYPES, HEADS, INITS, SCORES_FILE,  # noqa: F401
                               STACKS, TRAINING_FILE, WEIGHTS_FILE, NerConfig, is_model_folder, read_json)
from core.model.crf import CRF, check_allowed
from core.model.integrity import seal, verify
from core.text import CharVocab, pad_chars


class NerModel(nn.Module):
    """encoder (a transformer, or LAC's BiGRU) [+ stacked LAC features] + linear + CRF or softmax.

    char_vocab maps characters for `encoder` (a CharVocab, or a LacVocab when the encoder is LAC);
    a stacked model also holds `stacked` (a LacEncoder) and its `stacked_vocab`, and a "lac2" one a
    second LacEncoder, `stacked_partner`, on the same characters (a fast model's tuned BiGRU).
    """

    def __init__(self, config: NerConfig, encoder: nn.Module, char_vocab, stacked: nn.Module | None = None,
                 stacked_vocab=None, stacked_partner: nn.Module | None = None):
        super().__init__()
        if (stacked is None) != (config.stack is None):
            raise ValueError(f"config.stack is {config.stack!r} but stacked features were "
                             f"{'not ' if stacked is None else ''}given")
        if (stacked_partner is None) != (config.stack != "lac2"):
            raise ValueError(f"config.stack is {config.stack!r}: a second stacked LAC is given for \"lac2\" only, "
                             f"and always")
        self.config = config
        self.encoder = encoder
        self.char_vocab = char_vocab
        self.stacked = stacked
        self.stacked_vocab = stacked_vocab
        self.stacked_partner = stacked_partner
        hidden = encoder.output_size if config.encoder_type == "lac" else encoder.config.hidden_size
        for tower in (stacked, stacked_partner):
            hidden += tower.output_size if tower is not None else 0
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(hidden, len(config.tags))
        self.crf = CRF(len(config.tags)) if config.head == "crf" else None

    @property
    def tags(self) -> list[str]:
        return self.config.tags

    @property
    def entity_types(self) -> list[str]:
        return tag_types(self.config.tags)

    @property
    def max_chars(self) -> int:
        """Characters per sequence the encoder's positions allow (two go to <s> and </s>)."""
        if self.config.encoder_type == "lac":
            from core.model.lac import MAX_CHARS

            return MAX_CHARS
        positions = self.encoder.config.max_position_embeddings
        if self.encoder.config.model_type in ("xlm-roberta", "roberta"):
            positions -= self.encoder.config.pad_token_id + 1  # RoBERTa positions start at pad+1
        return positions - 2

    def batch_ids(self, sequences) -> tuple[torch.Tensor, torch.Tensor]:
        """Character sequences as the model's padded input: ids (batch, seq), or (batch, seq, 2)
        for a stacked model (the transformer's ids, then LAC's); mask bool (batch, seq)."""
        ids, mask = pad_chars(sequences, self.char_vocab)
        if self.stacked is not None:
            ids = torch.stack([ids, pad_chars(sequences, self.stacked_vocab)[0]], dim=2)
        return ids, mask

    def emissions(self, input_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Per-character tag scores.

        input_ids: (batch, seq) character ids without specials, or (batch, seq, 2) for a stacked
        model (batch_ids makes them); mask: bool (batch, seq). Returns (batch, seq, tags).
        """
        if self.config.encoder_type == "lac":
            return self.classifier(self.dropout(self.encoder(input_ids, mask)))
        if self.stacked is not None:
            input_ids, stacked_ids = input_ids[..., 0], input_ids[..., 1]
        vocab = self.char_vocab
        batch = input_ids.shape[0]
        cls = input_ids.new_full((batch, 1), vocab.cls)
        tail = input_ids.new_full((batch, 1), vocab.pad)
        ids = torch.cat([cls, input_ids.masked_fill(~mask, vocab.pad), tail], dim=1)
        lengths = mask.sum(dim=1)
        ids[torch.arange(batch), lengths + 1] = vocab.sep  # </s> right after each sequence
        attention = torch.arange(ids.shape[1], device=ids.device).unsqueeze(0) < (lengths + 2).unsqueeze(1)
        hidden = self.encoder(input_ids=ids, attention_mask=attention.long()).last_hidden_state
        hidden = hidden[:, 1:-1]  # shape: (batch, seq, hidden)
        if self.stacked is not None:
            features = [self.stacked(stacked_ids, mask).to(hidden.dtype)]  # each (batch, seq, 256)
            if self.stacked_partner is not None:
                features.append(self.stacked_partner(stacked_ids, mask).to(hidden.dtype))
            hidden = torch.cat([hidden, *features], dim=2)  # shape: (batch, seq, hidden + 256 per tower)
        return self.classifier(self.dropout(hidden))

    def forward(self, input_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.emissions(input_ids, mask)  # DistributedDataParallel wraps forward

    def loss(self, emissions: torch.Tensor, allowed: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood per sequence.

        allowed: bool (batch, seq, tags), the tags each character may carry: one for a fully
        annotated character, several where the corpus leaves a type unannotated.
        """
        if self.crf is not None:
            return -self.crf.partial_log_likelihood(emissions.float(), allowed, mask).mean()
        # Softmax: maximise the probability mass on the allowed tags, per character. Forbidden tags
        # get -inf (a finite stand-in stops forbidding once log-probabilities reach its size), only
        # at real positions, each of which allows a tag, so logsumexp never sees a row of -inf only.
        check_allowed(allowed, mask)
        log_probs = emissions.float().log_softmax(dim=-1)
        forbidden = ~allowed & mask.unsqueeze(2)
        allowed_mass = log_probs.masked_fill(forbidden, float("-inf")).logsumexp(dim=-1)  # shape: (batch, seq)
        return -(allowed_mass * mask).sum(dim=1).mean()

    @torch.no_grad()
    def decode(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Best tag ids (batch, seq): Viterbi for the CRF, per-character argmax for softmax."""
        emissions = emissions.float()
        if self.crf is not None:
            return self.crf.viterbi(emissions, mask)
        return emissions.argmax(dim=-1).masked_fill(~mask, 0)

    @torch.no_grad()
    def tag_probabilities(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Each character's tag probabilities (batch, seq, tags).

        For the CRF these are forward-backward marginals, so a confidence reflects the whole
        sentence; for softmax they are the per-character softmax. float32 either way: the
        marginals are computed in float64, where the error would accumulate, and only stored here.
        """
        emissions = emissions.float()
        if self.crf is not None:
            return self.crf.marginals(emissions, mask).float()
        return emissions.softmax(dim=-1) * mask.unsqueeze(2)

    # ---- folders -----------------------------------------------------------------------------

    def save(self, folder, extra_files: dict[str, object] | None = None, complete: bool = True) -> Path:
        """Write the model folder atomically: built beside the target, then renamed into place.

        The seal (core/model/integrity.py) is written last: checksums of the files loading reads, and
        complete=False for a run's best-so-far save, which must not become a version."""

        def build(tmp: Path) -> None:
            config = {"ner": asdict(self.config)}
            if self.config.encoder_type == "lac":
                config["lac"] = asdict(self.encoder.config)
            else:
                config["encoder"] = self.encoder.config.to_dict()
            if self.stacked is not None:
                config["lac"] = asdict(self.stacked.config)
                self.stacked_vocab.save(tmp)
            (tmp / CONFIG_FILE).write_text(json.dumps(config, ensure_ascii=False, indent=1), encoding="utf-8")
            state = {k: v.detach().contiguous() for k, v in self.state_dict().items()}
            save_file(state, str(tmp / WEIGHTS_FILE))
            self.char_vocab.save(tmp)
            loaded = [path.name for path in tmp.iterdir()]  # what load_model reads: checksummed
            for name, content in (extra_files or {}).items():
                text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False, indent=1)
                (tmp / name).write_text(text, encoding="utf-8")
            seal(tmp, loaded, complete)

        return write_folder(folder, build)


def _encoder_from_config_dict(encoder_config: dict) -> nn.Module:
    from transformers import AutoConfig, AutoModel

    model_type = encoder_config.pop("model_type")
    config = AutoConfig.for_model(model_type, **encoder_config)
    return AutoModel.from_config(config, add_pooling_layer=False)


def load_model(folder, device: str | torch.device = "cpu") -> NerModel:
    folder = Path(folder)
    if not (folder / CONFIG_FILE).exists():
        raise ValueError(f"{folder} is not a model folder: {CONFIG_FILE} is missing")
    verify(folder)  # DamagedModel (a ValueError) before a flipped byte can tag everything O
    saved = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    config = NerConfig(**saved["ner"])
    stacked = stacked_vocab = None
    if config.encoder_type == "lac" or config.stack in ("lac", "lac2"):
        from core.model.lac import LacConfig, LacEncoder, LacVocab

        lac, lac_vocab = LacEncoder(LacConfig(**saved["lac"])), LacVocab.load(folder)
    if config.encoder_type == "lac":
        model = NerModel(config, lac, lac_vocab)
    else:
        if config.stack in ("lac", "lac2"):
            stacked, stacked_vocab = lac, lac_vocab
        partner = LacEncoder(LacConfig(**saved["lac"])) if config.stack == "lac2" else None
        encoder = _encoder_from_config_dict(dict(saved["encoder"]))
        model = NerModel(config, encoder, CharVocab.load(folder), stacked, stacked_vocab, partner)
    state = load_file(str(folder / WEIGHTS_FILE))
    dtype = next(model.parameters()).dtype
    model.load_state_dict({k: v.to(dtype) for k, v in state.items()})
    return model.to(device).eval()
