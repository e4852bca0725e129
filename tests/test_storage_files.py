"""The studio's files in and out of SQLite: imports that refuse bad lines by number and keep the good
ones, exports that read back exactly, and the snapshot a training job reads (every n-th reviewed
document held out)."""
from __future__ import annotations

import pytest

from conftest import SENTENCES
from core.data.conll_jsonl import read_conll, read_jsonl_spans
from core.data.corpora import Sentence, read_pair
from core.labels import spans_to_tags
from storage.db import connect
from storage.documents import add_document, corrected_documents, get_document, history, queue, save_correction
from storage.files import export_conll, export_jsonl, export_pair, import_jsonl, import_pair
from storage.snapshots import write_snapshot


def test_import_pair_refuses_bad_lines_with_their_numbers(db, tmp_path):
    chars, tags = tmp_path / "in.txt", tmp_path / "in_TAG.txt"
    chars.write_text("张 三 在 北 京\n王 五 去 了\n李 四\n联 合 国\n", encoding="utf-8")
    tags.write_text("B_PER I_PER O B-LOC I-LOC\nB_PER I_PER O\nB_PER B_XYZ\nB_ORG I_ORG I_ORG\n", encoding="utf-8")
    result = import_pair(db, chars, tags, "upload")
    assert result["imported"] == 2
    assert len(result["refused"]) == 2
    assert result["refused"][0].startswith("line 2: 4 characters, 3 tags")
    assert result["refused"][1].startswith("line 3:") and "B_XYZ" in result["refused"][1]
    documents = corrected_documents(db)
    assert [(doc["text"], doc["spans"]) for doc in documents] == [
        ("张三在北京", [[0, 2, "PER"], [3, 5, "LOC"]]), ("联合国", [[0, 3, "ORG"]])]
    # A file's annotations are suggestions (no person saw them): provenance is the predictor's name,
    # the document waits in the queue to be reviewed.
    assert documents[0]["predicted_by"] == "import:in.txt" and history(db, documents[0]["id"]) == []
    assert [doc["id"] for doc in queue(db, status="to review")] == [doc["id"] for doc in documents]


def test_an_import_marked_reviewed_counts_as_corrected(db, tmp_path):
    chars, tags = tmp_path / "gold.txt", tmp_path / "gold_TAG.txt"
    chars.write_text("张 三 在 北 京\n", encoding="utf-8")
    tags.write_text("B_PER I_PER O B_LOC I_LOC\n", encoding="utf-8")
    with pytest.raises(ValueError, match="name of the user who imports it"):
        import_pair(db, chars, tags, "upload", reviewed=True)  # gold is vouched for by someone
    [document_id] = import_pair(db, chars, tags, "upload", reviewed=True, importer="ada")["document_ids"]
    assert get_document(db, document_id)["status"] == "corrected"
    [saved] = history(db, document_id)
    assert saved["annotator"] == "ada" and saved["note"] == "imported from gold.txt, line 1"
    assert queue(db, status="to review") == []


def test_import_jsonl_keeps_good_lines(db, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"text": "张三", "spans": [[0, 2, "PER"]]}\n{"text": "北京", "spans": [[0, 3, "LOC"]]}\n'
                    'not json\n{"text": "待标注的句子"}\n', encoding="utf-8")
    result = import_jsonl(db, path, "upload")
    assert result["imported"] == 2
    assert [problem.split(":")[0] for problem in result["refused"]] == ["line 2", "line 3"]
    assert [doc["status"] for doc in queue(db, order="oldest")] == ["imported", "new"]  # no person saw it yet


def _store_sentences(db):
    for text, spans in SENTENCES:
        document_id = add_document(db, text, "test")
        save_correction(db, document_id, spans, "ann")
    add_document(db, "还没有人看过", "test")  # not corrected: never exported


def test_export_round_trip(db, tmp_path):
    _store_sentences(db)
    expected = [Sentence(list(text), spans_to_tags(spans, len(text))) for text, spans in SENTENCES]
    assert export_pair(db, tmp_path / "out.txt", tmp_path / "out_TAG.txt") == len(SENTENCES)
    assert read_pair(tmp_path / "out.txt", tmp_path / "out_TAG.txt") == expected
    export_jsonl(db, tmp_path / "out.jsonl")
    assert read_jsonl_spans(tmp_path / "out.jsonl") == expected
    export_conll(db, tmp_path / "out.conll")
    assert read_conll(tmp_path / "out.conll") == expected
    fresh = connect(tmp_path / "fresh.db")
    assert import_pair(fresh, tmp_path / "out.txt", tmp_path / "out_TAG.txt", "export")["refused"] == []
    assert [(d["text"], d["spans"]) for d in corrected_documents(fresh)] == \
        [(text, [list(s) for s in spans]) for text, spans in SENTENCES]
    fresh.close()


def test_snapshot_corrections_is_what_training_reads(db, tmp_path):
    _store_sentences(db)
    assert write_snapshot(db, tmp_path / "jobs" / "1" / "corrections.jsonl")["train"] == len(SENTENCES)
    assert [s.text for s in read_jsonl_spans(tmp_path / "jobs" / "1" / "corrections.jsonl")] == \
        [text for text, _ in SENTENCES]


def test_a_snapshot_holds_every_nth_document_out_and_trains_on_reviewed_ones_only(db, tmp_path):
    _store_sentences(db)
    corrected = [doc["id"] for doc in queue(db, status="corrected")]
    suggestion = tmp_path / "s.jsonl"
    suggestion.write_text('{"text": "王五在广州", "spans": [[0, 2, "PER"]]}\n', encoding="utf-8")
    [imported] = import_jsonl(db, suggestion, "upload")["document_ids"]  # not reviewed
    written = write_snapshot(db, tmp_path / "train.jsonl", tmp_path / "heldout.jsonl", heldout_every=3)
    assert written["heldout_ids"] == [i for i in sorted(corrected) if i % 3 == 0] and written["heldout"] == 2
    assert sorted(doc_id for doc_id, _ in written["seen"]) == [i for i in sorted(corrected) if i % 3]
    assert imported not in written["heldout_ids"] + [doc_id for doc_id, _ in written["seen"]]
    assert len(read_jsonl_spans(tmp_path / "heldout.jsonl")) == 2
