"""storage/login_sessions.py on a real SQLite file: a login kept across reloads by a cookie's token,
stored hashed, ended by a logout, by time, by a new password or by the account's removal."""
import pytest

from storage import accounts, login_sessions
from storage.db import connect

PASSWORD = "correct horse battery"


@pytest.fixture
def db(tmp_path):
    database = connect(tmp_path / "studio.db")
    accounts.add_account(database, "ann", PASSWORD, "annotator")
    accounts.add_account(database, "root", PASSWORD, "admin")
    yield database
    database.close()


def test_a_token_restores_its_account_and_only_its_hash_is_stored(db, tmp_path):
    token = login_sessions.open_session(db, "ann")
    assert len(token) >= 40 and login_sessions.open_session(db, "ann") != token  # random, 32 bytes
    assert login_sessions.restore(db, token) == "ann" and login_sessions.is_open(db, token)
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("studio.db*"))  # the file and its WAL
    assert b"ann" in stored and token.encode() not in stored
    for wrong in (None, "", token[:-1], token + "x", "' OR 1=1 --", "名字"):
        assert login_sessions.restore(db, wrong) is None and not login_sessions.is_open(db, wrong)


def test_a_session_unused_for_the_idle_time_is_not_restored(db):
    token = login_sessions.open_session(db, "ann", at=1000.0)
    assert login_sessions.restore(db, token, at=1000.0 + login_sessions.IDLE_S - 1) == "ann"  # and moves its last use
    assert login_sessions.restore(db, token, at=1000.0 + 2 * login_sessions.IDLE_S - 2) == "ann"
    assert login_sessions.restore(db, token, at=1000.0 + 3 * login_sessions.IDLE_S) is None
    # Opening a session clears the expired ones.
    login_sessions.open_session(db, "root", at=1000.0 + 3 * login_sessions.IDLE_S)
    assert not login_sessions.is_open(db, token)


def test_logout_new_password_and_removal_end_sessions(db):
    first, second, other = (login_sessions.open_session(db, name) for name in ("ann", "ann", "root"))
    login_sessions.close(db, first)
    assert not login_sessions.is_open(db, first) and login_sessions.is_open(db, second)
    accounts.add_account(db, "ann", "a new password!", "annotator", replace=True)
    assert not login_sessions.is_open(db, second) and login_sessions.is_open(db, other)
    accounts.remove_account(db, "root")
    assert not login_sessions.is_open(db, other)


def test_logins_kept_in_a_cookie_before_issue_22_end_with_the_migration(db, tmp_path):
    # Their tokens lived in a cookie that pages of other programs on the same host could read.
    token = login_sessions.open_session(db, "ann")
    db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm009_end_cookie_sessions'")  # as before it
    db.conn.commit()
    reopened = connect(tmp_path / "studio.db")
    assert not login_sessions.is_open(reopened, token)
    later = login_sessions.open_session(reopened, "ann")  # new logins are kept as before
    assert login_sessions.is_open(connect(tmp_path / "studio.db"), later)
