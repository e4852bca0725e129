"""Where a string occurs in a text and what labelling each occurrence would do: the plan that
"apply to all" shows before it changes anything, and the spans it then writes.

Spans are (start, end, label) in character offsets, end exclusive.
"""
from __future__ import annotations

from typing import NamedTuple

ADD, ALREADY, BLOCKED = "add", "already labelled", "left alone"


class Occurrence(NamedTuple):
    start: int
    end: int
    action: str  # ADD, ALREADY (a span with this label is there) or BLOCKED (overlaps `blocker`)
    blocker: tuple | None = None


def find_all(text: str, fragment: str) -> list[int]:
    """Start of every non-overlapping occurrence, left to right."""
    if not fragment:
        raise ValueError("the string to look for is empty")
    starts, position = [], text.find(fragment)
    while position != -1:
        starts.append(position)
        position = text.find(fragment, position + len(fragment))
    return starts


def plan(text: str, spans, fragment: str, label: str) -> list[Occurrence]:
    """One Occurrence per place the fragment occurs; existing spans are never replaced."""
    spans = [tuple(span) for span in spans]
    out = []
    for start in find_all(text, fragment):
        end = start + len(fragment)
        if (start, end, label) in spans:
            out.append(Occurrence(start, end, ALREADY))
            continue
        blocker = next((span for span in spans if span[0] < end and start < span[1]), None)
        out.append(Occurrence(start, end, ADD if blocker is None else BLOCKED, blocker))
    return out


def with_planned(spans, occurrences, label: str) -> list[tuple[int, int, str]]:
    """spans plus a span for each occurrence the plan adds, sorted."""
    added = [(o.start, o.end, label) for o in occurrences if o.action == ADD]
    return sorted([tuple(span) for span in spans] + added)


def context(text: str, start: int, end: int, width: int = 12) -> str:
    """The occurrence in its surroundings, marked with brackets: '…我在[北京]工作…'."""
    before, after = text[max(0, start - width):start], text[end:end + width]
    return (("…" if start > width else "") + before + f"[{text[start:end]}]" + after
            + ("…" if end + width < len(text) else "")).replace("\n", " ")
