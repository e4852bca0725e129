"""Annotating as a team: who may do what (roles), how many annotators see each document (overlap)
and the studio's guideline text. Every team action in storage checks the actor's role here, so a
page that draws a button it should not cannot make the write happen.

Roles: annotators annotate, flag and comment; reviewers also review (and see every version);
admins also set the overlap, assign batches and write the guidelines. With no accounts the studio
serves one local user, who is an admin (ui/access/login.py), whatever name they typed.
"""
from __future__ import annotations

import json
from pathlib import Path

import sqlite_utils

from storage.db import now, one, write_transaction

DEFAULT_OVERLAP = 1  # as before teams: one annotator's save is the document's version
MAX_OVERLAP = 5
REVIEWERS = ("reviewer", "admin")
GUIDELINE_FILE = Path(__file__).resolve().parent.parent / "docs" / "ANNOTATION.md"  # the bundled guideline


class Forbidden(PermissionError):
    """The actor's role does not allow this; the message says who may."""


def role_of(db: sqlite_utils.Database, name: str | None) -> str | None:
    """The actor's role: the account's, "admin" for the local user when there are no accounts,
    None for a name that has no account (nobody may act under it)."""
    if one(db, "SELECT 1 AS found FROM accounts LIMIT 1") is None:
        return "admin"
    row = one(db, "SELECT role FROM accounts WHERE name = ?", [name or ""])
    return None if row is None else row["role"]


def require(db: sqlite_utils.Database, actor: str | None, roles, doing: str) -> str:
    """The actor's role when it is one of roles; Forbidden otherwise."""
    role = role_of(db, actor)
    if role not in roles:
        who = " or ".join(f"{r}s" for r in roles)
        raise Forbidden(f"only {who} may {doing}" + ("" if role else f" ({actor!r} has no account)"))
    return role


def require_member(db, actor, doing: str) -> str:
    if not isinstance(actor, str) or not actor.strip():
        raise ValueError(f"the annotator must be a non-blank name, got {actor!r}")
    return require(db, actor, ("annotator", "reviewer", "admin"), doing)


def can_review(db: sqlite_utils.Database, actor: str | None) -> bool:
    return role_of(db, actor) in REVIEWERS


def _setting(db, key: str, default):
    row = one(db, "SELECT value_json FROM team_settings WHERE key = ?", [key])
    return default if row is None else json.loads(row["value_json"])


def _set(db, key: str, value, actor: str) -> None:
    db["team_settings"].upsert({"key": key, "value_json": json.dumps(value, ensure_ascii=False),
                                "updated_by": actor or "local", "updated_at": now()}, pk="key")


def _check_overlap(overlap) -> int:
    if isinstance(overlap, bool) or not isinstance(overlap, int) or not 1 <= overlap <= MAX_OVERLAP:
        raise ValueError(f"overlap must be a whole number from 1 to {MAX_OVERLAP}, got {overlap!r}")
    return overlap


def overlap(db: sqlite_utils.Database) -> int:
    """The studio's overlap: how many annotators see each document without a batch's own."""
    return _setting(db, "overlap", DEFAULT_OVERLAP)


def set_overlap(db: sqlite_utils.Database, actor: str | None, value: int) -> None:
    """Admins only. Documents already reviewed stay so; those waiting need `value` versions from now."""
    value = _check_overlap(value)
    with write_transaction(db):
        require(db, actor, ("admin",), "set how many annotators see each document")
        _set(db, "overlap", value, actor)


def overlap_of(db: sqlite_utils.Database, document_id: int) -> int:
    """How many annotators' versions the document needs: its batch's overlap, else the studio's."""
    row = one(db, "SELECT overlap FROM document_overlap WHERE document_id = ?", [document_id])
    return overlap(db) if row is None else row["overlap"]


def set_document_overlap(db: sqlite_utils.Database, document_ids, value: int, actor: str) -> None:
    """Inside an admin's write (storage/assignments.py): these documents need `value` versions."""
    value = _check_overlap(value)
    for document_id in document_ids:
        db["document_overlap"].upsert({"document_id": document_id, "overlap": value, "set_by": actor or "local",
                                       "set_at": now()}, pk="document_id")


def is_team_document(db: sqlite_utils.Database, document_id: int) -> bool:
    """Whether saves of this document are annotators' own versions (overlap > 1), not its revisions."""
    return overlap_of(db, document_id) > 1


def guidelines(db: sqlite_utils.Database) -> dict:
    """{"text": Markdown, "own": whether the studio wrote its own, "updated_by", "updated_at"}:
    the studio's own guideline, else the bundled one (docs/ANNOTATION.md)."""
    row = one(db, "SELECT value_json, updated_by, updated_at FROM team_settings WHERE key = 'guidelines'")
    if row is not None and json.loads(row["value_json"]).strip():
        return {"text": json.loads(row["value_json"]), "own": True, "updated_by": row["updated_by"],
                "updated_at": row["updated_at"]}
    try:
        text = GUIDELINE_FILE.read_text(encoding="utf-8")
    except OSError:
        text = "No guideline yet: an admin can write the studio's own."
    return {"text": text, "own": False, "updated_by": None, "updated_at": None}


def set_guidelines(db: sqlite_utils.Database, actor: str | None, text: str) -> None:
    """Admins only; blank text goes back to the bundled guideline."""
    if not isinstance(text, str):
        raise ValueError(f"the guideline must be text, got {type(text).__name__}")
    with write_transaction(db):
        require(db, actor, ("admin",), "write the studio's guideline")
        _set(db, "guidelines", text, actor)
