"""The recipe for improving a trained model with a user's corrections, as training options.

Training from the encoder again over the whole corpora takes hours on 2 CPU cores. This recipe
fine-tunes the active model on the corrections plus a replay sample of the corpora (so that it
does not forget what it knew), at a gentle learning rate with the linear layer and the CRF
moving little: in a hand probe (issue 10), the default 10x/100x multipliers moved the learned
transitions fast and cost 4.7 MSRA points. It scores a fixed sample of the evaluation set on a
CPU (all of it on a GPU) and the held-out corrections, and all of it fits the time budget.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ImproveRecipe:
    time_budget_min: float = 8.0  # training + evaluation + saving; start-up comes on top (issue: 10 min in all)
    gpu_time_budget_min: float = 1.5  # the 2 minutes on a GPU, start-up included
    replay_per_corpus: int = 1000  # sentences of each base corpus replayed beside the corrections
    corrections_share: float = 0.5  # repeated corrections make about this share of the examples
    max_repeat: int = 20  # beyond this a few corrections are memorised rather than learned from
    # Repeats after the first swap this share of their entities for others of the same type from
    # the corrections (core/augment.py), so the repeats teach contexts rather than strings.
    mention_swap: float = 0.5
    epochs: int = 3  # the time budget cuts the schedule to fit: on 2 CPU cores about 2 epochs
    batch_size: int = 16  # more steps from few examples
    # bench/adapt.py, 100 corrections: lr 2e-5 gave +4.0 held-out F1 (MSRA -0.1); 3e-5 with 2 epochs
    # and 40% corrections +4.3 least-confident / +4.6 random (MSRA +0.8 / +0.5): room to learn more.
    lr: float = 4e-5
    head_lr_multiplier: float = 5.0
    classifier_lr_multiplier: float = 5.0
    fixed_sample: int = 300  # sentences of each fixed test set scored on a CPU (a GPU scores them all)
    heldout_every: int = 5  # every 5th reviewed document (by id) is held out and only scored


def corrections_repeat(corrections: int, replay_total: int, recipe: ImproveRecipe = ImproveRecipe()) -> int:
    """Times each correction is repeated so that the corrections are corrections_share of the examples."""
    if corrections <= 0:
        return 1
    share = recipe.corrections_share
    wanted = share * replay_total / ((1 - share) * corrections)
    return max(1, min(recipe.max_repeat, math.ceil(wanted)))


def improve_params(active_folder: str, corrections: int, gpu: bool, corpora=("msra", "pd"),
                   recipe: ImproveRecipe = ImproveRecipe()) -> dict:
    """The training-job params (launcher.start_training's) that improve the model in active_folder
    with `corrections` reviewed documents."""
    params = {"init_from": str(active_folder), "data": list(corpora), "replay": recipe.replay_per_corpus,
              "use_corrections": True,
              "corrections_repeat": corrections_repeat(corrections, recipe.replay_per_corpus * len(corpora), recipe),
              "mention_swap": recipe.mention_swap,
              "epochs": recipe.epochs, "batch_size": recipe.batch_size, "lr": recipe.lr,
              "head_lr_multiplier": recipe.head_lr_multiplier,
              "classifier_lr_multiplier": recipe.classifier_lr_multiplier, "warmup_fraction": 0.1,
              "dev_limit": 0,  # no dev set: the last epoch is the model; the held-out corrections judge it
              "time_budget": recipe.gpu_time_budget_min if gpu else recipe.time_budget_min,
              "heldout_every": recipe.heldout_every}
    if not gpu:
        params["test_limit"] = recipe.fixed_sample
    return params

