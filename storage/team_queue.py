"""Each annotator's queue: the documents still waiting for them, least confident first (or in the
Correct screen's other orders). A document waits for an annotator while it waits for review at all
(new or imported), they have not saved their own version of it (since it was reopened, if it was),
it still needs more versions than it has, and it is assigned to them or to nobody. Documents they
skipped come after the rest.
"""
from __future__ import annotations

import sqlite_utils

from storage import team
from storage.team_versions import SETTLED_UP_TO
from storage.documents import _DOCUMENTS, _ORDERS, TO_REVIEW, _rows, _spot_check_queue
from storage.db import now, write_transaction

_WAITING_FOR = """
 WHERE d.status IN ({statuses}) AND instr(d.text, ?) > 0
   AND NOT EXISTS (SELECT 1 FROM annotator_versions v WHERE v.document_id = d.id AND v.annotator = ?
                   AND v.id > {since})
   AND (NOT EXISTS (SELECT 1 FROM assignments a WHERE a.document_id = d.id)
        OR EXISTS (SELECT 1 FROM assignments a WHERE a.document_id = d.id AND a.annotator = ?))
   AND COALESCE((SELECT overlap FROM document_overlap o WHERE o.document_id = d.id), ?)
       > (SELECT COUNT(DISTINCT annotator) FROM annotator_versions v WHERE v.document_id = d.id AND v.id > {since})
"""
_SINCE = SETTLED_UP_TO.format(document="d.id")  # a reopened document waits again for those who saved it


def queue_for(db: sqlite_utils.Database, annotator: str, order: str = "confidence", limit: int | None = None,
              search: str = "") -> list[dict]:
    """The documents waiting for this annotator, in `order` (storage.documents' orders); each row
    as storage.documents.queue gives it, with "skipped" True for those they skipped."""
    if order not in _ORDERS:
        raise ValueError(f"order must be one of {', '.join(_ORDERS)}, got {order!r}")
    where = _DOCUMENTS + _WAITING_FOR.format(statuses=", ".join("?" for _ in TO_REVIEW), since=_SINCE)
    params = [*TO_REVIEW, search or "", annotator, annotator, team.overlap(db)]
    if order == "spot-check":
        rows = _spot_check_queue(db, where, params, limit)
    else:
        rows = _rows(db, where + f" ORDER BY {_ORDERS[order]}", params, limit)
    skipped = {row["document_id"] for row in db.query("SELECT document_id FROM skips WHERE annotator = ?", [annotator])}
    rows = [{**row, "skipped": row["id"] in skipped} for row in rows]
    return [row for row in rows if not row["skipped"]] + [row for row in rows if row["skipped"]]


def waiting_count(db: sqlite_utils.Database, annotator: str) -> int:
    """How many documents wait for this annotator: the Correct screen's "to do"."""
    sql = "SELECT COUNT(*) AS n FROM documents d" + _WAITING_FOR.format(
        statuses=", ".join("?" for _ in TO_REVIEW), since=_SINCE)
    return next(db.query(sql, [*TO_REVIEW, "", annotator, annotator, team.overlap(db)]))["n"]


def record_skip(db: sqlite_utils.Database, document_id: int, annotator: str) -> None:
    """The annotator passed the document over: it moves to the end of their queue, and counts as skipped."""
    with write_transaction(db):
        db["skips"].upsert({"document_id": document_id, "annotator": annotator, "at": now()},
                           pk=("document_id", "annotator"))
