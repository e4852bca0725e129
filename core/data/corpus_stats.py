"""What the Data screen shows about a set of sentences, as plain JSON-able values (cacheable).

Pure: no Streamlit. Works on core.data.corpora.Sentence, so a corpus split and the corrections
(documents with spans, cut into sentences) are described the same way.
"""
from __future__ import annotations

import math
from collections import Counter

from core.data.corpora import Sentence
from core.labels import spans_to_tags, tags_to_spans
from core.text import sentence_bounds


def documents_to_sentences(documents) -> list[Sentence]:
    """Corrected documents ({text, spans}) cut at sentence ends, so lengths compare with a corpus.

    A span that crosses a sentence end (rare) is cut there and counts as two entities.
    """
    sentences = []
    for document in documents:
        text = document["text"]
        tags = spans_to_tags([tuple(span) for span in document["spans"]], len(text))
        for start, end in sentence_bounds(text, max(len(text), 1)):
            if text[start:end].strip():
                sentences.append(Sentence(list(text[start:end]), tags[start:end]))
    return sentences


def describe(sentences, top: int | None = None) -> dict:
    """Counts behind every Data chart.

    Returns {"sentences": n, "characters": n, "tag_counts": {tag: n}, "entity_counts": {type: n},
    "sentence_lengths": [n, ...], "entity_lengths": {type: {length: n}},
    "entity_texts": {type: {text: n}}, "distinct_entities": {type: n}}. Keys of entity_lengths
    are ints; entity_texts are sorted most frequent first, the `top` most frequent per type
    when top is given (a big corpus has tens of thousands).
    """
    tag_counts: Counter = Counter()
    lengths: dict[str, Counter] = {}
    texts: dict[str, Counter] = {}
    sentence_lengths = []
    for sentence in sentences:
        sentence_lengths.append(len(sentence.chars))
        tag_counts.update(sentence.tags)
        for start, end, label in tags_to_spans(sentence.tags):
            lengths.setdefault(label, Counter())[end - start] += 1
            texts.setdefault(label, Counter())["".join(sentence.chars[start:end])] += 1
    return {
        "sentences": len(sentence_lengths),
        "characters": sum(sentence_lengths),
        "tag_counts": dict(sorted(tag_counts.items())),
        "entity_counts": {label: sum(c.values()) for label, c in sorted(lengths.items())},
        "sentence_lengths": sentence_lengths,
        "entity_lengths": {label: dict(sorted(c.items())) for label, c in sorted(lengths.items())},
        "entity_texts": {label: dict(c.most_common(top)) for label, c in sorted(texts.items())},
        "distinct_entities": {label: len(c) for label, c in sorted(texts.items())},
    }


def mean_and_std(values) -> tuple[float, float]:
    """Population mean and standard deviation (0, 0 for no values)."""
    values = list(values)
    if not values:
        return 0.0, 0.0
    mean = sum(values) / len(values)
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))


def share_above(values, limit: float) -> float:
    """Fraction of values strictly above `limit` (how many sentences a length cut would touch)."""
    values = list(values)
    return sum(v > limit for v in values) / len(values) if values else 0.0
