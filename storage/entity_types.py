"""The user's own entity types: an admin adds one (a name and a colour) and corrections may use it
at once; the next retraining teaches it to the model (core.model.build.extend_tags)."""
from __future__ import annotations

import re

import sqlite_utils

from core.labels import ENTITY_TYPES
from storage.db import now, write_transaction

_NAME = re.compile(r"[A-Z][A-Z0-9]{0,11}")  # becomes the tags B_NAME / I_NAME in files and models
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def own_types(db: sqlite_utils.Database) -> list[dict]:
    """[{"name", "colour"}] in the order they were added."""
    return [dict(row) for row in db.query("SELECT name, colour FROM entity_types ORDER BY created_at, name")]


def known_labels(db: sqlite_utils.Database) -> tuple[str, ...]:
    """Every label a correction may use: the four built-in types, then the user's own."""
    return ENTITY_TYPES + tuple(row["name"] for row in own_types(db))


def add_type(db: sqlite_utils.Database, name: str, colour: str, created_by: str) -> str:
    """Add a type; ValueError saying what is wrong with the name or colour, or that it exists."""
    name = (name or "").strip().upper()
    if not _NAME.fullmatch(name):
        raise ValueError(f"type name {name!r}: use 1-12 letters A-Z and digits, starting with a letter")
    if name == "O":  # the tag "outside any entity": a type of that name reads as no entity in every file
        raise ValueError("type name 'O': O is the tag for characters outside any entity; choose another name")
    if not _COLOUR.fullmatch(colour or ""):
        raise ValueError(f"colour {colour!r}: use #rrggbb")
    with write_transaction(db):
        if name in known_labels(db):
            raise ValueError(f"the type {name} exists already")
        db["entity_types"].insert({"name": name, "colour": colour.lower(), "created_by": created_by,
                                   "created_at": now()})
    return name
