"""What the Correct screen needs from the database, on a real SQLite file: drafts of unsaved
edits, true statuses (new, imported, corrected) and the migration that brings them to an old
file, revision numbers per document, the progress counts, search, duplicates, apply-to-all plans."""
from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils

from core.data.occurrences import ADD, ALREADY, BLOCKED
from storage import drafts
from storage.db import MIGRATIONS, connect
from storage.apply_all import apply_plan, apply_to_all
from storage.documents import add_document, find_text, get_document, history, queue, restore, save_correction, status_counts
from storage.files import import_jsonl


def test_a_draft_is_kept_per_document_and_annotator_until_deleted(db):
    document_id = add_document(db, "张三在北京", "test", [[0, 2, "PER"]])
    assert drafts.get_draft(db, document_id, "ada") is None
    drafts.save_draft(db, document_id, "ada", [(0, 2, "PER"), (3, 5, "LOC")], base_revision=None)
    drafts.save_draft(db, document_id, "ada", [(3, 5, "LOC")], base_revision=None)  # each edit overwrites
    drafts.save_draft(db, document_id, "bob", [], base_revision=None)
    draft = drafts.get_draft(db, document_id, "ada")
    assert draft["spans"] == [[3, 5, "LOC"]] and draft["base_correction_id"] is None and draft["updated_at"]
    assert [d["annotator"] for d in drafts.drafts_of(db, "ada")] == ["ada"]
    drafts.delete_draft(db, document_id, "ada")
    assert drafts.get_draft(db, document_id, "ada") is None
    assert drafts.get_draft(db, document_id, "bob")["spans"] == []


def test_imported_documents_are_imported_until_a_person_saves_them(db, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"text": "张三", "spans": [[0, 2, "PER"]]}\n{"text": "北京"}\n', encoding="utf-8")
    imported, queued = import_jsonl(db, path, "upload")["document_ids"]
    assert [get_document(db, i)["status"] for i in (imported, queued)] == ["imported", "new"]
    assert status_counts(db) == {"new": 1, "imported": 1, "corrected": 0}
    save_correction(db, imported, [[0, 1, "PER"]], "ada", base_revision=get_document(db, imported)["revision"])
    assert get_document(db, imported)["status"] == "corrected"
    assert status_counts(db) == {"new": 1, "imported": 0, "corrected": 1}
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE documents SET status = 'seen' WHERE id = ?", [queued])


def test_the_migration_gives_an_old_file_true_statuses_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    MIGRATIONS.apply(old, stop_before="m002_document_status_imported")  # the schema before this change
    for text, annotator in (("张三", "import:in.txt"), ("北京", "ada")):
        document_id = old["documents"].insert({"text": text, "created_at": "2026-01-01", "status": "corrected"}).last_pk
        old["corrections"].insert({"document_id": document_id, "spans_json": "[]", "annotator": annotator,
                                   "created_at": "2026-01-01"})
    old.conn.commit()
    old.close()
    db = connect(path)
    assert [d["status"] for d in queue(db, order="oldest")] == ["imported", "corrected"]
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert [h["annotator"] for h in history(db, 1)] == ["import:in.txt"]  # the foreign keys still resolve
    db.execute("DELETE FROM _sqlite_migrations")
    db.close()
    again = connect(path)  # the lost record re-runs the migrations harmlessly
    assert [d["status"] for d in queue(again, order="oldest")] == ["imported", "corrected"]
    again.close()


def test_revisions_are_numbered_within_each_document(db):
    first = add_document(db, "张三在北京", "test")
    second = add_document(db, "李四", "test")
    save_correction(db, second, [], "ada")  # takes correction id 1
    one = save_correction(db, first, [[0, 2, "PER"]], "ada")
    two = save_correction(db, first, [], "ada", base_revision=one)
    restore(db, first, one, "ada", base_revision=two)
    assert [(h["id"], h["number"]) for h in history(db, first)] == [(one, 1), (two, 2), (4, 3)]
    assert history(db, first)[-1]["note"] == "restored revision 1"
    assert get_document(db, first)["revision_number"] == 3
    assert get_document(db, add_document(db, "王五", "test"))["revision_number"] == 0


def test_queue_search_keeps_documents_containing_the_text(db):
    ids = [add_document(db, text, "test") for text in ("张三在北京", "北京很冷", "上海")]
    assert [d["id"] for d in queue(db, order="oldest", search="北京")] == ids[:2]
    assert [d["id"] for d in queue(db, order="oldest", search="")] == ids
    assert queue(db, search="广州") == []


def test_the_spot_check_order_gives_every_fifth_place_to_the_most_confident_left(db):
    # Confidences 0.01 .. 0.12 added out of order, and one unscored (an import) that stays last.
    confidences = [0.05, 0.12, 0.01, 0.09, 0.03, 0.11, 0.07, 0.02, 0.10, 0.04, 0.08, 0.06]
    ids = {c: add_document(db, f"文本{c}", "test", [], "default", c) for c in confidences}
    unscored = add_document(db, "导入的", "test")
    order = queue(db, order="spot-check")
    expected = [0.01, 0.02, 0.03, 0.04, 0.12, 0.05, 0.06, 0.07, 0.08, 0.11, 0.09, 0.10]
    assert [d["id"] for d in order] == [ids[c] for c in expected] + [unscored]
    assert [d["id"] for d in order if d.get("spot_check")] == [ids[0.12], ids[0.11]]
    for limit in range(len(order) + 2):  # a limit reads fewer rows and lists the same first ones
        assert [d["id"] for d in queue(db, order="spot-check", limit=limit)] == [d["id"] for d in order][:limit]
    assert [d["id"] for d in queue(db, order="confidence", limit=5)] == [ids[c] for c in sorted(confidences)[:5]]


def test_the_same_text_is_found_again(db):
    document_id = add_document(db, "张三在北京", "test")
    add_document(db, "张三在北京", "test")
    assert find_text(db, "张三在北京")["id"] == document_id
    assert find_text(db, "张三在北") is None


def test_the_apply_plan_lists_every_place_and_its_counts_match_what_is_applied(db):
    free = add_document(db, "北京和北京", "t")
    blocked = add_document(db, "北京大学在北京", "t", predicted_spans=[[0, 4, "ORG"], [5, 7, "LOC"]])
    done = add_document(db, "北京", "t")
    save_correction(db, done, [], "ann")
    plan = apply_plan(db, "北京", "LOC")
    assert [(p["document"]["id"], [(o.start, o.action) for o in p["occurrences"]]) for p in plan] == [
        (free, [(0, ADD), (3, ADD)]), (blocked, [(0, BLOCKED), (5, ALREADY)])]  # corrected documents are not planned
    assert plan[1]["occurrences"][0].blocker == (0, 4, "ORG")
    assert get_document(db, free)["revision"] is None  # planning changes nothing
    result = apply_to_all(db, "北京", "LOC", "ann")
    assert result == {"changed": 1, "added": 2, "skipped": 1}
