"""The model's suggestions in the queue: refreshing them with the active model version, and
making them for raw text imported without annotations (suggest).

A document joins the queue tagged by whichever version was active then. Once a retraining is
promoted those suggestions are stale twice over: the annotator would fix mistakes the new version
no longer makes, and the least-confident-first order is the old version's uncertainty rather than
the new one's. Only the model's own suggestions that nobody has saved are refreshed (status "new",
no correction); imported files' annotations and people's corrections are never touched.
"""
from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

from core.labels import check_spans
from storage.db import dumps, write_transaction
from storage.entity_types import known_labels

BATCH = 64  # documents tagged and written together: a refresh cut short keeps every finished batch

_UNSAVED_MODEL_SUGGESTION = ("d.status = 'new' AND NOT EXISTS "
                             "(SELECT 1 FROM corrections c WHERE c.document_id = d.id)")
_STALE = f"FROM documents d WHERE {_UNSAVED_MODEL_SUGGESTION} AND d.predicted_by IS NOT ?"  # ? the version


def stale(db: sqlite_utils.Database, version_name: str) -> list[dict]:
    """{"id", "text"} of the unsaved model suggestions that another version (or none) made, oldest first."""
    return list(db.query(f"SELECT d.id, d.text {_STALE} ORDER BY d.id", [version_name]))


def stale_count(db: sqlite_utils.Database, version_name: str) -> int:
    return next(db.query(f"SELECT COUNT(*) AS n {_STALE}", [version_name]))["n"]


def untagged_count(db: sqlite_utils.Database) -> int:
    """Of the stale ones, those no version tagged (raw text imported before imports were tagged)."""
    return next(db.query(f"SELECT COUNT(*) AS n FROM documents d WHERE {_UNSAVED_MODEL_SUGGESTION} "
                         "AND d.predicted_by IS NULL"))["n"]


def refresh(db: sqlite_utils.Database, tag_texts: Callable, version_name: str,
            progress: Callable[[int, int], None] | None = None) -> list[int]:
    """Re-tag the stale suggestions with tag_texts (a core.tagging.predict.Tagger's: texts -> Tagged) and
    store the spans, the version's name and the lowest character confidence (the queue's order).

    A document someone saves while its batch is being tagged keeps their save. progress(done, total)
    follows each batch. Returns the ids refreshed.
    """
    return _tag(db, stale(db, version_name), tag_texts, version_name, progress)


def suggest(db: sqlite_utils.Database, document_ids, tag_texts: Callable, version_name: str,
            progress: Callable[[int, int], None] | None = None) -> list[int]:
    """The model's suggestions for these documents (raw text just imported), stored as refresh
    stores them, so they are reviewed like any sentence the model tagged and ordered by its
    confidence; a document already saved or annotated is left alone. Returns the ids tagged."""
    ids = [int(i) for i in document_ids]
    rows = []
    for start in range(0, len(ids), 500):  # SQLite's limit on parameters
        chunk = ids[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        rows += db.query(f"SELECT d.id, d.text FROM documents d WHERE d.id IN ({marks}) AND "
                         f"{_UNSAVED_MODEL_SUGGESTION} ORDER BY d.id", chunk)
    return _tag(db, rows, tag_texts, version_name, progress)


def _tag(db: sqlite_utils.Database, rows: list[dict], tag_texts: Callable, version_name: str,
         progress: Callable[[int, int], None] | None) -> list[int]:
    refreshed = []
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        tagged = tag_texts([row["text"] for row in batch])
        with write_transaction(db):
            labels = known_labels(db)
            for row, result in zip(batch, tagged, strict=True):
                spans = check_spans(result.spans, len(row["text"]), labels)
                cursor = db.execute(
                    f"UPDATE documents AS d SET predicted_spans_json = ?, predicted_by = ?, confidence = ? "
                    f"WHERE d.id = ? AND {_UNSAVED_MODEL_SUGGESTION}",
                    [dumps(spans), version_name, float(result.lowest_confidence), row["id"]])
                if cursor.rowcount:
                    refreshed.append(row["id"])
        if progress is not None:
            progress(min(start + BATCH, len(rows)), len(rows))
    return refreshed
