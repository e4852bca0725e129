"""How to train: the loop's settings in one dataclass, the defaults in one place. The run's options,
the command line's flags and the Train form all start from them."""
from __future__ import annotations

from dataclasses import InitVar, dataclass


@dataclass
class TrainSettings:
    epochs: int = 3
    batch_size: int = 32
    lr: float = 5e-5  # encoder learning rate
    crf_lr_multiplier: float = 100.0  # the CRF starts from scratch and needs big steps: 100x (seed's finding)
    classifier_lr_multiplier: float = 10.0  # the new linear layer: between encoder and CRF
    # LAC's BiGRU and embedding (as the encoder or stacked): 0 keeps them frozen. Tuned naively on
    # the 1990s corpora LAC forgets today's names (DESIGN.md: modern news 81.2 -> 64.5 at 1e-3).
    lac_lr: float = 0.0
    lac_embedding_lr: float = 0.0
    weight_decay: float = 0.01
    warmup_fraction: float = 0.06
    clip_norm: float = 1.0
    patience: int = 2  # epochs without dev F1 gain before stopping
    seed: int = 13
    max_chars: int = 256  # longer training sentences are cut at punctuation: attention cost grows with length^2
    eval_batch_size: int = 128
    log_every: int = 20
    max_steps: int | None = None  # cap for tests and benchmarks
    # Training stops when the next step would not fit (checked after every step, by the clock: on a
    # busy machine each step slows down), and the schedule shrinks to the steps that fit.
    time_budget_s: float | None = None
    # Characters the caller scores after training (the fixed evaluation set, held-out corrections):
    # the time budget keeps room for them, and the ETA counts them.
    after_training_chars: int = 0
    after_training_s: float = 0.0  # the caller's other work after training (saving), kept and counted likewise
    amp: bool = True  # bf16 autocast on CUDA; ignored on CPU
    # crf_lr_multiplier's old name: training.json files and callers written before the rename
    # still load (TrainSettings(**saved["settings"])); asdict() writes the new name only.
    head_lr_multiplier: InitVar[float | None] = None

    def __post_init__(self, head_lr_multiplier: float | None) -> None:
        if head_lr_multiplier is not None:
            self.crf_lr_multiplier = head_lr_multiplier


# Reading the old name gives the new field (the InitVar's class default would say None).
TrainSettings.head_lr_multiplier = property(lambda settings: settings.crf_lr_multiplier)
