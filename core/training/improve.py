"""The recipe for improving a trained model with a user's corrections, as training options.

Training from the encoder again over the whole corpora takes hours on 2 CPU cores. This recipe
fine-tunes the active model on the corrections plus a replay sample of the corpora (so that it
does not forget what it knew), at a gentle learning rate with the linear layer and the CRF
moving little: in a hand probe (issue 10), the default 10x/100x multipliers moved the learned
transitions fast and cost 4.7 MSRA points. It scores a fixed sample of the evaluation set on a
CPU (all of it on a GPU) and the held-out corrections, and all of it fits the time budget.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.training import heldout, repeat_policy
from core.data.corpus_files import BUNDLED
from core.model.integrity import is_complete
from core.model.model import TRAINING_FILE, is_model_folder, read_json


@dataclass(frozen=True)
class ImproveRecipe:
    time_budget_min: float = 8.0  # training + evaluation + saving; start-up comes on top (issue: 10 min in all)
    gpu_time_budget_min: float = 1.5  # the 2 minutes on a GPU, start-up included
    replay_per_corpus: int = 1000  # sentences of each base corpus replayed beside the corrections
    corrections_share: float = 0.5  # repeated corrections make about this share of the examples (capped: core/training/repeat_policy.py)
    # Repeats after the first swap this share of their entities for others of the same type from
    # the corrections (core/data/augment.py), so the repeats teach contexts rather than strings.
    mention_swap: float = 0.5
    # The base's share mixed back into the trained weights (core/model/weight_average.py): without it,
    # 100 least-confident corrections cost 1.6 points on the MSRA sample (one bench/adapt.py run);
    # the run with it cost 0.8.
    keep_start: float = 0.2
    # The forgetting guard (core/training/run.py) is off: bench/adapt.py, seeds 53 67 79 (results/adapt/),
    # with 200 dev sentences a corpus and a 1-point limit it fired in 6 of 12 jobs and cost held-out
    # F1 (least confident after 100 corrections: 84.1 against 85.8 with the fixed 20%), while the
    # fixed mix's MSRA change was -0.8 on average anyway. 200 turns it on.
    guard_sentences: int = 0
    forget_limit: float = 1.0
    keep_start_max: float = 0.5
    epochs: int = 3  # the time budget cuts the schedule to fit: on 2 CPU cores about 2 epochs
    batch_size: int = 16  # more steps from few examples
    # bench/adapt.py, 100 corrections: lr 2e-5 gave +4.0 held-out F1 (MSRA -0.1); 3e-5 with 2 epochs
    # and 40% corrections +4.3 least-confident / +4.6 random (MSRA +0.8 / +0.5): room to learn more.
    lr: float = 4e-5
    # TrainSettings.crf_lr_multiplier and classifier_lr_multiplier for this run: 5x, not the 100x/10x
    # that suit a CRF and linear layer trained from scratch (see the module's docstring).
    crf_lr_multiplier: float = 5.0
    classifier_lr_multiplier: float = 5.0
    fixed_sample: int = 300  # sentences of each fixed test set scored on a CPU (a GPU scores them all)
    heldout_every: int = heldout.EVERY  # core/training/heldout.py: held out and only scored


def corrections_repeat(corrections: int, replay_total: int, recipe: ImproveRecipe = ImproveRecipe()) -> int:
    """Times each correction is repeated so that the corrections are corrections_share of the examples."""
    share = recipe.corrections_share
    return repeat_policy.corrections_repeat(corrections, replay_total, ratio=share / (1 - share))


def improvement_base(active_folder) -> Path:
    """The weights an improvement of active_folder starts from: its base.

    Every snapshot holds all the reviewed documents so far, so fine-tuning an improved model again
    would train once more on the documents it has already learned, and forget a little more of the
    corpora each round. bench/adapt.py, 100 corrections in two rounds of 50: the second round,
    fine-tuning the first round's model, lost 1.1 held-out points (85.2 -> 84.1) where one round of
    all 100 from the base gained (86.1). So when the active model is itself an improvement, the new
    one starts from the same base; any other model (trained from the encoder, or by the
    advanced options) is its own base. A base that is gone or unfinished leaves the active model.
    """
    active = Path(active_folder)
    training = read_json(active, TRAINING_FILE, {})
    base = training.get("init_from")
    if not base or not training.get("improves"):  # not an improvement: its own base
        return active
    if not is_model_folder(base) or not is_complete(base):  # the job verifies the checksums
        return active
    return Path(base)


def improve_params(active_folder: str, corrections: int, gpu: bool, corpora=BUNDLED,
                   recipe: ImproveRecipe = ImproveRecipe()) -> dict:
    """The training-job params (launcher.start_training's) that improve the model in active_folder
    with `corrections` reviewed documents: its base (improvement_base) fine-tuned on all of them,
    compared with the active model before promotion."""
    params = {"init_from": str(improvement_base(active_folder)), "improves": str(active_folder),
              "data": list(corpora), "replay": recipe.replay_per_corpus,
              "use_corrections": True,
              "corrections_repeat": corrections_repeat(corrections, recipe.replay_per_corpus * len(corpora), recipe),
              "mention_swap": recipe.mention_swap, "keep_start": recipe.keep_start,
              "guard_sentences": recipe.guard_sentences, "forget_limit": recipe.forget_limit,
              "keep_start_max": recipe.keep_start_max,
              "epochs": recipe.epochs, "batch_size": recipe.batch_size, "lr": recipe.lr,
              "crf_lr_multiplier": recipe.crf_lr_multiplier,
              "classifier_lr_multiplier": recipe.classifier_lr_multiplier, "warmup_fraction": 0.1,
              "dev_limit": 0,  # no dev set: the last epoch is the model; the held-out corrections judge it
              "time_budget": recipe.gpu_time_budget_min if gpu else recipe.time_budget_min,
              "heldout_every": recipe.heldout_every}
    if not gpu:
        params["test_limit"] = recipe.fixed_sample
    return params

