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
