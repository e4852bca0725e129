"""The time budget: how fast steps go, what the evaluations and saving after them will cost, and
how many steps still fit, re-fitted after every step."""
from __future__ import annotations

from core.training.settings import TrainSettings


# Scoring a character costs about this share of training on it: a forward pass without the
# backward one (about a third) plus decoding. It sizes the time kept for evaluations.
EVALUATION_COST = 0.4
EVENT_EVERY_S = 5.0  # a step event at least this often: the job's status polls every few seconds
WARMUP_STEPS = 20  # the first steps are slow (allocations, caches): speed is measured after them


class _Speed:
    """Seconds a training step and a training character take, measured over the steps themselves
    (not the evaluations and saving between them) after the first WARMUP_STEPS, or over all the
    steps so far until then (a high first guess, which errs on the safe side of a budget)."""

    def __init__(self):
        self.steps, self.seconds, self.chars = 0, 0.0, 0
        self.warm_steps, self.warm_seconds, self.warm_chars = 0, 0.0, 0

    def add(self, seconds: float, chars: int) -> None:
        self.steps, self.seconds, self.chars = self.steps + 1, self.seconds + seconds, self.chars + chars
        if self.steps > WARMUP_STEPS:
            self.warm_steps += 1
            self.warm_seconds += seconds
            self.warm_chars += chars

    @property
    def seconds_per_step(self) -> float | None:
        if self.warm_steps:
            return self.warm_seconds / self.warm_steps
        return self.seconds / self.steps if self.steps else None

    @property
    def seconds_per_char(self) -> float:
        if self.warm_steps:
            return self.warm_seconds / max(self.warm_chars, 1)
        return self.seconds / max(self.chars, 1)


def _reserve_s(settings: TrainSettings, dev_chars: int, epochs_done: int, seconds_per_train_char: float) -> float:
    """Seconds still needed after the training steps: dev evaluations left, the caller's scoring
    and the rest of its work (saving)."""
    dev_evaluations = max(1, settings.epochs - epochs_done) if dev_chars else 0
    chars = dev_chars * dev_evaluations + settings.after_training_chars
    return chars * seconds_per_train_char * EVALUATION_COST + settings.after_training_s


def _fit_to_budget(settings: TrainSettings, step: int, total_steps: int, steps_per_epoch: int,
                   seconds_per_step: float, elapsed: float, reserve_s: float) -> int:
    """Steps that fit the time budget at the speed measured so far, keeping reserve_s for the
    evaluations and saving that follow (and 2% for noise); `step` itself when not one more fits.

    Re-fitted after every step, so the learning-rate decay ends when the time does.
    """
    planned = steps_per_epoch * settings.epochs
    total_steps = planned if settings.max_steps is None else min(planned, settings.max_steps)
    evaluation_allowance = reserve_s + 0.02 * settings.time_budget_s
    affordable = int((settings.time_budget_s - elapsed - evaluation_allowance) / seconds_per_step) + step
    return max(step, min(total_steps, affordable))
