"""The studio database on a real SQLite file: migrations, append-only corrections, conflicts,
concurrent writers, the queue, model versions (imports, exports, snapshots: tests/test_storage_files.py)."""
from __future__ import annotations

import multiprocessing
import sqlite3

import pytest

from conftest import ROOT
from storage.apply_all import apply_to_all, occurrences
from storage.db import MIGRATIONS, connect
from storage.documents import (ConflictError, add_document, add_documents, get_document, history, queue, restore,
                               save_correction)
from storage.versions import (active_version, ensure_default_version, get_version, list_versions,
                              register_model_folders, register_version, set_active)


def test_connect_uses_wal_and_a_busy_timeout(db):
    assert db.journal_mode == "wal"
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_migrations_run_twice_keep_data(db_path):
    first = connect(db_path)
    document_id = add_document(first, "张三在北京", "test")
    save_correction(first, document_id, [[0, 2, "PER"]], "ann")
    applied = first.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0]
    MIGRATIONS.apply(first)  # nothing pending: a no-op
    first.close()
    second = connect(db_path)
    assert second.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0] == applied
    second.execute("DELETE FROM _sqlite_migrations")  # even a lost record re-runs harmlessly
    second.close()
    third = connect(db_path)
    assert get_document(third, document_id)["spans"] == [[0, 2, "PER"]]
    third.close()


def test_add_document_refuses_blank_text(db):
    for text in ("", "   \n\t"):
        with pytest.raises(ValueError, match="non-blank"):
            add_document(db, text, "test")
    with pytest.raises(ValueError, match="row 1"):
        add_documents(db, [{"text": "北京", "source": "t"}, {"text": " ", "source": "t"}])
    assert queue(db) == []  # the bulk insert is all or nothing


@pytest.mark.parametrize("spans, message", [
    ([[0, 9, "PER"]], "outside"),
    ([[0, 2, "PER"], [1, 3, "LOC"]], "overlaps"),
    ([[0, 2, "GPE"]], "unknown label"),
    ([[2, 2, "PER"]], "outside the text"),
    ([[0, "2", "PER"]], "integers"),
])
def test_save_correction_names_the_bad_span(db, spans, message):
    document_id = add_document(db, "张三在北京", "test")
    with pytest.raises(ValueError, match=message):
        save_correction(db, document_id, spans, "ann")
    assert history(db, document_id) == []


def test_history_is_append_only_and_restore_undoes(db):
    document_id = add_document(db, "张三在北京工作", "test", predicted_spans=[[0, 2, "PER"]])
    first = save_correction(db, document_id, [[0, 2, "PER"], [3, 5, "LOC"]], "ann")
    second = save_correction(db, document_id, [[3, 5, "ORG"]], "ann", base_revision=first)
    undo = restore(db, document_id, first, "ann", base_revision=second)
    assert get_document(db, document_id)["spans"] == [[0, 2, "PER"], [3, 5, "LOC"]]
    redo = restore(db, document_id, second, "ann", base_revision=undo)  # the undo itself can be undone
    rows = history(db, document_id)
    assert [row["id"] for row in rows] == [first, second, undo, redo]
    assert [row["base_correction_id"] for row in rows] == [None, first, second, undo]
    assert rows[2]["note"] == "restored revision 1"  # counted within the document
    assert get_document(db, document_id)["spans"] == [[3, 5, "ORG"]]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE corrections SET spans_json = '[]' WHERE id = ?", [first])
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM corrections")
    assert len(history(db, document_id)) == 4


def test_restore_from_a_stale_revision_is_a_conflict_and_saves_nothing(db):
    document_id = add_document(db, "张三在北京工作", "test")
    first = save_correction(db, document_id, [[0, 2, "PER"]], "ann")
    theirs = save_correction(db, document_id, [[3, 5, "LOC"]], "other tab", base_revision=first)
    with pytest.raises(ConflictError) as raised:  # this tab still shows `first`
        restore(db, document_id, first, "ann", base_revision=first)
    assert raised.value.current_revision == theirs
    assert [row["id"] for row in history(db, document_id)] == [first, theirs]
    with pytest.raises(TypeError):  # the check cannot be skipped by leaving the base out
        restore(db, document_id, first, "ann")


def test_second_tab_gets_conflict_and_nothing_is_lost(db):
    document_id = add_document(db, "张三在北京", "test", predicted_spans=[[0, 2, "PER"]])
    tab_a = tab_b = get_document(db, document_id)["revision"]  # both tabs open the document
    saved = save_correction(db, document_id, [[0, 2, "PER"], [3, 5, "LOC"]], "alice", base_revision=tab_a)
    with pytest.raises(ConflictError) as conflict:
        save_correction(db, document_id, [[3, 5, "ORG"]], "bob", base_revision=tab_b)
    assert conflict.value.current_revision == saved
    assert conflict.value.current_spans == [[0, 2, "PER"], [3, 5, "LOC"]]
    assert [row["annotator"] for row in history(db, document_id)] == ["alice"]
    # Bob looks at both versions and saves again from the current one.
    save_correction(db, document_id, [[3, 5, "ORG"]], "bob", base_revision=conflict.value.current_revision)
    assert [row["spans"] for row in history(db, document_id)] == [[[0, 2, "PER"], [3, 5, "LOC"]], [[3, 5, "ORG"]]]


def _append_many(db_path, document_id, annotator, count):
    """One writer process: `count` corrections, each from the revision it just read (retry on conflict)."""
    db = connect(db_path)
    saved = 0
    while saved < count:
        revision = get_document(db, document_id)["revision"]
        try:
            save_correction(db, document_id, [[0, 2, "PER"]], annotator, base_revision=revision, note=str(saved))
            saved += 1
        except ConflictError:
            continue
    db.close()


def test_two_writer_processes_lose_nothing(db, db_path):
    document_id = add_document(db, "张三在北京", "test")
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_append_many, args=(db_path, document_id, name, 200)) for name in ("a", "b")]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=120)
        assert writer.exitcode == 0
    rows = history(db, document_id)
    assert len(rows) == 400
    assert sorted(row["note"] for row in rows if row["annotator"] == "a") == sorted(map(str, range(200)))
    # One unbroken chain: every save started from the revision just before it.
    assert [row["base_correction_id"] for row in rows] == [None] + [row["id"] for row in rows[:-1]]


def test_apply_to_all_labels_free_occurrences_in_queued_documents(db):
    free = add_document(db, "北京和北京", "t")
    overlapping = add_document(db, "北京大学在北京", "t", predicted_spans=[[0, 4, "ORG"]])
    done = add_document(db, "北京", "t")
    save_correction(db, done, [], "ann")
    editing = add_document(db, "我在北京", "t")
    assert occurrences(db, "北京") == [(free, 0), (free, 3), (overlapping, 0), (overlapping, 5), (done, 0),
                                       (editing, 2)]
    assert occurrences(db, "北京", exclude_document_id=free)[0] == (overlapping, 0)
    result = apply_to_all(db, "北京", "LOC", "ann", exclude_document_id=editing)
    assert result == {"changed": 2, "added": 3, "skipped": 1}
    assert get_document(db, free)["spans"] == [[0, 2, "LOC"], [3, 5, "LOC"]]
    assert get_document(db, overlapping)["spans"] == [[0, 4, "ORG"], [5, 7, "LOC"]]
    assert get_document(db, overlapping)["status"] == "new"  # still to be reviewed
    assert get_document(db, done)["spans"] == [] and get_document(db, editing)["revision"] is None
    assert apply_to_all(db, "北京", "LOC", "ann") == {"changed": 1, "added": 1, "skipped": 1}  # idempotent


def test_queue_orders(db):
    ids = add_documents(db, [{"text": t, "source": "t", "confidence": c}
                             for t, c in [("甲", 0.9), ("乙", None), ("丙", 0.2), ("丁", 0.5)]])
    assert [d["id"] for d in queue(db)] == [ids[2], ids[3], ids[0], ids[1]]
    assert [d["id"] for d in queue(db, order="newest", limit=2)] == [ids[3], ids[2]]
    assert [d["id"] for d in queue(db, order="oldest")] == ids
    save_correction(db, ids[2], [], "ann")
    assert [d["id"] for d in queue(db, status="new")] == [ids[3], ids[0], ids[1]]
    with pytest.raises(ValueError, match="order"):
        queue(db, order="random")


def test_set_active_leaves_exactly_one_active(db):
    default = ensure_default_version(db, ROOT / "models" / "default")
    assert default["name"] == "default" and default["is_active"] and default["scores"]
    assert ensure_default_version(db, ROOT / "models" / "default")["id"] == default["id"]
    second = register_version(db, "v2", "data/models/v2", scores={"f1": 0.5})
    assert active_version(db)["id"] == default["id"]  # registering never activates
    for version_id in (second, default["id"], second, second):
        set_active(db, version_id)
        assert [v["id"] for v in list_versions(db) if v["is_active"]] == [version_id]
    with pytest.raises(KeyError):
        set_active(db, 999)
    assert active_version(db)["id"] == second
    with pytest.raises(ValueError, match="exists"):
        register_version(db, "v2", "elsewhere")
    with pytest.raises(sqlite3.IntegrityError):  # the schema itself refuses a second active version
        db.execute("UPDATE model_versions SET is_active = 1")
    assert get_version(db, second)["scores"] == {"f1": 0.5}


def test_model_folders_beside_the_default_are_offered_once_and_never_activated(db, tiny_model, tmp_path):
    import shutil

    models = tmp_path / "models"
    shutil.copytree(tiny_model, models / "default")
    shutil.copytree(tiny_model, models / "fast")
    shutil.copytree(tiny_model, models / ".fast.tmp123")  # a save still in progress
    (models / "notes").mkdir()  # not a model folder
    default = ensure_default_version(db, models / "default")
    register_version(db, "fast", "data/models/fast")  # the name is taken by a trained version
    added = register_model_folders(db, models)
    assert len(added) == 1
    fast = get_version(db, added[0])
    assert fast["name"] == f"fast ({models / 'fast'})" and not fast["is_active"]
    assert fast["curves"] is not None
    assert register_model_folders(db, models) == []  # known folders are not added twice
    assert active_version(db)["id"] == default["id"]
    assert register_model_folders(db, tmp_path / "missing") == []
