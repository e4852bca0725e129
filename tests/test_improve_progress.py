"""The improve job's time budget and status (issue 22, item 2): the budget holds when every step is
slow (a busy machine), the phase and ETA the job row shows are true at every moment, and a dev F1
that was not measured is None, never 0.0. Real tiny models; the slow step is a real sleep in the
encoder's forward pass, which is what a busy machine does to a step."""
import json
import time

import pytest

from conftest import SENTENCES
from core.labels import spans_to_tags
from core.model.model import NerConfig
from core.model.build import build_model
from core.training.options import RunOptions
from core.training.run import run
from core.data.training_data import Example
from core.training.settings import TrainSettings
from core.training.train import train
from storage import jobs
from storage.db import connect
from conftest import write_corpus
from ui.train.versions import job_progress

SLOW_STEP_S = 0.25  # a busy machine: each forward pass (training and scoring) waits this long
BUDGET_S = 3.0


def examples(repeat: int = 1) -> list[Example]:
    return [Example(list(text), spans_to_tags(spans, len(text))) for text, spans in SENTENCES] * repeat


@pytest.fixture(scope="module")
def slow_run(tiny_bert):
    """The events of a budgeted run whose steps are slow: 3 epochs of 120 steps planned (90 s at
    this speed), 3 s allowed."""
    model = build_model(tiny_bert, NerConfig())
    model.encoder.register_forward_pre_hook(lambda module, args: time.sleep(SLOW_STEP_S))
    settings = TrainSettings(epochs=3, batch_size=2, lr=1e-3, log_every=1, time_budget_s=BUDGET_S)
    return list(train(model, examples(40), [], settings))


def test_a_slow_step_stops_training_within_the_budget_and_one_step(slow_run):
    steps = [e for e in slow_run if e["event"] == "step"]
    one_step = max(b["seconds"] - a["seconds"] for a, b in zip(steps, steps[1:]))
    done = slow_run[-1]
    assert done["event"] == "done"
    assert done["seconds"] <= BUDGET_S + one_step, (done["seconds"], one_step)
    assert 0 < steps[-1]["step"] < 360  # it trained, and the budget cut the plan


def test_the_eta_is_known_from_the_start_and_never_runs_past_the_budget(slow_run):
    start = slow_run[0]
    assert start["event"] == "start" and start["eta_s"] == pytest.approx(BUDGET_S, abs=0.5)
    steps = [e for e in slow_run if e["event"] == "step"]
    one_step = max(b["seconds"] - a["seconds"] for a, b in zip(steps, steps[1:]))
    for event in steps:
        assert event["eta_s"] is not None, event
        assert event["seconds"] + event["eta_s"] <= BUDGET_S + one_step, event  # never 1h 40m for 8 minutes


def test_without_a_dev_set_dev_f1_is_none_and_the_log_says_not_measured(tiny_bert, tmp_path):
    model = build_model(tiny_bert, NerConfig())
    settings = TrainSettings(epochs=2, batch_size=6, lr=1e-3, log_every=1000)
    events = list(train(model, examples(2), [], settings))
    epochs = [e for e in events if e["event"] == "epoch"]
    assert [e["dev_f1"] for e in epochs] == [None, None] and all(e["is_best"] for e in epochs)
    assert events[-1]["best_f1"] is None
    db = connect(tmp_path / "studio.db")
    job_id = jobs.create_job(db, {"name": "x"})
    for event in events:
        jobs.record_event(db, job_id, event)
    log = jobs.get_job(db, job_id)["log_tail"]
    assert "dev F1 0.0000" not in log and "dev F1 not measured" in log, log


@pytest.fixture(scope="module")
def improve_run(tiny_model, tmp_path_factory):
    """A real improvement run (baseline scoring, training, scoring, saving) folded into a job row
    event by event, as the job does; after each event, what the status bar would show."""
    folder = tmp_path_factory.mktemp("improve")
    corpus = write_corpus(folder / "corpus")
    heldout = folder / "heldout.jsonl"
    heldout.write_text("".join(json.dumps({"text": t, "spans": s}, ensure_ascii=False) + "\n" for t, s in SENTENCES),
                       encoding="utf-8")
    db = connect(folder / "studio.db")
    job_id = jobs.create_job(db, {"name": "improved"})
    shown = []

    def sink(event: dict) -> None:
        jobs.record_event(db, job_id, event)
        shown.append((event, job_progress(jobs.get_job(db, job_id))))

    options = RunOptions(out=str(folder / "improved"), data=str(corpus), heldout=str(heldout), init_from=str(tiny_model),
                         improves=str(tiny_model), data_dir=str(folder), device="cpu", dev_limit=0,
                         settings=TrainSettings(epochs=2, batch_size=4, lr=1e-3, time_budget_s=120))
    assert run(options, [sink]) == 0
    return shown


def test_the_status_says_training_as_soon_as_training_starts(improve_run):
    kinds = [event["event"] for event, _ in improve_run]
    start, first_epoch = kinds.index("start"), kinds.index("epoch")
    for event, progress in improve_run[start:first_epoch]:
        assert progress["phase"] == "training", (event, progress["phase_text"])
        assert progress["phase_text"].startswith("training, step"), progress["phase_text"]
        assert progress["eta_s"] is not None and progress["eta_s"] <= 120


def test_the_baseline_scoring_is_its_own_phase_with_its_own_progress(improve_run):
    start = [event["event"] for event, _ in improve_run].index("start")
    baseline = [progress for _, progress in improve_run[:start]]
    assert baseline and all(p["phase"] == "baseline" for p in baseline)
    fractions = [p["fraction"] for p in baseline]
    assert fractions[0] == 0.0 and fractions == sorted(fractions) and fractions[-1] < 1.0
    assert "before training" in baseline[0]["phase_text"] and "(1 of 2)" in baseline[0]["phase_text"]
    assert all(p["eta_s"] is not None and p["eta_s"] <= 120 for p in baseline)  # the budget covers the whole job
    after = [progress for event, progress in improve_run[start:] if progress["phase"] == "evaluating"]
    assert after and after[0]["fraction"] == 0.0 and after[0]["eta_s"] is not None  # the baseline's speed, known


def test_an_improvement_without_dev_set_records_no_dev_f1(improve_run):
    epochs = [event for event, _ in improve_run if event["event"] == "epoch"]
    assert epochs and all(e["dev_f1"] is None for e in epochs)
