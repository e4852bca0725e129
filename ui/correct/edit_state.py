"""The Correct screen's editing state for one document: the spans being edited, their undo
history, and a sentence saying what each edit did. Pure: no Streamlit, no SQL. The page keeps
one per document in the session and applies to it the span editor's commands and the exact
(number field) edits alike.

Spans are (start, end, label) tuples in code-point offsets (Python's), end exclusive, sorted,
never overlapping. Adding a span over others replaces them and the notice names each one.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from core.labels import ENTITY_TYPES

Span = tuple[int, int, str]
NAVIGATION = ("accept", "skip")  # span editor commands that end the work on a document


def describe(text: str, span) -> str:
    start, end, label = span
    return f"{label} {text[start:end]} ({start}-{end})"


def _normalised(spans) -> list[Span]:
    return sorted((int(s), int(e), str(label)) for s, e, label in spans)


@dataclass
class EditState:
    text: str
    saved: list[Span]  # what the database holds: the latest revision's spans, else the model's
    base_revision: int | None  # the correction the edits start from (the save's conflict check)
    spans: list[Span] = field(default=None)
    undo_stack: list[tuple[list[Span], str]] = field(default_factory=list)  # (spans before, what changed)
    token: str = field(default_factory=lambda: secrets.token_hex(6))  # this state's commands carry it
    applied: int = 0  # the number of the span editor's last applied command
    pressed: str | None = None  # the key press (its "event") the last applied command came from
    edits: int = 0  # changes so far, undo included; the page writes a draft when this moves
    drafted: int = 0  # the value of edits the page last wrote as a draft
    notice: tuple[str, str] | None = None  # ("info" | "warning", what the last edit did)
    labels: tuple = ENTITY_TYPES  # the types a span may have: the built-in four and the user's own

    def __post_init__(self):
        self.saved = _normalised(self.saved)
        self.spans = list(self.saved) if self.spans is None else _normalised(self.spans)

    @property
    def changed(self) -> bool:
        """The spans differ from the saved ones: there is something to save (or lose)."""
        return self.spans != self.saved

    # ---- edits -------------------------------------------------------------------------------
    def _commit(self, spans, what: str) -> str:
        self.undo_stack.append((self.spans, what))
        self.spans = _normalised(spans)
        self.edits += 1
        self.notice = ("info", what)
        return what

    def _refuse(self, why: str) -> str:
        self.notice = ("warning", f"Not changed: {why}.")
        raise ValueError(why)

    def _check_range(self, start: int, end: int) -> tuple[int, int]:
        start, end = int(start), int(end)
        if not 0 <= start < end <= len(self.text):
            self._refuse(f"characters {start}-{end} are not inside the text (0-{len(self.text)}); "
                         "start must be below end")
        return start, end

    def label(self, start: int, end: int, label: str) -> str:
        """Give characters start-end the label: retypes the span there, else adds one, replacing
        (and naming) any span it overlaps. Spaces at either edge are left out."""
        start, end = self._check_range(start, end)
        if label not in self.labels:
            self._refuse(f"unknown type {label!r}, expected one of {', '.join(self.labels)}")
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1].isspace():
            end -= 1
        if start == end:
            self._refuse("the selection holds only spaces")
        new = (start, end, label)
        same_place = next((s for s in self.spans if s[:2] == (start, end)), None)
        if same_place == new:
            self.notice = ("info", f"{describe(self.text, new)} is already labelled so.")
            return self.notice[1]
        if same_place is not None:
            kept = [s for s in self.spans if s != same_place]
            return self._commit(kept + [new], f"Retyped {self.text[start:end]} ({start}-{end}): "
                                              f"{same_place[2]} → {label}.")
        replaced = [s for s in self.spans if s[0] < end and start < s[1]]
        kept = [s for s in self.spans if s not in replaced]
        what = f"Added {describe(self.text, new)}"
        if replaced:
            what += ", replacing " + ", ".join(describe(self.text, s) for s in replaced)
        return self._commit(kept + [new], what + ".")

    def delete(self, start: int, end: int) -> str:
        """Delete the span at exactly start-end."""
        span = next((s for s in self.spans if s[:2] == (int(start), int(end))), None)
        if span is None:
            self._refuse(f"no span at characters {start}-{end}")
        return self._commit([s for s in self.spans if s != span], f"Deleted {describe(self.text, span)}.")

    def replace(self, old, new) -> str:
        """The exact edit: span old becomes new (other bounds or type), one undo step."""
        old = (int(old[0]), int(old[1]), str(old[2]))
        if old not in self.spans:
            self._refuse(f"no span {describe(self.text, old)}")
        start, end = self._check_range(new[0], new[1])
        new = (start, end, str(new[2]))
        if new[2] not in self.labels:
            self._refuse(f"unknown type {new[2]!r}")
        others = [s for s in self.spans if s != old]
        replaced = [s for s in others if s[0] < end and start < s[1]]
        what = f"Changed {describe(self.text, old)} to {describe(self.text, new)}"
        if replaced:
            what += ", replacing " + ", ".join(describe(self.text, s) for s in replaced)
        return self._commit([s for s in others if s not in replaced] + [new], what + ".")

    def set_spans(self, spans, what: str) -> str:
        """Replace every span at once (a restored draft, apply to all), one undo step."""
        return self._commit(spans, what)

    def undo(self) -> str:
        if not self.undo_stack:
            self.notice = ("info", "Nothing to undo.")
            return self.notice[1]
        self.spans, what = self.undo_stack.pop()
        self.edits += 1
        self.notice = ("info", f"Undone: {what}")
        return self.notice[1]

    # ---- the span editor's commands ------------------------------------------------------------
    def apply_commands(self, commands) -> str | None:
        """Apply the span editor's commands not applied yet, in order; stop at accept or skip and
        return it (else None). Commands are dicts {"token", "seq", "event", "kind", "start", "end",
        "label"}; those of another state (an old tab, a reloaded document) are ignored, and so is a
        second command from one key press ("event"): two listeners on one key once saved twice."""
        mine = sorted((c for c in commands or [] if isinstance(c, dict) and c.get("token") == self.token
                       and isinstance(c.get("seq"), int) and c["seq"] > self.applied), key=lambda c: c["seq"])
        for command in mine:
            self.applied = command["seq"]
            if command.get("event") is not None and command["event"] == self.pressed:
                continue
            self.pressed = command.get("event")
            kind = command.get("kind")
            if kind in NAVIGATION:
                return kind
            try:
                if kind == "label":
                    self.label(command["start"], command["end"], command["label"])
                elif kind == "delete":
                    self.delete(command["start"], command["end"])
                elif kind == "undo":
                    self.undo()
                else:
                    self._refuse(f"unknown command {kind!r}")
            except (ValueError, KeyError, TypeError):
                if self.notice is None or self.notice[0] != "warning":
                    self.notice = ("warning", f"Not changed: bad command {command!r}.")
        return None

    # ---- after the database changed --------------------------------------------------------------
    def reload(self, spans, revision) -> None:
        """The database's spans (and revision) become the baseline: after a save, or to drop the edits."""
        self.saved = self.spans = _normalised(spans)
        self.base_revision = revision
        self.undo_stack.clear()
        self.edits += 1
        self.notice = None
