"""What tagging returns (Tagged, Entity) and how decoded tags become it; no torch.

Shared by the torch tagger (core/tagging/predict.py) and the NumPy one (core/tagging/lite.py), so
both trim, repair and score entities the same way.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from core.labels import Span, spans_to_tags, tags_to_spans


@dataclass
class Entity:
    start: int
    end: int  # exclusive
    label: str
    text: str
    confidence: float | None  # lowest marginal probability of the entity's tags along its characters
    # (None when tagged with confidence=False: the CLI's tag and eval skip the marginals)


@dataclass
class Tagged:
    text: str
    tags: list[str]
    entities: list[Entity]
    char_confidence: list[float] = field(repr=False)

    @property
    def spans(self) -> list[Span]:
        return [Span(e.start, e.end, e.label) for e in self.entities]

    @property
    def lowest_confidence(self) -> float:
        """The correction queue's sort key: the lowest confidence over every character.

        At most the lowest entity confidence, and it also catches the characters tagged O without
        certainty (a missed name), which entity confidence cannot see. Rounded as it is stored.
        """
        return round(min(self.char_confidence), 6) if self.char_confidence else 1.0


def tagged_result(text, tags: list[str], probs, tag_index: dict[str, int]) -> Tagged:
    """text's decoded tags and per-character tag probabilities as a Tagged: entities trimmed of
    whitespace, orphan I_ repaired, each confidence the lowest of its characters' probabilities."""
    spans = [trimmed for span in tags_to_spans(tags) if (trimmed := strip_whitespace(span, text))]
    tags = spans_to_tags(spans, len(tags))  # repairs any orphan I_ the decoder produced
    char_confidence = [None if p is None else p[tag_index[tag]] for p, tag in zip(probs, tags)]
    entities = [Entity(s, e, label, "".join(text[s:e]), _lowest(char_confidence[s:e])) for s, e, label in spans]
    return Tagged("".join(text), tags, entities, char_confidence)


def _lowest(confidences: list) -> float | None:
    return None if None in confidences else min(confidences)


def strip_whitespace(span: Span, text) -> Span | None:
    """The span without whitespace at either end; None when nothing else is left."""
    start, end, label = span
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end, label) if start < end else None
