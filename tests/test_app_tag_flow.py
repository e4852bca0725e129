"""The Tag screen as a visitor uses it, on a tiny model and a temporary database: the text box
appears while the model is still loading, the text and its result come back together after a
visit to another page, the same text is not queued twice but offered back, and the hint for
long texts is a command that runs (tests/test_cli_hints.py runs it)."""
import shutil
import threading

from streamlit.testing.v1 import AppTest

from conftest import ROOT
from core.tagging.predict import Tagger
from storage import documents
from storage.db import connect
from ui import formats

from helpers.app import SENTENCE


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    return at


def tagged_page(text: str = SENTENCE) -> AppTest:
    at = run(AppTest.from_file(str(ROOT / "app.py"), default_timeout=60))
    at.text_area(key="predict_text").input(text)
    at.button(key="predict_tag").click()
    return run(at)


def highlighted(at: AppTest) -> bool:
    return any('<div class="ner-text">' in e.proto.body for e in at.get("html"))


def test_the_text_box_appears_while_the_model_is_still_loading(tmp_path, monkeypatch, tiny_model):
    model = shutil.copytree(tiny_model, tmp_path / "slow-model")  # a folder no test has loaded yet
    monkeypatch.setenv("NER_STUDIO_DB", str(tmp_path / "studio.db"))
    monkeypatch.setenv("NER_STUDIO_MODEL", str(model))
    release, started = threading.Event(), threading.Event()
    real = Tagger.from_folder.__func__

    def slow_from_folder(cls, folder, *args, **kwargs):
        started.set()
        assert release.wait(60), "the test never released the model"
        return real(cls, folder, *args, **kwargs)

    monkeypatch.setattr(Tagger, "from_folder", classmethod(slow_from_folder))
    try:
        at = run(AppTest.from_file(str(ROOT / "app.py"), default_timeout=30))
        assert started.wait(10), "app.py did not start loading the model"
        # Drawn while the loader is held back (a page that waited would not have come back). The
        # keys drawn are checked: at.text_area(key=...) is never None, so `is not None` checked nothing.
        assert "predict_text" in [area.key for area in at.text_area]
    finally:
        release.set()
    at.text_area(key="predict_text").input(SENTENCE)
    at.button(key="predict_tag").click()
    assert highlighted(run(at))  # tagging waits for that same load, then tags


def test_leaving_the_page_and_coming_back_shows_the_text_and_its_result(tagging_studio):
    at = tagged_page()
    at.switch_page("screens/data.py")
    run(at)
    at.switch_page("screens/predict.py")
    run(at)
    assert at.text_area(key="predict_text").value == SENTENCE
    assert highlighted(at)


def test_before_any_tagging_coming_back_shows_neither(tagging_studio):
    at = run(AppTest.from_file(str(ROOT / "app.py"), default_timeout=60))
    at.switch_page("screens/data.py")
    run(at)
    at.switch_page("screens/predict.py")
    run(at)
    assert at.text_area(key="predict_text").value == "" and not highlighted(at)


def test_the_same_text_is_not_queued_twice_but_offered_back(tagging_studio):
    at = tagged_page()
    at.button(key="predict_send").click()
    run(at)
    assert any("Queued as document #1 (new)" in s.value for s in at.success)
    again = tagged_page()  # another visit, another session: the same text
    assert "predict_send" not in [b.key for b in again.button]
    assert any("Queued as document #1 (new)" in s.value for s in again.success)
    again.query_params["annotator"] = "ada"  # known, so Correct shows the document rather than asking
    again.button(key="predict_open_queued").click()
    run(again)
    assert again.selectbox(key="correct_doc").value == 1  # Correct, on that document
    assert len(documents.queue(connect(tagging_studio / "studio.db"))) == 1


def test_a_text_over_the_limit_gets_a_command_line_that_writes_an_output_file(tagging_studio):
    at = tagged_page("北" * (formats.TAG_LIMIT + 1))
    assert "python -m core tag --text INPUT.txt -o OUTPUT_TAG.txt" in at.error[0].value
