"""Entity-replacement augmentation of the user's corrections.

A few dozen corrections repeated verbatim are memorised (bench/adapt.py: 98% F1 on the sentences
trained on, far less on the user's other text): the model learns the strings, not the contexts.
So each repeat after the first swaps some entities for other entities of the same type that the
user annotated elsewhere; the contexts then hold names the model must recognise from the context
and the boundaries the user drew. DESIGN.md: entity replacement helps most on small or shifted
data, which a user's corrections are.
"""
from __future__ import annotations

import random

from core.labels import tags_to_spans
from core.data.training_data import Example


def mentions_by_type(examples) -> dict[str, list[tuple[str, ...]]]:
    """The distinct entity strings (as character tuples) of each type in the examples, in first-seen order."""
    found: dict[str, dict[tuple[str, ...], None]] = {}
    for example in examples:
        for start, end, label in tags_to_spans(example.tags):
            found.setdefault(label, {})[tuple(example.chars[start:end])] = None
    return {label: list(strings) for label, strings in found.items()}


def swap_mentions(example: Example, mentions: dict, rate: float, rng: random.Random) -> Example:
    """A copy of example where each entity, with probability rate, becomes another string of its type."""
    chars, tags, last = [], [], 0
    for start, end, label in tags_to_spans(example.tags):
        chars += example.chars[last:start]
        tags += example.tags[last:start]
        original = tuple(example.chars[start:end])
        others = [m for m in mentions.get(label, ()) if m != original]
        mention = rng.choice(others) if others and rng.random() < rate else original
        chars += mention
        tags += [f"B_{label}"] + [f"I_{label}"] * (len(mention) - 1)
        last = end
    chars += example.chars[last:]
    tags += example.tags[last:]
    return Example(chars, tags, example.unannotated)


def repeat_with_swaps(examples: list, times: int, rate: float, seed: int = 0) -> list:
    """Each example `times` times: the first copy as is, the others with entities swapped at `rate`
    (rate 0: plain repeats)."""
    if rate <= 0 or times <= 1:
        return list(examples) * max(times, 0)
    mentions = mentions_by_type(examples)
    rng = random.Random(seed)
    copies = list(examples)
    for _ in range(times - 1):
        copies += [swap_mentions(example, mentions, rate, rng) for example in examples]
    return copies
