"""The NumPy tagger (core/tagging/lite.py) against the torch one on a real LAC-encoder model trained
here: the same tags, the same confidences, the same CRF paths ties included, and `python -m core tag`
running it without importing torch."""
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import ROOT, SENTENCES, damage
from core.data.training_data import Example
from core.labels import spans_to_tags
from core.model.build import build_model
from core.model.crf import CRF
from core.model.lac_convert import build_lac_folder
from core.model.model import NerConfig
from core.tagging.lite import LiteTagger, marginals, runs_lite, viterbi
from core.tagging.predict import Tagger
from core.training.settings import TrainSettings
from core.training.train import train

TEXTS = ["张三在北京市工作", "", "ＡＢＣ公司于２０２３年在上海成立。新华社记者李四报道", "😀a 𠀀\u3000王五 去了广州",
         "中", "联合国总部在纽约。" * 70, "一九九八年元旦北京很冷\n我爱北京天安门"]


@pytest.fixture(scope="module")
def fast_model(tmp_path_factory):
    """A LAC-encoder CRF model trained until it tags SENTENCES' entities: the fast model's kind."""
    lac = build_lac_folder(tmp_path_factory.mktemp("lac") / "lac")
    torch.manual_seed(0)
    model = build_model(None, NerConfig(encoder_type="lac"), lac_dir=lac)
    examples = [Example(list(text), spans_to_tags(spans, len(text))) for text, spans in SENTENCES]
    settings = TrainSettings(epochs=4, batch_size=6, lr=1e-2, lac_lr=1e-3, patience=4, log_every=1000)
    list(train(model, examples * 6, examples, settings))
    return model.save(tmp_path_factory.mktemp("models") / "fast")


def test_lite_tags_and_scores_as_the_torch_tagger_does(fast_model):
    lite, reference = LiteTagger.from_folder(fast_model), Tagger.from_folder(fast_model)
    got, expected = lite.tag_texts(TEXTS), reference.tag_texts(TEXTS)
    assert sum(len(result.entities) for result in expected) >= 10  # a model that tags something
    for mine, theirs in zip(got, expected):
        assert mine.text == theirs.text and mine.tags == theirs.tags
        assert [(e.start, e.end, e.label) for e in mine.entities] == [(e.start, e.end, e.label) for e in theirs.entities]
        assert np.allclose(mine.char_confidence, theirs.char_confidence, atol=1e-4)
    # One text alone, and in a batch beside others of other lengths, tags the same.
    assert lite.tag(TEXTS[3]).tags == got[3].tags
    assert LiteTagger.from_folder(fast_model, batch_size=1).tag_texts(TEXTS)[5].tags == got[5].tags


def test_without_confidence_both_taggers_give_the_same_tags_and_no_confidences(fast_model):
    for tagger in (LiteTagger.from_folder(fast_model), Tagger.from_folder(fast_model)):
        full, tags_only = tagger.tag_texts(TEXTS), tagger.tag_texts(TEXTS, confidence=False)
        assert [r.tags for r in tags_only] == [r.tags for r in full]
        assert [[(e.start, e.end, e.label) for e in r.entities] for r in tags_only] == \
            [[(e.start, e.end, e.label) for e in r.entities] for r in full]
        assert all(c is None for r in tags_only for c in r.char_confidence)
        assert all(e.confidence is None for r in tags_only for e in r.entities)
        assert all(e.confidence is not None for r in full for e in r.entities)


def test_viterbi_and_marginals_match_the_crf_ties_included():
    generator = torch.Generator().manual_seed(3)
    crf = CRF(9)
    with torch.no_grad():  # small integers make many paths tie: the lowest tag id must win both ways
        for parameter in (crf.transitions, crf.start_transitions, crf.end_transitions):
            parameter.copy_(torch.randint(-2, 3, parameter.shape, generator=generator).float())
    emissions = torch.randint(-2, 3, (7, 13, 9), generator=generator).float()
    lengths = torch.tensor([13, 1, 5, 12, 2, 13, 7])
    mask = torch.arange(13)[None, :] < lengths[:, None]
    arrays = [p.detach().numpy() for p in (crf.transitions, crf.start_transitions, crf.end_transitions)]
    time_major = emissions.permute(1, 0, 2).numpy().copy()
    mine = viterbi(time_major, lengths.numpy(), *arrays)
    assert (mine == crf.viterbi(emissions, mask).numpy()).all()
    assert np.allclose(marginals(time_major, mask.numpy(), *arrays), crf.marginals(emissions, mask).detach().numpy(),
                       atol=1e-9)


def test_only_lac_encoder_crf_folders_run_lite(fast_model, tiny_model, tmp_path):
    assert runs_lite(fast_model) and not runs_lite(tiny_model) and not runs_lite(tmp_path)
    softmax = tmp_path / "softmax"
    softmax.mkdir()
    config = json.loads((fast_model / "config.json").read_text(encoding="utf-8"))
    config["ner"]["head"] = "softmax"
    (softmax / "config.json").write_text(json.dumps(config), encoding="utf-8")
    assert not runs_lite(softmax)
    with pytest.raises(ValueError, match="torch Tagger"):
        LiteTagger.from_folder(tiny_model)


def _core(*args, check=True):
    code = ("import sys; from core.cli import main; code = main(sys.argv[1:]); "
            "print('torch imported' if 'torch' in sys.modules else 'no torch'); sys.exit(code)")
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          check=check)


def test_cli_tags_a_fast_model_without_torch_and_as_torch_does(fast_model, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    lite = _core("tag", source, "-o", tmp_path / "lite.txt", "--text", "--model", fast_model, "--quiet")
    assert lite.stdout.strip() == "no torch"
    torch_run = _core("tag", source, "-o", tmp_path / "torch.txt", "--text", "--model", fast_model, "--quiet",
                      "--engine", "torch")
    assert torch_run.stdout.strip() == "torch imported"
    assert (tmp_path / "lite.txt").read_text(encoding="utf-8") == (tmp_path / "torch.txt").read_text(encoding="utf-8")
    assert len((tmp_path / "lite.txt").read_text(encoding="utf-8").splitlines()) == len(source.read_text().splitlines())


def test_cli_evaluates_a_fast_model_without_torch_and_as_torch_does(fast_model, tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps({"text": text, "spans": spans}, ensure_ascii=False) + "\n"
                            for text, spans in SENTENCES), encoding="utf-8")
    reports = {}
    for engine, imported in (("auto", "no torch"), ("torch", "torch imported")):
        run = _core("eval", "--spans", gold, "--model", fast_model, "--json", "--quiet", "--engine", engine)
        *report, said = run.stdout.strip().splitlines()
        assert said == imported
        reports[engine] = json.loads("\n".join(report))
    assert reports["auto"]["entities"]["micro"]["f1"] > 0.5  # a model that tags something
    assert reports["auto"] == reports["torch"]


def test_cli_names_what_the_numpy_engine_cannot_run(fast_model, tiny_model, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("张三\n", encoding="utf-8")
    foreign = _core("tag", source, "-o", tmp_path / "out.txt", "--text", "--model", tiny_model, "--engine", "numpy",
                    check=False)
    assert foreign.returncode == 2 and "--engine torch" in foreign.stderr
    broken = tmp_path / "broken"
    shutil.copytree(fast_model, broken)
    damage(broken, "4 KB of weights flipped")
    damaged = _core("tag", source, "-o", tmp_path / "out.txt", "--text", "--model", broken, check=False)
    assert damaged.returncode == 2 and "not a usable model folder" in damaged.stderr
    assert not (tmp_path / "out.txt").exists()


def test_the_service_serves_a_fast_model_with_the_numpy_tagger(fast_model, tiny_model):
    from service.source import load, model_info

    served = load(fast_model, "fast")
    assert isinstance(served.tagger, LiteTagger)
    assert model_info(served)["types"] == Tagger.from_folder(fast_model).entity_types == ["PER", "LOC", "ORG", "T"]
    assert served.tagger.tag(TEXTS[2]).tags == Tagger.from_folder(fast_model).tag(TEXTS[2]).tags
    assert isinstance(load(tiny_model, "tiny").tagger, Tagger)  # a Transformer encoder stays on torch


def test_the_app_tags_with_a_fast_model_through_the_numpy_tagger(fast_model, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from ui import shared

    monkeypatch.setenv("NER_STUDIO_DB", str(tmp_path / "studio.db"))
    monkeypatch.setenv("NER_STUDIO_MODEL", str(fast_model))
    assert isinstance(shared.load_tagger(str(fast_model)), LiteTagger)
    expected = Tagger.from_folder(fast_model).tag(TEXTS[2])
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.text_area(key="predict_text").input(TEXTS[2])
    at.button(key="predict_tag").click().run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert len(expected.entities) >= 2
    assert table[["text", "type", "start", "end"]].values.tolist() == [
        [e.text, e.label, e.start, e.end] for e in expected.entities]
    assert at.code[0].value == " ".join(expected.tags)


def test_marginals_hold_for_scores_far_apart():
    """Scores hundreds apart underflow a rescaled step in probabilities: the log-space fallback answers."""
    generator = torch.Generator().manual_seed(5)
    crf = CRF(9)
    with torch.no_grad():
        for parameter in (crf.transitions, crf.start_transitions, crf.end_transitions):
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 400)
    emissions = torch.randn((5, 30, 9), generator=generator) * 400
    lengths = torch.tensor([30, 1, 17, 29, 2])
    mask = torch.arange(30)[None, :] < lengths[:, None]
    arrays = [p.detach().numpy() for p in (crf.transitions, crf.start_transitions, crf.end_transitions)]
    mine = marginals(emissions.permute(1, 0, 2).numpy().copy(), mask.numpy(), *arrays)
    assert np.isfinite(mine).all()
    assert np.allclose(mine, crf.marginals(emissions, mask).detach().numpy(), atol=1e-9)
