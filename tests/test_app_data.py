"""The Data page on a tiny corpus folder and on corrections saved in a temporary database."""
import json

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, SENTENCES, write_corpus
from core.labels import spans_to_tags


@pytest.fixture
def data_page(tmp_path, monkeypatch):
    write_corpus(tmp_path / "data" / "corpora" / "tiny")
    monkeypatch.setenv("NER_STUDIO_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("NER_STUDIO_DB", str(tmp_path / "studio.db"))
    return AppTest.from_file(str(ROOT / "screens" / "data.py"), default_timeout=60)


def _figure(element) -> dict:
    return json.loads(element.proto.spec)


def test_data_page_draws_charts_and_a_word_cloud_per_type(data_page):
    at = data_page.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="data_corpus").options == ["tiny"]
    assert at.selectbox(key="data_split").value == "train"
    charts = at.get("plotly_chart")
    assert len(charts) == 4  # entities per type, characters per tag, sentence length, entity length
    entity_counts = _figure(charts[0])["data"][0]
    assert dict(zip(entity_counts["x"], entity_counts["y"])) == {"LOC": 18, "ORG": 6, "PER": 9, "T": 3}
    lengths = _figure(charts[2])
    assert {s["name"] for s in lengths["layout"]["shapes"]} == {"mean", "mean+3sigma"}
    assert [m.value for m in at.metric][:3] == ["18", "144", "36"]
    # One tab per type, each with a word cloud image and the table of frequent entities.
    assert len(at.tabs) == 4
    assert len(at.get("image")) == 4
    tables = {tab.label: tab.dataframe[0].value for tab in at.tabs}
    assert tables["LOC (place)"].iloc[0]["entity"] == "北京"
    assert tables["LOC (place)"].iloc[0]["count"] == 6


def test_data_page_shows_the_corrections(data_page, tmp_path):
    from storage.db import connect
    from storage.documents import add_document, save_correction

    db = connect(tmp_path / "studio.db")
    doc = add_document(db, "张三在上海。李四去北京。", "test")
    save_correction(db, doc, [[0, 2, "PER"], [3, 5, "LOC"], [6, 8, "PER"], [9, 11, "LOC"]], "tester")
    at = data_page.run()
    at.radio(key="data_source").set_value("corrections").run()
    assert not at.exception, at.exception
    assert [m.value for m in at.metric][:3] == ["2", "12", "4"]
    assert len(at.get("image")) == 2  # LOC and PER


def test_data_page_without_corrections_says_where_to_make_them(data_page):
    at = data_page.run()
    at.radio(key="data_source").set_value("corrections").run()
    assert not at.exception
    assert "Correct screen" in at.info[0].value


def test_data_page_without_corpora_says_how_to_prepare_them(tmp_path, monkeypatch):
    monkeypatch.setenv("NER_STUDIO_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("NER_STUDIO_DB", str(tmp_path / "studio.db"))
    at = AppTest.from_file(str(ROOT / "screens" / "data.py"), default_timeout=60).run()
    assert not at.exception
    assert "python -m core prepare" in at.error[0].value


def test_data_page_reads_a_silver_corpus_whose_characters_may_carry_several_tags(tmp_path, monkeypatch):
    from core.training import teachers

    texts = [text for text, _ in SENTENCES] * 3
    first = [spans_to_tags(spans, len(text)) for text, spans in SENTENCES] * 3
    second = [["O"] * len(text) for text in texts]
    teachers.combine(texts, {"lac": first, "fast": second}, tmp_path / "data" / "corpora" / "inews-silver")
    monkeypatch.setenv("NER_STUDIO_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("NER_STUDIO_DB", str(tmp_path / "studio.db"))
    at = AppTest.from_file(str(ROOT / "screens" / "data.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    entity_counts = _figure(at.get("plotly_chart")[0])["data"][0]
    assert sum(entity_counts["y"]) > 0  # the first teacher's spans, counted as labels
