"""Text with its entities as HTML: one colour per type, a legend, confidence on each entity.

Pure: no Streamlit. Every character of the text appears exactly once and where it was:
HTML-escaped, line breaks as <br>, control characters as a visible <U+XXXX> box.
"""
from __future__ import annotations

import html
import re
import zlib

from core.labels import ENTITY_TYPES, TYPE_NAMES
from ui.formats import percent

TYPE_COLOURS = {"PER": "#ffd8a8", "LOC": "#b2f2bb", "ORG": "#a5d8ff", "T": "#eebefa"}
# Types a retrained model may add get a stable colour of their own from this palette.
_SPARE_COLOURS = ("#ffec99", "#c3fae8", "#d0bfff", "#ffc9c9", "#e9ecef", "#fcc2d7")
UNSURE_BELOW = 0.5  # entities the model gives less than this are drawn with a dashed edge

_BREAK = re.compile(r"\r\n|[\n\u2028\u2029]")
# C0/C1 controls except tab (kept: pre-wrap shows it) and \n (a break, handled above).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

STYLE = """<style>
.ner-text{white-space:pre-wrap;word-break:break-all;line-height:2.2;font-size:1.05rem}
.ner-ent{border-radius:.3em;padding:.1em .15em;margin:0 .05em;border:1px solid rgba(0,0,0,.18)}
.ner-ent.ner-unsure{border:1px dashed #c92a2a}
.ner-badge{font-size:.62em;font-weight:600;opacity:.75;margin-left:.25em;vertical-align:.15em;
  user-select:none}
.ner-ctrl{font-family:monospace;font-size:.75em;color:#c92a2a;border:1px solid #ffa8a8;
  border-radius:.2em;padding:0 .1em}
.ner-legend{display:flex;flex-wrap:wrap;gap:.5em;margin:.2em 0 .6em 0;font-size:.9rem}
.ner-chip{border-radius:.3em;padding:.05em .5em;border:1px solid rgba(0,0,0,.18)}
</style>"""


_OWN_COLOURS: dict[str, str] = {}  # the user's own types (storage/entity_types.py), set by use_own_types


def use_own_types(types) -> None:
    """Colour the user's own types as they chose: [{"name", "colour"}] from the studio database."""
    _OWN_COLOURS.clear()
    _OWN_COLOURS.update({row["name"]: row["colour"] for row in types})


def colour(label: str) -> str:
    if label in TYPE_COLOURS:
        return TYPE_COLOURS[label]
    if label in _OWN_COLOURS:
        return _OWN_COLOURS[label]
    return _SPARE_COLOURS[zlib.crc32(label.encode("utf-8")) % len(_SPARE_COLOURS)]


def escape_text(text: str) -> str:
    """HTML for plain text that keeps every character visible and in place."""
    escaped = html.escape(text, quote=False)
    escaped = _BREAK.sub("<br>", escaped)
    return _CONTROL.sub(_control_box, escaped)


def _control_box(match: re.Match) -> str:
    code = f"U+{ord(match.group()):04X}"
    return f'<span class="ner-ctrl" title="control character {code}">&lt;{code}&gt;</span>'


def _fields(entity) -> tuple[int, int, str, float | None]:
    """An Entity, a storage span [start, end, label] or (start, end, label, confidence)."""
    if hasattr(entity, "start"):
        return entity.start, entity.end, entity.label, getattr(entity, "confidence", None)
    start, end, label, *rest = entity
    return int(start), int(end), str(label), (float(rest[0]) if rest and rest[0] is not None else None)


def entity_html(text: str, start: int, end: int, label: str, confidence: float | None) -> str:
    badge = label if confidence is None else f"{label} {percent(confidence)}"
    title = f"{label} ({TYPE_NAMES.get(label, label)}), characters {start}-{end}"
    if confidence is not None:
        title += f", model confidence {percent(confidence)}"
    unsure = " ner-unsure" if confidence is not None and confidence < UNSURE_BELOW else ""
    return (f'<mark class="ner-ent ner-{html.escape(label)}{unsure}" data-label="{html.escape(label)}" '
            f'data-start="{start}" data-end="{end}" title="{html.escape(title)}" '
            f'style="background:{colour(label)}">{escape_text(text[start:end])}'
            f'<span class="ner-badge">{html.escape(badge)}</span></mark>')


def highlight_html(text: str, entities, style: bool = True) -> str:
    """The whole text in a <div class="ner-text">, each entity a <mark class="ner-ent ner-TYPE">.

    Entities must lie inside the text; one that overlaps an earlier one is drawn as plain text
    rather than hiding characters (corrections are validated elsewhere, display must not fail).
    """
    parts, position = [], 0
    for start, end, label, confidence in sorted(_fields(e) for e in entities):
        if not 0 <= start < end <= len(text):
            raise ValueError(f"entity ({start}, {end}, {label}) outside text of length {len(text)}")
        if start < position:
            continue
        parts.append(escape_text(text[position:start]))
        parts.append(entity_html(text, start, end, label, confidence))
        position = end
    parts.append(escape_text(text[position:]))
    return (STYLE if style else "") + f'<div class="ner-text">{"".join(parts)}</div>'


def legend_html(labels=ENTITY_TYPES, style: bool = True) -> str:
    chips = "".join(
        f'<span class="ner-chip ner-{html.escape(label)}" style="background:{colour(label)}">'
        f'{html.escape(label)} · {html.escape(TYPE_NAMES.get(label, label))}</span>'
        for label in labels)
    return (STYLE if style else "") + f'<div class="ner-legend">{chips}</div>'
