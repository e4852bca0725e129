"""Running jobs shown at once, newest first, each with Cancel: in the sidebar of every page and in
the Train screen's jobs panel, which follows a job started on the page instead of the one picked
before. Job rows are real rows in a temporary database; the started job is a real tiny one."""
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from helpers.app import TRAIN_PAGE, browser_poll, fill_form, wait_for_end
from storage import jobs
from storage.db import connect


def cancelled_job(db, root, name: str) -> int:
    """A job as start_training records it (its command names --out), cancelled before any epoch ended."""
    import shlex

    from launcher import TRAIN_SCRIPT

    job_id = jobs.create_job(db, {"name": name})
    out = root / "data" / "models" / name
    jobs.update_job(db, job_id, command=shlex.join(["python", str(TRAIN_SCRIPT), "--out", str(out), "--epochs", "3"]))
    jobs.record_event(db, job_id, {"event": "step", "epoch": 1, "step": 5, "total_steps": 100})
    jobs.record_event(db, job_id, {"event": "cancelled", "error": "cancelled by the user"})
    return job_id


def running_job(db, name: str) -> int:
    job_id = jobs.create_job(db, {"name": name})
    jobs.record_event(db, job_id, {"event": "step", "epoch": 1, "step": 5, "total_steps": 100})
    return job_id


def test_the_sidebar_lists_running_jobs_newest_first_each_with_cancel(studio):
    db = connect(studio["db"])
    older, newer = running_job(db, "older"), running_job(db, "newer")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    lines = [m.value for m in at.sidebar.markdown if m.value.startswith("**Training")]
    assert lines == ["**Training newer** · running", "**Training older** · running"]
    at.button(key=f"sidebar_cancel_{older}").click().run()
    assert not at.exception, at.exception
    assert jobs.get_job(db, older)["state"] == "cancelled" and jobs.get_job(db, newer)["state"] == "running"


def test_the_jobs_panel_opens_on_the_newest_running_job_with_cancel(studio):
    db = connect(studio["db"])
    finished = jobs.create_job(db, {"name": "done"})
    jobs.record_event(db, finished, {"event": "failed", "error": "test"})
    older, newer = running_job(db, "older"), running_job(db, "newer")
    at = AppTest.from_file(TRAIN_PAGE, default_timeout=60).run()
    assert not at.exception, at.exception
    assert at.selectbox(key="train_job_pick").value == newer
    assert at.button(key=f"train_cancel_{newer}")
    assert older != newer


def test_a_job_started_on_the_page_replaces_the_job_picked_before(studio, tiny_bert):
    db = connect(studio["db"])
    old = jobs.create_job(db, {"name": "old"})
    jobs.record_event(db, old, {"event": "failed", "error": "test"})
    at = AppTest.from_file(TRAIN_PAGE, default_timeout=60).run()
    at.selectbox(key="train_job_pick").set_value(old).run()
    fill_form(at, studio["corpus"], studio["encoder"], "long", epochs=100).run()
    at.button(key="train_start").click().run()
    assert not at.exception, at.exception
    job_id = at.session_state["train_job"]
    try:
        assert job_id != old and at.selectbox(key="train_job_pick").value == job_id
        assert any(f"Started job {job_id}." in s.value for s in at.success)
        assert at.button(key=f"train_cancel_{job_id}")
        # The panel's next poll from a browser that showed the old job still shows the new one.
        browser_poll(at, "train_job_pick", shown=old)
        assert at.selectbox(key="train_job_pick").value == job_id and at.button(key=f"train_cancel_{job_id}")
    finally:
        from launcher import cancel_job

        cancel_job(db, job_id)
        wait_for_end(studio["db"], job_id, timeout=30)


def test_resume_is_not_offered_when_no_epoch_finished(studio):
    db = connect(studio["db"])
    job_id = cancelled_job(db, studio["data"].parent, "early")
    at = AppTest.from_file(TRAIN_PAGE, default_timeout=60).run()
    assert not at.exception, at.exception
    assert at.selectbox(key="train_job_pick").value == job_id
    assert f"train_resume_{job_id}" not in [b.key for b in at.button]
    assert any("no epoch finished" in c.value for c in at.caption), [c.value for c in at.caption]
    import pytest

    from launcher import resume_training

    with pytest.raises(ValueError, match="no epoch finished"):
        resume_training(studio["db"], job_id, root=studio["data"].parent)
