"""How often each correction repeats in a training run: the one rule the Train form, the improve
recipe and the command line's default share.

A few hundred corrections beside thousands of corpus sentences would be noise, so each repeats until
the repeats number a chosen ratio of the corpus sentences; a cap keeps a handful of corrections from being
memorised rather than learned from.
"""
from __future__ import annotations

import math

# Beyond these a few corrections are memorised rather than learned from. One reason, two numbers,
# kept as they were (issue 21 step 1 changes no behaviour): 20 is the improve recipe's, the one
# bench/adapt.py runs measured (a fine-tune on ~2,000 replayed sentences); 50 was the Train form's
# for training from the encoder over whole corpora, never measured. Making them one is a behaviour
# change for a measured run to decide.
MAX_REPEAT = 20
FULL_TRAINING_MAX_REPEAT = 50
# The command line's default when nobody counted the examples (core/training/options.py's RunOptions).
FIXED_REPEAT = 5


def corrections_repeat(corrections: int, other_examples: int, ratio: float, cap: int = MAX_REPEAT) -> int:
    """Times each of `corrections` repeats so that the repeats number about `ratio` times the
    `other_examples` corpus sentences beside them (0.1: a tenth as many; 1.0: as many, half of all the
    examples); at least 1, at most cap."""
    if ratio <= 0:
        raise ValueError(f"ratio {ratio!r}: the repeated corrections per corpus sentence must be above 0")
    if corrections <= 0:
        return 1
    return max(1, min(cap, math.ceil(ratio * other_examples / corrections)))
