"""Review: reviewers (and admins) settle documents whose annotators disagree, and answer flags.

The review queue lists open flags first (oldest first; "bad text" marks among them), then the
documents with two or more versions that differ, most disagreeing first. A decision accepts one
version whole, merges them span by span, or is the reviewer's own edit; it is written as the
document's correction (status "corrected": what trains) with a reviews row saying how it was made.
Annotators flag a document with a comment, mark it bad text (status "rejected": it never trains
and leaves every queue, until a reviewer undoes it) or comment on a span. A reviewer may reopen a
settled team document: it goes back to its annotators and stops training until it settles again.
"""
from __future__ import annotations

import sqlite_utils

from core.labels import check_spans
from core.scores.agreement import rank_by_disagreement
from storage import team, team_versions
from storage.db import decode, dumps, now, one, write_transaction
from storage.documents import ConflictError, _append_correction, get_document
from storage.entity_types import known_labels

DECISIONS = ("accepted", "merged", "edited")
REOPENED = "reopened"  # a flags row's resolution: a reviewer sent a settled document back (reopen)


def open_flags(db: sqlite_utils.Database, reviewer: str | None, document_id: int | None = None) -> list[dict]:
    """Unanswered flags and bad-text marks, oldest first (reviewers and admins only)."""
    team.require(db, reviewer, team.REVIEWERS, "see the flags")
    where, params = ("AND document_id = ?", [document_id]) if document_id is not None else ("", [])
    return list(db.query(f"SELECT * FROM flags WHERE resolved_at IS NULL {where} ORDER BY created_at, id", params))


def review_queue(db: sqlite_utils.Database, reviewer: str | None) -> list[dict]:
    """[{"id", "reason": "flag" | "bad text" | "disputed", "flags": [...], "unmatched_spans", ...}]:
    flagged documents first, then disputed ones by disagreement (core.scores.agreement)."""
    flags = open_flags(db, reviewer)
    rows, seen = [], set()
    for flag in flags:
        if flag["document_id"] in seen:
            continue
        seen.add(flag["document_id"])
        rows.append({"id": flag["document_id"], "reason": flag["kind"],
                     "flags": [f for f in flags if f["document_id"] == flag["document_id"]]})
    disputed = []
    for row in db.query("""SELECT DISTINCT v.document_id AS id, d.text FROM annotator_versions v
                           JOIN documents d ON d.id = v.document_id
                           WHERE d.status IN ('new', 'imported')"""):
        latest = team_versions.versions(db, row["id"], reviewer)
        if len(latest) >= 2:
            disputed.append({"id": row["id"], "text": row["text"],
                             "versions": {name: v["spans"] for name, v in latest.items()}})
    for ranked in rank_by_disagreement(disputed):
        if ranked["unmatched_spans"] or ranked["differing_characters"]:
            if ranked["id"] in seen:  # flagged and disputed: listed once, with the flags, its figures added
                next(r for r in rows if r["id"] == ranked["id"]).update(ranked)
                continue
            rows.append({**ranked, "reason": "disputed", "flags": []})
    return rows


def resolve(db: sqlite_utils.Database, document_id: int, reviewer: str, spans, decision: str,
            accepted: str | None = None, seen_versions: dict | None = None, note: str | None = None) -> int:
    """Write the reviewer's decision as the document's version; returns the correction's id.

    seen_versions ({annotator: version id} as the reviewer was shown them) guards against a
    version saved meanwhile: ConflictError, nothing written. Answers the document's open flags."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, got {decision!r}")
    with write_transaction(db):
        team.require(db, reviewer, team.REVIEWERS, "review documents")
        doc = get_document(db, document_id)
        if doc["status"] == "rejected":
            raise ValueError(f"document {document_id} is marked bad text: undo that first")
        spans = check_spans(spans, len(doc["text"]), known_labels(db))
        latest = team_versions.versions(db, document_id, reviewer)
        now_seen = {name: version["id"] for name, version in latest.items()}
        if seen_versions is not None and {k: int(v) for k, v in seen_versions.items()} != now_seen:
            raise ConflictError(document_id, seen_versions, now_seen, None)
        if decision == "accepted" and (accepted not in latest
                                       or sorted(map(tuple, spans)) != sorted(map(tuple, latest[accepted]["spans"]))):
            raise ValueError(f"accepted: {accepted!r} has no version of document {document_id} with these spans")
        said = {"accepted": f"review: accepted {accepted}'s version", "merged": "review: merged the versions",
                "edited": "review: edited"}[decision]
        correction_id = _append_correction(db, document_id, [list(s) for s in spans], reviewer, doc.get("predicted_by"),
                                           f"{said}; {note}" if note else said, doc["revision"])
        db["reviews"].insert({"document_id": document_id, "reviewer": reviewer, "decision": decision,
                              "accepted_annotator": accepted if decision == "accepted" else None,
                              "correction_id": correction_id, "versions_json": dumps(now_seen), "created_at": now()})
        _answer_flags(db, document_id, reviewer, f"reviewed ({decision})")
        return correction_id


def reviews_of(db: sqlite_utils.Database, document_id: int) -> list[dict]:
    return [decode(row) for row in db.query("SELECT * FROM reviews WHERE document_id = ? ORDER BY id", [document_id])]


def settled_documents(db: sqlite_utils.Database, reviewer: str | None) -> list[dict]:
    """[{"id", "text", "decision", "by", "at"}]: team documents agreed or reviewed, the latest
    settled first, as a reviewer may reopen them."""
    team.require(db, reviewer, team.REVIEWERS, "see the settled documents")
    rows = db.query("""SELECT d.id, d.text, r.decision, COALESCE(r.reviewer, 'agreed') AS by, r.created_at AS at
                       FROM documents d JOIN reviews r ON r.id = (SELECT MAX(id) FROM reviews WHERE document_id = d.id)
                       WHERE d.status IN (%s) ORDER BY r.id DESC""" % ", ".join("?" for _ in team_versions.SETTLED),
                    list(team_versions.SETTLED))
    return [row for row in rows if team.is_team_document(db, row["id"])]


def reopen(db: sqlite_utils.Database, document_id: int, reviewer: str, reason: str = "") -> int:
    """Reviewers and admins: a settled team document goes back to its annotators. It stops training
    (its status returns to what it had before: "new", or "imported"), waits again in the queue of
    each annotator (their older versions stay in their history, the latest one their starting
    point) and settles again as before, on versions saved from now on. Recorded as a flag answered
    at once ("reopened"; no migration needed): history_of lists it with who and when."""
    with write_transaction(db):
        team.require(db, reviewer, team.REVIEWERS, "reopen documents")
        doc = get_document(db, document_id)
        if doc["status"] not in team_versions.SETTLED or not team.is_team_document(db, document_id):
            raise ValueError(f"document {document_id} is not a settled team document (status {doc['status']!r})")
        imported = one(db, "SELECT 1 AS found FROM corrections WHERE document_id = ? AND annotator LIKE 'import:%'",
                       [document_id])
        at = now()
        flag_id = db["flags"].insert({"document_id": document_id, "annotator": reviewer, "kind": "flag",
                                      "comment": (reason or "").strip(), "status_before": doc["status"],
                                      "created_at": at, "resolved_by": reviewer, "resolved_at": at,
                                      "resolution": REOPENED}).last_pk
        db.execute("UPDATE documents SET status = ? WHERE id = ?", ["imported" if imported else "new", document_id])
        return flag_id


def history_of(db: sqlite_utils.Database, document_id: int) -> list[dict]:
    """The document's review history, oldest first: [{"decision", "by", "at", "note"}], each
    decision ("agreed", "accepted", "merged", "edited") and each "reopened"."""
    events = [{"decision": r["decision"], "by": r["reviewer"] or ", ".join(r["versions"]), "at": r["created_at"],
               "note": r["accepted_annotator"]} for r in reviews_of(db, document_id)]
    events += [{"decision": REOPENED, "by": row["resolved_by"], "at": row["resolved_at"], "note": row["comment"]}
               for row in db.query("SELECT * FROM flags WHERE document_id = ? AND resolution = ? ORDER BY id",
                                   [document_id, REOPENED])]
    return sorted(events, key=lambda event: event["at"])


def _answer_flags(db, document_id: int, reviewer: str, resolution: str) -> None:
    db.execute("UPDATE flags SET resolved_by = ?, resolved_at = ?, resolution = ? "
               "WHERE document_id = ? AND resolved_at IS NULL", [reviewer, now(), resolution, document_id])


def flag(db: sqlite_utils.Database, document_id: int, annotator: str, comment: str) -> int:
    """Ask for a review of the document, saying why; it stays in the annotator's queue."""
    if not isinstance(comment, str) or not comment.strip():
        raise ValueError("a flag needs a comment: say what the reviewer should look at")
    with write_transaction(db):
        team.require_member(db, annotator, "flag documents")
        get_document(db, document_id)
        return db["flags"].insert({"document_id": document_id, "annotator": annotator, "kind": "flag",
                                   "comment": comment.strip(), "created_at": now()}).last_pk


def mark_bad_text(db: sqlite_utils.Database, document_id: int, annotator: str, comment: str = "") -> int:
    """The text is not worth annotating (garbled, a duplicate, not Chinese): it never trains and
    leaves every queue at once; a reviewer sees the mark first and may undo it."""
    with write_transaction(db):
        team.require_member(db, annotator, "mark documents as bad text")
        doc = get_document(db, document_id)
        if doc["status"] == "rejected":
            raise ValueError(f"document {document_id} is marked bad text already")
        flag_id = db["flags"].insert({"document_id": document_id, "annotator": annotator, "kind": "bad text",
                                      "comment": (comment or "").strip(), "status_before": doc["status"],
                                      "created_at": now()}).last_pk
        db.execute("UPDATE documents SET status = 'rejected' WHERE id = ?", [document_id])
        return flag_id


def answer_flag(db: sqlite_utils.Database, flag_id: int, reviewer: str, resolution: str,
                undo_bad_text: bool = False) -> None:
    """Close a flag with what was done. undo_bad_text: the document goes back to the status it had
    (a bad-text mark the reviewer does not share); else a bad-text mark stands, confirmed."""
    with write_transaction(db):
        team.require(db, reviewer, team.REVIEWERS, "answer flags")
        row = one(db, "SELECT * FROM flags WHERE id = ?", [flag_id])
        if row is None:
            raise KeyError(f"no flag with id {flag_id}")
        if undo_bad_text:
            if row["kind"] != "bad text":
                raise ValueError(f"flag {flag_id} is not a bad-text mark")
            db.execute("UPDATE documents SET status = ? WHERE id = ? AND status = 'rejected'",
                       [row["status_before"] or "new", row["document_id"]])
        db.execute("UPDATE flags SET resolved_by = ?, resolved_at = ?, resolution = ? WHERE id = ?",
                   [reviewer, now(), (resolution or "").strip() or ("undone" if undo_bad_text else "seen"), flag_id])


def add_comment(db: sqlite_utils.Database, document_id: int, author: str, body: str, span=None) -> int:
    """A comment on the document, or on a span of it ([start, end] or [start, end, label])."""
    if not isinstance(body, str) or not body.strip():
        raise ValueError("a comment needs some text")
    with write_transaction(db):
        team.require_member(db, author, "comment")
        doc = get_document(db, document_id)
        start = end = None
        if span is not None:
            start, end = span[0], span[1]
            check_spans([[start, end, "PER"]], len(doc["text"]), ("PER",))  # inside the text, not empty
        return db["comments"].insert({"document_id": document_id, "author": author, "start": start, "end": end,
                                      "body": body.strip(), "created_at": now()}).last_pk


def comments_of(db: sqlite_utils.Database, document_id: int, viewer: str | None) -> list[dict]:
    """The comments the viewer may read, oldest first: reviewers and admins every one, and everyone
    once the document is settled; before that an annotator reads their own (a comment on a span
    would tell them how a colleague annotated)."""
    rows = list(db.query('SELECT * FROM comments WHERE document_id = ? ORDER BY id', [document_id]))
    if team.can_review(db, viewer) or get_document(db, document_id)["status"] in team_versions.SETTLED:
        return rows
    return [row for row in rows if row["author"] == viewer]
