"""Accounts and roles through the app itself (app.py, AppTest): a visitor sees only the login, an
annotator neither trains nor promotes (and the launcher refuses them too), a correction records
the logged-in name whatever the address says."""
import pytest
from streamlit.testing.v1 import AppTest

import launcher
from conftest import ROOT
from helpers.app import PASSWORD, log_in

APP = str(ROOT / "app.py")


def shown_text(at) -> str:
    return " ".join(str(e.value) for kind in ("markdown", "caption", "title", "header", "subheader", "info")
                    for e in getattr(at, kind))


def test_a_visitor_sees_only_the_login_on_every_address(team):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    assert [t.key for t in at.text_input] == ["login_name", "login_password"]
    assert "Model in use" not in shown_text(at) and not at.dataframe and not at.selectbox
    # The navigation holds the login alone: no page's address leads anywhere else.
    with pytest.raises(ValueError, match=r"Known pages: \['Log in'\]"):
        at.switch_page("screens/train.py")


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(team):
    answers = [[e.value for e in log_in(name, password).error] for name, password in
               [("ann", "wrong password"), ("nobody", PASSWORD)]]
    assert answers[0] == answers[1] == ["Wrong name or password."]
    at = log_in("ann")
    assert "Logged in as" in shown_text(at) and "Model in use" in shown_text(at)


def test_a_name_with_too_many_wrong_passwords_is_locked_with_a_wait_named(team):
    from storage.accounts import MAX_FAILURES

    for _ in range(MAX_FAILURES):
        log_in("ann", "wrong password")
    at = log_in("ann")  # the right password, too late
    [error] = [e.value for e in at.error]
    assert "too many failed logins" in error and "try again in 15 minute" in error
    assert "Logged in as" not in shown_text(at)
    assert "Logged in as" in shown_text(log_in("root"))  # another name is not locked


def test_an_annotator_cannot_train_cancel_or_promote(team):
    from storage.versions import ensure_default_version, register_version

    default = ensure_default_version(team["connection"], str(team["data"].parent / "default-model"))
    register_version(team["connection"], "other", default["path"])  # something to promote
    at = log_in("ann")
    at.switch_page("screens/train.py").run()
    assert not at.exception, at.exception
    keys = {b.key for b in at.button}
    assert not keys & {"train_start", "train_improve", "train_promote"}, keys
    assert not [s for s in at.selectbox if s.key == "train_promote_pick"]
    assert any("for admins" in i.value for i in at.info)
    params = {"data": [str(team["corpus"])], "encoder": str(team["encoder"]), "epochs": 1, "name": "sneaky"}
    with pytest.raises(launcher.Refused, match="only admins"):
        launcher.start_training(team["db"], params, root=team["data"].parent, user="ann")
    with pytest.raises(launcher.Refused, match="only admins"):
        launcher.start_training(team["db"], params, root=team["data"].parent)  # no user: refused alike

    admin = log_in("root")
    admin.switch_page("screens/train.py").run()
    assert {"train_start", "train_improve", "train_promote"} <= {b.key for b in admin.button}


def test_a_correction_records_the_logged_in_name_not_the_address(team):
    from storage import documents

    doc_id = documents.add_document(team["connection"], "张三在上海工作", "test")
    at = log_in("ann", query={"annotator": "root"})
    at.switch_page("screens/correct.py").run()
    assert not at.exception, at.exception
    at.button(key=f"correct_save_{doc_id}").click().run()
    assert not at.exception, at.exception
    assert [h["annotator"] for h in documents.history(team["connection"], doc_id)] == ["ann"]


def kept(at) -> list[dict]:
    """What each login store drawn asked the browser (ui/access/login_store.py): keep a token, forget it, send it."""
    import json

    return [json.loads(element.proto.json or "{}") for element in at.get("bidi_component")
            if element.proto.component_name == "ner_studio_login_store"]


def test_a_login_has_the_browser_keep_its_token_and_a_logout_anywhere_ends_it(team):
    from storage import login_sessions

    visitor = AppTest.from_file(APP, default_timeout=60).run()
    [ask] = kept(visitor)
    assert set(ask) == {"ask"}  # a visitor's browser is asked for the token it keeps, nothing written
    tab = log_in("ann")
    token = tab.session_state["_login_token"]
    assert kept(tab) == [{"write": token}]
    assert login_sessions.restore(team["connection"], token) == "ann"  # what a reload's stored token finds
    assert kept(tab.run()) == []  # written once
    other = log_in("ann")  # a second tab
    other.button(key="login_logout").click().run()
    assert [t.key for t in other.text_input] == ["login_name", "login_password"]
    assert [store.get("write") for store in kept(other)] == [""]  # the browser forgets it
    assert login_sessions.is_open(team["connection"], token)  # the first tab's session is its own
    tab.button(key="login_logout").click().run()
    assert not login_sessions.is_open(team["connection"], token)
    third = log_in("ann")
    third_token = third.session_state["_login_token"]
    from storage import accounts

    accounts.add_account(team["connection"], "ann", "another password", "annotator", replace=True)
    assert not login_sessions.is_open(team["connection"], third_token)
    assert [t.key for t in third.run().text_input] == ["login_name", "login_password"]  # a new password logs out


def test_a_login_with_every_hash_taken_hears_busy_not_a_traceback(team, monkeypatch):
    from storage import accounts

    monkeypatch.setattr(accounts, "HASH_WAIT_S", 0.2)
    taken = [accounts._HASHES.acquire(timeout=1) for _ in range(accounts.MAX_HASHES)]
    try:
        at = log_in("ann")
    finally:
        for _ in taken:
            accounts._HASHES.release()
    assert [e.value for e in at.error] == ["Not logged in: the server is checking many logins at once: "
                                           "try again in a moment."]
    assert "Logged in as" in shown_text(log_in("ann"))  # nothing was counted against ann
