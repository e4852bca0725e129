"""What a visitor is told when the server fails in a way we know (a damaged database, a full disk):
one line saying what happened and what to do. The traceback goes to the server's log, never to the
page, where it would show every visitor the server's paths; .streamlit/config.toml hides the details
of the failures nobody foresaw too (client.showErrorDetails)."""
from __future__ import annotations

import errno
import logging
import sqlite3

import streamlit as st

log = logging.getLogger("ner_studio")

_FULL = {"SQLITE_FULL"}
_BUSY = {"SQLITE_BUSY", "SQLITE_LOCKED"}


def _name(error: BaseException) -> str:
    return getattr(error, "sqlite_errorname", "") or ""


def explain(error: BaseException, refused: str = "Nothing was saved") -> str:
    """One line for a visitor: what happened and what to do, without the server's paths.
    refused: what the failure cost, from the visitor's side ("Not saved", "Not imported")."""
    if _name(error).startswith(tuple(_FULL)) or getattr(error, "errno", None) == errno.ENOSPC \
            or "disk is full" in str(error):
        return f"{refused}: the server's disk is full. Ask an admin to free space on it, then try again."
    if _name(error).startswith(tuple(_BUSY)) or "database is locked" in str(error):
        return f"{refused}: the database is busy with another write. Try again in a moment."
    if isinstance(error, sqlite3.DatabaseError):
        return (f"{refused}: the studio database is damaged or cannot be read. Ask an admin to restore it from "
                "a backup copy (the server log says what failed).")
    return f"{refused}: the server could not read or write a file. Ask an admin to look at the server log."


def report(error: BaseException, refused: str = "Nothing was saved") -> str:
    """Log the traceback for the admin; the one line for the visitor."""
    log.error("%s: %s", refused, type(error).__name__, exc_info=error)
    return explain(error, refused)


def show(error: BaseException, refused: str = "Nothing was saved") -> None:
    st.error(report(error, refused))
