"""The team tables (issue 24), applied by storage/db.py's migration m011_team: settings (overlap,
guidelines), each annotator's own versions, reviews, flags, comments, assignments and skips, and
two widened CHECKs (a "reviewer" role; a "rejected" document, marked bad text, that never trains).

Once released, a migration's SQL must not change: a later change is a new migration.
"""
from __future__ import annotations

import sqlite3

import sqlite_utils

TEAM_TABLES = """
CREATE TABLE IF NOT EXISTS team_settings (
    key TEXT PRIMARY KEY,             -- 'overlap' (annotators per document), 'guidelines' (the studio's own text)
    value_json TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Each annotator's own history of a document that needs several versions (overlap > 1). Append-only,
-- like corrections; the document's reviewed (or agreed) version goes to corrections, which trains.
CREATE TABLE IF NOT EXISTS annotator_versions (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents (id),
    annotator TEXT NOT NULL,
    spans_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    model_version TEXT,
    note TEXT,
    base_version_id INTEGER REFERENCES annotator_versions (id)  -- the version the editor started from
);
CREATE INDEX IF NOT EXISTS annotator_versions_document ON annotator_versions (document_id, annotator, id);
CREATE INDEX IF NOT EXISTS annotator_versions_annotator ON annotator_versions (annotator, created_at);
CREATE TRIGGER IF NOT EXISTS annotator_versions_no_update BEFORE UPDATE ON annotator_versions
    BEGIN SELECT RAISE(ABORT, 'annotator versions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS annotator_versions_no_delete BEFORE DELETE ON annotator_versions
    BEGIN SELECT RAISE(ABORT, 'annotator versions are append-only'); END;

-- How many annotators a document needs, where an assignment set it; else the studio's overlap.
CREATE TABLE IF NOT EXISTS document_overlap (
    document_id INTEGER PRIMARY KEY REFERENCES documents (id),
    overlap INTEGER NOT NULL CHECK (overlap BETWEEN 1 AND 5),
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS reviews (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents (id),
    reviewer TEXT,                    -- NULL when the versions agreed and nobody had to review
    decision TEXT NOT NULL CHECK (decision IN ('agreed', 'accepted', 'merged', 'edited')),
    accepted_annotator TEXT,          -- whose version was accepted whole
    correction_id INTEGER NOT NULL REFERENCES corrections (id),  -- the version that trains
    versions_json TEXT NOT NULL,      -- {annotator: annotator_versions.id} the decision saw
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reviews_document ON reviews (document_id, id);

-- "flag": please review, with a comment; "bad text": never trains, leaves the queue (the document's
-- status becomes 'rejected'; status_before is what a reviewer's undo restores).
CREATE TABLE IF NOT EXISTS flags (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents (id),
    annotator TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('flag', 'bad text')),
    comment TEXT NOT NULL DEFAULT '',
    status_before TEXT,
    created_at TEXT NOT NULL,
    resolved_by TEXT,
    resolved_at TEXT,
    resolution TEXT
);
CREATE INDEX IF NOT EXISTS flags_open ON flags (resolved_at, created_at);
CREATE INDEX IF NOT EXISTS flags_document ON flags (document_id);

-- On a document, or on a span of it (start, end: character offsets, end exclusive).
CREATE TABLE IF NOT EXISTS comments (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents (id),
    author TEXT NOT NULL,
    start INTEGER,
    "end" INTEGER,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS comments_document ON comments (document_id, id);

CREATE TABLE IF NOT EXISTS assignments (
    document_id INTEGER NOT NULL REFERENCES documents (id),
    annotator TEXT NOT NULL,
    batch TEXT NOT NULL,              -- what the admin assigned: a search, an import, a corpus draw
    assigned_by TEXT NOT NULL,
    assigned_at TEXT NOT NULL,
    PRIMARY KEY (document_id, annotator)
);
CREATE INDEX IF NOT EXISTS assignments_annotator ON assignments (annotator);

CREATE TABLE IF NOT EXISTS skips (
    document_id INTEGER NOT NULL REFERENCES documents (id),
    annotator TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (document_id, annotator)
);
"""


def statements(script: str) -> list[str]:
    """The script's statements, triggers whole (their bodies hold semicolons too)."""
    out, pending = [], ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--") and not pending.strip():
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            out.append(pending.strip())
            pending = ""
    if pending.strip():
        raise ValueError(f"an unfinished statement: {pending.strip()[:60]!r}")
    return out


def widen_check(db: sqlite_utils.Database, table: str, old: str, new: str) -> None:
    """Loosen a CHECK in place, as m002 does and SQLite documents (lang_altertable, section 7): a
    rebuild would need foreign keys off, which a transaction cannot switch. Safe to run twice."""
    schema = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).fetchone()[0]
    if new in schema:
        return
    widened = schema.replace(old, new)
    if widened == schema:
        raise RuntimeError(f"m011: the {table} table has an unexpected schema: {schema}")
    version = db.execute("PRAGMA schema_version").fetchone()[0]
    db.execute("PRAGMA writable_schema = ON")
    try:
        db.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", [widened, table])
        db.execute(f"PRAGMA schema_version = {version + 1}")  # every connection re-reads the schema
    finally:
        db.execute("PRAGMA writable_schema = OFF")


def create_team_tables(db: sqlite_utils.Database) -> None:
    """The whole of m011: every statement is harmless run twice. One statement at a time, not
    executescript, which would COMMIT the migration's transaction halfway."""
    for statement in statements(TEAM_TABLES):
        db.execute(statement)
    widen_check(db, "accounts", "('annotator', 'admin')", "('annotator', 'reviewer', 'admin')")
    widen_check(db, "documents", "('new', 'imported', 'corrected')", "('new', 'imported', 'corrected', 'rejected')")
