"""What visitors see when something fails (app.py, AppTest, real SQLite files, a tiny model): one line
saying what happened and what to do, never a stack trace or a server path; the traceback goes to the
server log. A job's error is shown as the text it is, never rendered as Markdown."""
import logging
import tomllib

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from storage import documents, jobs
from storage.db import connect
from helpers.app import TRAIN_PAGE, open_correct, run
from ui.draw.plain import md

ELSEWHERE = "![x](http://example.invalid/a.png)"


def shown(at) -> list[str]:
    """Every text the page shows, of every kind that renders Markdown or plain text."""
    return [str(e.value) for kind in ("error", "warning", "info", "success", "markdown", "caption", "exception")
            for e in getattr(at, kind)]


def test_the_server_shows_visitors_no_error_details():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] in ("none", "type")


@pytest.mark.parametrize("kind", ["chars/TAG pair", "JSON lines"])
def test_a_gbk_upload_is_one_error_saying_to_save_it_as_utf8(app_db, kind, caplog):  # noqa: F811
    at = open_correct()
    at.radio(key="correct_import_kind").set_value(kind)
    run(at)
    if kind == "chars/TAG pair":
        at.file_uploader(key="correct_import_chars").set_value(("train.txt", "张 三\n".encode("gbk"), "text/plain"))
        at.file_uploader(key="correct_import_tags").set_value(("train_TAG.txt", b"B_PER I_PER\n", "text/plain"))
        at.button(key="correct_import_pair").click()
    else:
        at.file_uploader(key="correct_import_jsonl").set_value(
            ("gbk.jsonl", '{"text": "张三在上海"}\n'.encode("gbk"), "application/jsonl"))
        at.button(key="correct_import_jsonl_go").click()
    run(at)
    [error] = [e.value for e in at.error]
    name = "train.txt" if kind == "chars/TAG pair" else "gbk.jsonl"
    assert md(name) in error and "not UTF-8" in error and "save it as UTF-8" in error, error
    assert "/tmp" not in error and "ner-studio-" not in error  # no server path
    assert not at.success and not at.warning  # one line, not "imported 0" beside refusals
    assert documents.queue(connect(documents_path(app_db))) == []


def documents_path(app_db) -> str:  # noqa: F811
    return app_db.execute("PRAGMA database_list").fetchone()[2]


def test_a_damaged_database_is_one_line_and_its_traceback_goes_to_the_log(tmp_path, monkeypatch, tiny_model, caplog):
    damaged = tmp_path / "studio.db"
    damaged.write_bytes(b"this is not an SQLite database\n" * 200)
    monkeypatch.setenv("NER_STUDIO_DB", str(damaged))
    monkeypatch.setenv("NER_STUDIO_MODEL", str(tiny_model))
    monkeypatch.setenv("NER_STUDIO_DATA", str(tmp_path / "data"))
    with caplog.at_level(logging.ERROR):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    [error] = [e.value for e in at.error]
    assert "database" in error and "damaged" in error and "backup" in error, error
    assert str(tmp_path) not in " ".join(shown(at))
    assert any(record.exc_info for record in caplog.records), "the traceback is not in the server log"


def test_a_full_disk_on_save_says_so_keeps_the_edits_and_logs_the_trace(app_db, caplog):  # noqa: F811
    doc_id = documents.add_document(app_db, "张三在上海工作", "test")
    at = open_correct()
    connection = at.session_state["_studio_db"][1]  # this tab's own connection (ui/shared.py)
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    connection.execute(f"PRAGMA max_page_count = {pages}")  # the file may not grow: SQLite's "disk is full"
    at.text_input(key=f"correct_note_{doc_id}").input("长" * 20_000)  # a save that needs new pages
    with caplog.at_level(logging.ERROR):
        at.button(key=f"correct_save_{doc_id}").click()
        run(at)
    assert documents.history(app_db, doc_id) == []
    [error] = [e.value for e in at.error]
    assert "disk is full" in error and "Not saved" in error, error
    assert any(record.exc_info for record in caplog.records), "the traceback is not in the server log"


def test_a_failed_jobs_error_is_shown_as_literal_text(studio):  # noqa: F811
    app_db = connect(studio["db"])
    job_id = jobs.create_job(app_db, {"name": "broken"})
    jobs.record_event(app_db, job_id, {"event": "failed", "error": f"boom {ELSEWHERE}"})
    at = AppTest.from_file(TRAIN_PAGE, default_timeout=60).run()
    assert not at.exception, at.exception
    assert not [text for text in shown(at) if "](http" in text], shown(at)  # nothing renders it as Markdown
    assert any(ELSEWHERE in c.value for c in at.code), [c.value for c in at.code]
    assert any(e.value.startswith("Failed") for e in at.error)
