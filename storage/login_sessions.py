"""Logins that survive a reload: a random token the browser keeps, its SHA-256 in SQLite.

Streamlit's session state lasts as long as the tab's connection, so a reload used to log the
user out. The browser keeps only a random token, in this server's localStorage rather than a
cookie, which other ports' pages get too (ui/access/login_store.py); the database holds its hash (a copied
database opens no session), the account's name and when the session was last opened or restored. A
reload more than IDLE_S after that asks for the password again; a logout, a new password or the
account's removal (storage/accounts.py) ends the session in every tab that uses it.
"""
from __future__ import annotations

import hashlib
import secrets
import time

import sqlite_utils

from storage.db import one, write_transaction

IDLE_S = 12 * 60 * 60  # a reload after a working day away asks for the password again


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def open_session(db: sqlite_utils.Database, name: str, at: float | None = None) -> str:
    """A new session for the account `name`: the token for the browser to keep."""
    at = time.time() if at is None else at
    token = secrets.token_urlsafe(32)
    with write_transaction(db):
        db.execute("DELETE FROM login_sessions WHERE last_seen < ?", [at - IDLE_S])  # keeps the table small
        db.execute("INSERT INTO login_sessions (token_hash, name, created_at, last_seen) VALUES (?, ?, ?, ?)",
                   [_digest(token), name, at, at])
    return token


def restore(db: sqlite_utils.Database, token: str | None, at: float | None = None) -> str | None:
    """The account name of the live session with this token (its last use moves to now), else None."""
    if not token:
        return None
    at = time.time() if at is None else at
    row = one(db, "SELECT name, last_seen FROM login_sessions WHERE token_hash = ?", [_digest(token)])
    if row is None or row["last_seen"] < at - IDLE_S:
        return None  # read only: a stale cookie sent on every run takes no write lock
    with write_transaction(db):
        db.execute("UPDATE login_sessions SET last_seen = ? WHERE token_hash = ?", [at, _digest(token)])
    return row["name"]


def is_open(db: sqlite_utils.Database, token: str | None) -> bool:
    """Whether the session with this token is still open: a tab logged in with it stays logged in
    (however long ago) until a logout in any tab using it, a new password or the account's removal."""
    return bool(token) and one(db, "SELECT 1 AS found FROM login_sessions WHERE token_hash = ?",
                               [_digest(token)]) is not None


def close(db: sqlite_utils.Database, token: str | None) -> None:
    """End the session with this token (a logout); nothing happens for an unknown one."""
    if token:
        with write_transaction(db):
            db.execute("DELETE FROM login_sessions WHERE token_hash = ?", [_digest(token)])


def close_all(db: sqlite_utils.Database, name: str) -> int:
    """End every session of the account `name`; returns how many there were."""
    with write_transaction(db):
        return db.execute("DELETE FROM login_sessions WHERE name = ?", [name]).rowcount
