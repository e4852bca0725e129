"""The Model page on the tiny trained model: transitions, curves, confusion, comparison, studies."""
import json

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, write_corpus

PAGE = str(ROOT / "screens" / "model.py")


@pytest.fixture
def model_page(tiny_model, tmp_path, monkeypatch):
    for name in ("msra", "pd"):
        write_corpus(tmp_path / "data" / "corpora" / name, splits=("test",), repeat=1)
    monkeypatch.setenv("NER_STUDIO_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("NER_STUDIO_DB", str(tmp_path / "studio.db"))
    monkeypatch.setenv("NER_STUDIO_MODEL", str(tiny_model))
    monkeypatch.setenv("NER_STUDIO_EXPERIMENTS", str(tmp_path / "experiments"))
    return AppTest.from_file(PAGE, default_timeout=60)


def _figures(at) -> list[dict]:
    return [json.loads(element.proto.spec) for element in at.get("plotly_chart")]


def test_model_page_draws_the_transition_heatmap_with_impossible_moves_marked(model_page, tiny_model):
    at = model_page.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="model_version").value is not None  # the tiny model became version "default"
    (heatmap,) = _figures(at)
    assert heatmap["data"][0]["y"] == ["START", "O", "B_PER", "I_PER", "B_LOC", "I_LOC", "B_ORG", "I_ORG", "B_T", "I_T"]
    assert len(heatmap["layout"]["shapes"]) == 4 * 7 + 4  # I_X from 7 of 9 tags, and START -> I_X


def test_model_page_draws_the_training_curves(model_page):
    at = model_page.run()
    at.radio(key="model_view").set_value("Training curves").run()
    assert not at.exception
    curves = _figures(at)[0]
    assert [trace["name"] for trace in curves["data"]][:4] == ["train loss", "dev loss", "dev token accuracy", "dev F1"]
    assert len(curves["data"][0]["x"]) == 12  # the tiny model trained 12 epochs


def test_the_dev_f1_curve_skips_epochs_that_had_no_dev_set(model_page, tiny_model, tmp_path):
    """An improvement trains without a dev set: its epochs' dev F1 was not measured, and the curve
    must not drop to 0% there (older versions recorded 0.0; newer ones None)."""
    from storage.db import connect
    from storage.versions import register_version, set_active

    measured = {"train_loss": 1.0, "dev_loss": 0.5, "dev_token_accuracy": 0.9, "dev_f1": 0.8,
                "dev_entities": {"micro": {"precision": 0.8, "recall": 0.8, "f1": 0.8, "support": 5}}}
    unmeasured = {"train_loss": 0.4, "dev_loss": None, "dev_token_accuracy": None, "dev_entities": None}
    curves = [{"epoch": 1, **measured}, {"epoch": 2, **unmeasured, "dev_f1": 0.0}, {"epoch": 3, **unmeasured, "dev_f1": None}]
    db = connect(tmp_path / "studio.db")
    set_active(db, register_version(db, "improved", tiny_model, curves=curves))
    at = model_page.run()
    at.radio(key="model_view").set_value("Training curves").run()
    assert not at.exception, at.exception
    dev_f1 = next(trace for trace in _figures(at)[0]["data"] if trace["name"] == "dev F1")
    assert dev_f1["y"] == [0.8, None, None]
    assert any("No dev F1 for epoch 2, 3" in caption.value for caption in at.caption)


def test_model_page_computes_the_confusion_on_the_sample(model_page):
    at = model_page.run()
    at.radio(key="model_view").set_value("Confusion").run()
    assert not at.exception, at.exception
    figures = _figures(at)
    confusion = figures[0]["data"][0]
    assert confusion["x"][0] == "O" and len(confusion["z"]) == 9
    for row in confusion["z"]:
        assert sum(row) == pytest.approx(1.0) or sum(row) == 0
    assert "MSRA test (6 sentences) + People's Daily test (6 sentences)" in at.caption[-1].value
    assert figures[0]["layout"]["title"]["text"].endswith(
        "counted over MSRA test (6 sentences) + People's Daily test (6 sentences)")
    assert len(figures) == 3  # the confusion and per-type scores for each corpus


def test_model_page_compares_two_versions(model_page, tiny_model, tmp_path):
    from storage.db import connect
    from storage.versions import ensure_default_version, register_version

    db = connect(tmp_path / "studio.db")
    ensure_default_version(db, tiny_model)
    scores = {"msra": {"token_accuracy": 0.9, "entities": {"PER": {"precision": 1, "recall": 1, "f1": 1.0, "support": 1},
                                                            "micro": {"precision": 1, "recall": 1, "f1": 0.5, "support": 1}}}}
    register_version(db, "other", tiny_model, scores=scores, curves=json.loads((tiny_model / "curves.json").read_text()))
    at = model_page.run()
    at.radio(key="model_view").set_value("Compare").run()
    assert not at.exception, at.exception
    curves, bars = _figures(at)
    assert {trace["legendgroup"] for trace in curves["data"]} == {"default", "other"}
    assert [trace["name"] for trace in bars["data"]] == ["default", "other"]


def test_compare_sets_side_by_side_only_figures_on_the_same_set(model_page, tiny_model, tmp_path):
    """Issue 22: a version scored on a 300-sentence sample and one on the whole test set looked
    6 points apart. The table names each set with its size and compares only the same sets."""
    from storage.db import connect
    from storage.versions import ensure_default_version, register_version

    def scores(f1, **size):
        return {"token_accuracy": 0.9, "entities": {"micro": {"precision": f1, "recall": f1, "f1": f1, "support": 9}},
                **size}

    db = connect(tmp_path / "studio.db")
    ensure_default_version(db, tiny_model)
    confusion = {"tags": ["O", "B_PER", "I_PER", "B_LOC", "I_LOC", "B_ORG", "I_ORG", "B_T", "I_T"],
                 "counts": [[1] * 9 for _ in range(9)]}
    register_version(db, "whole", tiny_model, scores={"msra": scores(0.863, sentences=4620, confusion=confusion),
                                                      "pd": scores(0.90, sentences=4683)})
    register_version(db, "sampled", tiny_model, scores={"msra": scores(0.924, sentences=300, sample_of=4620),
                                                        "pd": scores(0.91, sentences=4683),
                                                        "heldout": scores(0.8, sentences=25)})
    at = model_page.run()
    at.selectbox(key="model_version").set_value(3).run()
    at.radio(key="model_view").set_value("Compare").run()
    at.selectbox(key="model_compare_with").set_value(2).run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value.set_index("evaluation set")
    assert table.loc["MSRA test (300-sentence sample) vs MSRA test (4,620 sentences)", "difference (F1 points)"] == \
        "not comparable: measured on different sets"
    assert table.loc["People's Daily test (4,683 sentences)", "difference (F1 points)"] == "+1.0"
    assert table.loc["held-out corrections (25 documents)", "difference (F1 points)"] == \
        "only one version was scored on it"
    bars = _figures(at)[-1]
    assert "MSRA test (300-sentence sample) micro" in bars["data"][0]["x"]
    assert "MSRA test (4,620 sentences) micro" in bars["data"][1]["x"]  # apart, not side by side
    at.radio(key="model_view").set_value("Scores").run()
    titles = [figure["layout"]["title"]["text"] for figure in _figures(at)]
    assert any(title.startswith("held-out corrections (25 documents): entity precision") for title in titles)
    at.selectbox(key="model_version").set_value(2).run()
    at.radio(key="model_view").set_value("Confusion").run()
    assert _figures(at)[0]["layout"]["title"]["text"].endswith("counted over MSRA test (4,620 sentences)")
    assert "Counted over MSRA test (4,620 sentences), as scored after training" in at.caption[-1].value


def test_model_page_plots_study_results_and_names_the_command_for_missing_ones(model_page, tmp_path):
    study = tmp_path / "experiments" / "head"
    study.mkdir(parents=True)
    curves = [{"epoch": 1, "train_loss": 2.0, "dev_loss": 1.0, "dev_token_accuracy": 0.9, "dev_f1": 0.5}]
    rows = [{"variant": v, "dev_f1": f1, "test": {"msra": {"entities": {"micro": {"f1": f1}}}}, "curves": curves}
            for v, f1 in (("crf", 0.8), ("softmax", 0.7))]
    (study / "results.json").write_text(json.dumps(rows), encoding="utf-8")
    at = model_page.run()
    at.radio(key="model_view").set_value("Experiments").run()
    assert not at.exception, at.exception
    bars = _figures(at)[0]
    assert bars["data"][0]["x"] == ["crf", "softmax"] and bars["data"][0]["y"] == [0.8, 0.7]
    assert [i.value for i in at.info] == ["No results yet; run: python -m core experiment init",
                                          "No results yet; run: python -m core experiment layers"]


def test_the_model_page_shows_no_absolute_server_path(model_page, tmp_path, tiny_model):
    """Issue 22: the Experiments caption named results.md by its absolute path on the server (and
    the page's caption the version's folder)."""
    study = tmp_path / "experiments" / "head"
    study.mkdir(parents=True)
    rows = [{"variant": "crf", "dev_f1": 0.8, "test": {"msra": {"entities": {"micro": {"f1": 0.8}}}}}]
    (study / "results.json").write_text(json.dumps(rows), encoding="utf-8")
    (study / "results.md").write_text("| variant |\n", encoding="utf-8")
    at = model_page.run()
    at.radio(key="model_view").set_value("Experiments").run()
    assert not at.exception, at.exception
    shown = " ".join(c.value for c in at.caption)
    assert "head/results.md" in shown
    assert str(tmp_path) not in shown and str(tiny_model.parent) not in shown and str(ROOT) not in shown
