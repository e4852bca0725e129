"""Silver labels: fill in an entity type a corpus does not annotate with a model's predictions.

The other way out of DESIGN.md's T problem (MSRA has no time labels): instead of the partial-
label CRF, which lets an MSRA O hide a time, tag MSRA with a model that knows times and write
its T spans in, then train on fully labelled sentences. Only characters that gold says are O
are touched, so the corpus's own entities always win.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from core.data.corpora import Sentence, read_pair, write_pair
from core.data.corpus_files import SPLITS, split_paths
from core.labels import spans_to_tags, tags_to_spans


def add_silver(gold_tags: list[str], predicted_tags: list[str], types) -> list[str]:
    """gold_tags with the predicted spans of `types` written in where every character is O in gold."""
    if len(gold_tags) != len(predicted_tags):
        raise ValueError(f"{len(gold_tags)} gold tags but {len(predicted_tags)} predicted")
    spans = list(tags_to_spans(gold_tags))
    for span in tags_to_spans(predicted_tags):
        if span.label in types and all(tag == "O" for tag in gold_tags[span.start : span.end]):
            spans.append(span)
    return spans_to_tags(sorted(spans), len(gold_tags))


def silver_corpus(source: Path, out: Path, tagger, types, splits=("train", "dev"), progress=None) -> dict:
    """Write `source` (a corpus folder) to `out` with silver `types` in `splits`; other splits are
    copied unchanged. Returns {split: silver spans added}. corpus.json says nothing is unannotated
    any more, so training treats the silver spans as gold."""
    source, out = Path(source), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    added = {}
    for split in SPLITS:
        chars, tags = split_paths(str(source), split)
        if not chars.exists():
            continue
        if split not in splits:
            for path in (chars, tags):
                shutil.copyfile(path, out / path.name)
            continue
        sentences = read_pair(chars, tags)
        predicted = tagger.tag_texts([s.chars for s in sentences], progress=progress)
        rows = [Sentence(s.chars, add_silver(list(s.tags), r.tags, types)) for s, r in zip(sentences, predicted)]
        write_pair(rows, out / chars.name, out / tags.name)
        added[split] = _count(rows, types) - _count(sentences, types)
    info = {"unannotated": [], "silver": {"types": sorted(types), "from": str(source), "added": added}}
    (out / "corpus.json").write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
    return added


def _count(sentences, types) -> int:
    return sum(span.label in types for sentence in sentences for span in tags_to_spans(sentence.tags))
