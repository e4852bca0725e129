"""The held-out rule: which reviewed documents a training job only scores and never trains on, and
when they are enough to judge a version by (storage/snapshots.py splits, launcher/jobs.py records, the
improve recipe and the Train screen say it)."""
from __future__ import annotations

EVERY = 5  # every 5th reviewed document (by id) is held out and only scored
MIN_TO_SCORE = 5  # fewer held-out documents are too few to score: the fixed set alone judges the version


def is_heldout(document_id: int, every: int = EVERY) -> bool:
    """Every `every`-th document by id is held out (0: none). By id, so a document held out once is
    held out in every later round and never trained on."""
    return every > 0 and document_id % every == 0


def enough_to_score(heldout_count: int) -> bool:
    """Whether a version may be judged on this many held-out documents (else on the fixed set alone)."""
    return heldout_count >= MIN_TO_SCORE
