"""Annotated files in and out of the studio: the chars/TAG pair, JSON lines of spans, CoNLL.

Imports keep the good lines and refuse the bad ones with their line numbers. A file's
annotations are suggestions: the document is "imported", its spans are the file's (as a model's
prediction would be, predicted_by "import:<file name>"), and it waits in the queue for a person to
review it; only reviewed documents train by default. A file the user marks as reviewed gold is
recorded as each document's first correction, by the user who imported it (they vouch for it, and
it trains), with "imported from <file name>, line <n>" as its note; status "corrected".
Exports write the corrected documents with core.data.corpora's writers.
"""
from __future__ import annotations

import json
from pathlib import Path

import sqlite_utils

from core.data.corpora import Sentence, pair_lines, text_lines, write_pair
from core.data.conll_jsonl import write_conll, write_jsonl_spans
from core.labels import bio_problems, check_spans, make_tags, spans_to_tags, tags_to_spans
from storage.batches import in_short_transactions
from storage.entity_types import known_labels
from storage.documents import _append_correction, _insert_document, corrected_documents


def _known_tags(db) -> frozenset:
    """The studio's tags (built-in and the user's own types); B-PER is read as B_PER: both
    spellings are common in the wild."""
    tags = make_tags(known_labels(db))
    return frozenset(tags) | {tag.replace("_", "-") for tag in tags}


def _author(path, reviewed: bool, importer: str | None) -> str:
    """Who a document's annotations are by: the file (a suggestion's predicted_by), or for reviewed
    gold the user who imported it."""
    if not reviewed:
        return f"import:{Path(path).name}"
    if not isinstance(importer, str) or not importer.strip():
        raise ValueError(f"a reviewed import needs the name of the user who imports it, got {importer!r}")
    return importer


def _add_annotated(db, text: str, spans, source: str, annotator: str, note: str, reviewed: bool) -> int:
    spans = check_spans(spans, len(text), known_labels(db))
    if not reviewed:  # a suggestion to review, like a model's prediction
        document_id = _insert_document(db, text, source, spans, annotator)
        db.execute("UPDATE documents SET status = 'imported' WHERE id = ?", [document_id])
        return document_id
    document_id = _insert_document(db, text, source)
    _append_correction(db, document_id, spans, annotator, None, note, None, status="corrected")
    return document_id


def import_pair(db: sqlite_utils.Database, chars_path, tags_path, source: str, reviewed: bool = False,
                importer: str | None = None) -> dict:
    """Import a chars/TAG pair (core.data.corpora's rules: one sentence a line, tokens split at spaces).
    reviewed: the annotations are gold, recorded as corrections by importer (required then).

    Returns {"imported": n, "refused": [problem strings naming the line], "repaired": [...],
    "document_ids": [...]}. "repaired" lists lines whose orphan I_ tags were read as B_
    (as tags_to_spans does). Good lines are committed in batches of a quarter second's work:
    a failure keeps the batches before it.
    """
    annotator = _author(chars_path, reviewed, importer)
    name = Path(chars_path).name
    result = {"imported": 0, "refused": [], "repaired": [], "document_ids": []}
    # Short transactions: a big file must not keep everyone else's saves waiting (storage/batches.py).
    for line, chars, tags, problem in in_short_transactions(db, pair_lines(chars_path, tags_path, _known_tags(db))):
        if problem is not None:
            result["refused"].append(str(problem))
            continue
        tags = [tag.replace("-", "_", 1) for tag in tags]
        text = "".join(chars)
        if not text.strip():
            result["refused"].append(f"line {line}: the sentence is blank")
            continue
        orphans = bio_problems(tags)
        if orphans:
            result["repaired"].append(f"line {line}: I_ tag without its B_ at position(s) "
                                      f"{', '.join(map(str, orphans))}, read as B_")
        spans = [list(span) for span in tags_to_spans(tags)]
        result["document_ids"].append(_add_annotated(db, text, spans, source, annotator,
                                                     f"imported from {name}, line {line}", reviewed))
    result["imported"] = len(result["document_ids"])
    return result


def import_jsonl(db: sqlite_utils.Database, path, source: str, reviewed: bool = False,
                 importer: str | None = None) -> dict:
    """Import JSON lines {"text": ..., "spans": [[start, end, label], ...]}.

    A line with "spans" becomes an imported document (a suggestion to review, or with reviewed a
    corrected one by importer, as import_pair); a line without, a new document for the queue, listed
    in "untagged_ids" as well for the caller to have the model suggest its spans
    (storage/suggestions.suggest). Bad lines are refused with their numbers; returns {"imported",
    "refused", "document_ids", "untagged_ids"} like import_pair.
    """
    annotator = _author(path, reviewed, importer)
    name = Path(path).name
    result = {"imported": 0, "refused": [], "document_ids": [], "untagged_ids": []}
    # A line at a time: a byte that is not UTF-8 spoils its own line only, not the file.
    for line, raw, bad in in_short_transactions(db, text_lines(path)):
        if bad:  # "line L, column C: not UTF-8 ..."
            result["refused"].append(bad)
            continue
        if not raw.strip():
            continue
        try:
            try:
                record = json.loads(raw)
            except json.JSONDecodeError as error:  # its own "line 1 column 9 (char 8)" would mislead
                raise ValueError(f"not JSON at column {error.colno} ({error.msg})") from None
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                raise ValueError('expected an object with a "text" string')
            if not record["text"].strip():
                raise ValueError("the text is blank")
            _check_characters(record["text"])
            if "spans" in record:
                spans = check_spans(record["spans"], len(record["text"]), known_labels(db))
                document_id = _add_annotated(db, record["text"], spans, source, annotator,
                                             f"imported from {name}, line {line}", reviewed)
            else:
                document_id = _insert_document(db, record["text"], source)
                result["untagged_ids"].append(document_id)
        except ValueError as error:
            result["refused"].append(f"line {line}: {error}")
            continue
        result["document_ids"].append(document_id)
    result["imported"] = len(result["document_ids"])
    return result


def _check_characters(text: str) -> None:
    """JSON may spell a lone surrogate half (\\ud800), which is no character: SQLite cannot store it."""
    for position, char in enumerate(text, 1):
        if "\ud800" <= char <= "\udfff":
            raise ValueError(f"character {position} of the text is a lone surrogate half (U+{ord(char):04X}), "
                             f"not a character; fix its escape")


def _corrected_sentences(db) -> list[Sentence]:
    return [Sentence(list(doc["text"]), spans_to_tags(doc["spans"], len(doc["text"])))
            for doc in corrected_documents(db)]


def export_pair(db: sqlite_utils.Database, chars_path, tags_path) -> int:
    """Corrected documents as a chars/TAG pair; returns how many were written."""
    sentences = _corrected_sentences(db)
    write_pair(sentences, chars_path, tags_path)
    return len(sentences)


def export_jsonl(db: sqlite_utils.Database, path) -> int:
    sentences = _corrected_sentences(db)
    write_jsonl_spans(sentences, path)
    return len(sentences)


def export_conll(db: sqlite_utils.Database, path) -> int:
    sentences = _corrected_sentences(db)
    write_conll(sentences, path)
    return len(sentences)
