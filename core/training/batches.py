"""Examples into the batches the model takes (long sentences cut, similar lengths together, each
character's allowed tags), and a model scored on examples."""
from __future__ import annotations

import random

import torch

from core.data.training_data import Example
from core.labels import split_tag
from core.model.model import NerModel
from core.scores.metrics import confusion_matrix, drop_types, entity_scores, token_accuracy
from core.text import chunk_bounds


def split_long(examples: list[Example], max_chars: int) -> list[Example]:
    out = []
    for ex in examples:
        if len(ex.chars) <= max_chars:
            out.append(ex)
            continue
        for start, end in chunk_bounds(ex.chars, max_chars):
            out.append(Example(ex.chars[start:end], ex.tags[start:end], ex.unannotated,
                               ex.alternatives[start:end] if ex.alternatives is not None else None))
    return out


def allowed_tags(example: Example, tags: list[str]) -> torch.Tensor:
    """bool (seq, tags): the gold tag, plus unannotated types' tags wherever gold says O, plus
    each character's alternatives."""
    index = {tag: i for i, tag in enumerate(tags)}
    allowed = torch.zeros((len(example.tags), len(tags)), dtype=torch.bool)
    hidden = [index[t] for t in tags if t != "O" and split_tag(t)[1] in example.unannotated]
    gold = [index.get(tag, -1) for tag in example.tags]
    if -1 in gold:
        position = gold.index(-1)
        raise ValueError(f"unknown tag {example.tags[position]!r} at character {position + 1}; known: {' '.join(tags)}")
    # One indexed write per sentence, not one per character: collating was a third of a step.
    allowed[torch.arange(len(gold)), torch.tensor(gold, dtype=torch.long)] = True
    if hidden and "O" in index:
        outside = torch.tensor([i for i, g in enumerate(gold) if g == index["O"]], dtype=torch.long)
        allowed[outside.unsqueeze(1), torch.tensor(hidden, dtype=torch.long)] = True
    if example.alternatives is not None:
        for position, extra in enumerate(example.alternatives):
            for tag in extra:
                if tag not in index:
                    raise ValueError(f"unknown alternative tag {tag!r} at character {position + 1}; known: {' '.join(tags)}")
                allowed[position, index[tag]] = True
    return allowed


def bucketed_batches(lengths: list[int], batch_size: int, rng: random.Random | None) -> list[list[int]]:
    """Batches of similar length (little padding), in random order when rng is given.

    Sorting inside pools of 50 batches keeps padding low while still mixing the data.
    """
    order = list(range(len(lengths)))
    if rng is not None:
        rng.shuffle(order)
    pool = batch_size * 50
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: lengths[i])
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    if rng is not None:
        rng.shuffle(batches)
    return batches


def collate(examples: list[Example], model: NerModel):
    """Pad a batch to its longest sentence: ids (batch, seq), allowed (batch, seq, tags), mask."""
    ids, mask = model.batch_ids([ex.chars for ex in examples])
    allowed = torch.ones((len(examples), ids.shape[1], len(model.tags)), dtype=torch.bool)
    for row, ex in enumerate(examples):
        allowed[row, : len(ex.chars)] = allowed_tags(ex, model.tags)
    return ids, allowed, mask


def _autocast(device: torch.device, enabled: bool):
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=enabled and device.type == "cuda")


@torch.no_grad()
def evaluate(model: NerModel, examples: list[Example], batch_size: int = 128, amp: bool = True) -> dict:
    """Dev loss, token accuracy and strict entity scores; unannotated types are dropped on both sides."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    # Score whole sentences, but run the encoder on pieces its positions can hold.
    examples = split_long(examples, model.max_chars)
    gold, predicted, losses = [], [], []
    for batch in bucketed_batches([len(ex.chars) for ex in examples], batch_size, None):
        batch_examples = [examples[i] for i in batch]
        ids, allowed, mask = (t.to(device) for t in collate(batch_examples, model))
        with _autocast(device, amp):
            emissions = model.emissions(ids, mask)
        losses.append(float(model.loss(emissions, allowed, mask)) * len(batch))
        best = model.decode(emissions, mask)
        for row, ex in enumerate(batch_examples):
            tags = [model.tags[i] for i in best[row, : len(ex.chars)].tolist()]
            gold.append(drop_types(ex.tags, ex.unannotated))
            predicted.append(drop_types(tags, ex.unannotated))
    model.train(was_training)
    return {
        "loss": sum(losses) / max(len(examples), 1),
        "token_accuracy": token_accuracy(gold, predicted),
        "entities": entity_scores(gold, predicted),
        "confusion": {"tags": list(model.tags), "counts": confusion_matrix(gold, predicted, model.tags).tolist()},
    }
