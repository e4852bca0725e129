"""storage/accounts.py on a fresh in-memory database: argon2id hashes, never the password."""
import pytest

from storage import accounts
from storage.db import connect


@pytest.fixture
def db():
    return connect(":memory:")


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
