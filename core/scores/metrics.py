"""Scores: entity precision/recall/F1 (seqeval, strict spans), token accuracy, tag confusion."""
from __future__ import annotations

import numpy as np

from core.labels import repair_bio, split_tag, to_seqeval


def drop_types(tags: list[str], types) -> list[str]:
    """Set the tags of the given entity types to O (a corpus that does not annotate them)."""
    if not types:
        return list(tags)
    return ["O" if tag != "O" and split_tag(tag)[1] in types else tag for tag in tags]


def entity_scores(gold: list[list[str]], predicted: list[list[str]]) -> dict:
    """{'micro': {precision, recall, f1, support}, 'PER': {...}, ...} over strict spans.

    Predictions are BIO-repaired first (an orphan I_ becomes B_), so strict mode scores every
    span the tagger shows rather than silently dropping malformed ones.
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold sentences but {len(predicted)} predicted")
    for i, (g, p) in enumerate(zip(gold, predicted)):
        if len(g) != len(p):
            raise ValueError(f"sentence {i + 1}: {len(g)} gold tags but {len(p)} predicted")
    y_true = [to_seqeval(repair_bio(g)) for g in gold]
    y_pred = [to_seqeval(repair_bio(p)) for p in predicted]
    # Imported here: seqeval pulls in scikit-learn, seconds of start-up that `python -m core tag` never needs.
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    report = classification_report(y_true, y_pred, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)
    scores = {}
    for name, row in report.items():
        key = "micro" if name == "micro avg" else name
        if name in ("macro avg", "weighted avg"):
            continue
        scores[key] = {"precision": float(row["precision"]), "recall": float(row["recall"]),
                       "f1": float(row["f1-score"]), "support": int(row["support"])}
    scores.setdefault("micro", {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0})
    return scores


def token_accuracy(gold: list[list[str]], predicted: list[list[str]]) -> float:
    total = sum(len(g) for g in gold)
    right = sum(a == b for g, p in zip(gold, predicted) for a, b in zip(g, p))
    return right / total if total else 0.0


def confusion_matrix(gold: list[list[str]], predicted: list[list[str]], tags: list[str]) -> np.ndarray:
    """Counts (gold tag, predicted tag) over characters, rows and columns in `tags` order."""
    index = {tag: i for i, tag in enumerate(tags)}
    matrix = np.zeros((len(tags), len(tags)), dtype=np.int64)
    for g, p in zip(gold, predicted):
        for a, b in zip(g, p):
            matrix[index[a], index[b]] += 1
    return matrix


def evaluate_tags(gold: list[list[str]], predicted: list[list[str]], tags: list[str]) -> dict:
    """Everything the CLI and the model card report, as plain JSON-able values."""
    return {
        "entities": entity_scores(gold, predicted),
        "token_accuracy": token_accuracy(gold, predicted),
        "confusion": {"tags": list(tags), "counts": confusion_matrix(gold, predicted, tags).tolist()},
        "sentences": len(gold),
        "characters": sum(len(g) for g in gold),
    }


def missed_entity_kinds(gold: list[list[str]], predicted: list[list[str]]) -> dict[str, dict[str, int]]:
    """Why each gold entity was missed, per type: {type: {kind: count}}, most common first.

    Kinds: "not found" (no predicted span touches it), "same span as X" (right edges, wrong
    type), "split into X+Y" (several predicted spans inside it, types in order), "wrong edges
    as X" (one overlapping span with other edges). Shows systematic errors that F1 hides, such
    as organisations read as a place followed by an organisation.
    """
    from collections import Counter

    from core.labels import tags_to_spans

    kinds: dict[str, Counter] = {}
    for gold_tags, predicted_tags in zip(gold, predicted):
        predicted_spans = tags_to_spans(repair_bio(predicted_tags))
        found = set(predicted_spans)
        for span in tags_to_spans(gold_tags):
            if span in found:
                continue
            touching = sorted(p for p in predicted_spans if p.start < span.end and span.start < p.end)
            if not touching:
                kind = "not found"
            elif len(touching) > 1:
                kind = "split into " + "+".join(p.label for p in touching)
            elif (touching[0].start, touching[0].end) == (span.start, span.end):
                kind = f"same span as {touching[0].label}"
            else:
                kind = f"wrong edges as {touching[0].label}"
            kinds.setdefault(span.label, Counter())[kind] += 1
    return {label: dict(counter.most_common()) for label, counter in sorted(kinds.items())}
