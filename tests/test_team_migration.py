"""The team migration on a studio made before it (at m009, as released before issue 24): its
documents, corrections, drafts and accounts stay as they were, the new tables and the widened
CHECKs come, the old rules still hold, and opening it again changes nothing."""
import sqlite3

import pytest
import sqlite_utils

from storage import accounts, documents, drafts, team, team_versions
from storage.db import MIGRATIONS, connect, write_transaction

LATER = {"m010_api_tokens", "m011_team"}  # the first of these that exists is where the old studio stops


def old_studio(path):
    db = sqlite_utils.Database(sqlite3.connect(str(path)))
    with write_transaction(db):
        MIGRATIONS.apply(db, stop_before=LATER)
    assert [m.name for m in MIGRATIONS.applied(db)][-1] == "m009_end_cookie_sessions"
    assert "annotator_versions" not in db.table_names()
    # Rows as the code of that time wrote them (today's storage functions expect today's tables).
    with write_transaction(db):
        doc_id = db["documents"].insert({"text": "张三在上海工作", "source": "old", "created_at": "then",
                                         "predicted_spans_json": '[[0, 2, "PER"]]', "confidence": 0.3,
                                         "status": "corrected"}).last_pk
        waiting = db["documents"].insert({"text": "李四去了北京", "source": "old", "created_at": "then",
                                          "status": "new"}).last_pk
        db["corrections"].insert({"document_id": doc_id, "spans_json": '[[0, 2, "PER"], [3, 5, "LOC"]]',
                                  "annotator": "ada", "created_at": "then", "note": "before teams"})
        db["drafts"].insert({"document_id": waiting, "annotator": "ada", "spans_json": '[[0, 2, "PER"]]',
                             "updated_at": "then"})
        db["accounts"].insert({"name": "ada", "role": "annotator", "password_hash": "x", "created_at": "then"})
    db.conn.close()
    return doc_id, waiting


def test_an_old_studio_keeps_its_data_and_gains_the_team_tables(tmp_path):
    path = tmp_path / "old.db"
    doc_id, waiting = old_studio(path)
    db = connect(path)
    assert {"annotator_versions", "reviews", "flags", "comments", "assignments", "skips", "team_settings",
            "document_overlap"} <= set(db.table_names())
    assert [list(s) for s in documents.get_document(db, doc_id)["spans"]] == [[0, 2, "PER"], [3, 5, "LOC"]]
    assert [h["note"] for h in documents.history(db, doc_id)] == ["before teams"]
    assert [d["id"] for d in documents.reviewed_documents(db)] == [doc_id]  # what trained still trains
    assert drafts.get_draft(db, waiting, "ada")["spans"] == [[0, 2, "PER"]]
    assert accounts.get_account(db, "ada") == {"name": "ada", "role": "annotator"}
    assert team.overlap(db) == 1 and not team.is_team_document(db, waiting)


def test_the_widened_checks_admit_the_new_values_and_refuse_others(tmp_path):
    path = tmp_path / "old.db"
    doc_id, _ = old_studio(path)
    db = connect(path)
    accounts.add_account(db, "rev", "a long password", "reviewer")
    assert accounts.get_account(db, "rev")["role"] == "reviewer"
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE accounts SET role = 'owner' WHERE name = 'rev'")
    db.execute("UPDATE documents SET status = 'rejected' WHERE id = ?", [doc_id])
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE documents SET status = 'bogus' WHERE id = ?", [doc_id])
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM corrections")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_opening_it_again_changes_nothing(tmp_path):
    path = tmp_path / "old.db"
    old_studio(path)
    first = connect(path)
    schema = list(first.query("SELECT name, sql FROM sqlite_master ORDER BY name"))
    first.conn.close()
    again = connect(path)
    assert list(again.query("SELECT name, sql FROM sqlite_master ORDER BY name")) == schema
    assert not MIGRATIONS.pending(again)


def test_team_versions_are_append_only(tmp_path):
    db = connect(tmp_path / "new.db")
    with write_transaction(db):
        db["team_settings"].insert({"key": "overlap", "value_json": "2", "updated_by": "t", "updated_at": "now"})
    doc_id = documents.add_document(db, "张三在上海工作", "test")
    team_versions.save_version(db, doc_id, [[0, 2, "PER"]], "ada")
    for sql in ("UPDATE annotator_versions SET spans_json = '[]'", "DELETE FROM annotator_versions"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute(sql)
