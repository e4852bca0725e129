"""The training loop: a generator that yields one plain dict per event; the caller stores them.

Events: {"event": "start", ...} as training begins, {"event": "step", ...} every few steps or
seconds, {"event": "epoch", ...} after each evaluation (with "is_best" when dev entity F1 improved;
dev_f1 None without a dev set), {"event": "done", ...} at the end; all plain JSON. Each carries
eta_s: the seconds left to the caller's end (see TrainSettings.after_training_*), within the budget.
Writing checkpoints, progress bars and database rows is the caller's job (core/training/run.py): a
checkpoint callback receives the optimizer's state, which no event carries.
"""
from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import torch
from torch import nn

from core.data.training_data import Example
from core.model.model import NerModel
from core.training.batches import _autocast, bucketed_batches, collate, evaluate, split_long
from core.training.budget import EVENT_EVERY_S, _fit_to_budget, _reserve_s, _Speed
from core.training.settings import TrainSettings


def make_optimizer(model: NerModel, settings: TrainSettings) -> torch.optim.Optimizer:
    """AdamW with a group per part; LAC's parameters at lr 0 are frozen (requires_grad False), so
    no gradient flows through its BiGRU at all."""
    from core.model.lac import LacEncoder

    lac_prefixes = tuple(f"{name}." for name, module in model.named_modules() if isinstance(module, LacEncoder))
    crf, classifier, encoder_decay, encoder_no_decay, lac_embedding, lac_gru = [], [], [], [], [], []
    for name, param in model.named_parameters():
        if name.startswith(lac_prefixes):
            embedding = ".embedding." in f".{name}"
            param.requires_grad_((settings.lac_embedding_lr if embedding else settings.lac_lr) > 0)
            if param.requires_grad:
                (lac_embedding if embedding else lac_gru).append(param)
        elif name.startswith("crf"):
            crf.append(param)
        elif name.startswith("classifier"):
            classifier.append(param)
        elif param.dim() < 2:  # biases and LayerNorm: no weight decay
            encoder_no_decay.append(param)
        else:
            encoder_decay.append(param)
    groups = [
        {"params": encoder_decay, "lr": settings.lr, "weight_decay": settings.weight_decay},
        {"params": encoder_no_decay, "lr": settings.lr, "weight_decay": 0.0},
        {"params": classifier, "lr": settings.lr * settings.classifier_lr_multiplier, "weight_decay": 0.0},
        {"params": crf, "lr": settings.lr * settings.crf_lr_multiplier, "weight_decay": 0.0},
        {"params": lac_gru, "lr": settings.lac_lr, "weight_decay": 0.0},
        {"params": lac_embedding, "lr": settings.lac_embedding_lr, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW([group for group in groups if group["params"]], lr=settings.lr)


class LinearSchedule:
    """Linear warm-up then linear decay to zero at `total` steps; `total` may shrink mid-run."""

    def __init__(self, warmup: int, total: int):
        self.warmup, self.total = warmup, total

    def __call__(self, step: int) -> float:
        if step < self.warmup:
            return (step + 1) / max(self.warmup, 1)
        return max(0.0, (self.total - step) / max(self.total - self.warmup, 1))


@dataclass
class TrainState:
    """What resuming needs besides the model weights.

    history is the model's one training history: the epochs of the model it was fine-tuned from
    (if any), then this run's; epoch counts this run's epochs only.
    """

    epoch: int = 0
    step: int = 0
    best_f1: float = -1.0
    epochs_without_gain: int = 0
    history: list = field(default_factory=list)


Checkpoint = Callable[[TrainState, dict], None]  # (state, {"optimizer", "scheduler"} state dicts)


def train(model: NerModel, train_examples: list[Example], dev_examples: list[Example],
          settings: TrainSettings, state: TrainState | None = None, optimizer_state: dict | None = None,
          checkpoint: Checkpoint | None = None):
    """Yield step/epoch/done events while training `model` in place.

    checkpoint(state, optimizer_state) runs after each epoch event has been handled (so a best
    model the caller saves on that event is on disk before the resume point that follows it).
    """
    device = next(model.parameters()).device
    distributed = torch.distributed.is_available() and torch.distributed.is_initialized()
    rank = torch.distributed.get_rank() if distributed else 0
    world = torch.distributed.get_world_size() if distributed else 1
    train_examples = split_long(train_examples, min(settings.max_chars, model.max_chars))
    lengths = [len(ex.chars) for ex in train_examples]
    steps_per_epoch = len(bucketed_batches(lengths, settings.batch_size, None)) // world
    total_steps = steps_per_epoch * settings.epochs
    if settings.max_steps is not None:
        total_steps = min(total_steps, settings.max_steps)
    if total_steps == 0:
        raise ValueError(f"no training steps: {len(train_examples)} sentences, batch size {settings.batch_size}")
    optimizer = make_optimizer(model, settings)
    schedule = LinearSchedule(int(total_steps * settings.warmup_fraction), total_steps)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    state = state or TrainState()
    earlier_epochs = len(state.history) - state.epoch  # the curves continue those of the model fine-tuned
    if optimizer_state:
        optimizer.load_state_dict(optimizer_state["optimizer"])
        scheduler.load_state_dict(optimizer_state["scheduler"])
    runner: nn.Module = model
    if distributed:
        runner = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    started = time.time()
    first_step = state.step
    dev_chars = sum(len(ex.chars) for ex in dev_examples)
    speed = _Speed()
    last_event = started

    def eta() -> float | None:
        """Seconds until the caller is done: the steps left at the measured speed, then the reserve;
        never past the budget's end. Before the first step only the budget knows."""
        left = None
        if speed.seconds_per_step is not None:
            left = (total_steps - state.step) * speed.seconds_per_step + \
                _reserve_s(settings, dev_chars, state.epoch, speed.seconds_per_char)
        if settings.time_budget_s:
            budget_left = max(0.0, settings.time_budget_s - (time.time() - started))
            left = budget_left if left is None else min(left, budget_left)
        return left

    # "phase" and "step": a job's status turns to training now, not at the first logged step
    # (minutes later on a busy machine).
    yield {"event": "start", "phase": "training", "epoch": state.epoch + 1, "step": state.step,
           "steps_per_epoch": steps_per_epoch, "total_steps": total_steps, "sentences": len(train_examples),
           "world_size": world, "settings": asdict(settings), "seconds": 0.0, "eta_s": eta()}
    while state.epoch < settings.epochs and state.step < total_steps:
        rng = random.Random(settings.seed * 1000 + state.epoch)  # same order on every rank
        batches = bucketed_batches(lengths, settings.batch_size, rng)[: steps_per_epoch * world][rank::world]
        model.train()
        epoch_loss, epoch_count, epoch_started = 0.0, 0, time.time()
        for batch in batches:
            if state.step >= total_steps:
                break
            step_started = time.time()
            ids, allowed, mask = (t.to(device) for t in collate([train_examples[i] for i in batch], model))
            with _autocast(device, settings.amp):
                emissions = runner(ids, mask) if distributed else model.emissions(ids, mask)
            loss = model.loss(emissions, allowed, mask)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"loss became {float(loss)} at step {state.step}")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), settings.clip_norm)
            optimizer.step()
            scheduler.step()
            state.step += 1
            now = time.time()
            speed.add(now - step_started, int(mask.sum()))
            if settings.time_budget_s:
                # Every step, by the clock: re-fitting every 100 steps let a busy machine (9 s a
                # step) run 928 s against a 365 s share before the first check.
                reserve = _reserve_s(settings, dev_chars, state.epoch, speed.seconds_per_char)
                total_steps = _fit_to_budget(settings, state.step, total_steps, steps_per_epoch,
                                             speed.seconds_per_step, now - started, reserve)
                if distributed:  # every rank's clock differs: they stop together, at the earliest
                    agreed = torch.tensor([total_steps], device=device)
                    torch.distributed.all_reduce(agreed, op=torch.distributed.ReduceOp.MIN)
                    total_steps = int(agreed.item())
                schedule.total = total_steps
            epoch_loss += loss.item() * len(batch)
            epoch_count += len(batch)
            # Every log_every steps, and at least every few seconds when steps are slow, so the
            # status and its ETA stay current.
            logged = state.step % settings.log_every == 0 or state.step == total_steps
            if logged or now - last_event >= EVENT_EVERY_S:
                last_event = now
                yield {"event": "step", "phase": "training", "epoch": state.epoch + 1, "step": state.step,
                       "total_steps": total_steps, "loss": loss.item(), "lr": scheduler.get_last_lr()[0],
                       "tokens": int(mask.sum()), "seconds": time.time() - started, "eta_s": eta()}
        dev = evaluate(model, dev_examples, settings.eval_batch_size, settings.amp) if dev_examples else None
        state.epoch += 1
        f1 = dev["entities"]["micro"]["f1"] if dev else None  # not measured: None, never a 0 on a curve
        is_best = not dev or f1 > state.best_f1  # without a dev set the latest epoch is the model
        if is_best:
            state.best_f1, state.epochs_without_gain = f1 if dev else state.best_f1, 0
        else:
            state.epochs_without_gain += 1
        record = {"epoch": earlier_epochs + state.epoch, "step": state.step, "train_loss": epoch_loss / max(epoch_count, 1),
                  "dev_loss": dev["loss"] if dev else None,
                  "dev_token_accuracy": dev["token_accuracy"] if dev else None,
                  "dev_f1": f1, "dev_entities": dev["entities"] if dev else None,
                  "epoch_seconds": time.time() - epoch_started}
        state.history.append(record)
        yield {"event": "epoch", **record, "is_best": is_best, "seconds": time.time() - started}
        if checkpoint is not None:
            checkpoint(state, {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()})
        if state.epochs_without_gain >= settings.patience:
            yield {"event": "done", "reason": f"early stop: no dev F1 gain for {settings.patience} epochs",
                   "best_f1": state.best_f1, "seconds": time.time() - started}
            return
    yield {"event": "done", "reason": "finished", "best_f1": state.best_f1 if state.best_f1 >= 0 else None,
           "seconds": time.time() - started}
