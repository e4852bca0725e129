"""Our two other corpus formats in and out: CoNLL (a character and its tag a line, a blank line
between sentences) and JSON-lines spans ({"text": ..., "spans": [[start, end, label], ...]} a line).
Escaping, tag checks and line reading are the chars/TAG pair's own (core/data/corpora.py).

Pure: no Streamlit, no SQL. Bad input raises ValueError naming the file and line.
"""
from __future__ import annotations

import json

from core.data.corpora import Sentence, _check_tag, _escape, _lines, _unescape
from core.labels import ENTITY_TYPES, check_spans, is_type_name, spans_to_tags, tags_to_spans


# ---- CoNLL: char TAB tag, blank line between sentences ------------------------------------
def read_conll(path) -> list[Sentence]:
    """Every blank line ends one sentence, so an empty sentence (write_conll's lone blank line)
    comes back as one and a file's sentences keep their numbers; a missing final blank line is fine."""
    sentences, chars, tags = [], [], []
    lines = _lines(path)
    for i, line in enumerate(lines + ([""] if lines and lines[-1] else []), 1):
        if line == "":
            sentences.append(Sentence(chars, tags))
            chars, tags = [], []
            continue
        fields = line.split("\t")
        if len(fields) != 2:
            raise ValueError(f"{path}: line {i}: {len(fields)} tab-separated fields, expected 2")
        try:
            chars.append(_unescape(fields[0]))
        except ValueError as error:
            raise ValueError(f"{path}: line {i}: {error}") from None
        tags.append(_check_tag(fields[1], f"{path}: line {i}"))
    return sentences


def write_conll(sentences, path) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as file:
        for i, sentence in enumerate(sentences):
            where = f"{path}: sentence {i}"
            for char, tag in zip(sentence.chars, sentence.tags):
                file.write(f"{_escape(char, where)}\t{_check_tag(tag, where)}\n")
            file.write("\n")


# ---- JSONL spans: {"text": ..., "spans": [[start, end, label], ...]} ----------------------
def read_jsonl_spans(path) -> list[Sentence]:
    """Sentences of JSON lines {"text": ..., "spans": [[start, end, label], ...]} (what
    `train --corrections` and `eval --spans` read); ValueError naming the file and line.

    Spans pass check_spans, as every other writer's do; a label may be any entity type name (the
    four or the user's own), never "O" or a lowercase "per", which would become types of their own.
    """
    sentences = []
    for i, line in enumerate(_lines(path), 1):
        if not line.strip():
            continue
        where = f"{path}: line {i}"
        try:
            record = json.loads(line)
            text, spans = record["text"], record.get("spans", [])
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"{where}: {error}") from None
        if not isinstance(text, str):
            raise ValueError(f'{where}: "text" is {text!r}, not a string')
        try:
            spans = check_spans(spans, len(text), ENTITY_TYPES + _own_types(spans))
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
        sentences.append(Sentence(list(text), spans_to_tags(spans, len(text))))
    return sentences


def _own_types(spans) -> tuple[str, ...]:
    """The labels beyond the four that are well-formed type names: a user's own types train too."""
    if not isinstance(spans, (list, tuple)):
        return ()  # check_spans says what is wrong
    labels = {span[2] for span in spans if isinstance(span, (list, tuple)) and len(span) == 3 and is_type_name(span[2])}
    return tuple(sorted(labels - set(ENTITY_TYPES)))


def write_jsonl_spans(sentences, path) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as file:
        for sentence in sentences:
            record = {"text": sentence.text, "spans": [list(s) for s in tags_to_spans(sentence.tags)]}
            file.write(json.dumps(record, ensure_ascii=False) + "\n")
