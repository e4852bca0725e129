"""What a model folder is, without torch: its file names, the choices a model takes (heads, inits,
encoders, stacks), NerConfig, and reading its JSON files.

Kept apart from core/model/model.py, which imports torch (seconds, ~270 MB): the command line's
parser, the Train form and anything that only lists a folder's files or choices read them from here.
core.model.model imports every name back, so `from core.model.model import X` still works.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from core.labels import DEFAULT_TAGS

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
CURVES_FILE = "curves.json"  # one row per epoch: losses, dev F1 (the Model screen's curves)
SCORES_FILE = "scores.json"  # {evaluation set: evaluate() result} measured after training
TRAINING_FILE = "training.json"  # how the run went: argv, device, settings, seconds
MIXED_FILE = "mixed.json"  # a WiSE-FT mix's parts (python -m core.training.mix)
COMBINED_FILE = "combined.json"  # a fold's two models and weight (python -m core.training.combine)
HEADS = ("crf", "softmax")
INITS = ("pretrained", "embeddings", "random")
ENCODER_TYPES = ("transformer", "lac")  # lac: Baidu LAC's embedding + BiGRU alone (the fast model)
# lac: LAC's BiGRU output beside the transformer's vector, per character; lac2: LAC's BiGRU twice,
# the second a tuned copy (a fast model folded in by core/model/combine.py).
STACKS = (None, "lac", "lac2")


@dataclass
class NerConfig:
    tags: list[str] = field(default_factory=lambda: list(DEFAULT_TAGS))
    head: str = "crf"  # crf learns which tag may follow which; softmax is the baseline
    num_layers: int | None = None  # first N encoder layers; None keeps them all
    init: str = "pretrained"  # pretrained | embeddings (only the embedding rows) | random
    dropout: float = 0.1
    encoder_source: str = ""  # where the encoder came from, for the model card
    encoder_type: str = "transformer"  # transformer (any Hugging Face encoder) | lac
    stack: str | None = None  # "lac": LAC's 256-d BiGRU features stacked beside the transformer's; "lac2"

    def __post_init__(self):
        if self.head not in HEADS:
            raise ValueError(f"head must be one of {HEADS}, got {self.head!r}")
        if self.encoder_type not in ENCODER_TYPES:
            raise ValueError(f"encoder_type must be one of {ENCODER_TYPES}, got {self.encoder_type!r}")
        if self.stack not in STACKS or (self.stack and self.encoder_type != "transformer"):
            raise ValueError(f"stack must be one of {STACKS} over a transformer, got {self.stack!r} "
                             f"over {self.encoder_type!r}")
        if self.init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {self.init!r}")


def is_model_folder(folder) -> bool:
    return Path(folder, CONFIG_FILE).is_file()


def read_json(folder, name: str, default=None):
    """One of a model folder's JSON files (CURVES_FILE, SCORES_FILE, ...), default if absent."""
    path = Path(folder, name)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else default
