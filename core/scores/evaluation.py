"""Scores of a model: tagging a fixed sample of each bundled test split, and reading the scores a
model folder carries (its scores.json: {evaluation set: {token_accuracy, entities, confusion}}).

This is the one reader of micro F1 out of a scores dict. Pure (no Streamlit): pages cache results.
"""
from __future__ import annotations

from pathlib import Path

from core.data.corpora import read_pair
from core.scores.metrics import drop_types, evaluate_tags
from core.data.training_data import BUNDLED_CORPORA, split_files, unannotated_types

SAMPLE_SIZE = 200  # sentences per corpus: enough to fill every row; ~30 s for a 12-layer model on 2 busy CPU cores


def sample_sentences(data_dir, per_corpus: int = SAMPLE_SIZE) -> dict[str, list]:
    """{corpus: first sentences of its test split} for the bundled corpora present under data_dir."""
    sample = {}
    for name in BUNDLED_CORPORA:
        try:
            chars, tags = split_files(name, "test", data_dir)
        except ValueError:  # not prepared here: the sample simply has one corpus fewer
            continue
        sample[name] = read_pair(chars, tags)[:per_corpus]
    return sample


def evaluate_sample(tagger, sample: dict[str, list]) -> dict:
    """evaluate_tags per corpus plus the summed confusion, types a corpus leaves out set to O.

    Returns {"corpora": {name: evaluate_tags result}, "confusion": {"tags", "counts"}}.
    """
    tags = list(tagger.tags)
    corpora, total = {}, [[0] * len(tags) for _ in tags]
    for name, sentences in sample.items():
        ignored = unannotated_types(name)
        predicted = tagger.tag_texts([s.chars for s in sentences])
        report = evaluate_tags([drop_types(s.tags, ignored) for s in sentences],
                               [drop_types(r.tags, ignored) for r in predicted], tags)
        corpora[name] = report
        total = [[a + b for a, b in zip(x, y)] for x, y in zip(total, report["confusion"]["counts"])]
    return {"corpora": corpora, "confusion": {"tags": tags, "counts": total}}


def micro_f1s(scores: dict | None) -> dict[str, float]:
    """{evaluation set: micro entity F1} for the sets a scores dict holds."""
    out = {}
    for corpus, result in sorted((scores or {}).items()):
        f1 = ((result or {}).get("entities") or {}).get("micro", {}).get("f1") if isinstance(result, dict) else None
        if isinstance(f1, (int, float)):
            out[corpus] = float(f1)
    return out


def scored_size(result) -> dict:
    """What one evaluation set's score was measured on: {"sentences", "sample_of", "characters"},
    None where not recorded. "sample_of" is the size of the whole split a sample was cut from
    (core.training.run_data.score_sets). Older scores lack the sentences, but each carries a confusion, whose
    counts sum to the characters scored."""
    result = result if isinstance(result, dict) else {}

    def whole_number(value):
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    characters = whole_number(result.get("characters"))
    confusion = result.get("confusion")
    if characters is None and isinstance(confusion, dict) and isinstance(confusion.get("counts"), list):
        try:
            characters = int(sum(sum(row) for row in confusion["counts"]))
        except TypeError:
            characters = None
    return {"sentences": whole_number(result.get("sentences")), "sample_of": whole_number(result.get("sample_of")),
            "characters": characters}


def same_set(a, b) -> bool:
    """Whether two scores of an evaluation set of one name were measured on the same sentences:
    at least one size is recorded by both, and every size both record agrees. A 300-sentence sample
    and the whole test split are different sets: their F1s are not to be compared."""
    mine, theirs = scored_size(a), scored_size(b)
    known = [key for key in mine if mine[key] is not None and theirs[key] is not None]
    return bool(known) and all(mine[key] == theirs[key] for key in known)


def comparable_sets(mine: dict | None, theirs: dict | None) -> tuple[list[str], list[str]]:
    """(the evaluation sets both scores dicts have a micro F1 on, measured on the same sentences;
    those both have but on different sentences), each sorted by name."""
    ours, others = micro_f1s(mine), micro_f1s(theirs)
    both = sorted(set(ours) & set(others))
    same = [name for name in both if same_set(mine[name], theirs[name])]
    return same, [name for name in both if name not in same]


def type_f1(scores: dict | None, corpus: str, entity_type: str) -> float | None:
    """One type's F1 on one evaluation set, None where it was not measured."""
    result = (scores or {}).get(corpus) if isinstance(scores, dict) else None
    f1 = ((result or {}).get("entities") or {}).get(entity_type, {}).get("f1") if isinstance(result, dict) else None
    return float(f1) if isinstance(f1, (int, float)) else None


def saved_confusion(scores: dict | None) -> dict | None:
    """The confusion a model folder's scores.json carries (summed over corpora), if any."""
    found = [result["confusion"] for result in (scores or {}).values()
             if isinstance(result, dict) and isinstance(result.get("confusion"), dict)]
    if not found:
        return None
    tags = found[0]["tags"]
    counts = [[0] * len(tags) for _ in tags]
    for confusion in found:
        if confusion["tags"] != tags:
            raise ValueError(f"scores.json confusions use different tag orders: {tags} vs {confusion['tags']}")
        counts = [[a + b for a, b in zip(x, y)] for x, y in zip(counts, confusion["counts"])]
    return {"tags": tags, "counts": counts}


def folder_stamp(folder) -> float:
    """Changes whenever a model folder is rewritten (cache key part)."""
    folder = Path(folder)
    return max((p.stat().st_mtime for p in folder.iterdir() if p.is_file()), default=0.0)
