"""Roles and logins where they write (app.py, AppTest, a real SQLite file): only those who may start
jobs may cancel them, in the sidebar and in the launcher; a save from a tab whose login has ended
writes nothing; a reviewed-gold import is recorded as the user who imported it."""
import pytest

import launcher
from storage import accounts, documents, jobs, login_sessions
from helpers.app import log_in


def running_job(db, name: str) -> int:
    job_id = jobs.create_job(db, {"name": name, "user": "root"})
    jobs.record_event(db, job_id, {"event": "step", "epoch": 1, "step": 5, "total_steps": 100})
    return job_id


def test_an_annotator_gets_no_cancel_and_the_launcher_refuses_theirs(team):  # noqa: F811
    db = team["connection"]
    job_id = running_job(db, "admins-job")
    at = log_in("ann")
    assert f"sidebar_cancel_{job_id}" not in [b.key for b in at.sidebar.button]
    with pytest.raises(launcher.Refused, match="only admins"):
        launcher.cancel_job(db, job_id, user="ann")
    with pytest.raises(launcher.Refused, match="only admins"):
        launcher.cancel_job(db, job_id)  # nobody named: refused alike while there are accounts
    assert jobs.get_job(db, job_id)["state"] == "running"

    admin = log_in("root")
    admin.button(key=f"sidebar_cancel_{job_id}").click().run()
    assert not admin.exception, admin.exception
    assert jobs.get_job(db, job_id)["state"] == "cancelled"


def end_by_logout(db, at):
    login_sessions.close(db, at.session_state["_login_token"])  # what "Log out" in another tab using it does


def end_by_new_password(db, at):
    accounts.add_account(db, "ann", "a brand new password", "annotator", replace=True)


def end_by_removal(db, at):
    accounts.remove_account(db, "ann")


@pytest.mark.parametrize("end", [end_by_logout, end_by_new_password, end_by_removal])
def test_a_save_from_a_tab_whose_login_ended_writes_nothing_and_says_why(team, end):  # noqa: F811
    db = team["connection"]
    doc_id = documents.add_document(db, "张三在上海工作", "test")
    at = log_in("ann")
    at.switch_page("screens/correct.py").run()
    assert not at.exception, at.exception
    save = at.button(key=f"correct_save_{doc_id}")
    end(db, at)
    save.click().run()
    assert not at.exception, at.exception
    assert documents.history(db, doc_id) == []
    assert documents.get_document(db, doc_id)["status"] == "new"
    said = [w.value for w in at.warning]
    assert any("Not saved" in w and "log in again" in w for w in said), said
    assert [t.key for t in at.text_input] == ["login_name", "login_password"]


def test_a_reviewed_gold_import_is_recorded_as_the_user_who_imported_it(team):  # noqa: F811
    db = team["connection"]
    at = log_in("ann")
    at.switch_page("screens/correct.py").run()
    at.radio(key="correct_import_kind").set_value("JSON lines").run()
    at.checkbox(key="correct_import_reviewed").check()
    at.file_uploader(key="correct_import_jsonl").set_value(
        ("gold.jsonl", '{"text": "张三在上海", "spans": [[0, 2, "PER"]]}\n'.encode(), "application/jsonl"))
    at.button(key="correct_import_jsonl_go").click().run()
    assert not at.exception, at.exception
    [doc] = documents.corrected_documents(db)
    [saved] = documents.history(db, doc["id"])
    assert saved["annotator"] == "ann"
    assert "gold.jsonl" in saved["note"] and doc["source"] == "import:gold.jsonl"


def test_with_accounts_correct_offers_neither_not_you_nor_the_entity_types_to_an_annotator(team):  # noqa: F811
    """Issue 22: an annotator saw 'Not you?' (a second Log out: the account names them) and the entity
    types' panel, which only admins may use. An admin gets the panel; 'Not you?' stays for the typed
    names of local mode (tests/test_app_annotate.py)."""
    documents.add_document(team["connection"], "张三在上海工作", "test")
    ann = log_in("ann")
    ann.switch_page("screens/correct.py").run()
    assert not ann.exception, ann.exception
    assert "correct_change_name" not in [b.key for b in ann.button]
    assert "Entity types" not in [e.label for e in ann.expander]
    root = log_in("root")
    root.switch_page("screens/correct.py").run()
    assert not root.exception, root.exception
    assert "correct_change_name" not in [b.key for b in root.button]
    assert "Entity types" in [e.label for e in root.expander]
    assert root.text_input(key="correct_type_name") is not None
