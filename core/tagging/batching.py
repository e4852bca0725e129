"""The loop both taggers share (predict.Tagger on torch, lite.LiteTagger on NumPy): cut texts into
sentence pieces, tag them in length-sorted batches, stitch each piece's tags back into its text."""
from __future__ import annotations

from typing import Callable

from core.text import sentence_bounds


def tag_pieces(texts, max_chunk: int, batch_size: int, max_tokens: int, run_batch: Callable,
               progress: Callable[[int], None] | None = None) -> tuple[list[list[int]], list[list]]:
    """Per text: its tag ids and its characters' tag probabilities (None where run_batch gave none).

    run_batch(character sequences) gives (best tag ids (batch, seq), probabilities (batch, seq,
    tags) or None) as tensors or arrays; progress(n_chars) is called after each batch.
    """
    pieces = sorted(((index, start, end) for index, text in enumerate(texts)
                     for start, end in sentence_bounds(text, max_chunk)), key=lambda piece: piece[2] - piece[1])
    tag_ids = [[0] * len(text) for text in texts]
    probs = [[None] * len(text) for text in texts]
    for batch in length_batches(pieces, batch_size, max_tokens):
        best, marginals = run_batch([texts[i][s:e] for i, s, e in batch])
        for row, (index, start, end) in enumerate(batch):
            tag_ids[index][start:end] = best[row, : end - start].tolist()
            if marginals is not None:
                probs[index][start:end] = marginals[row, : end - start].tolist()
        if progress is not None:
            progress(sum(e - s for _, s, e in batch))
    return tag_ids, probs


def length_batches(pieces, batch_size: int, max_tokens: int):
    """Consecutive runs of (text, start, end) pieces sorted by length, within batch_size pieces and
    max_tokens padded characters (pieces x the longest)."""
    batch = []
    for piece in pieces:
        width = piece[2] - piece[1]  # the longest so far: pieces come sorted by length
        if batch and (len(batch) >= batch_size or (len(batch) + 1) * width > max_tokens):
            yield batch
            batch = []
        batch.append(piece)
    if batch:
        yield batch
