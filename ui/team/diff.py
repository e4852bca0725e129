"""Annotators' versions side by side, their differences marked: a span that not every version has
exactly is outlined in red with a ≠ badge. And the spans a reviewer can merge, each with who
marked it. No Streamlit here: HTML and lists, so the tests read them directly."""
from __future__ import annotations

import html

from ui.draw.highlight import STYLE, colour, escape_text

DIFF_STYLE = """<style>
.ner-ent.ner-diff{outline:2px solid #e03131;outline-offset:1px}
.ner-diff-badge{color:#e03131;font-weight:700;margin-left:.15em}
</style>"""


def _key(span) -> tuple[int, int, str]:
    return int(span[0]), int(span[1]), str(span[2])


def differing(versions: dict[str, list]) -> set[tuple[int, int, str]]:
    """The spans that some version has and another lacks (exactly: the same offsets and type)."""
    sets = [{_key(s) for s in spans} for spans in versions.values()]
    if not sets:
        return set()
    return set.union(*sets) - set.intersection(*sets)


def version_html(text: str, spans, differ: set) -> str:
    """One version's text with its spans; those in `differ` outlined. Overlapping spans cannot be
    in one version (storage checks), so each is drawn whole."""
    parts, position = [], 0
    for start, end, label in sorted(_key(s) for s in spans):
        parts.append(escape_text(text[position:start]))
        mark = (start, end, label) in differ
        title = f"{label}, characters {start}-{end}" + (": not in every version" if mark else "")
        parts.append(f'<mark class="ner-ent{" ner-diff" * mark}" data-label="{html.escape(label)}" '
                     f'data-start="{start}" data-end="{end}" data-differs="{int(mark)}" title="{html.escape(title)}" '
                     f'style="background:{colour(label)}">{escape_text(text[start:end])}'
                     f'<span class="ner-badge">{html.escape(label)}</span>'
                     + ('<span class="ner-diff-badge">≠</span>' if mark else "") + "</mark>")
        position = end
    parts.append(escape_text(text[position:]))
    return f'<div class="ner-text">{"".join(parts)}</div>'


def side_by_side(text: str, versions: dict[str, list]) -> dict[str, str]:
    """{annotator: HTML of their version}, the first with the styles."""
    differ = differing(versions)
    out = {}
    for i, (name, spans) in enumerate(versions.items()):
        out[name] = (STYLE + DIFF_STYLE if i == 0 else "") + version_html(text, spans, differ)
    return out


def merge_choices(text: str, versions: dict[str, list]) -> list[dict]:
    """Every distinct span of the versions, in text order: {"span": [start, end, label], "text",
    "by": [annotators], "everyone": bool}. A merge starts from those everyone marked."""
    by: dict[tuple, list[str]] = {}
    for name, spans in versions.items():
        for span in spans:
            by.setdefault(_key(span), []).append(name)
    return [{"span": list(span), "text": text[span[0]:span[1]], "by": sorted(names),
             "everyone": len(names) == len(versions)} for span, names in sorted(by.items())]


def overlapping(spans) -> list[tuple[list, list]]:
    """Pairs of chosen spans that overlap: a merge cannot keep both (say which, before saving)."""
    ordered = sorted(_key(s) for s in spans)
    return [(list(a), list(b)) for a, b in zip(ordered, ordered[1:]) if b[0] < a[1]]
