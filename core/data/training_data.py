"""Where training examples come from: prepared corpora by name or folder, and correction files.

Each corpus declares the entity types it does not annotate, so the partial-label CRF can
treat an O there as "O or one of those types" (MSRA has no time labels; the People's Daily
data lost most organisations).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from core.data.corpora import Sentence, read_pair
from core.data.conll_jsonl import read_jsonl_spans
from core.data.corpus_files import (BUNDLED, BUNDLED_UNANNOTATED, DATA_DIR, corpus_folder, has_split,  # noqa: F401 (re-exported)
                                split_files, split_paths)

BUNDLED_CORPORA = BUNDLED_UNANNOTATED  # name: the types it leaves out
FIXED_EVALUATION = BUNDLED  # their test splits: MSRA official test; People's Daily hold-out (its T labels)
CORPUS_INFO_FILE = "corpus.json"  # optional in a user's folder: {"unannotated": ["T"]}
ALTERNATIVE = "|"  # between the tags a silver character may carry (core/training/teachers.py writes them)


@dataclass
class Example:
    chars: list[str]
    tags: list[str]
    # Types this example's corpus does not annotate: an O there may hide one of them.
    unannotated: frozenset = frozenset()
    # Per character, tags allowed besides tags[i] (silver labels where teachers disagree,
    # core/training/teachers.py); None when the example is fully decided.
    alternatives: tuple | None = None


def unannotated_types(name_or_dir: str, data_dir=DATA_DIR) -> frozenset:
    if name_or_dir in BUNDLED_CORPORA:
        return BUNDLED_CORPORA[name_or_dir]
    info = Path(name_or_dir) / CORPUS_INFO_FILE
    if info.exists():
        return frozenset(json.loads(info.read_text(encoding="utf-8")).get("unannotated", []))
    return frozenset()


def corpus_info(name_or_dir: str) -> dict:
    info = Path(name_or_dir) / CORPUS_INFO_FILE
    return json.loads(info.read_text(encoding="utf-8")) if name_or_dir not in BUNDLED_CORPORA and info.exists() else {}


def load_split(name_or_dir: str, split: str, data_dir=DATA_DIR, limit: int | None = None) -> list[Example]:
    chars_path, tags_path = split_files(name_or_dir, split, data_dir)
    unannotated = unannotated_types(name_or_dir, data_dir)
    sentences = read_pair(chars_path, tags_path)
    if limit is not None:
        sentences = sentences[:limit]
    if corpus_info(name_or_dir).get("alternatives"):
        return [_with_alternatives(s, unannotated) for s in sentences]
    return [Example(list(s.chars), list(s.tags), unannotated) for s in sentences]


def read_labelled(chars_path, tags_path) -> list[Sentence]:
    """A split's sentences with one tag a character: in a silver corpus (corpus.json "alternatives"
    beside the files), the first of a character's tags, the agreed or the first teacher's."""
    sentences = read_pair(chars_path, tags_path)
    if not corpus_info(str(Path(chars_path).parent)).get("alternatives"):
        return sentences
    return [Sentence(s.chars, [tag.split(ALTERNATIVE)[0] for tag in s.tags]) for s in sentences]


def _with_alternatives(sentence, unannotated) -> Example:
    """A silver sentence whose tags may read B_PER|O: the first tag is its label, the rest also allowed."""
    cells = [tag.split(ALTERNATIVE) for tag in sentence.tags]
    return Example(list(sentence.chars), [cell[0] for cell in cells], unannotated,
                   tuple(tuple(cell[1:]) for cell in cells))


def load_corrections(path) -> list[Example]:
    """A JSON-lines file of {"text": ..., "spans": [[start, end, label], ...]}: fully annotated."""
    return [Example(list(s.chars), list(s.tags), frozenset()) for s in read_jsonl_spans(path)]
