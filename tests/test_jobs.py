"""Training jobs as the app runs them: a real train_job.py process on a tiny model, writing to SQLite."""
from __future__ import annotations

import os
import signal
import time

import pytest

from conftest import SENTENCES
from core.data.corpora import Sentence, write_pair
from core.labels import spans_to_tags
import launcher
from launcher import TRAIN_PARAMS, VANISHED, cancel_job, read_log, refresh_jobs, start_training, train_flags
from storage.db import connect
from storage.jobs import create_job, get_job, list_jobs, record_event, update_job
from storage.versions import active_version, list_versions, register_version, set_active

END_STATES = ("finished", "failed", "cancelled")


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    sentences = [Sentence(list(text), spans_to_tags(spans, len(text))) for text, spans in SENTENCES]
    for split, copies in (("train", 4), ("dev", 1), ("test", 1)):
        write_pair(sentences * copies, folder / f"{split}.txt", folder / f"{split}_TAG.txt")
    return folder


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "studio.db"
    db = connect(path)
    set_active(db, register_version(db, "default", tmp_path / "default"))  # what must stay active
    db.close()
    return path


def _params(corpus, tiny_bert, **overrides):
    return {"data": [str(corpus)], "data_dir": str(corpus.parent), "encoder": str(tiny_bert), "epochs": 2, "batch_size": 6, "lr": 1e-3,
            "crf_lr_multiplier": 10, "classifier_lr_multiplier": 1, **overrides}


def _wait(db, job_id, until, timeout=120.0) -> dict:
    """Poll as the app does (refresh, then read) until until(job) holds."""
    deadline = time.time() + timeout
    while True:
        refresh_jobs(db)
        job = get_job(db, job_id)
        if until(job):
            return job
        assert time.time() < deadline, f"job {job_id} stuck in {job['state']}: {read_log(job)}"
        time.sleep(0.2)


def _dead(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.slow
def test_training_job_finishes_and_registers_a_version(tmp_path, db_path, corpus, tiny_bert):
    from core.model.model import load_model

    job_id = start_training(db_path, _params(corpus, tiny_bert, name="tiny-v1"), root=tmp_path)
    db = connect(db_path)
    job = _wait(db, job_id, lambda job: job["state"] in END_STATES)
    assert job["state"] == "finished", read_log(job)
    assert [epoch["epoch"] for epoch in job["epochs"]] == [1, 2]
    assert all("dev_f1" in epoch and "train_loss" in epoch for epoch in job["epochs"])
    assert job["progress"]["event"] == "step" and job["progress"]["step"] == job["progress"]["total_steps"]
    assert "finished: model" in job["log_tail"]
    versions = [v for v in list_versions(db) if v["name"] == "tiny-v1"]
    assert len(versions) == 1 and versions[0]["job_id"] == job_id
    assert versions[0]["path"] == job["model_path"] == str(tmp_path / "data" / "models" / "tiny-v1")
    [test_scores] = versions[0]["scores"].values()  # one test split: the corpus folder's
    assert "micro" in test_scores["entities"] and len(versions[0]["curves"]) == 2
    assert active_version(db)["name"] == "default"  # a new version waits to be promoted
    assert load_model(job["model_path"]).tags[0] == "O"
    assert (tmp_path / "data" / "jobs" / str(job_id) / "log.txt").exists()
    db.close()


@pytest.mark.slow
def test_killed_job_becomes_failed_and_registers_nothing(tmp_path, db_path, corpus, tiny_bert, monkeypatch):
    params = _params(corpus, tiny_bert, epochs=500, patience=500)
    job_id = start_training(db_path, params, root=tmp_path)
    db = connect(db_path)
    # Mid-run: the best epoch so far is saved (a complete folder, but no version points to it).
    job = _wait(db, job_id, lambda job: job["state"] in END_STATES or (
        job["epochs"] and (tmp_path / "data" / "models" / job["params"]["name"] / "config.json").exists()))
    assert job["state"] == "running", read_log(job)
    # As after an app restart: no Popen to ask, and the killed child stays a zombie until reaped.
    monkeypatch.setattr(launcher.processes, "_processes", {})
    os.killpg(job["pid"], signal.SIGKILL)
    job = _wait(db, job_id, lambda job: job["state"] != "running", timeout=20)
    assert job["state"] == "failed" and job["error"].startswith(VANISHED)
    assert [v["name"] for v in list_versions(db)] == ["default"]
    assert active_version(db)["name"] == "default"
    db.close()


def test_cancel_job_stops_the_process(tmp_path, db_path, corpus, tiny_bert):
    job_id = start_training(db_path, _params(corpus, tiny_bert, epochs=500, patience=500), root=tmp_path)
    db = connect(db_path)
    pid = get_job(db, job_id)["pid"]
    assert cancel_job(db, job_id) is True
    deadline = time.time() + 20
    while not _dead(pid):
        refresh_jobs(db)  # reaps our child
        assert time.time() < deadline, "the cancelled job's process is still alive"
        time.sleep(0.1)
    refresh_jobs(db)
    job = get_job(db, job_id)
    assert job["state"] == "cancelled" and job["error"] == "cancelled by the user"
    assert cancel_job(db, job_id) is False
    assert [v["name"] for v in list_versions(db)] == ["default"]
    db.close()


def test_start_training_refuses_unknown_params_before_creating_a_job(tmp_path, db_path):
    with pytest.raises(ValueError, match="epoch"):
        start_training(db_path, {"epoch": 2}, root=tmp_path)
    db = connect(db_path)
    assert list_jobs(db) == []
    db.close()


def test_options_become_argv_that_parses_back_to_the_same_options():
    """The one way options become a command line (core.training.run_cli.options_to_argv) round-trips through
    train_job.py's parser, for every flag a job's params may set at a value off its default."""
    from core.training.options import RunOptions
    from core.training.run_cli import options_from_args, options_to_argv
    from core.training.settings import TrainSettings
    from train_job import parse_args

    options = RunOptions(out="m/v2", data="msra,/corpora/mine", data_dir="/data", corrections="c.jsonl",
                         corrections_repeat=7, mention_swap=0.5, replay=300, heldout="h.jsonl", encoder="enc",
                         stack="lac", init_from="m/v1", improves="m/v0", keep_start=0.2, guard_sentences=50,
                         forget_limit=2.0, keep_start_max=0.4, head="softmax", layers=2, init="random",
                         train_limit=10, dev_limit=0, test_limit=30, no_test=True, device="cpu",
                         save_dtype="float16", resume=True,
                         settings=TrainSettings(epochs=4, batch_size=8, lr=3e-5, crf_lr_multiplier=5.0,
                                                classifier_lr_multiplier=2.0, warmup_fraction=0.1, patience=3,
                                                max_steps=40, seed=7, lac_lr=1e-4, lac_embedding_lr=1e-5,
                                                time_budget_s=90.0))
    assert options_from_args(parse_args(options_to_argv(options))) == options
    assert options_from_args(parse_args(options_to_argv(RunOptions(out="m")))) == RunOptions(out="m")


def test_train_flags_are_the_run_flags_with_lists_joined_and_falsy_values_left_out():
    flags = train_flags({"data": ["msra", "pd"], "no_test": True, "layers": None, "lr": 1e-3, "name": "v"})
    assert flags == ["--data", "msra,pd", "--no-test", "--lr", "0.001"]  # name is the studio's, not a flag
    assert set(TRAIN_PARAMS) >= {"data", "epochs", "crf_lr_multiplier", "time_budget"}
    assert not {"out", "corrections", "heldout", "resume"} & set(TRAIN_PARAMS)  # the launcher writes those


def test_the_old_crf_multiplier_name_still_loads_as_flag_param_and_saved_setting():
    from core.training.settings import TrainSettings
    from train_job import parse_args

    assert parse_args(["--out", "x", "--head-lr-multiplier", "7"]).crf_lr_multiplier == 7.0
    assert train_flags({"head_lr_multiplier": 7}) == ["--crf-lr-multiplier", "7"]  # an old job row's params
    # A run saved before the rename (the fast model F's training.json, as committed at 29dbcb0):
    saved = {"epochs": 1, "batch_size": 64, "lr": 0.0001, "head_lr_multiplier": 100.0, "classifier_lr_multiplier": 10.0,
             "lac_lr": 0.0005, "lac_embedding_lr": 0.0005, "weight_decay": 0.01, "warmup_fraction": 0.06,
             "clip_norm": 1.0, "patience": 3, "seed": 13, "max_chars": 256, "eval_batch_size": 128, "log_every": 20,
             "max_steps": None, "time_budget_s": 1200.0, "after_training_chars": 0, "after_training_s": 10.0,
             "amp": True}
    assert TrainSettings(**saved).crf_lr_multiplier == saved["head_lr_multiplier"]


def test_record_event_folds_events_into_the_row(tmp_path):
    db = connect(tmp_path / "studio.db")
    job_id = create_job(db, {"epochs": 2})
    record_event(db, job_id, {"event": "start", "total_steps": 4, "sentences": 24})
    record_event(db, job_id, {"event": "step", "epoch": 1, "step": 2, "total_steps": 4, "loss": 1.5})
    record_event(db, job_id, {"event": "epoch", "epoch": 1, "train_loss": 1.0, "dev_f1": 0.5, "is_best": True})
    for i in range(60):
        record_event(db, job_id, {"event": "log", "line": f"line {i}"})
    record_event(db, job_id, {"event": "failed", "error": "boom", "traceback": "Traceback\n  boom"})
    record_event(db, job_id, {"event": "finished", "model": "x"})  # an ended job keeps its state
    job = get_job(db, job_id)
    assert job["state"] == "failed" and job["error"] == "boom" and job["started_at"] and job["finished_at"]
    assert job["progress"]["step"] == 2
    assert job["epochs"] == [{"epoch": 1, "train_loss": 1.0, "dev_f1": 0.5, "is_best": True}]
    lines = job["log_tail"].splitlines()
    assert len(lines) == 50 and lines[-3:] == ["failed: boom", "Traceback", "  boom"]
    assert job["model_path"] is None
    db.close()


def test_a_job_never_launched_is_failed_after_a_minute(tmp_path):
    db = connect(tmp_path / "studio.db")
    old, fresh = create_job(db, {}), create_job(db, {})
    update_job(db, old, created_at="2000-01-01T00:00:00.000+00:00")
    assert refresh_jobs(db) == [old]
    assert get_job(db, old)["error"] == "the job was never started" and get_job(db, fresh)["state"] == "queued"
    db.close()
