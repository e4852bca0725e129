"""storage/accounts.py on a fresh SQLite file: argon2id hashes, never the password; failed logins
throttled per client and per name, without letting a stranger keep a known account out."""
import types

import pytest
from argon2 import PasswordHasher

from storage import accounts
from storage.db import connect

PASSWORD = "correct horse battery"
STRANGER, ADMIN = "203.0.113.7", "198.51.100.2"  # documentation addresses (RFC 5737)


@pytest.fixture
def clock(monkeypatch):
    """accounts' time, moved by hand; and cheap hashes, so a simulated day of logins takes seconds."""
    fake = types.SimpleNamespace(now=1_700_000_000.0)
    fake.time = lambda: fake.now
    monkeypatch.setattr(accounts, "time", fake)
    cheap = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    monkeypatch.setattr(accounts, "_HASHER", cheap)
    monkeypatch.setattr(accounts, "_UNKNOWN", cheap.hash("an account that does not exist"))
    return fake


def attempt(db, name, password, client) -> str:
    """"ok", "wrong" or "locked"."""
    try:
        return "ok" if accounts.authenticate(db, name, password, client=client) else "wrong"
    except accounts.LockedOut:
        return "locked"


def test_the_password_is_stored_only_as_an_argon2id_hash(db):
    accounts.add_account(db, "ann", "a long password", "annotator")
    stored = next(db.query("SELECT password_hash FROM accounts"))["password_hash"]
    assert stored.startswith("$argon2id$") and "a long password" not in stored
    assert accounts.authenticate(db, "ann", "a long password") == {"name": "ann", "role": "annotator"}
    assert accounts.authenticate(db, "ann", "a long passwore") is None
    assert accounts.authenticate(db, "nobody", "a long password") is None


def test_bad_accounts_are_refused_and_names_are_unique(db):
    for name, password, role in [("", "a long password", "admin"), ("x", "short", "admin"), ("x", "a long password", "root")]:
        with pytest.raises(ValueError):
            accounts.add_account(db, name, password, role)
    accounts.add_account(db, "x", "a long password", "annotator")
    with pytest.raises(ValueError, match="exists already"):
        accounts.add_account(db, "x", "another password", "admin")
    accounts.add_account(db, "x", "another password", "admin", replace=True)
    assert accounts.authenticate(db, "x", "another password")["role"] == "admin"
    assert accounts.remove_account(db, "x") and not accounts.any_accounts(db)


def test_the_command_adds_an_account_with_the_password_from_stdin(tmp_path, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("from standard input\n"))
    assert accounts.main(["--db", str(tmp_path / "s.db"), "add", "root", "--role", "admin"]) == 0
    assert accounts.authenticate(connect(tmp_path / "s.db"), "root", "from standard input")["role"] == "admin"


def test_too_many_wrong_passwords_lock_the_name_until_a_while_has_passed(db):
    import time

    accounts.add_account(db, "ann", "a long password", "annotator")
    accounts.add_account(db, "bob", "bob's password", "annotator")
    for _ in range(accounts.MAX_FAILURES):
        assert accounts.authenticate(db, "ann", "a guess at it") is None
    with pytest.raises(accounts.LockedOut, match="try again in 15 minute"):
        accounts.authenticate(db, "ann", "a long password")  # even the right password, while locked
    assert accounts.authenticate(db, "bob", "bob's password")["name"] == "bob"  # other names are not locked
    assert accounts.locked_for(db, "ann", at=time.time() + accounts.LOCKOUT_S + 1) == 0  # it wears off
    assert accounts.main(["--db", ":memory:", "unlock", "ann"]) == 0  # the command runs (on its own database)
    accounts.clear_failures(db, "ann")
    assert accounts.authenticate(db, "ann", "a long password")["name"] == "ann"


def test_unknown_names_lock_out_alike_and_a_success_clears_the_count(db):
    for _ in range(accounts.MAX_FAILURES):
        assert accounts.authenticate(db, "nobody", "a long password") is None
    with pytest.raises(accounts.LockedOut):
        accounts.authenticate(db, "nobody", "a long password")  # the same answer as for a real name
    accounts.add_account(db, "ann", "a long password", "annotator")
    for _ in range(accounts.MAX_FAILURES - 1):
        accounts.authenticate(db, "ann", "a guess at it")
    assert accounts.authenticate(db, "ann", "a long password") is not None  # clears the four failures
    for _ in range(accounts.MAX_FAILURES - 1):
        accounts.authenticate(db, "ann", "a guess at it")
    assert accounts.authenticate(db, "ann", "a long password") is not None  # so four more do not lock it
    for _ in range(accounts.MAX_FAILURES):
        accounts.authenticate(db, "ann", "a guess at it")
    accounts.add_account(db, "ann", "a new long password", "annotator", replace=True)  # a new password starts afresh
    assert accounts.authenticate(db, "ann", "a new long password") is not None


def test_a_stranger_guessing_all_day_does_not_keep_the_admin_out(db, clock):
    # Issue 22: 20 wrong passwords an hour for a day kept the admin out (206 of 206 right ones refused).
    accounts.add_account(db, "root", PASSWORD, "admin")
    start, answers, guesses = clock.now, {"ok": 0, "wrong": 0, "locked": 0}, 0
    for minute in range(24 * 60):
        clock.now = start + minute * 60
        if minute % 3 == 0:  # 20 an hour, 480 in the day
            guesses += attempt(db, "root", "a guess at it", STRANGER) == "wrong"
        if minute % 7 == 0:  # the admin, 206 times
            answers[attempt(db, "root", PASSWORD, ADMIN)] += 1
    assert answers == {"ok": 206, "wrong": 0, "locked": 0}
    # The stranger still gets no more than MAX_FAILURES guesses at the name in any LOCKOUT_S.
    assert guesses <= accounts.MAX_FAILURES * (24 * 60 * 60 // accounts.LOCKOUT_S + 1)
    assert attempt(db, "root", PASSWORD, STRANGER) == "locked"  # the right password too, from that client


def test_a_client_that_failed_on_a_guarded_name_waits_one_that_has_not_may_try(db, clock):
    accounts.add_account(db, "ann", PASSWORD, "annotator")
    for _ in range(accounts.MAX_FAILURES):
        assert attempt(db, "ann", "a guess at it", STRANGER) == "wrong"
    assert attempt(db, "ann", PASSWORD, STRANGER) == "locked"
    assert attempt(db, "ann", "a typo", ADMIN) == "wrong"  # a client that has not failed gets a try
    assert attempt(db, "ann", PASSWORD, ADMIN) == "locked"  # and, having failed, waits too
    assert attempt(db, "ann", PASSWORD, "192.0.2.1") == "ok"
    clock.now += accounts.LOCKOUT_S + 1
    assert attempt(db, "ann", PASSWORD, STRANGER) == "ok"  # it wears off


def test_one_password_across_many_names_is_slowed_per_client(db, clock):
    # Issue 22: one password tried across 42 names was never slowed.
    accounts.add_account(db, "ann", PASSWORD, "annotator")
    answers = [attempt(db, f"user{i}", "Summer2024!", STRANGER) for i in range(42)]
    assert answers.count("wrong") == accounts.MAX_CLIENT_FAILURES and set(answers) == {"wrong", "locked"}
    assert attempt(db, "ann", PASSWORD, STRANGER) == "locked"  # every name, from that client
    assert attempt(db, "ann", PASSWORD, ADMIN) == "ok"  # another client is not slowed
    # An account of the stranger's own buys no more guesses: a success forgives only its own name.
    accounts.add_account(db, "eve", PASSWORD, "annotator")
    clock.now += accounts.LOCKOUT_S + 1
    answers = []
    for i in range(20):
        answers += [attempt(db, "eve", PASSWORD, STRANGER), attempt(db, f"other{i}", "Summer2024!", STRANGER)]
    assert answers[1::2].count("wrong") == accounts.MAX_CLIENT_FAILURES


def test_ipv6_clients_count_per_64_bit_prefix(db, clock):
    for i in range(accounts.MAX_CLIENT_FAILURES):
        attempt(db, f"user{i}", "Summer2024!", f"2001:db8:1:2::{i + 1:x}")
    assert attempt(db, "another", "Summer2024!", "2001:db8:1:2:ffff::1") == "locked"
    assert attempt(db, "another", "Summer2024!", "2001:db8:1:3::1") == "wrong"


def test_an_existing_database_keeps_its_failures_through_the_migration(tmp_path, clock):
    import sqlite3

    path = tmp_path / "old.db"
    db = connect(path)
    accounts.add_account(db, "ann", PASSWORD, "annotator")
    db.close()
    old = sqlite3.connect(path)  # as the previous version left it: failures by name only
    old.executescript("""DROP TABLE login_failures;
        CREATE TABLE login_failures (name TEXT NOT NULL, at REAL NOT NULL);
        CREATE INDEX login_failures_name ON login_failures (name, at);
        DELETE FROM _sqlite_migrations WHERE name = 'm008_login_failures_client';""")
    old.executemany("INSERT INTO login_failures VALUES ('ann', ?)", [(clock.now - 60,)] * accounts.MAX_FAILURES)
    old.commit()
    old.close()
    db = connect(path)
    assert attempt(db, "ann", "a typo", ADMIN) == "wrong"  # the old failures still guard the name
    assert attempt(db, "ann", PASSWORD, ADMIN) == "locked"
    assert accounts.main(["--db", str(path), "unlock", "ann"]) == 0
    assert attempt(db, "ann", PASSWORD, ADMIN) == "ok"
    db.close()


def test_a_long_name_is_cut_before_any_row_is_written(db, clock, tmp_path):
    # Issue 22: 20 failures with 1,000,000-character names stored 21.1 MB.
    accounts.add_account(db, "a" * 64, PASSWORD, "annotator")
    for i in range(20):
        assert attempt(db, "a" * 64 + str(i) * 1_000_000, PASSWORD, f"192.0.2.{i}") == "wrong"  # never that account
    assert max(row["n"] for row in db.query("SELECT length(name) AS n FROM login_failures")) <= accounts.MAX_NAME
    assert sum(path.stat().st_size for path in tmp_path.glob("studio.db*")) < 1_000_000
    assert attempt(db, "a" * 64, PASSWORD, "192.0.2.99") == "ok"


class CountingHasher:
    """The cheap hasher, counting how many verifications run at once."""

    def __init__(self, hasher):
        import threading

        self.hasher, self.lock, self.running, self.peak = hasher, threading.Lock(), 0, 0

    def verify(self, hashed, password):
        import time

        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            time.sleep(0.05)  # as long as a real one, so that calls overlap
            return self.hasher.verify(hashed, password)
        finally:
            with self.lock:
                self.running -= 1

    def __getattr__(self, name):
        return getattr(self.hasher, name)


def logins_at_once(path, count, name, password, client_of):
    """count logins in threads, each with its own connection, as each browser session has its own."""
    from concurrent.futures import ThreadPoolExecutor

    def one_login(i):
        database = connect(path)
        try:
            return attempt(database, name, password, client_of(i))
        finally:
            database.close()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one_login, range(count)))


def test_argon2_runs_a_few_at_a_time_whatever_the_number_of_logins(db, clock, monkeypatch, tmp_path):
    # Issue 22: 32 logins at once ran 32 argon2 hashes in parallel, 2,089 MB.
    accounts.add_account(db, "ann", PASSWORD, "annotator")
    counting = CountingHasher(accounts._HASHER)
    monkeypatch.setattr(accounts, "_HASHER", counting)
    assert logins_at_once(tmp_path / "studio.db", 32, "ann", PASSWORD, lambda i: f"192.0.2.{i}") == ["ok"] * 32
    assert 1 < counting.peak <= 4 and counting.peak <= accounts.MAX_HASHES
    # One client's burst cannot slip many guesses past the throttle while the hashes run.
    answers = logins_at_once(tmp_path / "studio.db", 32, "ann", "a guess at it", lambda i: STRANGER)
    assert answers.count("wrong") < accounts.MAX_FAILURES + accounts.MAX_HASHES


def test_a_login_waits_a_bounded_time_for_a_hash_then_hears_busy(db, clock, monkeypatch):
    accounts.add_account(db, "ann", PASSWORD, "annotator")
    monkeypatch.setattr(accounts, "HASH_WAIT_S", 0.2)
    taken = [accounts._HASHES.acquire(timeout=1) for _ in range(accounts.MAX_HASHES)]
    try:
        with pytest.raises(accounts.Busy, match="try again"):
            accounts.authenticate(db, "ann", PASSWORD, client=ADMIN)
    finally:
        for _ in taken:
            accounts._HASHES.release()
    assert next(db.query("SELECT count(*) AS n FROM login_failures"))["n"] == 0  # busy is no failure
    assert attempt(db, "ann", PASSWORD, ADMIN) == "ok"
