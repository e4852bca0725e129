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
from test_app_data import write_corpus
from test_app_train import PAGE, studio, wait_for_end  # noqa: F401  (studio is a fixture)


def params(corpus, encoder, name, epochs=3):
    return {"data": [str(corpus)], "encoder": str(encoder), "layers": 1, "epochs": epochs, "batch_size": 4,
            "lr": 1e-3, "name": name}


def wait_for_file(path, timeout=120):
    deadline = time.time() + timeout
    while not path.exists():
        assert time.time() < deadline, f"{path} never appeared"
        time.sleep(0.05)


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

    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.selectbox(key="train_job_pick").set_value(job_id).run()
    at.button(key=f"train_resume_{job_id}").click().run()
    assert not at.exception, at.exception
    resumed_id = at.session_state["train_job"]
    assert resumed_id != job_id and at.selectbox(key="train_job_pick").value == resumed_id
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
