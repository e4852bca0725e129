"""What to train on, from what, and where to: a run's options, and the names its outputs use."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from core.data.corpus_files import BUNDLED
from core.training.repeat_policy import FIXED_REPEAT
from core.training.settings import TrainSettings

BUNDLED_ENCODER = "data/encoders/e5-small"
HELDOUT = "heldout"  # the scores' name for the user's held-out corrected documents
SAVE_DTYPES = ("float32", "float16")
RESUME_SUFFIX = ".resume"  # OUT.resume: the model and optimizer after the last finished epoch
SAVE_SECONDS = 10.0  # writing the model folder (twice: best epoch, then with its scores)


Sink = Callable[[dict], None]


@dataclass
class RunOptions:
    """What to train on, from what, and where to; how to train is `settings`."""

    out: str
    data: str = ",".join(BUNDLED)  # comma-separated corpora: msra, pd, or folders with train/dev splits
    data_dir: str = "data"
    corrections: str | None = None  # JSON-lines file of corrected documents (text + spans)
    corrections_repeat: int = FIXED_REPEAT  # times each correction is repeated, so a few hundred matter
    # Share of the entities swapped, in each repeat after the first, for another of the same type
    # from the corrections (core/data/augment.py): the model learns contexts, not only strings.
    mention_swap: float = 0.0
    # A random sample of N training sentences a corpus instead of all of them: fine-tuning on
    # corrections replays that much of the corpora so the model does not forget what it knew.
    replay: int | None = None
    heldout: str | None = None  # JSON-lines of corrected documents never trained on, scored as "heldout"
    encoder: str = BUNDLED_ENCODER  # or "lac": LAC's embedding + BiGRU alone (data/encoders/lac)
    stack: str | None = None  # "lac": LAC's BiGRU features beside the transformer's, per character; "lac2" twice
    init_from: str | None = None  # fine-tune this model folder (its curves are kept)
    # The model this run is to replace (the active one), scored before training on the same sets
    # as the reference for promotion; init_from may be its base (core/training/improve.py). Default: init_from.
    improves: str | None = None
    # Share of init_from's weights mixed back into the trained ones at the end (WiSE-FT,
    # core/model/weight_average.py): the improve recipe keeps what the model knew this way.
    keep_start: float = 0.0
    # The forgetting guard: the first guard_sentences of each corpus's dev split score the mix
    # against init_from; while it lost more than forget_limit F1 points there, another tenth of
    # init_from goes back in, up to keep_start_max (core/model/weight_average.py). 0: no guard.
    guard_sentences: int = 0
    forget_limit: float = 1.0
    keep_start_max: float = 0.5
    head: str = "crf"
    layers: int | None = None  # first N encoder layers; with init_from, cuts that model to N
    init: str = "pretrained"
    train_limit: int | None = None  # first N sentences of each corpus (quick runs)
    dev_limit: int | None = None
    test_limit: int | None = None
    no_test: bool = False
    device: str = "auto"
    save_dtype: str = "float32"
    resume: bool = False
    settings: TrainSettings = field(default_factory=TrainSettings)

    @property
    def resume_dir(self) -> Path:
        out = Path(self.out)
        return out.with_name(out.name + RESUME_SUFFIX)
