"""Accounts: who may log in to the app, with which role, and their password's argon2id hash.

Passwords are hashed by argon2-cffi (no crypto of our own); with no accounts at all the app
serves one local user (ui/access/login.py). Add accounts from the command line:
    python -m storage.accounts add NAME --role admin   # password prompted, or one line on stdin
    python -m storage.accounts list | remove NAME | unlock NAME [--client ADDRESS]
    python -m storage.accounts token NAME [--note TEXT] [--revoke]   # the HTTP service's API tokens

Failed logins are throttled per client (its address) and per name, so that a stranger's guesses slow
the stranger and never keep an account's owner out (issue 22: 20 guesses an hour kept the admin out
all day). Within LOCKOUT_S:
- a client with MAX_CLIENT_FAILURES failures, whatever the names, waits (one password tried
  across many names);
- a name with MAX_FAILURES failures, from anyone, is guarded: a client that failed on it waits,
  a client that has not still gets its try, so the owner logs in from their own machine.
Unknown names count alike, so a wait reveals nothing. A right password forgives that client's
failures on that name only (an account of one's own buys no more guesses at others); `unlock`, or a
new password (add --replace), forgets all of a name's. A new password or a removed account also ends
the account's logins kept across reloads (storage/login_sessions.py).
What remains: clients behind one address (a NAT, a reverse proxy, everyone on this machine) count
as one, and many addresses get a guess each at a guarded name.
"""
from __future__ import annotations

import argparse
import contextlib
import getpass
import ipaddress
import math
import sys
import threading
import time

import sqlite_utils
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core import paths
from storage import login_sessions
from storage.db import connect, now, one, write_transaction

ROLES = ("annotator", "reviewer", "admin")  # annotators tag and correct; reviewers also settle disagreements
# (storage/reviews.py); admins also train, promote, choose folders, set the overlap and assign batches
MIN_PASSWORD = 8
MAX_NAME = 64  # characters; a longer name is refused at once and cut before a failure is written
MAX_FAILURES = 5  # wrong passwords for one name within LOCKOUT_S before it is guarded
MAX_CLIENT_FAILURES = 10  # wrong passwords from one client, any names, within LOCKOUT_S before it waits
LOCKOUT_S = 15 * 60
_HASHER = PasswordHasher()  # argon2id with the library's defaults (RFC 9106's low-memory choice)
# Each hash takes 64 MiB and up to 4 threads: 32 logins at once took 2 GB. So at most MAX_HASHES run
# at once in this process; a login waits up to HASH_WAIT_S for a turn, then hears Busy.
MAX_HASHES = 4
HASH_WAIT_S = 10.0
_HASHES = threading.BoundedSemaphore(MAX_HASHES)
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
    if not name or len(name) > MAX_NAME or any(not ch.isprintable() for ch in name):
        raise ValueError(f"account name {name[:MAX_NAME]!r}: 1 to {MAX_NAME} printable characters")
    if role not in ROLES:
        raise ValueError(f"role {role!r}: one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password needs at least {MIN_PASSWORD} characters")
    with _hash_turn():
        password_hash = _HASHER.hash(password)
    with write_transaction(db):
        if get_account(db, name) is not None and not replace:
            raise ValueError(f"an account named {name!r} exists already")
        db["accounts"].upsert({"name": name, "role": role, "password_hash": password_hash,
                               "created_at": now()}, pk="name")
        db.execute("DELETE FROM login_failures WHERE name = ?", [name])  # a new password starts afresh
        login_sessions.close_all(db, name)  # and logs out every browser of the old one


def remove_account(db: sqlite_utils.Database, name: str) -> bool:
    with write_transaction(db):
        found = get_account(db, name) is not None
        db.execute("DELETE FROM accounts WHERE name = ?", [name])
        login_sessions.close_all(db, name)
        db.execute("DELETE FROM api_tokens WHERE name = ?", [name])  # a new account of that name gets none of them
    return found


class LockedOut(ValueError):
    """Too many wrong passwords lately from this client, or for this name from this client; the
    message says how long to wait."""


class Busy(RuntimeError):
    """Too many logins being checked at once: try again in a moment (nothing was counted)."""


@contextlib.contextmanager
def _hash_turn():
    if not _HASHES.acquire(timeout=HASH_WAIT_S):
        raise Busy("the server is checking many logins at once: try again in a moment")
    try:
        yield
    finally:
        _HASHES.release()


def client_key(address: str | None) -> str:
    """Whom failures are counted against: the address, an IPv6 one by its /64 (one machine is
    usually given a whole /64, so it could otherwise take a new address per guess); '' for this
    machine (Streamlit gives no address for a loopback connection) or none known."""
    if not address or not isinstance(address, str):
        return ""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return address[:64]
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)


def locked_for(db: sqlite_utils.Database, name: str, client: str | None = None, at: float | None = None) -> float:
    """Seconds until this client may try this name (0: it may now)."""
    at = time.time() if at is None else at
    name, key, since = (name or "").strip(), client_key(client), at - LOCKOUT_S
    waits = [0.0]
    by_client = [row["at"] for row in db.query(
        "SELECT at FROM login_failures WHERE client = ? AND at > ? ORDER BY at DESC LIMIT ?",
        [key, since, MAX_CLIENT_FAILURES])]
    if len(by_client) >= MAX_CLIENT_FAILURES:
        waits.append(by_client[-1] + LOCKOUT_S - at)
    by_name = [row["at"] for row in db.query(
        "SELECT at FROM login_failures WHERE name = ? AND at > ? ORDER BY at DESC LIMIT ?",
        [name, since, MAX_FAILURES])]
    if len(by_name) >= MAX_FAILURES:
        mine = one(db, "SELECT MAX(at) AS at FROM login_failures WHERE name = ? AND client = ? AND at > ?",
                   [name, key, since])["at"]
        if mine is not None:  # this client failed on the guarded name: it waits until either wears off
            waits.append(min(by_name[-1], mine) + LOCKOUT_S - at)
    return max(waits)


def clear_failures(db: sqlite_utils.Database, name: str, client: str | None = None) -> None:
    """Forget a name's failures (an admin's unlock); with a client, only that client's."""
    with write_transaction(db):
        if client is None:
            db.execute("DELETE FROM login_failures WHERE name = ?", [(name or "").strip()])
        else:
            db.execute("DELETE FROM login_failures WHERE name = ? AND client = ?",
                       [(name or "").strip(), client_key(client)])


def clear_client(db: sqlite_utils.Database, client: str) -> None:
    """Forget every failure from one client (an admin's unlock --client)."""
    with write_transaction(db):
        db.execute("DELETE FROM login_failures WHERE client = ?", [client_key(client)])


def _record_failure(db: sqlite_utils.Database, name: str, client: str | None) -> None:
    at = time.time()
    with write_transaction(db):
        db.execute("INSERT INTO login_failures (name, client, at) VALUES (?, ?, ?)", [name, client_key(client), at])
        db.execute("DELETE FROM login_failures WHERE at < ?", [at - LOCKOUT_S])  # keeps the table small


def authenticate(db: sqlite_utils.Database, name: str, password: str, client: str | None = None) -> dict | None:
    """The account ({"name", "role"}) when the password is right, else None (unknown name or wrong
    password alike); LockedOut while this client must wait (see the module's docstring), right
    password or not. `client` is the visitor's address (None: this machine). A hash made with older
    cost settings is upgraded on the way. Busy when no hash could start within HASH_WAIT_S."""
    # The whole check takes a turn, the throttle's count included: a burst from one client then
    # meets its own failures, rather than all passing the count before any is written.
    with _hash_turn():
        return _authenticate(db, name, password, client)


def _authenticate(db: sqlite_utils.Database, name: str, password: str, client: str | None) -> dict | None:
    typed = (name or "").strip()
    name = typed[:MAX_NAME]  # before anything is looked up or written (a megabyte name made megabyte rows)
    wait = locked_for(db, name, client)
    if wait > 0:
        raise LockedOut(f"too many failed logins lately: try again in {math.ceil(wait / 60)} minute(s), "
                        "or ask an admin to run `python -m storage.accounts unlock NAME`")
    if len(typed) > MAX_NAME:  # no account has such a name, so no hash to check; a failure all the same
        _record_failure(db, name, client)
        return None
    row = one(db, "SELECT name, role, password_hash FROM accounts WHERE name = ?", [name])
    try:
        _HASHER.verify(row["password_hash"] if row else _UNKNOWN, password or "")
    except (VerificationError, InvalidHashError):
        _record_failure(db, name, client)
        return None
    if row is None:
        _record_failure(db, name, client)
        return None
    clear_failures(db, name, client)
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
    parser.add_argument("--db", default=str(paths.db_path()), help="the studio database (NER_STUDIO_DB)")
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
    unlock.add_argument("--client", metavar="ADDRESS",
                        help="also forget every failed login from this address (one that tried many names)")
    token = commands.add_parser("token", help="issue an API token for the HTTP service (python -m core serve)")
    token.add_argument("name")
    token.add_argument("--note", help="what the token is for, kept beside its hash")
    token.add_argument("--revoke", action="store_true", help="end every token of the account instead")
    args = parser.parse_args(argv)
    db = connect(args.db)
    try:
        if args.command == "add":
            add_account(db, args.name, _read_password(), args.role, replace=args.replace)
            print(f"{args.name}: {args.role}")
        elif args.command == "list":
            for account in list_accounts(db):
                print(f"{account['name']}\t{account['role']}\t{account['created_at']}")
        elif args.command == "token":
            from storage import api_tokens

            if args.revoke:
                print(f"{args.name}: {api_tokens.revoke(db, args.name)} token(s) revoked")
            else:
                print(api_tokens.issue(db, args.name, args.note))
                print("shown once; send it as 'Authorization: Bearer TOKEN'", file=sys.stderr)
        elif args.command == "unlock":
            clear_failures(db, args.name)
            if args.client:
                clear_client(db, args.client)
            print(f"{args.name}: unlocked" + (f", and {args.client}" if args.client else ""))
        elif not remove_account(db, args.name):
            raise ValueError(f"no account named {args.name!r}")
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
