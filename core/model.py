"""Encoder + linear + CRF (or + softmax): build, run, save and load as a folder.

A saved model is a folder: config.json (our settings and the encoder's config), weights in
model.safetensors, char_vocab.json, and what training writes beside them (curves, scores, the
run's settings). Loading reads JSON and safetensors only, never a pickle. The file names below
are the only place that knows them.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from core.atomic import write_folder
from core.crf import CRF
from core.labels import DEFAULT_TAGS
from core.text import CharVocab

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
CURVES_FILE = "curves.json"  # one row per epoch: losses, dev F1 (the Model screen's curves)
SCORES_FILE = "scores.json"  # {evaluation set: evaluate() result} measured after training
TRAINING_FILE = "training.json"  # how the run went: argv, device, settings, seconds
HEADS = ("crf", "softmax")
INITS = ("pretrained", "embeddings", "random")


@dataclass
class NerConfig:
    tags: list[str] = field(default_factory=lambda: list(DEFAULT_TAGS))
    head: str = "crf"  # crf learns which tag may follow which; softmax is the baseline
    num_layers: int | None = None  # first N encoder layers; None keeps them all
    init: str = "pretrained"  # pretrained | embeddings (only the embedding rows) | random
    dropout: float = 0.1
    encoder_source: str = ""  # where the encoder came from, for the model card

    def __post_init__(self):
        if self.head not in HEADS:
            raise ValueError(f"head must be one of {HEADS}, got {self.head!r}")
        if self.init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {self.init!r}")


class NerModel(nn.Module):
    def __init__(self, config: NerConfig, encoder: nn.Module, char_vocab: CharVocab):
        super().__init__()
        self.config = config
        self.encoder = encoder
        self.char_vocab = char_vocab
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(hidden, len(config.tags))
        self.crf = CRF(len(config.tags)) if config.head == "crf" else None

    @property
    def tags(self) -> list[str]:
        return self.config.tags

    @property
    def max_chars(self) -> int:
        """Characters per sequence the encoder's positions allow (two go to <s> and </s>)."""
        positions = self.encoder.config.max_position_embeddings
        if self.encoder.config.model_type in ("xlm-roberta", "roberta"):
            positions -= self.encoder.config.pad_token_id + 1  # RoBERTa positions start at pad+1
        return positions - 2

    def emissions(self, input_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Per-character tag scores.

        input_ids: (batch, seq) character ids without specials; mask: bool (batch, seq).
        Returns (batch, seq, tags).
        """
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
        # Softmax: maximise the probability mass on the allowed tags, per character.
        log_probs = emissions.float().log_softmax(dim=-1)
        allowed_mass = log_probs.masked_fill(~allowed, -1e4).logsumexp(dim=-1)  # shape: (batch, seq)
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
        sentence; for softmax they are the per-character softmax.
        """
        emissions = emissions.float()
        if self.crf is not None:
            return self.crf.marginals(emissions, mask)
        return emissions.softmax(dim=-1) * mask.unsqueeze(2)

    # ---- folders -----------------------------------------------------------------------------

    def save(self, folder, extra_files: dict[str, object] | None = None) -> Path:
        """Write the model folder atomically: built beside the target, then renamed into place."""

        def build(tmp: Path) -> None:
            config = {"ner": asdict(self.config), "encoder": self.encoder.config.to_dict()}
            (tmp / CONFIG_FILE).write_text(json.dumps(config, ensure_ascii=False, indent=1), encoding="utf-8")
            state = {k: v.detach().contiguous() for k, v in self.state_dict().items()}
            save_file(state, str(tmp / WEIGHTS_FILE))
            self.char_vocab.save(tmp)
            for name, content in (extra_files or {}).items():
                text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False, indent=1)
                (tmp / name).write_text(text, encoding="utf-8")

        return write_folder(folder, build)


def _encoder_from_config_dict(encoder_config: dict) -> nn.Module:
    from transformers import AutoConfig, AutoModel

    model_type = encoder_config.pop("model_type")
    config = AutoConfig.for_model(model_type, **encoder_config)
    return AutoModel.from_config(config, add_pooling_layer=False)


def build_model(encoder_dir, config: NerConfig) -> NerModel:
    """A fresh tagger on an encoder folder (ours or any Hugging Face one), first N layers."""
    from transformers import AutoConfig, AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()  # dropping layers N+1.. is intended, not a warning
    encoder_dir = str(encoder_dir)
    encoder_config = AutoConfig.from_pretrained(encoder_dir)
    if config.num_layers is not None:
        if not 1 <= config.num_layers <= encoder_config.num_hidden_layers:
            raise ValueError(f"num_layers must be 1..{encoder_config.num_hidden_layers}, got {config.num_layers}")
        encoder_config.num_hidden_layers = config.num_layers
    config.num_layers = encoder_config.num_hidden_layers
    config.encoder_source = config.encoder_source or encoder_dir
    if config.init == "pretrained":
        # float32 whatever the folder stores: training in half precision is autocast's job.
        encoder = AutoModel.from_pretrained(encoder_dir, config=encoder_config, add_pooling_layer=False,
                                            dtype=torch.float32)
    else:
        encoder = AutoModel.from_config(encoder_config, add_pooling_layer=False)
    if config.init == "embeddings":
        # A fresh encoder with the pretrained embedding rows copied in. Re-initialising the layers of
        # a loaded encoder does nothing in transformers 5: its init functions skip loaded weights.
        pretrained = AutoModel.from_pretrained(encoder_dir, config=encoder_config, add_pooling_layer=False,
                                               dtype=torch.float32)
        encoder.embeddings.load_state_dict(pretrained.embeddings.state_dict())
    return NerModel(config, encoder, CharVocab.for_encoder_folder(encoder_dir))


def load_model(folder, device: str | torch.device = "cpu") -> NerModel:
    folder = Path(folder)
    if not (folder / CONFIG_FILE).exists():
        raise ValueError(f"{folder} is not a model folder: {CONFIG_FILE} is missing")
    saved = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    config = NerConfig(**saved["ner"])
    encoder = _encoder_from_config_dict(dict(saved["encoder"]))
    model = NerModel(config, encoder, CharVocab.load(folder))
    state = load_file(str(folder / WEIGHTS_FILE))
    dtype = next(model.parameters()).dtype
    model.load_state_dict({k: v.to(dtype) for k, v in state.items()})
    return model.to(device).eval()


def keep_first_layers(model: NerModel, num_layers: int) -> NerModel:
    """Cut a model's encoder to its first N layers, in place: the start of a smaller, faster
    variant that is then fine-tuned (the head learned on layer 12 re-learns on layer N)."""
    layers = model.encoder.encoder.layer
    if not 1 <= num_layers <= len(layers):
        raise ValueError(f"num_layers must be 1..{len(layers)}, got {num_layers}")
    model.encoder.encoder.layer = layers[:num_layers]
    model.encoder.config.num_hidden_layers = num_layers
    model.config.num_layers = num_layers
    return model


def is_model_folder(folder) -> bool:
    return Path(folder, CONFIG_FILE).is_file()


def read_json(folder, name: str, default=None):
    """One of a model folder's JSON files (CURVES_FILE, SCORES_FILE, ...), default if absent."""
    path = Path(folder, name)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else default
