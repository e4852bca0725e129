"""Documents to annotate and their corrections: an append-only history per document.

A document's current spans are those of its latest correction, else the model's prediction.
Its status says who looked at it: "new" (in the queue), "imported" (annotated in a file) or
"corrected" (saved by a person). Saving checks the revision the editor started from, so two tabs
never overwrite each other. "revision" is a correction's id (what saves check); "revision_number"
counts a document's corrections (what people see: revision 1, 2, ...).
Spans are lists [start, end, label], end exclusive, label one of core.labels.ENTITY_TYPES or the
user's own types (storage/entity_types.py).
"""
from __future__ import annotations

import json

import sqlite_utils

from core.labels import check_spans
from storage import team
from storage.db import decode, dumps, now, one, write_transaction
from storage.entity_types import known_labels

STATUSES = ("new", "imported", "corrected")  # and "rejected": marked bad text, in no list (storage/reviews.py)
TO_REVIEW = ("new", "imported")  # the queue: the model's predictions and imported files' suggestions
ANNOTATED = ("imported", "corrected")  # what exports read: reviewed or not
REVIEWED = ("corrected",)  # saved by a person or imported as reviewed gold: what trains
# Least confident first leaves the documents the model is surest of to the end of the queue, so
# its confident mistakes are never found: the spot-check order gives every 5th place to the surest
# document left. It is an audit, not a faster teacher: in bench/adapt.py (three splits) it tied
# random picks after 100 corrections, trailed them after 50 and cost more MSRA points, so the
# screen's default stays least confident first.
SPOT_CHECK_EVERY = 5
_LEAST_CONFIDENT = "d.confidence IS NULL, d.confidence, d.id"  # unscored (imports) last
_ORDERS = {
    "spot-check": _LEAST_CONFIDENT,  # then every SPOT_CHECK_EVERY-th place from the top (with_spot_checks)
    "confidence": _LEAST_CONFIDENT,
    "newest": "d.id DESC",
    "oldest": "d.id",
}
# Each document with its latest correction (if any): the one query behind every document read.
_DOCUMENTS = """
SELECT d.*, c.id AS revision, c.spans_json AS corrected_spans_json,
       (SELECT COUNT(*) FROM corrections WHERE document_id = d.id) AS revision_number
FROM documents d
LEFT JOIN corrections c ON c.id = (SELECT MAX(id) FROM corrections WHERE document_id = d.id)
"""


class ConflictError(Exception):
    """The document changed since the editor loaded it: nothing was saved; show both versions."""

    def __init__(self, document_id: int, base_revision, current_revision, current_spans):
        self.document_id = document_id
        self.base_revision = base_revision
        self.current_revision = current_revision
        self.current_spans = current_spans
        super().__init__(f"document {document_id} was saved as revision {current_revision} meanwhile "
                         f"(this edit started from {base_revision}); nothing was overwritten")


def _document(row: dict) -> dict:
    doc = decode(row)
    corrected = doc.pop("corrected_spans")
    doc["predicted_spans"] = doc["predicted_spans"] or []
    doc["spans"] = corrected if corrected is not None else doc["predicted_spans"]
    return doc


def _check_text(text) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"document text must be a non-blank string, got {text!r}")
    return text


def _insert_document(db, text, source, predicted_spans=None, predicted_by=None, confidence=None) -> int:
    text = _check_text(text)
    predicted = check_spans(predicted_spans, len(text), known_labels(db)) if predicted_spans is not None else None
    return db["documents"].insert({
        "text": text, "source": source, "created_at": now(), "predicted_spans_json": dumps(predicted),
        "predicted_by": predicted_by, "confidence": None if confidence is None else float(confidence),
        "status": "new"}).last_pk


def _append_correction(db, document_id, spans, annotator, model_version, note, base, status="corrected") -> int:
    """Append a correction; status (unless None) becomes the document's status."""
    if not isinstance(annotator, str) or not annotator.strip():
        raise ValueError(f"annotator must be a non-blank name, got {annotator!r}")
    correction_id = db["corrections"].insert({
        "document_id": document_id, "spans_json": dumps(spans), "annotator": annotator, "created_at": now(),
        "model_version": model_version, "note": note, "base_correction_id": base}).last_pk
    if status is not None:
        db.execute("UPDATE documents SET status = ? WHERE id = ? AND status != ?", [status, document_id, status])
    return correction_id


def add_document(db: sqlite_utils.Database, text: str, source: str, predicted_spans=None, predicted_by=None,
                 confidence=None) -> int:
    with write_transaction(db):
        return _insert_document(db, text, source, predicted_spans, predicted_by, confidence)


def add_documents(db: sqlite_utils.Database, rows) -> list[int]:
    """Many documents in one transaction: all are added or, on a bad row, none (ValueError names it)."""
    ids = []
    with write_transaction(db):
        for i, row in enumerate(rows):
            try:
                ids.append(_insert_document(db, row.get("text"), row.get("source"), row.get("predicted_spans"),
                                            row.get("predicted_by"), row.get("confidence")))
            except ValueError as error:
                raise ValueError(f"row {i}: {error}") from None
    return ids


def queue(db: sqlite_utils.Database, order: str = "confidence", status: str | None = None,
          limit: int | None = None, search: str = "") -> list[dict]:
    """Documents in review order; status None means every document, "to review" the model's and the
    imported files' suggestions still to review (new or imported), else that one status;
    search keeps the documents whose text contains it."""
    if order not in _ORDERS:
        raise ValueError(f"order must be one of {', '.join(_ORDERS)}, got {order!r}")
    statuses = TO_REVIEW if status == "to review" else STATUSES if status is None else (status,)
    if not set(statuses) <= set(STATUSES):
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, 'to review' or None, got {status!r}")
    marks = ", ".join("?" for _ in statuses)
    where = _DOCUMENTS + f" WHERE d.status IN ({marks}) AND instr(d.text, ?) > 0"
    params = [*statuses, search or ""]
    if order == "spot-check":
        return _spot_check_queue(db, where, params, limit)
    return _rows(db, where + f" ORDER BY {_ORDERS[order]}", params, limit)


def _rows(db: sqlite_utils.Database, sql: str, params: list, limit: int | None) -> list[dict]:
    if limit is not None:
        sql, params = sql + " LIMIT ?", [*params, int(limit)]
    return [_document(row) for row in db.query(sql, params)]


def _spot_check_queue(db: sqlite_utils.Database, where: str, params: list, limit: int | None) -> list[dict]:
    """The spot-check order; under a limit it reads only the rows that can be placed (the `limit`
    least confident and the most confident few): a long queue is not read whole on every page run."""
    rows = _rows(db, where + f" ORDER BY {_LEAST_CONFIDENT}", params, limit)
    if limit is not None:
        listed = {row["id"] for row in rows}
        rows += [row for row in _rows(db, where + " AND d.confidence IS NOT NULL ORDER BY d.confidence DESC, d.id DESC",
                                      params, limit // SPOT_CHECK_EVERY + 1) if row["id"] not in listed]
        rows.sort(key=lambda row: (row["confidence"] is None, row["confidence"] or 0.0, row["id"]))
    return with_spot_checks(rows)[:limit]


def with_spot_checks(rows: list[dict], every: int = SPOT_CHECK_EVERY) -> list[dict]:
    """Least-confident-first rows with every `every`-th place given to the most confident row left,
    marked "spot_check"; unscored rows (imports) stay last, as in the confidence order."""
    scored = [row for row in rows if row["confidence"] is not None]
    unscored = [row for row in rows if row["confidence"] is None]
    ordered, low, high = [], 0, len(scored) - 1
    while low <= high:
        spot = len(ordered) % every == every - 1
        ordered.append({**scored[high], "spot_check": True} if spot else scored[low])
        high, low = (high - 1, low) if spot else (high, low + 1)
    return ordered + unscored


def status_counts(db: sqlite_utils.Database) -> dict[str, int]:
    """{status: number of documents} for every status, zeros included: the progress counter."""
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({row["status"]: row["n"] for row in db.query(
        "SELECT status, COUNT(*) AS n FROM documents GROUP BY status")})
    return counts


def find_text(db: sqlite_utils.Database, text: str) -> dict | None:
    """The oldest document with exactly this text, or None: the same text is not queued twice unasked."""
    row = one(db, _DOCUMENTS + " WHERE d.text = ? ORDER BY d.id LIMIT 1", [text])
    return None if row is None else _document(row)


def get_document(db: sqlite_utils.Database, document_id: int) -> dict:
    """The document with "spans" (latest correction's, else predicted) and "revision" (None if none)."""
    row = one(db, _DOCUMENTS + " WHERE d.id = ?", [document_id])
    if row is None:
        raise KeyError(f"no document with id {document_id}")
    return _document(row)


def save_correction(db: sqlite_utils.Database, document_id: int, spans, annotator: str, model_version=None,
                    base_revision=None, note=None) -> int:
    """Append a correction made from base_revision (the "revision" the editor loaded; None for none).

    Raises ConflictError, saving nothing, when someone saved the document after that revision.
    """
    with write_transaction(db):
        doc = get_document(db, document_id)
        spans = check_spans(spans, len(doc["text"]), known_labels(db))
        _check_direct_save(db, doc, annotator)
        if base_revision != doc["revision"]:
            raise ConflictError(document_id, base_revision, doc["revision"], doc["spans"])
        return _append_correction(db, document_id, spans, annotator, model_version, note, doc["revision"])


def _check_direct_save(db, doc: dict, annotator: str) -> None:
    """A revision of the document itself: refused for bad text, and for a document that needs several
    annotators (storage/team.py) until it is settled; after that, only reviewers and admins revise it."""
    if doc["status"] == "rejected":
        raise ValueError(f"document {doc['id']} is marked bad text: a reviewer can put it back in the queue")
    if team.is_team_document(db, doc["id"]):
        if doc["status"] != "corrected":
            raise ValueError(f"document {doc['id']} needs {team.overlap_of(db, doc['id'])} annotators' own versions "
                             "(storage/team_versions.py) until they agree or a reviewer settles them")
        team.require(db, annotator, team.REVIEWERS, "revise a settled team document")


def history(db: sqlite_utils.Database, document_id: int) -> list[dict]:
    """Every correction of the document, oldest first, spans decoded under "spans", its revision
    number (1, 2, ... within the document) under "number"."""
    rows = db.query("SELECT * FROM corrections WHERE document_id = ? ORDER BY id", [document_id])
    return [{**decode(row), "number": number} for number, row in enumerate(rows, 1)]


def restore(db: sqlite_utils.Database, document_id: int, correction_id: int, annotator: str, *,
            base_revision) -> int:
    """Undo: append a copy of an older correction as the newest (itself undoable the same way).

    base_revision is the revision the editor showed, checked as save_correction checks it:
    restoring must not silently replace what another tab saved meanwhile (ConflictError).
    Required, so that no caller can skip the check by leaving it out.
    """
    with write_transaction(db):
        old = one(db, "SELECT * FROM corrections WHERE id = ? AND document_id = ?", [correction_id, document_id])
        if old is None:
            raise KeyError(f"document {document_id} has no correction {correction_id}")
        number = one(db, "SELECT COUNT(*) AS n FROM corrections WHERE document_id = ? AND id <= ?",
                     [document_id, correction_id])["n"]
        doc = get_document(db, document_id)
        _check_direct_save(db, doc, annotator)
        current = doc["revision"]
        if base_revision != current:
            raise ConflictError(document_id, base_revision, current, doc["spans"])
        return _append_correction(db, document_id, json.loads(old["spans_json"]), annotator, old["model_version"],
                                  f"restored revision {number}", current)


def documents_in(db: sqlite_utils.Database, statuses) -> list[dict]:
    """Every document in one of the statuses, oldest first, with its latest spans and revision."""
    marks = ", ".join("?" for _ in statuses)
    return [_document(row) for row in db.query(_DOCUMENTS + f" WHERE d.status IN ({marks}) ORDER BY d.id",
                                                list(statuses))]


def corrected_documents(db: sqlite_utils.Database) -> list[dict]:
    """Every annotated document, corrected or imported (oldest first), with its latest spans: what
    exports read. An imported document not yet reviewed is among them, and does not train."""
    return documents_in(db, ANNOTATED)


def reviewed_documents(db: sqlite_utils.Database) -> list[dict]:
    """The documents a training job reads (storage/snapshots.py), oldest first: the count that trains."""
    return documents_in(db, REVIEWED)
