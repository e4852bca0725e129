import pytest

from core.labels import (DEFAULT_TAGS, Span, allowed_transitions, bio_problems, repair_bio, spans_to_tags,
                         split_tag, tags_to_spans)


def test_example_from_the_brief():
    tags = "O O B_LOC I_LOC O O O".split()
    assert tags_to_spans(tags) == [Span(2, 4, "LOC")]
    assert spans_to_tags([(2, 4, "LOC")], 7) == tags


def test_adjacent_entities_of_the_same_type_stay_apart():
    tags = ["B_LOC", "I_LOC", "B_LOC", "I_LOC", "I_LOC"]
    assert tags_to_spans(tags) == [Span(0, 2, "LOC"), Span(2, 5, "LOC")]


def test_orphan_inside_tag_starts_a_span_and_repair_makes_it_begin():
    tags = ["O", "I_PER", "I_PER", "I_LOC", "O"]
    assert bio_problems(tags) == [1, 3]
    assert tags_to_spans(tags) == [Span(1, 3, "PER"), Span(3, 4, "LOC")]
    assert repair_bio(tags) == ["O", "B_PER", "I_PER", "B_LOC", "O"]
    assert bio_problems(repair_bio(tags)) == []


def test_entity_at_the_end_is_closed():
    assert tags_to_spans(["O", "B_T", "I_T"]) == [Span(1, 3, "T")]


def test_unknown_tag_raises_with_the_tag():
    with pytest.raises(ValueError, match="X_PER"):
        split_tag("X_PER")


def test_overlapping_spans_are_refused():
    with pytest.raises(ValueError, match="overlaps"):
        spans_to_tags([(0, 3, "PER"), (2, 4, "LOC")], 5)
    with pytest.raises(ValueError, match="outside"):
        spans_to_tags([(3, 9, "PER")], 5)


def test_bio_forbids_o_to_inside():
    pairs = set(allowed_transitions(DEFAULT_TAGS))
    o, b_per, i_per, i_loc = (DEFAULT_TAGS.index(t) for t in ("O", "B_PER", "I_PER", "I_LOC"))
    assert (o, i_per) not in pairs and (b_per, i_loc) not in pairs
    assert (b_per, i_per) in pairs and (i_per, o) in pairs


def test_check_spans_is_the_one_check_for_every_writer():
    from core.labels import Span, check_spans

    assert check_spans([[3, 5, "LOC"], (0, 2, "PER")], 5) == [Span(0, 2, "PER"), Span(3, 5, "LOC")]
    for bad, why in (([[0, 2]], "not \\[start, end, label\\]"), ([[0.0, 2, "PER"]], "integers"),
                     ([[True, 2, "PER"]], "integers"), ([[0, 2, "FOO"]], "unknown label 'FOO'"),
                     ([[0, 9, "PER"]], "outside the text"), ([[2, 2, "PER"]], "or empty"),
                     ([[0, 3, "PER"], [2, 4, "LOC"]], "overlaps")):
        with pytest.raises(ValueError, match=why):
            check_spans(bad, 5)
