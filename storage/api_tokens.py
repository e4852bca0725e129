"""API tokens for the HTTP service (service/): a random token its holder sends as a bearer token, its
SHA-256 in SQLite, as for the logins kept across reloads (storage/login_sessions.py): a copied
database opens nothing. A token acts for an account and stops working when the account is removed
or the token revoked; issue one with `python -m storage.accounts token NAME`.
"""
from __future__ import annotations

import hashlib
import secrets

import sqlite_utils

from storage.db import now, one, write_transaction

PREFIX = "nst_"  # recognisable in a log or a leaked file, for people and for secret scanners
LAST_USED_EVERY_S = 60  # last_used is written at most this often per token: a busy client takes no write lock per request


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def issue(db: sqlite_utils.Database, name: str, note: str | None = None) -> str:
    """A new token for the account `name` (ValueError for an unknown one): the only time it is shown."""
    token = PREFIX + secrets.token_urlsafe(32)
    with write_transaction(db):
        if one(db, "SELECT 1 AS found FROM accounts WHERE name = ?", [name]) is None:
            raise ValueError(f"no account named {name!r}; add it first: python -m storage.accounts add {name}")
        db.execute("INSERT INTO api_tokens (token_hash, name, note, created_at) VALUES (?, ?, ?, ?)",
                   [_digest(token), name, note, now()])
    return token


def holder(db: sqlite_utils.Database, token: str | None) -> dict | None:
    """{"name", "role"} of the account the token acts for, or None (unknown, revoked, account removed)."""
    if not token or not token.startswith(PREFIX):
        return None
    row = one(db, "SELECT t.name, a.role, t.last_used FROM api_tokens t JOIN accounts a ON a.name = t.name "
                  "WHERE t.token_hash = ?", [_digest(token)])
    if row is None:
        return None
    stamp = now()
    if row["last_used"] is None or _seconds_between(row["last_used"], stamp) > LAST_USED_EVERY_S:
        with write_transaction(db):
            db.execute("UPDATE api_tokens SET last_used = ? WHERE token_hash = ?", [stamp, _digest(token)])
    return {"name": row["name"], "role": row["role"]}


def list_tokens(db: sqlite_utils.Database) -> list[dict]:
    """Every token's account, note and dates (never the token: only its hash is kept)."""
    return list(db.query("SELECT name, note, created_at, last_used FROM api_tokens ORDER BY created_at"))


def revoke(db: sqlite_utils.Database, name: str) -> int:
    """End every token of the account `name`; returns how many there were."""
    with write_transaction(db):
        return db.execute("DELETE FROM api_tokens WHERE name = ?", [name]).rowcount


def _seconds_between(earlier: str, later: str) -> float:
    import datetime

    return (datetime.datetime.fromisoformat(later) - datetime.datetime.fromisoformat(earlier)).total_seconds()
