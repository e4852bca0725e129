"""What a job's progress says: its phase, and an ETA that covers training, evaluation and saving."""
import pytest

from core.training.budget import EVALUATION_COST, _fit_to_budget, _reserve_s
from core.training.settings import TrainSettings
from ui.train.versions import job_progress


def test_the_budget_keeps_room_for_the_scoring_after_training():
    settings = TrainSettings(epochs=1, time_budget_s=100.0, after_training_chars=10_000, after_training_s=10.0)
    reserve = _reserve_s(settings, dev_chars=0, epochs_done=0, seconds_per_train_char=0.002)
    # By hand: scoring a character costs 0.4 of training one (EVALUATION_COST), so 10,000 characters
    # at 2 ms are 8 s, then 10 s of saving.
    assert EVALUATION_COST == 0.4 and reserve == pytest.approx(18.0)
    # With a dev set of 1,000 characters and 2 of 3 epochs left: (2 x 1,000 + 10,000) x 2 ms x 0.4 + 10.
    three = TrainSettings(epochs=3, after_training_chars=10_000, after_training_s=10.0)
    assert _reserve_s(three, dev_chars=1000, epochs_done=1, seconds_per_train_char=0.002) == pytest.approx(19.6)
    steps = _fit_to_budget(settings, step=20, total_steps=1000, steps_per_epoch=1000, seconds_per_step=0.1,
                           elapsed=2.0, reserve_s=reserve)
    without = _fit_to_budget(settings, step=20, total_steps=1000, steps_per_epoch=1000, seconds_per_step=0.1,
                             elapsed=2.0, reserve_s=0.0)
    assert without - steps == 180  # 18 s at 0.1 s a step: exactly the reserve's worth of steps is given up


def test_progress_names_the_phase_after_training():
    training = {"progress": {"event": "step", "phase": "training", "step": 50, "total_steps": 100, "seconds": 10.0,
                             "eta_s": 42.0}, "epochs": []}
    assert job_progress(training)["phase_text"] == "training, step 50 of 100"
    assert job_progress(training)["eta_s"] == 42.0  # the job's own ETA (steps, then scoring and saving)
    evaluating = {"progress": {**training["progress"], "phase": "evaluating", "set": "msra", "index": 1, "of": 3,
                               "eta_s": 7.0}, "epochs": []}
    progress = job_progress(evaluating)
    assert progress["phase_text"] == "evaluating msra (1 of 3)" and progress["fraction"] == 1.0
    saving = {"progress": {"event": "step", "phase": "saving", "eta_s": 5.0}, "epochs": []}
    assert job_progress(saving)["phase_text"] == "saving the model"
