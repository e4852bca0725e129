"""The Tag screen's file upload through the whole app, on the tiny model and a temporary database:
plain text and CSV come in tagged by the active model, a bad line is named while the good ones are
tagged, a file in another encoding or over the limit is refused in one line, and the downloads and
the queue hold what the model said."""
import json

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from core.data.interchange import read_conll_bio
from core.labels import ENTITY_TYPES
from core.tagging.predict import Tagger
from storage import documents
from storage.db import connect
from ui import formats
from ui.tag import upload as tag_upload

TEXTS = ["我爱北京天安门", "张三在上海工作"]


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    return at


def uploaded(name: str, data: bytes) -> AppTest:
    at = run(AppTest.from_file(str(ROOT / "app.py"), default_timeout=60))
    at.radio(key="predict_input").set_value(tag_upload.CHOICE)
    run(at)
    at.file_uploader(key="predict_file").set_value((name, data, "application/octet-stream"))
    at.button(key="predict_file_go").click()
    return run(at)


def captions(at: AppTest) -> list[str]:
    return [c.value.replace("\\", "") for c in at.caption]  # as read: Markdown's escapes left out


@pytest.fixture
def served(monkeypatch) -> dict:
    """{file id: bytes} of every file the app handed to Streamlit's media storage (AppTest's own is
    gone after each run), so a test reads a download as a visitor's click would fetch it."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    files, real = {}, MemoryMediaFileStorage.load_and_get_id

    def load_and_get_id(self, path_or_data, mimetype, kind, filename=None):
        file_id = real(self, path_or_data, mimetype, kind, filename)
        files[file_id] = self._files_by_id[file_id].content
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", load_and_get_id)
    return files


def downloads(at: AppTest, served: dict) -> dict:
    """label: the text of the file the button downloads."""
    return {button.proto.label: served[button.proto.url.rsplit("/", 1)[-1].split(".")[0]].decode("utf-8")
            for button in at.get("download_button")}


def test_plain_text_is_tagged_a_document_a_line_and_downloads_hold_what_the_model_said(tagging_studio, tiny_model,
                                                                                            served):
    expected = Tagger.from_folder(tiny_model).tag_texts(TEXTS)
    assert any(t.entities for t in expected), "the tiny model should find something in its own sentences"
    at = uploaded("news.txt", ("\n".join(TEXTS) + "\n\n").encode())
    assert "news.txt: 2 document(s) tagged by default" in captions(at)
    table = at.dataframe[0].value
    assert table[["line", "text", "type", "start", "end"]].values.tolist() == [
        [line, e.text, e.label, e.start, e.end] for line, t in zip((1, 2), expected) for e in t.entities]
    html = "\n".join(e.proto.body for e in at.get("html"))
    assert "line 1" in html and "line 2" in html
    for entity in expected[1].entities:
        assert f'data-start="{entity.start}" data-end="{entity.end}"' in html
    files = downloads(at, served)
    conll = files["CoNLL"]
    assert "B_" not in conll and ("B-" in conll) == any(t.entities for t in expected)
    read = [(r.text, sorted(r.spans)) for _, r, _ in read_conll_bio_text(tagging_studio, conll)]
    assert read == [(t.text, sorted(t.spans)) for t in expected]
    assert files["Tags (_TAG.txt)"].split("\n")[:2] == [" ".join(t.tags) for t in expected]  # the seed's B_
    records = [json.loads(line) for line in files["JSON lines"].splitlines()]
    assert records == [{"line": n, "text": t.text, "spans": [list(s) for s in t.spans]}
                       for n, t in zip((1, 2), expected)]


def read_conll_bio_text(folder, text: str):
    path = folder / "download.conll"
    path.write_text(text, encoding="utf-8")
    return list(read_conll_bio(path, ENTITY_TYPES))


def test_a_csv_upload_reads_the_text_column_and_names_a_bad_row(tagging_studio, served):
    data = "id,text\n1,我爱北京天安门\n2\n3,张三在上海工作\n".encode()
    at = uploaded("rows.csv", data)
    [warning] = at.warning
    assert "Left out 1 line(s)" in warning.value and "line 3" in warning.value and "no column 2" in warning.value
    assert "rows.csv: 2 document(s) tagged by default" in captions(at)
    records = [json.loads(line) for line in downloads(at, served)["JSON lines"].splitlines()]
    assert [(r["line"], r["text"]) for r in records] == [(2, TEXTS[0]), (4, TEXTS[1])]


def test_a_line_that_is_not_utf8_is_named_and_the_others_are_tagged(tagging_studio):
    data = "我爱北京天安门\n".encode() + b"\xff\xfe bad\n" + "张三在上海工作\n".encode()
    at = uploaded("mixed.txt", data)
    assert "line 2: not UTF-8 (byte 0xff)" in at.warning[0].value.replace("\\", "")
    assert "mixed.txt: 2 document(s) tagged by default" in captions(at)


def test_a_file_in_another_encoding_is_refused_in_one_line(tagging_studio):
    at = uploaded("gbk.txt", "我爱北京天安门\n张三在上海工作\n".encode("gbk"))
    [error] = at.error
    assert error.value.replace("\\", "").startswith("Not tagged: gbk.txt is not UTF-8 text (line 1, byte 0xce")
    assert len(at.dataframe) == 0 and not at.get("download_button")


def test_a_file_over_the_limit_is_refused_with_the_command_line(tagging_studio, monkeypatch):
    monkeypatch.setattr(formats, "TAG_LIMIT", 10)
    at = uploaded("long.txt", "我爱北京天安门\n张三在上海工作\n".encode())
    assert "more than 10 characters" in at.error[0].value and "python -m core tag" in at.error[0].value
    assert len(at.dataframe) == 0


def test_sending_queues_each_text_once_with_the_models_spans(tagging_studio, tiny_model):
    expected = Tagger.from_folder(tiny_model).tag_texts(TEXTS)
    db = connect(tagging_studio / "studio.db")
    documents.add_document(db, TEXTS[0], source="earlier")
    at = uploaded("news.txt", "\n".join(TEXTS).encode())
    at.button(key="predict_file_send").click()
    run(at)
    assert "Queued 1 document(s) for correction; 1 were in the queue already." in [s.value for s in at.success]
    doc = documents.find_text(db, TEXTS[1])
    assert doc["source"] == "tag page:news.txt" and doc["predicted_by"] == "default"
    assert doc["spans"] == [list(s) for s in expected[1].spans]
    assert documents.find_text(db, TEXTS[0])["source"] == "earlier"


def test_a_file_of_bad_lines_only_names_them_and_tags_nothing(tagging_studio):
    at = uploaded("bad.csv", "id,text\n1\n2\n".encode())
    assert "Left out 2 line(s)" in at.warning[0].value and "nothing was left to tag" in at.warning[0].value
    assert not at.info and len(at.dataframe) == 0
