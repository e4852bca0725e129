"""Strings the pages show or offer for download: the seed's chars/TAG pair, CoNLL, JSON lines,
score summaries, entity tables, span checks. Pure: no Streamlit, no SQL.

The chars/TAG pair and JSON lines are written by core.data.corpora's own writers (through a temporary
folder), so a download always reads back with its readers and `python -m core check`; CoNLL by
core.data.interchange's, with B-/I- tags as CoNLL tools expect (the pair keeps the seed's B_).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from core.data.corpora import Sentence, write_pair
from core.data.conll_jsonl import write_jsonl_spans
from core.data.interchange import Record, conll_lines
from core.labels import tags_to_spans
from core.scores.evaluation import micro_f1s, same_set, scored_size, type_f1

TAG_LIMIT = 100_000  # characters the Tag page tags in one go (about 30 s on CPU); more: the CLI
CLI_HINT = "python -m core tag --text INPUT.txt -o OUTPUT_TAG.txt"


# ---- downloads -----------------------------------------------------------------------------
def sentences_by_line(text: str, tags: list[str]) -> list[Sentence]:
    """One sentence per line of the text, as the seed's files have them; empty lines dropped.

    A line break (\\n, or \\r\\n) ends a line and belongs to no sentence; every other
    character, spaces and control characters included, keeps its tag.
    """
    if len(text) != len(tags):
        raise ValueError(f"{len(text)} characters but {len(tags)} tags")
    sentences, start = [], 0
    for end in [i for i, char in enumerate(text) if char == "\n"] + [len(text)]:
        stop = end - 1 if end > start and text[end - 1] == "\r" and end < len(text) else end
        if stop > start:
            sentences.append(Sentence(list(text[start:stop]), list(tags[start:stop])))
        start = end + 1
    return sentences


def _written(write, sentences, *names) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="ner-studio-") as folder:
        paths = [Path(folder) / name for name in names]
        write(sentences, *paths)
        return [path.read_text(encoding="utf-8") for path in paths]


def pair_strings(sentences) -> tuple[str, str]:
    """(chars file, TAG file): space-separated, one sentence a line; blanks as <U+XXXX>."""
    chars, tags = _written(write_pair, list(sentences), "chars.txt", "chars_TAG.txt")
    return chars, tags


def conll_string(sentences) -> str:
    """A character and its tag a line (B-PER/I-PER), a blank line after each sentence: the writer the
    Correct screen's and `python -m core convert`'s CoNLL use, without their provenance lines."""
    return "".join(line + "\n" for sentence in sentences
                   for line in conll_lines(Record(sentence.text, tags_to_spans(sentence.tags)), provenance=False))


def jsonl_string(sentences) -> str:
    return _written(write_jsonl_spans, list(sentences), "out.jsonl")[0]


def whole_text_jsonl(text: str, tags: list[str]) -> str:
    """One JSON line for the whole text: its spans' offsets are those of the text as pasted."""
    return jsonl_string([Sentence(list(text), list(tags))])


# ---- tables and summaries ------------------------------------------------------------------
def entity_rows(entities) -> list[dict]:
    return [{"text": e.text, "type": e.label, "start": e.start, "end": e.end,
             "confidence": round(e.confidence, 4)} for e in entities]


def span_rows(text: str, spans) -> list[dict]:
    return [{"start": s, "end": e, "type": label, "text": text[s:e]} for s, e, label in spans]


SET_NAMES = {"msra": "MSRA test", "pd": "People's Daily test",
             "heldout": "held-out corrections"}  # core.training.options.HELDOUT: the user's documents never trained on


def set_label(name: str, result=None) -> str:
    """An evaluation set as every figure names it, with its size: 'MSRA test (4,620 sentences)',
    'MSRA test (300-sentence sample)', 'held-out corrections (25 documents)'. Older scores that
    lack the sentences are sized by the characters scored."""
    base = SET_NAMES.get(name, f"{name} test")
    size = scored_size(result)
    unit = "document" if name == "heldout" else "sentence"
    if size["sentences"] is not None:
        if size["sample_of"] is not None and size["sentences"] < size["sample_of"]:
            return f"{base} ({size['sentences']:,}-{unit} sample)"
        return f"{base} ({size['sentences']:,} {unit}{'' if size['sentences'] == 1 else 's'})"
    if size["characters"] is not None:
        return f"{base} ({size['characters']:,} characters)"
    return f"{base} (size not recorded)"


def set_labels(name: str, results: list) -> list[str]:
    """set_label for each of several scores of the set called name, where those measured on the
    same sentences (core.scores.evaluation.same_set) share one label, the most telling of theirs (sized in
    sentences rather than characters): a table gives them one column, a chart one place."""
    labels = []
    for result in results:
        alike = [other for other in results if same_set(result, other)]
        labels.append(set_label(name, next((o for o in alike if scored_size(o)["sentences"] is not None), result)))
    return labels


def score_summary(scores) -> str | None:
    """'MSRA test (4,620 sentences) F1 86.3% · People's Daily test (4,683 sentences) T F1 96.6%'
    from a model's scores.json dict: the entity micro F1 on the MSRA test set, the time F1 on
    People's Daily's test part, each named with the set it was measured on."""
    scores = scores if isinstance(scores, dict) else None
    parts = []
    msra = micro_f1s(scores).get("msra")
    if msra is not None:
        parts.append(f"{set_label('msra', scores['msra'])} F1 {percent(msra)}")
    time = type_f1(scores, "pd", "T")
    if time is not None:
        parts.append(f"{set_label('pd', scores['pd'])} T F1 {percent(time)}")
    return " · ".join(parts) or None


def preview(text: str, width: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def find_fragment(text: str, fragment: str, spans=()) -> list[int]:
    """Start offsets of every occurrence of fragment, free ones (covered by no span) first."""
    if not fragment:
        return []
    starts, position = [], text.find(fragment)
    while position != -1:
        starts.append(position)
        position = text.find(fragment, position + 1)
    end = len(fragment)
    covered = {i for s, e, _ in spans for i in range(s, e)}
    return sorted(starts, key=lambda p: any(i in covered for i in range(p, p + end)))


def percent(value) -> str:
    """Every score and confidence the app shows: a percentage with one decimal ('86.3%'); '?' if unknown."""
    return "?" if value is None else f"{100 * float(value):.1f}%"
