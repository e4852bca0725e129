"""Unsaved edits on the Correct screen, kept per document and annotator so that a reload, a
closed tab or a crash loses nothing; offered back when the annotator opens the document again.
A draft is overwritten by each edit and deleted when the edits are saved or discarded.
"""
from __future__ import annotations

import sqlite_utils

from storage.db import decode, dumps, now, one, write_transaction


def save_draft(db: sqlite_utils.Database, document_id: int, annotator: str, spans, base_revision=None) -> None:
    """Keep spans ([start, end, label] lists) as the annotator's unsaved edits of the document."""
    with write_transaction(db):
        db["drafts"].upsert({"document_id": document_id, "annotator": annotator,
                             "spans_json": dumps([list(span) for span in spans]),
                             "base_correction_id": base_revision, "updated_at": now()},
                            pk=("document_id", "annotator"))


def get_draft(db: sqlite_utils.Database, document_id: int, annotator: str) -> dict | None:
    """{"spans", "base_correction_id", "updated_at", ...} or None when there is no draft."""
    return decode(one(db, "SELECT * FROM drafts WHERE document_id = ? AND annotator = ?", [document_id, annotator]))


def delete_draft(db: sqlite_utils.Database, document_id: int, annotator: str) -> None:
    with write_transaction(db):
        db.execute("DELETE FROM drafts WHERE document_id = ? AND annotator = ?", [document_id, annotator])


def drafts_of(db: sqlite_utils.Database, annotator: str) -> list[dict]:
    """The annotator's drafts, newest first."""
    return [decode(row) for row in db.query(
        "SELECT * FROM drafts WHERE annotator = ? ORDER BY updated_at DESC", [annotator])]
