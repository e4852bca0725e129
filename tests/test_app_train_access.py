"""The Train screen's access rules on real jobs (tiny BERT): a failed job resumed from the screen
becomes its version; server folders outside the roots are refused alike whether they exist or not;
the launcher caps running jobs."""
import json
import os
import signal
import time

import pytest
from streamlit.testing.v1 import AppTest

import launcher
from conftest import write_corpus
from helpers.app import TRAIN_PAGE, browser_poll, wait_for_end


def params(corpus, encoder, name, epochs=3):
    return {"data": [str(corpus)], "encoder": str(encoder), "layers": 1, "epochs": epochs, "batch_size": 4,
            "lr": 1e-3, "name": name}


def wait_for_file(path, timeout=120):
    deadline = time.time() + timeout
    while not path.exists():
        assert time.time() < deadline, f"{path} never appeared"
        time.sleep(0.05)


@pytest.mark.slow
def test_a_killed_job_resumed_from_the_screen_becomes_its_version(studio, tiny_bert):  # noqa: F811
    from storage.db import connect
    from storage.jobs import get_job
    from storage.versions import find_version

    big = write_corpus(studio["data"] / "corpora" / "big", repeat=40)  # epochs long enough to kill one
    job_id = launcher.start_training(studio["db"], params(big, tiny_bert, "crashed"), root=studio["data"].parent)
    out = studio["data"] / "models" / "crashed"
    db = connect(studio["db"])
    wait_for_file(out.with_name("crashed.resume") / "state.json")
    os.killpg(get_job(db, job_id)["pid"], signal.SIGKILL)  # a crash: no chance to clean up
    failed = wait_for_end(studio["db"], job_id)
    assert failed["state"] == "failed"
    epoch = json.loads((out.with_name("crashed.resume") / "state.json").read_text())["epoch"]
    assert 1 <= epoch < 3, "the job finished before it could be killed"
    assert find_version(db, "crashed") is None and out.exists()  # a half run: a folder, no version

    at = AppTest.from_file(TRAIN_PAGE, default_timeout=60).run()
    at.selectbox(key="train_job_pick").set_value(job_id).run()
    resume = at.button(key=f"train_resume_{job_id}")
    assert resume.label == f"Resume from epoch {epoch}"  # says where it starts again, and the caption what it does
    assert any(f"after epoch {epoch} of 3" in c.value for c in at.caption), [c.value for c in at.caption]
    resume.click().run()
    assert not at.exception, at.exception
    resumed_id = at.session_state["train_job"]
    assert resumed_id != job_id and at.selectbox(key="train_job_pick").value == resumed_id
    browser_poll(at, "train_job_pick", shown=job_id)  # a browser that showed the old job shows the new one
    assert at.selectbox(key="train_job_pick").value == resumed_id and at.button(key=f"train_cancel_{resumed_id}")
    assert not at.error, [e.value for e in at.error]

    resumed = wait_for_end(studio["db"], resumed_id)
    assert resumed["state"] == "finished", resumed["log_tail"]
    assert resumed["params"]["resumes"] == job_id and "--resume" in resumed["command"]
    events = [json.loads(line) for line in (studio["data"] / "jobs" / str(resumed_id) / "progress.jsonl").open()]
    assert any(e["event"] == "resumed" and e["epoch"] == epoch for e in events)
    version = find_version(db, "crashed")
    assert version is not None and version["job_id"] == resumed_id
    assert [row["epoch"] for row in json.loads((out / "curves.json").read_text())] == [1, 2, 3]

    # Once resumed, the old job offers no second resume: the screen says by which job.
    at.selectbox(key="train_job_pick").set_value(job_id).run()
    assert f"train_resume_{job_id}" not in [b.key for b in at.button]
    assert any(f"as job {resumed_id}" in c.value for c in at.caption)
    with pytest.raises(ValueError, match="resumed already"):
        launcher.resume_training(studio["db"], job_id, root=studio["data"].parent)


def refusals(at) -> list[str]:
    return [w.value for w in at.warning if "not under a folder this app may read" in w.value]


@pytest.mark.parametrize("field", ["train_corpus_folder", "train_encoder"])
def test_folders_outside_the_roots_are_refused_alike_whether_they_exist_or_not(studio, tmp_path, field):  # noqa: F811
    from ui.draw.plain import md
    from ui.train.form import FOLDER_CHOICE

    outside = tmp_path / "outside"
    write_corpus(outside)  # a real corpus (and a folder) outside the roots
    (studio["data"] / "escape").symlink_to(outside)  # a link inside a root that leads out of it
    at = AppTest.from_file(TRAIN_PAGE, default_timeout=60).run()
    at.selectbox(key="train_corpus").set_value(FOLDER_CHOICE).run()
    at.text_input(key="train_corpus_folder").set_value(str(studio["corpus"]))  # the other field is fine
    at.text_input(key="train_encoder").set_value(str(studio["encoder"]))
    messages = {}
    for label, typed in [("exists", str(outside)), ("missing", str(tmp_path / "no-such-folder")),
                         ("dotdot", str(studio["data"] / ".." / "outside")), ("link", str(studio["data"] / "escape"))]:
        at.text_input(key=field).set_value(typed).run()
        assert not at.exception, at.exception
        found = refusals(at)
        assert len(found) == 1, (label, [w.value for w in at.warning])
        messages[label] = found[0].replace(md(typed), "PATH")
        assert at.button(key="train_start").disabled
    assert len(set(messages.values())) == 1, messages  # nothing tells an existing folder from a missing one
    at.text_input(key=field).set_value(str(studio["corpus"] if field == "train_corpus_folder" else studio["encoder"]))
    at.run()
    assert refusals(at) == []


def test_confine_folds_dots_and_follows_links(tmp_path):
    from ui.roots import OutsideRoots, confine

    root = tmp_path / "root"
    (root / "inner").mkdir(parents=True)
    assert confine(str(root / "inner" / ".." / "inner"), [root]) == root / "inner"
    assert confine(str(root / "not-yet"), [root]) == root / "not-yet"  # inside: existence is checked later
    for typed in [str(root / ".." / "elsewhere"), str(tmp_path), "", "/"]:
        with pytest.raises(OutsideRoots):
            confine(typed, [root])


def test_one_running_job_per_user_and_two_in_all(studio, tiny_bert):  # noqa: F811
    from launcher import Refused, cancel_job, refresh_jobs
    from storage.db import connect
    from storage.jobs import get_job

    db, root = connect(studio["db"]), studio["data"].parent

    def start(user, name):
        return launcher.start_training(studio["db"], params(studio["corpus"], tiny_bert, name, epochs=500), root=root,
                                       user=user)

    started = [start("ann", "a1")]
    try:
        with pytest.raises(Refused, match="one job per user"):
            start("ann", "a2")
        started.append(start("bob", "b1"))
        with pytest.raises(Refused, match="2 training jobs are running"):
            start("cy", "c1")
        assert get_job(db, started[0])["params"]["user"] == "ann"
        # A job whose process died holds no place: ann may start again once it is noticed.
        os.killpg(get_job(db, started[0])["pid"], signal.SIGKILL)
        deadline = time.time() + 30
        while started[0] not in refresh_jobs(db) and get_job(db, started[0])["state"] != "failed":
            assert time.time() < deadline
            time.sleep(0.2)
        started.append(start("ann", "a3"))
    finally:
        for job_id in started:
            cancel_job(db, job_id)
    assert [get_job(db, i)["state"] for i in started] == ["failed", "cancelled", "cancelled"]
