"""The Train screen's form as plain values: which corpora, how much the corrections weigh, what
the encoder offers, and the params dict launcher.start_training takes. Pure: no Streamlit."""
from __future__ import annotations

import json
from pathlib import Path

from core.training import repeat_policy
from core.data.corpus_files import BUNDLED, split_paths

BUNDLED_CHOICES = {" + ".join(BUNDLED): list(BUNDLED), **{name: [name] for name in BUNDLED}}  # all, or one
FOLDER_CHOICE = "a corpus folder…"
# Training from the encoder over whole corpora: the repeated corrections about a tenth as many as
# the corpus sentences, so they matter without crowding out the corpora.
CORRECTIONS_RATIO = 0.1


def corpus_problems(folder) -> list[str]:
    """What a user's corpus folder lacks: train and dev chars/TAG pairs are needed, test is optional."""
    folder = Path(folder)
    if not str(folder).strip() or not folder.is_dir():
        return [f"{folder} is not a folder"]
    return [f"{path} is missing" for split in ("train", "dev")
            for path in split_paths(str(folder), split) if not path.exists()]


def count_lines(path) -> int:
    """Sentences in a chars file (one a line), counted without parsing it."""
    with open(path, "rb") as file:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: file.read(1 << 20), b""))


def suggested_repeat(corrections: int, base_sentences: int) -> int:
    """How often to repeat each correction so that together they make about 10% of the base data
    (core/training/repeat_policy.py, which also caps it)."""
    return repeat_policy.corrections_repeat(corrections, base_sentences, CORRECTIONS_RATIO,
                                            cap=repeat_policy.FULL_TRAINING_MAX_REPEAT)


def encoder_info(folder) -> dict | None:
    """{"model_type", "layers", "hidden"} of a Hugging Face encoder folder, None if it is not one."""
    path = Path(folder) / "config.json"
    if not path.is_file():
        return None
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    layers = config.get("num_hidden_layers")
    if not isinstance(layers, int):
        return None
    return {"model_type": config.get("model_type", "?"), "layers": layers, "hidden": config.get("hidden_size")}


def build_params(*, name: str, data: list[str], data_dir, use_corrections: bool, corrections_repeat: int,
                 encoder, head: str, layers: int, epochs: int, lr: float, crf_lr_multiplier: float,
                 batch_size: int, time_budget: float = 0, train_limit: int = 0) -> dict:
    """launcher.start_training's params; zero time budget and train limit mean none."""
    params = {"data": list(data), "data_dir": str(data_dir), "use_corrections": bool(use_corrections),
              "encoder": str(encoder), "head": head, "layers": int(layers), "epochs": int(epochs),
              "lr": float(lr), "crf_lr_multiplier": float(crf_lr_multiplier), "batch_size": int(batch_size)}
    if use_corrections:
        params["corrections_repeat"] = int(corrections_repeat)
    if name.strip():
        params["name"] = name.strip()
    if time_budget:
        params["time_budget"] = float(time_budget)
    if train_limit:
        params["train_limit"] = int(train_limit)
    return params
