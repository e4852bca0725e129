"""Entity-replacement augmentation of corrections (core/data/augment.py)."""
import random

from core.data.augment import mentions_by_type, repeat_with_swaps, swap_mentions
from core.labels import spans_to_tags, tags_to_spans
from core.data.training_data import Example


def example(text, spans):
    return Example(list(text), spans_to_tags(spans, len(text)))


CORRECTIONS = [
    example("华为在深圳发布新机", [(0, 2, "ORG"), (3, 5, "LOC")]),
    example("海底捞今天在上海开店", [(0, 3, "ORG"), (3, 5, "T"), (6, 8, "LOC")]),
    example("张三说好", [(0, 2, "PER")]),
]


def entities(ex):
    return [("".join(ex.chars[s:e]), label) for s, e, label in tags_to_spans(ex.tags)]


def test_the_inventory_holds_each_types_distinct_strings():
    found = mentions_by_type(CORRECTIONS + CORRECTIONS)
    assert found["ORG"] == [tuple("华为"), tuple("海底捞")]
    assert found["LOC"] == [tuple("深圳"), tuple("上海")]
    assert found["PER"] == [tuple("张三")]


def test_a_swap_at_rate_one_changes_every_entity_that_has_another_of_its_type():
    mentions = mentions_by_type(CORRECTIONS)
    swapped = swap_mentions(CORRECTIONS[1], mentions, 1.0, random.Random(0))
    assert entities(swapped) == [("华为", "ORG"), ("今天", "T"), ("深圳", "LOC")]  # T has no other string
    assert "".join(swapped.chars) == "华为今天在深圳开店"
    assert len(swapped.chars) == len(swapped.tags)
    # A type with a single string stays as it is.
    assert swap_mentions(CORRECTIONS[2], mentions, 1.0, random.Random(0)).chars == CORRECTIONS[2].chars


def test_repeats_keep_the_originals_first_and_keep_the_context():
    copies = repeat_with_swaps(CORRECTIONS, 4, 0.5, seed=1)
    assert len(copies) == 12
    assert copies[:3] == CORRECTIONS
    inventory = {(m, label) for ex in CORRECTIONS for m, label in entities(ex)}
    for copy in copies:
        assert set(entities(copy)) <= inventory
        assert [label for _, label in entities(copy)] in [[l for _, l in entities(ex)] for ex in CORRECTIONS]
    assert any(copy.chars not in [ex.chars for ex in CORRECTIONS] for copy in copies)
    assert repeat_with_swaps(CORRECTIONS, 4, 0.5, seed=1) == copies  # resumable: the same seed, the same copies


def test_rate_zero_is_plain_repetition():
    assert repeat_with_swaps(CORRECTIONS, 3, 0.0) == CORRECTIONS * 3
    assert repeat_with_swaps(CORRECTIONS, 1, 0.9) == CORRECTIONS
