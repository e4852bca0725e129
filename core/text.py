"""Characters <-> encoder token ids (exactly one token per character) and long-text chunking.

This is the one module that knows how characters map to a transformer encoder's tokens (LAC's
own mapping, characters to embedding rows, is core/model/lac.py's LacVocab; core/model/encoders.py builds the
char_vocab.json read here). Tagging one token per character keeps every entity boundary exact, even
where the encoder's native tokenizer would have merged characters into one piece (DESIGN.md: about
6% of MSRA entities).
"""
from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

CHAR_VOCAB_FILE = "char_vocab.json"
SENTENCE_ENDS = set("。！？；!?;\n")
CLAUSE_ENDS = set("，、,：:」』”）)")


@dataclass
class CharVocab:
    """Maps single characters to encoder ids. Unknown characters fall back to NFKC, then <unk>."""

    chars: dict[str, int]
    cls: int
    sep: int
    pad: int
    unk: int
    space: int
    lowercase: bool = False
    _cache: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def id_of(self, char: str) -> int:
        cached = self._cache.get(char)
        if cached is not None:
            return cached
        found = self._lookup(char)
        self._cache[char] = found
        return found

    def _lookup(self, char: str) -> int:
        if char.isspace():
            return self.space
        candidates = [char]
        if self.lowercase:
            candidates.append(char.lower())
        # NFKC folds full-width forms (Ａ１) onto the ASCII pieces the encoder knows; for
        # characters it expands (℃ -> °C, … -> ...) the first character keeps the meaning.
        normalised = unicodedata.normalize("NFKC", char)
        if normalised:
            candidates += [normalised, normalised[0], normalised[0].lower()]
        for candidate in candidates:
            if candidate in self.chars:
                return self.chars[candidate]
        return self.unk

    def encode(self, chars) -> list[int]:
        """Token ids for a sequence of characters, without special tokens."""
        return [self.id_of(char) for char in chars]

    def to_json(self) -> dict:
        return {"chars": self.chars, "cls": self.cls, "sep": self.sep, "pad": self.pad,
                "unk": self.unk, "space": self.space, "lowercase": self.lowercase}

    def save(self, folder) -> None:
        Path(folder, CHAR_VOCAB_FILE).write_text(json.dumps(self.to_json(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def from_json(cls, data: dict) -> "CharVocab":
        return cls(chars=data["chars"], cls=data["cls"], sep=data["sep"], pad=data["pad"],
                   unk=data["unk"], space=data["space"], lowercase=data.get("lowercase", False))

    @classmethod
    def load(cls, folder) -> "CharVocab":
        path = Path(folder, CHAR_VOCAB_FILE)
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))

    @classmethod
    def from_tokenizer(cls, tokenizer) -> "CharVocab":
        """A character map from any Hugging Face tokenizer: its single-character tokens.

        WordPiece continuation pieces (##x) are skipped; a SentencePiece word-start piece
        (▁x) is used only where the bare piece is missing.
        """
        vocab = tokenizer.get_vocab()
        chars: dict[str, int] = {}
        for token, token_id in vocab.items():
            if len(token) == 1 and token != "▁":
                chars[token] = token_id
        for token, token_id in vocab.items():
            if len(token) == 2 and token[0] == "▁":
                chars.setdefault(token[1], token_id)
        unk = tokenizer.unk_token_id
        space = vocab.get("▁", unk)
        lowercase = bool(getattr(tokenizer, "do_lower_case", False))
        cls_id = tokenizer.cls_token_id if tokenizer.cls_token_id is not None else tokenizer.bos_token_id
        sep_id = tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id
        return cls(chars=chars, cls=cls_id, sep=sep_id, pad=tokenizer.pad_token_id, unk=unk,
                   space=space, lowercase=lowercase)

    @classmethod
    def for_encoder_folder(cls, folder) -> "CharVocab":
        """The folder's char_vocab.json (our bundled encoder) or one derived from its tokenizer."""
        if Path(folder, CHAR_VOCAB_FILE).exists():
            return cls.load(folder)
        from transformers import AutoTokenizer

        return cls.from_tokenizer(AutoTokenizer.from_pretrained(str(folder)))


def chunk_bounds(text, max_len: int) -> list[tuple[int, int]]:
    """Cut a text into (start, end) pieces of at most max_len characters that cover it exactly.

    A cut goes after the last sentence end inside the window, else after the last clause
    mark, else after the last whitespace, else at the hard limit.
    """
    if max_len < 1:
        raise ValueError(f"max_len must be positive, got {max_len}")
    bounds = []
    start, length = 0, len(text)
    while start < length:
        end = min(start + max_len, length)
        if end < length:
            window = text[start:end]
            for marks in (SENTENCE_ENDS, CLAUSE_ENDS):
                cut = max((i for i, ch in enumerate(window) if ch in marks), default=-1)
                if cut >= 0:
                    end = start + cut + 1
                    break
            else:
                cut = max((i for i, ch in enumerate(window) if ch.isspace()), default=-1)
                if cut >= 0:
                    end = start + cut + 1
        bounds.append((start, end))
        start = end
    return bounds


def sentence_bounds(text, max_len: int) -> list[tuple[int, int]]:
    """Split at every sentence end (then chunk_bounds for long sentences): short, batchable pieces."""
    bounds = []
    start = 0
    for i, ch in enumerate(text):
        if ch in SENTENCE_ENDS:
            bounds.append((start, i + 1))
            start = i + 1
    if start < len(text):
        bounds.append((start, len(text)))
    pieces = []
    for start, end in bounds:
        pieces += [(start + s, start + e) for s, e in chunk_bounds(text[start:end], max_len)]
    return pieces


def pad_chars(sequences, vocab: CharVocab):
    """Character sequences as a padded batch: ids (batch, seq) long, mask (batch, seq) bool."""
    import torch

    width = max(len(chars) for chars in sequences)
    ids = torch.full((len(sequences), width), vocab.pad, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.bool)
    for row, chars in enumerate(sequences):
        ids[row, : len(chars)] = torch.tensor(vocab.encode(chars), dtype=torch.long)
        mask[row, : len(chars)] = True
    return ids, mask
