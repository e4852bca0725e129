"""What a converted LAC folder holds (core/model/lac.py has the torch module): its file names, its
config and its vocabulary (characters -> embedding rows).

Apart from the module so that the NumPy tagger (core/tagging/lite.py) reads a fast model folder
without importing torch.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

LAC_FOLDER = "data/encoders/lac"  # where prepare writes it; `--encoder lac` / `--stack lac` read it
LAC_CONFIG_FILE = "config.json"
LAC_WEIGHTS_FILE = "model.safetensors"
LAC_VOCAB_FILE = "lac_vocab.json"
MAX_CHARS = 512  # a GRU has no position limit; pieces this long keep batches small


@dataclass
class LacVocab:
    """Characters -> embedding rows, exactly as LAC maps them: one id per character, never NFKC."""

    chars: dict[str, int]
    oov: int

    @property
    def pad(self) -> int:
        return self.oov  # padding is masked out; any valid row will do

    def id_of(self, char: str) -> int:
        return self.chars.get(char, self.oov)

    def encode(self, chars) -> list[int]:
        get, oov = self.chars.get, self.oov
        return [get(char, oov) for char in chars]

    def to_json(self) -> dict:
        return {"chars": self.chars, "oov": self.oov}

    def save(self, folder) -> None:
        Path(folder, LAC_VOCAB_FILE).write_text(json.dumps(self.to_json(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder) -> "LacVocab":
        data = json.loads(Path(folder, LAC_VOCAB_FILE).read_text(encoding="utf-8"))
        return cls(chars=data["chars"], oov=data["oov"])


@dataclass
class LacConfig:
    rows: int  # embedding rows kept (the last is OOV)
    embedding_dim: int = 128
    hidden: int = 128  # per direction
    layers: int = 2
    source: str = ""  # what it was converted from, for model cards


def is_lac_folder(folder) -> bool:
    path = Path(folder, LAC_CONFIG_FILE)
    try:
        return "lac" in json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
