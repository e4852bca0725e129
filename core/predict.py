"""Batched inference: cut texts into sentences, tag them in length-sorted batches, stitch back.

Offsets in the results always refer to the text as given: every character (spaces, emoji,
control characters) gets exactly one tag.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from core.labels import Span, spans_to_tags, tags_to_spans
from core.model import NerModel, load_model
from core.text import sentence_bounds


@dataclass
class Entity:
    start: int
    end: int  # exclusive
    label: str
    text: str
    confidence: float  # lowest marginal probability of the entity's tags along its characters


@dataclass
class Tagged:
    text: str
    tags: list[str]
    entities: list[Entity]
    char_confidence: list[float] = field(repr=False)

    @property
    def spans(self) -> list[Span]:
        return [Span(e.start, e.end, e.label) for e in self.entities]


class Tagger:
    def __init__(self, model: NerModel, batch_size: int = 64, max_chunk: int | None = None):
        self.model = model.eval()
        self.batch_size = batch_size
        self.max_chunk = min(max_chunk or model.max_chars, model.max_chars)
        self.device = next(model.parameters()).device

    @classmethod
    def from_folder(cls, folder, device: str = "cpu", **kwargs) -> "Tagger":
        return cls(load_model(folder, device=device), **kwargs)

    def tag(self, text: str) -> Tagged:
        return self.tag_texts([text])[0]

    @torch.inference_mode()
    def tag_texts(self, texts, progress=None) -> list[Tagged]:
        """Tag many texts; each is a str or a list of characters. progress(n_chars) is called per batch."""
        texts = [text if isinstance(text, str) else list(text) for text in texts]
        pieces = []  # (text index, start, end)
        for index, text in enumerate(texts):
            pieces += [(index, start, end) for start, end in sentence_bounds(text, self.max_chunk)]
        tag_ids = [[0] * len(text) for text in texts]
        probs = [[None] * len(text) for text in texts]
        order = sorted(range(len(pieces)), key=lambda i: pieces[i][2] - pieces[i][1])
        for batch_start in range(0, len(order), self.batch_size):
            batch = [pieces[i] for i in order[batch_start : batch_start + self.batch_size]]
            best, marginals = self._run_batch([texts[i][s:e] for i, s, e in batch])
            for row, (index, start, end) in enumerate(batch):
                n = end - start
                tag_ids[index][start:end] = best[row, :n].tolist()
                probs[index][start:end] = marginals[row, :n].tolist()
            if progress is not None:
                progress(sum(e - s for _, s, e in batch))
        return [self._result(text, ids, p) for text, ids, p in zip(texts, tag_ids, probs)]

    def _run_batch(self, chunks) -> tuple[torch.Tensor, torch.Tensor]:
        vocab = self.model.char_vocab
        width = max(len(chunk) for chunk in chunks)
        input_ids = torch.full((len(chunks), width), vocab.pad, dtype=torch.long)
        mask = torch.zeros((len(chunks), width), dtype=torch.bool)
        spaces = torch.zeros((len(chunks), width), dtype=torch.bool)
        for row, chunk in enumerate(chunks):
            input_ids[row, : len(chunk)] = torch.tensor(vocab.encode(chunk), dtype=torch.long)
            mask[row, : len(chunk)] = True
            spaces[row, : len(chunk)] = torch.tensor([c.isspace() for c in chunk])
        input_ids, mask = input_ids.to(self.device), mask.to(self.device)
        emissions = self.model.emissions(input_ids, mask).float()
        # Whitespace is always O: forcing it here keeps Viterbi and the marginals consistent.
        emissions[:, :, 1:] = emissions[:, :, 1:].masked_fill(spaces.to(self.device).unsqueeze(2), -1e4)
        best = self.model.decode(emissions, mask)
        return best.cpu(), self.model.tag_probabilities(emissions, mask).cpu()

    def _result(self, text, ids: list[int], probs: list[list[float]]) -> Tagged:
        tags = [self.model.tags[i] for i in ids]
        spans = tags_to_spans(tags)
        tags = spans_to_tags(spans, len(tags))  # repairs any orphan I_ the decoder produced
        index = {tag: i for i, tag in enumerate(self.model.tags)}
        char_confidence = [p[index[tag]] for p, tag in zip(probs, tags)]
        entities = [Entity(s, e, label, "".join(text[s:e]), min(char_confidence[s:e])) for s, e, label in spans]
        return Tagged("".join(text), tags, entities, char_confidence)
