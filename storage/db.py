"""Opening the studio database: one SQLite file in WAL mode, the schema as registered migrations.

Several processes write to it at once (the app's sessions, a training job), so every
read-then-write goes through write_transaction(), which takes the write lock up front.
"""
from __future__ import annotations

import contextlib
import datetime
import json
import sqlite3
import threading
from pathlib import Path

import sqlite_utils
from sqlite_utils import Migrations

BUSY_TIMEOUT_S = 10.0  # a writer waits this long for another one; training writes take milliseconds

MIGRATIONS = Migrations("ner_studio")


@MIGRATIONS()
def m001_tables(db: sqlite_utils.Database) -> None:
    # IF NOT EXISTS everywhere: a step stays harmless if its record in _sqlite_migrations is lost.
    db.executescript("""
    CREATE TABLE IF NOT EXISTS documents (
        id INTEGER PRIMARY KEY,
        text TEXT NOT NULL,
        source TEXT,
        created_at TEXT NOT NULL,
        predicted_spans_json TEXT,
        predicted_by TEXT,            -- model version name
        confidence REAL,              -- lowest entity/character confidence: the queue's order
        status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'corrected'))
    );
    CREATE INDEX IF NOT EXISTS documents_queue ON documents (status, confidence);

    CREATE TABLE IF NOT EXISTS corrections (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents (id),
        spans_json TEXT NOT NULL,
        annotator TEXT NOT NULL,
        created_at TEXT NOT NULL,
        model_version TEXT,
        note TEXT,
        base_correction_id INTEGER REFERENCES corrections (id)  -- the revision the editor started from
    );
    CREATE INDEX IF NOT EXISTS corrections_document ON corrections (document_id, id);
    -- Append-only, enforced by the file itself: undo appends an older version again.
    CREATE TRIGGER IF NOT EXISTS corrections_no_update BEFORE UPDATE ON corrections
        BEGIN SELECT RAISE(ABORT, 'corrections are append-only'); END;
    CREATE TRIGGER IF NOT EXISTS corrections_no_delete BEFORE DELETE ON corrections
        BEGIN SELECT RAISE(ABORT, 'corrections are append-only'); END;

    CREATE TABLE IF NOT EXISTS jobs (
        id INTEGER PRIMARY KEY,
        state TEXT NOT NULL DEFAULT 'queued'
            CHECK (state IN ('queued', 'running', 'finished', 'failed', 'cancelled')),
        params_json TEXT NOT NULL DEFAULT '{}',
        pid INTEGER,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        progress_json TEXT,           -- the latest step event
        epochs_json TEXT NOT NULL DEFAULT '[]',
        log_tail TEXT NOT NULL DEFAULT '',
        error TEXT,
        model_path TEXT,
        log_path TEXT,                -- the process's stdout and stderr
        command TEXT
    );

    CREATE TABLE IF NOT EXISTS model_versions (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        path TEXT NOT NULL,
        created_at TEXT NOT NULL,
        job_id INTEGER REFERENCES jobs (id),
        scores_json TEXT,
        curves_json TEXT,
        is_active INTEGER NOT NULL DEFAULT 0 CHECK (is_active IN (0, 1))
    );
    -- At most one active version, whatever writes the table.
    CREATE UNIQUE INDEX IF NOT EXISTS model_versions_one_active ON model_versions (is_active) WHERE is_active = 1;
    """)


@MIGRATIONS()
def m002_document_status_imported(db: sqlite_utils.Database) -> None:
    """Documents whose annotations came from a file are "imported", not "corrected" (no person saw them)."""
    schema = one(db, "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'documents'")["sql"]
    if "'imported'" not in schema:
        # Widen the CHECK in place, as SQLite documents for loosening a constraint (lang_altertable,
        # section 7): a rebuild would need foreign keys off, which a transaction cannot switch.
        widened = schema.replace("('new', 'corrected')", "('new', 'imported', 'corrected')")
        if widened == schema:
            raise RuntimeError(f"m002: the documents table has an unexpected schema: {schema}")
        version = db.execute("PRAGMA schema_version").fetchone()[0]
        db.execute("PRAGMA writable_schema = ON")
        try:
            db.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'documents'", [widened])
            db.execute(f"PRAGMA schema_version = {version + 1}")  # every connection re-reads the schema
        finally:
            db.execute("PRAGMA writable_schema = OFF")
    db.execute("""UPDATE documents SET status = 'imported' WHERE status = 'corrected' AND NOT EXISTS (
                      SELECT 1 FROM corrections c WHERE c.document_id = documents.id
                      AND c.annotator NOT LIKE 'import:%')""")


@MIGRATIONS()
def m003_drafts(db: sqlite_utils.Database) -> None:
    """Unsaved edits, one row per document and annotator (storage/drafts.py), so a reload loses nothing."""
    db.execute("""
    CREATE TABLE IF NOT EXISTS drafts (
        document_id INTEGER NOT NULL REFERENCES documents (id),
        annotator TEXT NOT NULL,
        spans_json TEXT NOT NULL,
        base_correction_id INTEGER,   -- the revision the edits started from
        updated_at TEXT NOT NULL,
        PRIMARY KEY (document_id, annotator)
    )""")


@MIGRATIONS()
def m004_accounts(db: sqlite_utils.Database) -> None:
    """Who may log in (storage/accounts.py): with no rows the app serves one local user only."""
    db.execute("""
    CREATE TABLE IF NOT EXISTS accounts (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('annotator', 'admin')),
        password_hash TEXT NOT NULL,  -- argon2id, in the library's own encoded form (salt and cost inside)
        created_at TEXT NOT NULL
    )""")



@MIGRATIONS()
def m005_entity_types(db: sqlite_utils.Database) -> None:
    """The user's own entity types beside PER, LOC, ORG and T (storage/entity_types.py)."""
    db.execute("""
    CREATE TABLE IF NOT EXISTS entity_types (
        name TEXT PRIMARY KEY,
        colour TEXT NOT NULL,  -- #rrggbb, how the studio highlights it
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""")

@MIGRATIONS()
def m006_login_failures(db: sqlite_utils.Database) -> None:
    """Failed logins by name (storage/accounts.py): too many in a while lock that name out for a while."""
    db.execute("""
    CREATE TABLE IF NOT EXISTS login_failures (
        name TEXT NOT NULL,  -- as typed: unknown names count too, so a lockout does not reveal who exists
        at REAL NOT NULL  -- seconds since the epoch
    )""")
    db.execute("CREATE INDEX IF NOT EXISTS login_failures_name ON login_failures (name, at)")


@MIGRATIONS()
def m007_login_sessions(db: sqlite_utils.Database) -> None:
    """Logins that survive a reload (storage/login_sessions.py): a cookie's token, stored hashed."""
    db.execute("""
    CREATE TABLE IF NOT EXISTS login_sessions (
        token_hash TEXT PRIMARY KEY,  -- SHA-256 of the cookie's random token
        name TEXT NOT NULL,
        created_at REAL NOT NULL,  -- seconds since the epoch
        last_seen REAL NOT NULL
    )""")
    db.execute("CREATE INDEX IF NOT EXISTS login_sessions_name ON login_sessions (name)")


@MIGRATIONS()
def m008_login_failures_client(db: sqlite_utils.Database) -> None:
    """Failed logins also by client (storage/accounts.py): a stranger's failures then slow that stranger,
    not the account's owner. Older rows get the client '' (the local one) and wear off as before."""
    if "client" not in db["login_failures"].columns_dict:  # the step may have run before its record was lost
        db.execute("ALTER TABLE login_failures ADD COLUMN client TEXT NOT NULL DEFAULT ''")
    db.execute("CREATE INDEX IF NOT EXISTS login_failures_client ON login_failures (client, at)")


@MIGRATIONS()
def m009_end_cookie_sessions(db: sqlite_utils.Database) -> None:
    """End the logins kept before issue 22: their tokens lived in a cookie, which pages served on the
    same host by other programs could read. Everyone logs in once more; the browser then keeps the
    new token where only this server's pages can read it (ui/access/login_store.py)."""
    db.execute("DELETE FROM login_sessions")


@MIGRATIONS()
def m010_api_tokens(db: sqlite_utils.Database) -> None:
    """API tokens for the HTTP service (storage/api_tokens.py): a token's SHA-256 and the account it acts for."""
    db.execute("""
    CREATE TABLE IF NOT EXISTS api_tokens (
        token_hash TEXT PRIMARY KEY,  -- SHA-256 of the token; the token itself is shown once, when issued
        name TEXT NOT NULL,  -- the account; a removed account's tokens stop working (a join in api_tokens.holder)
        note TEXT,
        created_at TEXT NOT NULL,
        last_used TEXT
    )""")
    db.execute("CREATE INDEX IF NOT EXISTS api_tokens_name ON api_tokens (name)")


@MIGRATIONS()
def m011_team(db: sqlite_utils.Database) -> None:
    """Annotating as a team (issue 24): each annotator's own versions, overlap, reviews, flags, comments,
    assignments and skips; a "reviewer" role and a "rejected" (bad text) document. storage/team_schema.py."""
    from storage.team_schema import create_team_tables

    create_team_tables(db)


def connect(path) -> sqlite_utils.Database:
    """Open (or create) the studio database, in WAL mode with a busy timeout, migrated.

    The connection may be used from several threads (Streamlit); our writes serialise on a lock.
    """
    path = str(path)
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    db.execute("PRAGMA foreign_keys = ON")
    db.enable_wal()
    db.execute("PRAGMA synchronous = NORMAL")  # safe with WAL: a power cut may lose the last commit, never corrupt
    migrate(db)
    return db


def migrate(db: sqlite_utils.Database) -> None:
    """Apply pending migrations; safe to run any number of times, from several processes at once."""
    if not MIGRATIONS.pending(db):
        return
    with write_transaction(db):  # re-checked under the write lock: a second process finds nothing to do
        MIGRATIONS.apply(db)


_LOCKS_GUARD = threading.Lock()


def _lock(db: sqlite_utils.Database) -> threading.RLock:
    with _LOCKS_GUARD:
        if not hasattr(db, "_studio_lock"):
            db._studio_lock = threading.RLock()
        return db._studio_lock


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database):
    """A transaction that holds the write lock from its first statement (BEGIN IMMEDIATE).

    db.atomic() begins DEFERRED: a transaction that reads, then writes, can then fail at once
    with "database is locked" when another process wrote in between, busy timeout or not.
    Nested use becomes a savepoint.
    """
    with _lock(db):
        if db.conn.in_transaction:
            with db.atomic():
                yield db
            return
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.rollback()
            raise
        try:
            db.conn.execute("COMMIT")
        except BaseException:
            db.rollback()
            raise


def now() -> str:
    """UTC, ISO 8601 with milliseconds: sorts as text."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")


def dumps(value) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def decode(row: dict | None) -> dict | None:
    """A row with every name_json column decoded under name (None stays None)."""
    if row is None:
        return None
    out = {}
    for key, value in row.items():
        if key.endswith("_json"):
            out[key[: -len("_json")]] = None if value is None else json.loads(value)
        else:
            out[key] = value
    return out


def one(db: sqlite_utils.Database, sql: str, params=()) -> dict | None:
    return next(db.query(sql, params), None)
