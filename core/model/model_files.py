"""Read what the Model screen draws straight from a model folder, without building the model.

The transition heatmap needs three small tensors; loading the whole encoder for them would
cost seconds (a 12-layer model) on every first visit.
"""
from __future__ import annotations

from pathlib import Path

from core.model.crf import PARAMETER_NAMES
from core.model.config import CONFIG_FILE, WEIGHTS_FILE, read_json

CRF_KEYS = tuple(f"crf.{name}" for name in PARAMETER_NAMES)  # NerModel keeps its CRF as .crf


def crf_parameters(folder) -> dict | None:
    """{"tags", "transitions" (from, to), "start", "end"} as nested lists; None for a softmax head."""
    from safetensors import safe_open

    config = read_json(folder, CONFIG_FILE)
    if config is None:
        raise ValueError(f"{folder} is not a model folder: {CONFIG_FILE} is missing")
    with safe_open(str(Path(folder) / WEIGHTS_FILE), framework="np") as weights:
        if not set(CRF_KEYS) <= set(weights.keys()):
            return None
        transitions, start, end = (weights.get_tensor(key).astype(float).tolist() for key in CRF_KEYS)
    return {"tags": list(config["ner"]["tags"]), "transitions": transitions, "start": start, "end": end}
