"""Accounts: who may log in to the app, with which role, and their password's argon2id hash.

Passwords are hashed by argon2-cffi (no crypto of our own); with no accounts at all the app
serves one local user (ui/login.py). Add accounts from the command line:
    python -m storage.accounts add NAME --role admin   # password prompted, or one line on stdin
    python -m storage.accounts list | remove NAME
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

import sqlite_utils
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from storage.db import connect, now, one, write_transaction

ROLES = ("annotator", "admin")  # annotators tag and correct; admins also train, promote, choose folders
MIN_PASSWORD = 8
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


def remove_account(db: sqlite_utils.Database, name: str) -> bool:
    with write_transaction(db):
        found = get_account(db, name) is not None
        db.execute("DELETE FROM accounts WHERE name = ?", [name])
    return found


def authenticate(db: sqlite_utils.Database, name: str, password: str) -> dict | None:
    """The account ({"name", "role"}) when the password is right, else None (unknown name or wrong
    password alike). A hash made with older cost settings is upgraded on the way."""
    row = one(db, "SELECT name, role, password_hash FROM accounts WHERE name = ?", [(name or "").strip()])
    try:
        _HASHER.verify(row["password_hash"] if row else _UNKNOWN, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
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
    args = parser.parse_args(argv)
    db = connect(args.db)
    try:
        if args.command == "add":
            add_account(db, args.name, _read_password(), args.role, replace=args.replace)
            print(f"{args.name}: {args.role}")
        elif args.command == "list":
            for account in list_accounts(db):
                print(f"{account['name']}\t{account['role']}\t{account['created_at']}")
        elif not remove_account(db, args.name):
            raise ValueError(f"no account named {args.name!r}")
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
