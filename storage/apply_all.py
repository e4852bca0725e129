"""One label for every occurrence of a string across the queued documents: the plan first (each
place and what would happen there), then the change, one appended correction per document.
Part of storage.documents' API (it re-exports occurrences, apply_plan and apply_to_all).

Team documents (overlap 2+, not yet settled) are left out: their suggestions are what every
annotator starts from, so one annotator's bulk label there would lead the others before review.
"""
from __future__ import annotations

import sqlite_utils

from core.data import occurrences as places
from storage import team
from storage.db import write_transaction
from core.labels import check_spans
from storage.entity_types import known_labels
from storage.documents import _DOCUMENTS, _append_correction, _document


def occurrences(db: sqlite_utils.Database, text_fragment: str, exclude_document_id=None) -> list[tuple[int, int]]:
    """(document_id, start) of every non-overlapping occurrence of the fragment, in any document."""
    if not text_fragment:
        raise ValueError("the fragment to look for is empty")
    rows = db.query("SELECT id, text FROM documents WHERE instr(text, ?) > 0 AND id IS NOT ? ORDER BY id",
                    [text_fragment, exclude_document_id])
    return [(row["id"], start) for row in rows for start in places.find_all(row["text"], text_fragment)]


def _check(db, fragment: str, label: str) -> None:
    if not fragment:
        raise ValueError("the fragment to label is empty")
    labels = known_labels(db)
    if label not in labels:
        raise ValueError(f"unknown label {label!r}, expected one of {', '.join(labels)}")


_QUEUED_WITH = " WHERE d.status = 'new' AND instr(d.text, ?) > 0 AND d.id IS NOT ?"
# overlap as storage.team.overlap_of reads it: the batch's own, else the studio's
_TEAM = " COALESCE((SELECT overlap FROM document_overlap o WHERE o.document_id = d.id), ?) > 1"


def _queued_with(db, fragment: str, exclude_document_id) -> list[dict]:
    rows = db.query(_DOCUMENTS + _QUEUED_WITH + " AND NOT" + _TEAM + " ORDER BY d.id",
                    [fragment, exclude_document_id, team.overlap(db)])
    return [_document(row) for row in rows]


def team_left_out(db: sqlite_utils.Database, fragment: str, exclude_document_id=None) -> int:
    """How many queued documents with the fragment apply_to_all leaves alone as team documents."""
    sql = "SELECT COUNT(*) AS n FROM documents d" + _QUEUED_WITH + " AND" + _TEAM
    return next(db.query(sql, [fragment, exclude_document_id, team.overlap(db)]))["n"]


def apply_plan(db: sqlite_utils.Database, fragment: str, label: str, exclude_document_id=None) -> list[dict]:
    """What apply_to_all would do, changing nothing: one dict per queued document with the
    fragment, {"document": doc, "occurrences": [core.data.occurrences.Occurrence, ...]}."""
    _check(db, fragment, label)
    return [{"document": doc, "occurrences": places.plan(doc["text"], doc["spans"], fragment, label)}
            for doc in _queued_with(db, fragment, exclude_document_id)]


def apply_to_all(db: sqlite_utils.Database, fragment: str, label: str, annotator: str, model_version=None,
                 exclude_document_id=None) -> dict:
    """Label every occurrence of fragment in the queued (status "new") documents, team documents
    excepted (team_left_out counts them).

    An occurrence that overlaps an existing span is left alone and counted as skipped; one
    already labelled exactly so is neither. Each changed document gets one appended correction
    and stays in the queue (status "new"): a person has not reviewed the rest of it.
    Returns {"changed": documents, "added": spans, "skipped": occurrences}.
    """
    _check(db, fragment, label)
    changed = added = skipped = 0
    with write_transaction(db):  # planned under the write lock: nobody saves in between
        for doc in _queued_with(db, fragment, exclude_document_id):
            found = places.plan(doc["text"], doc["spans"], fragment, label)
            skipped += sum(o.action == places.BLOCKED for o in found)
            new = sum(o.action == places.ADD for o in found)
            if new:
                spans = [list(span) for span in places.with_planned(doc["spans"], found, label)]
                _append_correction(db, doc["id"], check_spans(spans, len(doc["text"]), known_labels(db)), annotator, model_version,
                                   f"apply to all: {fragment} as {label}", doc["revision"], status=None)
                changed, added = changed + 1, added + new
    return {"changed": changed, "added": added, "skipped": skipped}
