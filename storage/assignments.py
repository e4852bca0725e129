"""Assignment and progress: an admin hands a batch (a search, an import, a corpus draw) to
annotators, and everyone sees how far each annotator has got, how fast, and how well they agree.

A batch with overlap k goes round the annotators named, k to a document, so the work is even: with
ada, bo and cy and k = 2, document 1 goes to ada and bo, 2 to cy and ada, 3 to bo and cy.
"""
from __future__ import annotations

import datetime

import sqlite_utils

from core.scores.agreement import team_agreement
from storage import team, team_queue
from storage.db import decode, now, write_transaction
from storage.documents import TO_REVIEW

IDLE_GAP_S = 10 * 60  # a longer pause between two saves is a break: speed counts at most this much of it


def batch_ids(db: sqlite_utils.Database, search: str = "", source: str | None = None) -> list[int]:
    """The documents waiting for review whose text contains `search`, from `source` if given, oldest first."""
    marks = ", ".join("?" for _ in TO_REVIEW)
    sql = f"SELECT id FROM documents WHERE status IN ({marks}) AND instr(text, ?) > 0"
    params = [*TO_REVIEW, search or ""]
    if source is not None:
        sql, params = sql + " AND source = ?", [*params, source]
    return [row["id"] for row in db.query(sql + " ORDER BY id", params)]


def sources(db: sqlite_utils.Database) -> dict[str, int]:
    """{source: documents waiting for review}: the imports, corpus draws and pages a batch can be."""
    marks = ", ".join("?" for _ in TO_REVIEW)
    return {row["source"] or "?": row["n"] for row in db.query(
        f"SELECT source, COUNT(*) AS n FROM documents WHERE status IN ({marks}) GROUP BY source ORDER BY source",
        list(TO_REVIEW))}


def assign(db: sqlite_utils.Database, actor: str | None, document_ids, annotators, batch: str,
           overlap: int | None = None) -> dict[str, int]:
    """Admins only: give each document to `overlap` (default: the studio's) of the annotators, in
    turn, replacing earlier assignments of those documents. Returns {annotator: documents given}."""
    names = list(dict.fromkeys(a.strip() for a in annotators if isinstance(a, str) and a.strip()))
    with write_transaction(db):
        team.require(db, actor, ("admin",), "assign documents")
        k = team.overlap(db) if overlap is None else overlap
        if not names:
            raise ValueError("name at least one annotator")
        if not 1 <= k <= len(names):
            raise ValueError(f"overlap {k} needs at least {k} annotators; {len(names)} named")
        unknown = [name for name in names if team.role_of(db, name) is None]
        if unknown:
            raise ValueError(f"no account named {', '.join(map(repr, unknown))}")
        ids = [int(i) for i in document_ids]
        given = dict.fromkeys(names, 0)
        for i, document_id in enumerate(ids):
            db.execute("DELETE FROM assignments WHERE document_id = ?", [document_id])
            for j in range(k):
                name = names[(i * k + j) % len(names)]
                db["assignments"].insert({"document_id": document_id, "annotator": name, "batch": batch or "",
                                          "assigned_by": actor or "local", "assigned_at": now()})
                given[name] += 1
        team.set_document_overlap(db, ids, k, actor)
        return given


def assigned_to(db: sqlite_utils.Database, annotator: str) -> list[int]:
    return [row["document_id"] for row in db.query(
        "SELECT document_id FROM assignments WHERE annotator = ? ORDER BY document_id", [annotator])]


def _stamp(text: str) -> float:
    return datetime.datetime.fromisoformat(text).timestamp()


def speed(stamps: list[str], idle_gap_s: float = IDLE_GAP_S) -> float | None:
    """Documents an hour from save times: saves after the first, over the time between saves, each
    pause counted up to idle_gap_s. None with fewer than two saves."""
    times = sorted(_stamp(s) for s in stamps)
    busy = sum(min(b - a, idle_gap_s) for a, b in zip(times, times[1:]))
    return None if len(times) < 2 or busy <= 0 else (len(times) - 1) / (busy / 3600)


def _saves(db) -> dict[str, list[tuple[int, str]]]:
    """{annotator: [(document id, saved at)]}: their own versions and their corrections, reviews not counted."""
    saves: dict[str, list] = {}
    for row in db.query("""SELECT annotator, document_id, created_at FROM annotator_versions
                           UNION ALL
                           SELECT annotator, document_id, created_at FROM corrections
                           WHERE annotator NOT LIKE 'import:%'
                             AND id NOT IN (SELECT correction_id FROM reviews)"""):
        saves.setdefault(row["annotator"], []).append((row["document_id"], row["created_at"]))
    return saves


def team_documents(db: sqlite_utils.Database) -> list[dict]:
    """Every document with annotators' versions, as core.scores.agreement reads them (latest spans)."""
    docs: dict[int, dict] = {}
    for row in db.query("""SELECT v.document_id, v.annotator, v.spans_json, d.text FROM annotator_versions v
                           JOIN documents d ON d.id = v.document_id
                           WHERE v.id = (SELECT MAX(id) FROM annotator_versions
                                         WHERE document_id = v.document_id AND annotator = v.annotator)
                           ORDER BY v.document_id"""):
        row = decode(row)
        docs.setdefault(row["document_id"], {"id": row["document_id"], "text": row["text"], "versions": {}})
        docs[row["document_id"]]["versions"][row["annotator"]] = row["spans"]
    return list(docs.values())


def progress(db: sqlite_utils.Database) -> list[dict]:
    """A row per annotator: done (documents they saved), waiting (still in their queue), assigned,
    skipped (and not done since), flagged (flags and bad-text marks), reviewed (documents they
    settled as reviewer), speed (documents an hour, pauses over IDLE_GAP_S left out), and
    agreement with the others on the documents they shared (entity F1, kappa; None without any)."""
    saves = _saves(db)
    agreement = team_agreement(team_documents(db))["annotators"]
    names = set(saves) | set(agreement)
    counted = {}
    for key, sql in (("assigned", "SELECT annotator AS name, COUNT(*) AS n FROM assignments GROUP BY annotator"),
                     ("flagged", "SELECT annotator AS name, COUNT(*) AS n FROM flags "
                                 "WHERE resolution IS NOT 'reopened' GROUP BY annotator"),  # a reopen is no flag
                     ("reviewed", "SELECT reviewer AS name, COUNT(DISTINCT document_id) AS n FROM reviews "
                                  "WHERE reviewer IS NOT NULL GROUP BY reviewer")):
        counted[key] = {row["name"]: row["n"] for row in db.query(sql)}
        names |= set(counted[key])
    skipped = {}
    for row in db.query("SELECT annotator, document_id FROM skips"):
        if row["document_id"] not in {doc for doc, _ in saves.get(row["annotator"], [])}:
            skipped[row["annotator"]] = skipped.get(row["annotator"], 0) + 1
    names |= set(skipped)
    rows = []
    for name in sorted(names):
        theirs = agreement.get(name)
        rows.append({"annotator": name, "done": len({doc for doc, _ in saves.get(name, [])}),
                     "waiting": team_queue.waiting_count(db, name), "assigned": counted["assigned"].get(name, 0),
                     "skipped": skipped.get(name, 0), "flagged": counted["flagged"].get(name, 0),
                     "reviewed": counted["reviewed"].get(name, 0),
                     "per_hour": speed([at for _, at in saves.get(name, [])]),
                     "agreement_f1": theirs.f1 if theirs else None, "kappa": theirs.kappa if theirs else None})
    return rows
