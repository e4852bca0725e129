"""Corpus files in and out: the sentence, the seed's chars/TAG pair, and what every corpus file
shares (escaping characters, checking tags, reading lines of UTF-8). CoNLL and JSON-lines spans are
core/data/conll_jsonl.py's; the bundled corpora's conversion is core/data/bundled.py's.

Pure: no Streamlit, no SQL. Bad input raises ValueError naming the file, line and counts.
"""
from __future__ import annotations

import codecs
import itertools
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from core.labels import tags_to_spans


@dataclass
class Sentence:
    chars: list[str]  # one code point each
    tags: list[str]  # BIO, same length

    def __post_init__(self):
        if len(self.chars) != len(self.tags):
            raise ValueError(f"{len(self.chars)} characters but {len(self.tags)} tags")

    @property
    def text(self) -> str:
        return "".join(self.chars)


@dataclass
class Problem:
    """One bad line of a chars/TAG pair, as check_pair reports it (line is 1-based)."""
    line: int
    n_chars: int
    n_tags: int
    unknown_tags: tuple[str, ...] = ()
    note: str = ""
    column: int = 0  # 1-based position of the first unknown tag, 0 when none

    def __str__(self):
        text = f"line {self.line}: {self.n_chars} characters, {self.n_tags} tags"
        if self.unknown_tags:
            text += f"; unknown tags {', '.join(self.unknown_tags)} (first at column {self.column})"
        return text + (f"; {self.note}" if self.note else "")


# ---- characters inside space-separated files ---------------------------------------------
# A space, tab, line break or other non-printable character cannot stand as a token, so it is
# written as the token <U+XXXX>. Every real token is one character, so any longer token is an
# escape and nothing is ambiguous: the text "<U+0020>" is written as 8 one-character tokens.
# (U+3000 is escaped too: some readers split on any Unicode whitespace.)
_ESCAPE = re.compile(r"<U\+([0-9A-F]{4,6})>")


def _escape(char: str, where: str) -> str:
    if len(char) != 1:
        raise ValueError(f"{where}: {char!r} is not one character")
    return f"<U+{ord(char):04X}>" if char == " " or not char.isprintable() else char


def _unescape(token: str) -> str:
    if len(token) == 1:
        return token
    match = _ESCAPE.fullmatch(token)
    if not match:
        raise ValueError(f"token {token!r} is neither one character nor <U+XXXX>")
    code = int(match.group(1), 16)
    # A surrogate half is no character: UTF-8 cannot hold it, so SQLite and every writer would fail.
    if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        raise ValueError(f"token {token!r} is no character (a surrogate half, or past U+10FFFF)")
    return chr(code)


def _check_tag(tag: str, where: str) -> str:
    if not tag or any(c.isspace() for c in tag):
        raise ValueError(f"{where}: tag {tag!r} is empty or holds whitespace")
    return tag


def readable_file(path) -> Path:
    """path, or ValueError saying what is wrong with it and what to do (the OSError would not)."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise ValueError(f"{path}: is a folder, not a file; pass a file")
    return path


def not_utf8(path, data: bytes, error: UnicodeDecodeError, line: int = 0, column: int = 0) -> str:
    """The message for bytes that are not UTF-8: file, line and column of the first bad byte.

    data is what error.object was decoded from, starting at line `line` (0: the file's start)
    and `column` characters into it.
    """
    return f"{path}: {_not_utf8_at(data, error, line, column)}"


def _not_utf8_at(data: bytes, error: UnicodeDecodeError, line: int = 0, column: int = 0) -> str:
    """not_utf8 without the file's name: "line L, column C: not UTF-8 (byte 0x..); ..."."""
    before = data[: error.start]
    if line == 0:
        line = before.count(b"\n") + 1
        before = before[before.rfind(b"\n") + 1:]
        column = 0
    column += len(before.decode("utf-8", "replace")) + 1
    return f"line {line}, column {column}: not UTF-8 (byte 0x{data[error.start]:02x}); save the file as UTF-8"


def text_lines(path):
    """Yields (number, line, bad) over a file's lines, reading one at a time (a file of any size).

    Lines end at \\n only (str.splitlines would also split at U+2028 and friends); a CRLF line's \\r
    is dropped, and so is a UTF-8 byte order mark at the file's start (Windows editors write one).
    Bytes that are not UTF-8 spoil their line only: it comes with them replaced (U+FFFD) and bad
    saying where ("line L, column C: not UTF-8 ..."); bad is "" on a good line.
    A file that cannot be opened raises ValueError at the first line.
    """
    with open(readable_file(path), "rb") as file:
        for number, raw in enumerate(file, 1):
            raw = raw.removesuffix(b"\n").removesuffix(b"\r")
            if number == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)
            try:
                yield number, raw.decode("utf-8"), ""
            except UnicodeDecodeError as error:
                yield number, raw.decode("utf-8", "replace"), _not_utf8_at(raw, error, number)


def _lines(path) -> list[str]:
    """A whole file's lines (text_lines); the first line that is not UTF-8 raises ValueError."""
    lines = []
    for _, line, bad in text_lines(path):
        if bad:
            raise ValueError(f"{path}: {bad}")
        lines.append(line)
    return lines


def _underscore(tag: str) -> str:
    """B-PER -> B_PER: both spellings are common in the wild, ours is the underscore."""
    return f"{tag[0]}_{tag[2:]}" if tag[:2] in ("B-", "I-") else tag


# ---- the seed's format: train.txt + train_TAG.txt ----------------------------------------
def pair_lines(chars_path, tags_path, known_tags=None):
    """Yields (line, chars, tags, problem); problem is None on a good line, chars/tags then set.

    Both files are read a line at a time, so a file of any size costs little memory, and a line
    that is not UTF-8 is one bad line like any other. Tags spelt B-PER are read as B_PER.
    A file that cannot be opened raises ValueError.
    """
    pairs = itertools.zip_longest(text_lines(chars_path), text_lines(tags_path))
    for i, (char_item, tag_item) in enumerate(pairs, 1):
        if char_item is None or tag_item is None:
            missing = tags_path if tag_item is None else chars_path
            present = (char_item or tag_item)[1].split(" ")
            n_chars, n_tags = (len(present), 0) if tag_item is None else (0, len(present))
            yield i, None, None, Problem(i, n_chars, n_tags, note=f"line missing in {missing}")
            continue
        (_, char_line, chars_bad), (_, tag_line, tags_bad) = char_item, tag_item
        if char_line == tag_line == "":
            continue  # a blank line in both files is no sentence
        tokens = char_line.split(" ") if char_line else []
        tags = [_underscore(tag) for tag in tag_line.split(" ")] if tag_line else []
        if chars_bad or tags_bad:  # the counts still hold: a space is a space in any encoding
            notes = [f"{path}: {bad}" for path, bad in ((chars_path, chars_bad), (tags_path, tags_bad)) if bad]
            yield i, None, None, Problem(i, len(tokens), len(tags), note="; ".join(notes))
            continue
        unknown = tuple(sorted({t for t in tags if known_tags is not None and t not in known_tags}))
        column = next((i for i, t in enumerate(tags, 1) if t in unknown), 0)
        notes = []
        try:
            chars = [_unescape(token) for token in tokens]
        except ValueError as error:
            chars, notes = None, [str(error)]
        if "" in tags:
            notes.append("empty tag (two spaces in a row?)")
        if len(tokens) != len(tags) or unknown or notes:
            yield i, None, None, Problem(i, len(tokens), len(tags), unknown, "; ".join(notes), column)
        else:
            yield i, chars, tags, None


def check_pair(chars_path, tags_path, known_tags) -> list[Problem]:
    """Every bad line of a chars/TAG pair; never raises on bad content (a missing file does)."""
    return [problem for _, _, _, problem in pair_lines(chars_path, tags_path, known_tags)
            if problem is not None]


def read_pair(chars_path, tags_path, known_tags=None) -> list[Sentence]:
    """Sentences of a chars/TAG pair; the first bad line raises ValueError saying what to do."""
    sentences = []
    for line, chars, tags, problem in pair_lines(chars_path, tags_path, known_tags):
        if problem is not None:
            if problem.unknown_tags:
                raise ValueError(f"{tags_path}: {problem}; known tags: {' '.join(sorted(known_tags))}")
            hint = "; give each character one tag" if problem.n_chars != problem.n_tags else ""
            raise ValueError(f"{chars_path} / {tags_path}: {problem}{hint}")
        sentences.append(Sentence(chars, tags))
    return sentences


def write_pair(sentences, chars_path, tags_path) -> None:
    """One sentence a line in each file; characters that cannot stand as tokens as <U+XXXX>."""
    with open(chars_path, "w", encoding="utf-8", newline="\n") as chars_file, \
            open(tags_path, "w", encoding="utf-8", newline="\n") as tags_file:
        for i, sentence in enumerate(sentences):
            where = f"{chars_path}: sentence {i}"
            if not sentence.chars:
                raise ValueError(f"{where}: empty sentence cannot be written")
            chars_file.write(" ".join(_escape(c, where) for c in sentence.chars) + "\n")
            tags_file.write(" ".join(_check_tag(t, where) for t in sentence.tags) + "\n")


def read_chars(path) -> list[list[str]]:
    """A characters file alone (the input of `tag`): one sentence a line, tokens split at spaces."""
    sentences = []
    for i, line in enumerate(_lines(path), 1):
        try:
            sentences.append([_unescape(token) for token in line.split(" ")] if line else [])
        except ValueError as error:
            raise ValueError(f"{path}: line {i}: {error}") from None
    return sentences


def write_tags(tag_lines, path) -> None:
    """One line of space-separated tags per sentence (an empty sentence gives an empty line)."""
    with open(path, "w", encoding="utf-8", newline="\n") as file:
        for tags in tag_lines:
            file.write(" ".join(tags) + "\n")


def corpus_stats(sentences) -> dict:
    """{"sentences": n, "characters": n, "entities": {label: n}} (labels sorted)."""
    entities = Counter(label for s in sentences for _, _, label in tags_to_spans(s.tags))
    return {"sentences": len(sentences), "characters": sum(len(s.chars) for s in sentences),
            "entities": dict(sorted(entities.items()))}
