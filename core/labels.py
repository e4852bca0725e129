"""The tag set and the conversions between BIO tags and character-offset spans.

Spans are the lingua franca: (start, end, label), end exclusive. Tags exist at the model's edge.
"""
from __future__ import annotations

import re
from typing import NamedTuple

ENTITY_TYPES = ("PER", "LOC", "ORG", "T")
TYPE_NAMES = {"PER": "person", "LOC": "place", "ORG": "organisation", "T": "time"}
_TYPE_NAME = re.compile(r"[A-Z][A-Z0-9]{0,11}")  # storage.entity_types admits a user's own type so


class Span(NamedTuple):
    start: int
    end: int  # exclusive
    label: str


def tag_types(tags) -> list[str]:
    """The entity types a tag set covers, the brief's four first in their order, then others by name."""
    found = {split_tag(tag)[1] for tag in tags if tag != "O"}
    return [t for t in ENTITY_TYPES if t in found] + sorted(found - set(ENTITY_TYPES))


def is_type_name(label) -> bool:
    """An entity type's name, as tags are built from it: capitals and digits, starting with a
    capital, and never O, which is the outside tag."""
    return isinstance(label, str) and label != "O" and _TYPE_NAME.fullmatch(label) is not None


def make_tags(entity_types=ENTITY_TYPES) -> list[str]:
    """O first, then B_/I_ per type: index 0 is always O."""
    tags = ["O"]
    for entity_type in entity_types:
        tags += [f"B_{entity_type}", f"I_{entity_type}"]
    return tags


DEFAULT_TAGS = make_tags()


def split_tag(tag: str) -> tuple[str, str | None]:
    """'B_PER' -> ('B', 'PER'); 'O' -> ('O', None). Accepts '-' as separator too."""
    if tag == "O":
        return "O", None
    if len(tag) > 2 and tag[0] in "BI" and tag[1] in "_-":
        return tag[0], tag[2:]
    raise ValueError(f"unknown tag {tag!r}: expected O, B_TYPE or I_TYPE")


def tags_to_spans(tags: list[str]) -> list[Span]:
    """Strict BIO decoding: an I_ that does not continue a span of its type starts a new one.

    Treating an orphan I_ as a start is the usual repair (seqeval does the same in its
    default mode) and keeps every labelled character inside some span.
    """
    spans: list[Span] = []
    start, label = None, None
    for i, tag in enumerate(tags):
        prefix, entity_type = split_tag(tag)
        continues = prefix == "I" and label == entity_type and start is not None
        if continues:
            continue
        if start is not None:
            spans.append(Span(start, i, label))
            start, label = None, None
        if prefix in "BI":
            start, label = i, entity_type
    if start is not None:
        spans.append(Span(start, len(tags), label))
    return spans


def check_spans(spans, length: int, labels=ENTITY_TYPES) -> list[Span]:
    """Spans sorted, as Span; ValueError naming the first bad one (the one check every writer of
    spans goes through: not [start, end, label], offsets not integers, unknown label, outside a
    text of `length` characters or empty, overlapping another)."""
    if spans is not None and not isinstance(spans, (list, tuple)):  # a JSON 5 or {} would raise TypeError
        raise ValueError(f"spans {spans!r} is not a list of [start, end, label]")
    out = []
    for span in spans or []:
        try:
            start, end, label = span
        except (TypeError, ValueError):
            raise ValueError(f"span {span!r} is not [start, end, label]") from None
        if isinstance(start, bool) or isinstance(end, bool) or not isinstance(start, int) or not isinstance(end, int):
            raise ValueError(f"span {span!r}: start and end must be integers")
        if label not in labels:
            raise ValueError(f"span {span!r}: unknown label {label!r}, expected one of {', '.join(labels)}")
        if not 0 <= start < end <= length:
            raise ValueError(f"span {span!r} is outside the text (length {length}) or empty")
        out.append(Span(start, end, label))
    out.sort()
    for before, after in zip(out, out[1:]):
        if after.start < before.end:
            raise ValueError(f"span {list(after)!r} overlaps span {list(before)!r}")
    return out


def spans_to_tags(spans, length: int) -> list[str]:
    """Tags for `length` characters; overlapping spans raise ValueError."""
    tags = ["O"] * length
    for start, end, label in sorted(spans):
        if not (0 <= start < end <= length):
            raise ValueError(f"span ({start}, {end}, {label}) outside text of length {length}")
        if any(tag != "O" for tag in tags[start:end]):
            raise ValueError(f"span ({start}, {end}, {label}) overlaps another span")
        tags[start] = f"B_{label}"
        for i in range(start + 1, end):
            tags[i] = f"I_{label}"
    return tags


def bio_problems(tags: list[str]) -> list[int]:
    """Positions of I_ tags that do not continue a span of their type (BIO violations)."""
    problems = []
    previous = "O"
    for i, tag in enumerate(tags):
        prefix, entity_type = split_tag(tag)
        if prefix == "I":
            previous_prefix, previous_type = split_tag(previous)
            if previous_prefix == "O" or previous_type != entity_type:
                problems.append(i)
        previous = tag
    return problems


def repair_bio(tags: list[str]) -> list[str]:
    """Turn every orphan I_X into B_X, so the tags decode to the same spans as tags_to_spans."""
    return spans_to_tags(tags_to_spans(tags), len(tags))


def to_seqeval(tags: list[str]) -> list[str]:
    """Our B_PER style to the B-PER style that seqeval expects."""
    return [tag if tag == "O" else f"{tag[0]}-{tag[2:]}" for tag in tags]


def allowed_transitions(tags: list[str]) -> list[tuple[int, int]]:
    """(from, to) index pairs that BIO permits: I_X may follow only B_X or I_X."""
    pairs = []
    for i, from_tag in enumerate(tags):
        from_prefix, from_type = split_tag(from_tag)
        for j, to_tag in enumerate(tags):
            to_prefix, to_type = split_tag(to_tag)
            if to_prefix == "I" and (from_prefix == "O" or from_type != to_type):
                continue
            pairs.append((i, j))
    return pairs


def allowed_starts(tags: list[str]) -> list[int]:
    return [i for i, tag in enumerate(tags) if not tag.startswith("I")]
