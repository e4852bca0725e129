"""Accounts: who may log in to the app, with which role, and their password's argon2id hash.

Passwords are hashed by argon2-cffi (no crypto of our own); with no accounts at all the app
serves one local user (ui/login.py). Add accounts from the command line:
    python -m storage.accounts add NAME --role admin   # password prompted, or one line on stdin
    python -m storage.accounts list | remove NAME | unlock NAME

After MAX_FAILURES wrong passwords for a name within LOCKOUT_S, that name is refused until the
oldest of them is LOCKOUT_S old (unknown names alike, so a lockout reveals nothing); a right
password, a new password (add --replace) or `unlock` clears the count. A new password or a
removed account also ends the account's logins kept across reloads (storage/login_sessions.py).
"""
from __future__ import annotations

import argparse
import getpass
import math
import os
import sys
import time
from pathlib import Path

import sqlite_utils
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from storage import login_sessions
from storage.db import connect, now, one, write_transaction

ROLES = ("annotator", "admin")  # annotators tag and correct; admins also train, promote, choose folders
MIN_PASSWORD = 8
MAX_FAILURES = 5  # wrong passwords for one name within LOCKOUT_S before it is locked
LOCKOUT_S = 15 * 60
_HASHER = PasswordHasher()  # argon2id with the library's defaults (RFC 9106's low-memory choice)
# Unknown names are checked against this hash too, so the answer takes as long as for a real name.
_UNKNOWN = _HASHER.hash("an account that does not exist")


def any_accounts(db: sqlite_utils.Database) -> bool:
    return one(db, "SELECT 1 AS found FROM accounts LIMIT 1") is not None


def get_account(db: sqlite_utils.Database, name: str) -> dict | None:
    """{"name", "role"} (never the hash), None if there is no such account."""
    return one(db, "SELECT name, role FROM accounts WHERE name = ?", [name])


def list_accounts(db: sqlite_utils.Database) -> list[dict]:
    return list(db.query("SELECT name, role, created_at FROM accounts ORDER BY name"))


def add_account(db: sqlite_utils.Database, name: str, password: str, role: str, replace: bool = False) -> None:
    """Create an account (replace=True: set a new password and role for an existing one)."""
    name = (name or "").strip()
    if not name or len(name) > 64 or any(not ch.isprintable() for ch in name):
        raise ValueError(f"account name {name!r}: 1 to 64 printable characters")
    if role not in ROLES:
        raise ValueError(f"role {role!r}: one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password needs at least {MIN_PASSWORD} characters")
    with write_transaction(db):
        if get_account(db, name) is not None and not replace:
            raise ValueError(f"an account named {name!r} exists already")
        db["accounts"].upsert({"name": name, "role": role, "password_hash": _HASHER.hash(password),
                               "created_at": now()}, pk="name")
        db.execute("DELETE FROM login_failures WHERE name = ?", [name])  # a new password starts afresh
        login_sessions.close_all(db, name)  # and logs out every browser of the old one


def remove_account(db: sqlite_utils.Database, name: str) -> bool:
    with write_transaction(db):
        found = get_account(db, name) is not None
        db.execute("DELETE FROM accounts WHERE name = ?", [name])
        login_sessions.close_all(db, name)
    return found


class LockedOut(ValueError):
    """Too many wrong passwords for this name lately; the message says how long to wait."""


def locked_for(db: sqlite_utils.Database, name: str, at: float | None = None) -> float:
    """Seconds until the name may try again (0: it may now)."""
    at = time.time() if at is None else at
    recent = [row["at"] for row in db.query(
        "SELECT at FROM login_failures WHERE name = ? AND at > ? ORDER BY at DESC LIMIT ?",
        [(name or "").strip(), at - LOCKOUT_S, MAX_FAILURES])]
    return max(0.0, recent[-1] + LOCKOUT_S - at) if len(recent) >= MAX_FAILURES else 0.0


def clear_failures(db: sqlite_utils.Database, name: str) -> None:
    with write_transaction(db):
        db.execute("DELETE FROM login_failures WHERE name = ?", [(name or "").strip()])


def _record_failure(db: sqlite_utils.Database, name: str) -> None:
    at = time.time()
    with write_transaction(db):
        db.execute("INSERT INTO login_failures (name, at) VALUES (?, ?)", [name, at])
        db.execute("DELETE FROM login_failures WHERE at < ?", [at - LOCKOUT_S])  # keeps the table small


def authenticate(db: sqlite_utils.Database, name: str, password: str) -> dict | None:
    """The account ({"name", "role"}) when the password is right, else None (unknown name or wrong
    password alike); LockedOut while the name has too many recent failures, right password or not.
    A hash made with older cost settings is upgraded on the way."""
    name = (name or "").strip()
    wait = locked_for(db, name)
    if wait > 0:
        raise LockedOut(f"too many failed logins for this name: try again in {math.ceil(wait / 60)} minute(s), "
                        "or ask an admin to run `python -m storage.accounts unlock NAME`")
    row = one(db, "SELECT name, role, password_hash FROM accounts WHERE name = ?", [name])
    try:
        _HASHER.verify(row["password_hash"] if row else _UNKNOWN, password or "")
    except (VerificationError, InvalidHashError):
        _record_failure(db, name)
        return None
    if row is None:
        _record_failure(db, name)
        return None
    clear_failures(db, name)
    if _HASHER.check_needs_rehash(row["password_hash"]):
        with write_transaction(db):
            db["accounts"].update(row["name"], {"password_hash": _HASHER.hash(password)})
    return {"name": row["name"], "role": row["role"]}


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            raise ValueError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m storage.accounts", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=os.environ.get("NER_STUDIO_DB", Path(__file__).resolve().parent.parent
                                                       / "data" / "studio.db"), help="the studio database")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="add an account (the password is prompted, or read from stdin)")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, default="annotator")
    add.add_argument("--replace", action="store_true", help="set a new password and role for an existing account")
    commands.add_parser("list", help="names and roles")
    remove = commands.add_parser("remove", help="delete an account")
    remove.add_argument("name")
    unlock = commands.add_parser("unlock", help="forget a name's failed logins (ends a lockout)")
    unlock.add_argument("name")
    args = parser.parse_args(argv)
    db = connect(args.db)
    try:
        if args.command == "add":
            add_account(db, args.name, _read_password(), args.role, replace=args.replace)
            print(f"{args.name}: {args.role}")
        elif args.command == "list":
            for account in list_accounts(db):
                print(f"{account['name']}\t{account['role']}\t{account['created_at']}")
        elif args.command == "unlock":
            clear_failures(db, args.name)
            print(f"{args.name}: unlocked")
        elif not remove_account(db, args.name):
            raise ValueError(f"no account named {args.name!r}")
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
