"""Agreement between annotators: entity F1 over exact spans (overall and per type) and Cohen's
kappa over character tags (O, B_X, I_X), per document, per pair of annotators and overall, and the
documents ranked by how much their annotators disagree. Pure: spans in, numbers out.

F1 between two annotators is symmetric: neither is gold, so precision and recall swap with the
order and F1 = 2 * matched / (spans of A + spans of B). "Overall" pools the counts of every pair
(micro), for F1 and for kappa alike: pairs that annotated different documents still pool cleanly,
where a mean of per-pair kappas (Light's) would weigh a pair of 3 documents like one of 300.
Undefined figures are None, never a made-up 1.0: F1 when neither annotator marked an entity,
kappa when both used one tag only (every character O, say).
"""
from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field

from core.labels import check_spans, is_type_name, spans_to_tags


def f1_score(matched: int, count_a: int, count_b: int) -> float | None:
    """2m / (a + b): the F1 of either annotator's spans against the other's; None when both are empty."""
    total = count_a + count_b
    return None if total == 0 else 2 * matched / total


def cohen_kappa(tag_pairs: Counter) -> float | None:
    """Cohen's kappa from {(tag of A, tag of B): characters}: (p_o - p_e) / (1 - p_e), where p_o is
    the share of characters with the same tag and p_e the share expected by chance from each
    annotator's own tag frequencies. None when p_e is 1 (one tag everywhere: nothing to agree on)."""
    total = sum(tag_pairs.values())
    if total == 0:
        return None
    observed = sum(n for (a, b), n in tag_pairs.items() if a == b) / total
    of_a, of_b = Counter(), Counter()
    for (a, b), n in tag_pairs.items():
        of_a[a] += n
        of_b[b] += n
    expected = sum(of_a[tag] * of_b[tag] for tag in of_a) / (total * total)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


@dataclass
class Comparison:
    """The counts behind the figures, for one document or pooled (a + b adds them up)."""

    matched: Counter = field(default_factory=Counter)  # {type: spans both marked exactly}
    count_a: Counter = field(default_factory=Counter)  # {type: spans of A}
    count_b: Counter = field(default_factory=Counter)
    tag_pairs: Counter = field(default_factory=Counter)  # {(tag of A, tag of B): characters}
    documents: int = 0

    def __add__(self, other: "Comparison") -> "Comparison":
        return Comparison(self.matched + other.matched, self.count_a + other.count_a, self.count_b + other.count_b,
                          self.tag_pairs + other.tag_pairs, self.documents + other.documents)

    @property
    def f1(self) -> float | None:
        return f1_score(sum(self.matched.values()), sum(self.count_a.values()), sum(self.count_b.values()))

    @property
    def per_type(self) -> dict[str, float]:
        """{type: F1} for every type either annotator used, sorted by name."""
        types = sorted(set(self.count_a) | set(self.count_b))
        return {t: f1_score(self.matched[t], self.count_a[t], self.count_b[t]) for t in types
                if self.count_a[t] + self.count_b[t]}

    @property
    def kappa(self) -> float | None:
        return cohen_kappa(self.tag_pairs)

    @property
    def unmatched(self) -> int:
        """Spans that one annotator marked and the other did not mark exactly so."""
        return sum(self.count_a.values()) + sum(self.count_b.values()) - 2 * sum(self.matched.values())

    @property
    def differing_characters(self) -> int:
        return sum(n for (a, b), n in self.tag_pairs.items() if a != b)

    @property
    def characters(self) -> int:
        return sum(self.tag_pairs.values())

    def to_dict(self) -> dict:
        return {"f1": self.f1, "per_type": self.per_type, "kappa": self.kappa, "documents": self.documents,
                "characters": self.characters, "unmatched_spans": self.unmatched}


def _labels(spans) -> tuple[str, ...]:
    return tuple({span[2] for span in spans or [] if is_type_name(span[2])})


def compare(length: int, spans_a, spans_b) -> Comparison:
    """The two annotators' versions of one text of `length` characters (spans [start, end, label],
    checked as every writer's are: ValueError for overlaps or offsets outside the text)."""
    labels = _labels(spans_a) + _labels(spans_b)
    a = check_spans(spans_a, length, labels)
    b = check_spans(spans_b, length, labels)
    result = Comparison(documents=1)
    result.count_a.update(span.label for span in a)
    result.count_b.update(span.label for span in b)
    result.matched.update(span.label for span in set(a) & set(b))
    result.tag_pairs.update(zip(spans_to_tags(a, length), spans_to_tags(b, length)))
    return result


def pairs_of(versions: dict[str, list]) -> list[tuple[str, str]]:
    """Every pair of annotators of one document, each pair named in sorted order."""
    return list(itertools.combinations(sorted(versions), 2))


def team_agreement(documents) -> dict:
    """Agreement over documents given as {"id", "length" (or "text"), "versions": {annotator: spans}}.

    Returns {"overall": Comparison pooled over every pair, "pairs": {(a, b): Comparison},
    "annotators": {name: Comparison pooled over the pairs they are in}}. Documents with fewer than
    two versions count nowhere."""
    pairs: dict[tuple[str, str], Comparison] = {}
    for doc in documents:
        length = doc["length"] if "length" in doc else len(doc["text"])
        for a, b in pairs_of(doc["versions"]):
            one = compare(length, doc["versions"][a], doc["versions"][b])
            pairs[(a, b)] = pairs.get((a, b), Comparison()) + one
    overall = sum(pairs.values(), Comparison())
    overall.documents = sum(1 for doc in documents if len(doc["versions"]) >= 2)
    annotators: dict[str, Comparison] = {}
    for (a, b), comparison in pairs.items():
        for name in (a, b):
            annotators[name] = annotators.get(name, Comparison()) + comparison
    return {"overall": overall, "pairs": dict(sorted(pairs.items())), "annotators": dict(sorted(annotators.items()))}


def rank_by_disagreement(documents) -> list[dict]:
    """The documents with two or more versions, most disagreeing first: by spans without an exact
    match in the other version (summed over the document's pairs), then by characters tagged
    differently, then by id. Each row: {"id", "unmatched_spans", "differing_characters", "f1",
    "kappa", "annotators"}; documents whose versions agree exactly are ranked last."""
    rows = []
    for doc in documents:
        if len(doc["versions"]) < 2:
            continue
        length = doc["length"] if "length" in doc else len(doc["text"])
        pooled = sum((compare(length, doc["versions"][a], doc["versions"][b]) for a, b in pairs_of(doc["versions"])),
                     Comparison())
        rows.append({"id": doc["id"], "unmatched_spans": pooled.unmatched,
                     "differing_characters": pooled.differing_characters, "f1": pooled.f1, "kappa": pooled.kappa,
                     "annotators": sorted(doc["versions"])})
    rows.sort(key=lambda row: (-row["unmatched_spans"], -row["differing_characters"], row["id"]))
    return rows


def compare_files(texts_a: list[str], spans_a: list, texts_b: list[str], spans_b: list,
                  names=("A", "B")) -> tuple[Comparison, list[dict]]:
    """Two annotators' files of the same texts in the same order (what `python -m core agreement`
    reads; names only name them in messages): the pooled comparison and the lines ranked by disagreement (ids are 1-based lines).
    ValueError naming the first line whose texts differ, or when the files have different lengths."""
    if len(texts_a) != len(texts_b):
        raise ValueError(f"{names[0]} has {len(texts_a)} texts and {names[1]} has {len(texts_b)}: "
                         "the files must hold the same texts in the same order")
    documents = []
    for line, (text_a, text_b) in enumerate(zip(texts_a, texts_b), 1):
        if text_a != text_b:
            raise ValueError(f"text {line} differs: {names[0]} has {text_a[:30]!r}, {names[1]} has {text_b[:30]!r}; "
                             "the files must hold the same texts in the same order")
        documents.append({"id": line, "text": text_a, "versions": {"A": spans_a[line - 1], "B": spans_b[line - 1]}})
    result = team_agreement(documents)
    return result["overall"], rank_by_disagreement(documents)
