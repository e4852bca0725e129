"""`tag` over a file of any size: read, tag and write a batch of lines at a time, into a hidden file
beside the output that is renamed into place at the end, so a failed run leaves no output
(a device or a FIFO, which a rename would replace, is written straight through instead).

Lines are split at \\n only: a lone \\r is a character like any other (a CRLF line's \\r is dropped).
Pure: no argparse, no printing.
"""
from __future__ import annotations

import codecs
import os
import tempfile
from pathlib import Path

from core.atomic import is_stream, write_output
from core.data.corpora import _unescape, not_utf8, readable_file
from core.text import SENTENCE_ENDS

# Per character the tagger holds a tag id and every tag's marginal as Python objects (~400 bytes),
# so 100k characters a batch is ~40 MB however large the file; the encoder's own batches are far
# smaller (Tagger.max_tokens), so bigger batches would buy no speed.
BATCH_CHARS = 100_000
BATCH_LINES = 10_000  # a file of empty lines must not pile up either
# A line is read in parts of at most this many bytes, so one huge line never sits whole in memory.
PART_BYTES = 1 << 20


def input_file(path) -> Path:
    """A readable, non-empty file, or ValueError saying what to do."""
    path = readable_file(path)
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: the file is empty; nothing to read")
    return path


def output_file(output, inputs=()) -> Path:
    """Refuse, before any work, an output that is a folder, an input, or in no writable folder.

    A character device or a FIFO is written straight through and a symlink's target is written
    (core.atomic.write_output); a block device or a socket is refused.
    """
    output = Path(output)
    if output.is_dir():
        raise ValueError(f"{output}: is a folder; give -o a file name")
    if is_stream(output):
        if not os.access(output, os.W_OK):
            raise ValueError(f"{output}: cannot write to it (permission denied); give -o another path")
        return output
    if output.exists() and not output.is_file():
        raise ValueError(f"{output}: is a special file (a block device or a socket), not a file; "
                         f"give -o a file name")
    for source in inputs:
        if output.resolve() == Path(source).resolve() or (output.exists() and os.path.samefile(output, source)):
            raise ValueError(f"{output}: is the input file; write the output to another file (-o)")
    target = Path(os.path.realpath(output))  # a symlink's target is what gets written
    folder = target.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise ValueError(f"{output}: {folder} {what}; create the folder or give -o another path")
    try:  # the only sure test of writability (root passes os.access; read-only mounts fail later)
        handle, probe = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise ValueError(f"{output}: cannot write in {folder} ({error.strerror}); give -o another path") from None
    os.close(handle)
    os.unlink(probe)
    return output


def tag_file(tagger, source, output, tokens: bool, progress=None) -> dict:
    """Tag source into output: one line of space-separated tags per input line.

    tokens: the input is a chars file (space-separated tokens, <U+XXXX> escapes), else raw text.
    progress(n_bytes) follows the input's bytes. Returns {"lines", "characters", "entities"}.
    """
    counts = {"lines": 0, "characters": 0, "entities": 0}

    def write(tmp: Path) -> None:  # into a hidden file beside output, renamed into place when whole (or a pipe)
        with open(source, "rb") as file, open(tmp, "w", encoding="utf-8", newline="\n") as out:
            parts = _whole_pieces(_parts(file, source, tokens), tagger.max_chunk)
            done, line_open = 0, False  # line_open: the output line already holds tags of its earlier parts
            for batch in _batches(parts):
                n_bytes, n_chars = file.tell() - done, sum(len(part) for _, part, _ in batch)
                done += n_bytes
                step = None if progress is None else (lambda n: progress(n * n_bytes / max(n_chars, 1)))
                results = tagger.tag_texts([part for _, part, _ in batch], step, confidence=False)  # tags only
                for (_, _, last), result in zip(batch, results):
                    if result.tags:
                        out.write((" " if line_open else "") + " ".join(result.tags))
                        line_open = True
                    if last:
                        out.write("\n")
                        line_open = False
                        counts["lines"] += 1
                    counts["characters"] += len(result.tags)
                    counts["entities"] += len(result.entities)

    write_output(output, write)
    return counts


def _parts(file, path, tokens: bool):
    """(line number, part, last) over a binary file's lines, a line longer than PART_BYTES in parts.

    part is a str of characters, or with tokens a list of the characters its tokens stand for.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    number, column, carry, line_open = 1, 0, "", False  # column: characters of the line already yielded
    while True:
        raw = file.readline(PART_BYTES)
        if not raw and not line_open:
            return
        last = raw.endswith(b"\n") or len(raw) < PART_BYTES  # shorter only at the end of the file
        data = raw.removesuffix(b"\n")
        if number == 1 and column == 0 and not carry:  # a byte order mark is no character to tag
            data = data.removeprefix(codecs.BOM_UTF8)
        try:
            text = carry + decoder.decode(data, final=last)
        except UnicodeDecodeError as error:
            raise ValueError(not_utf8(path, error.object, error, number, column + len(carry))) from None
        if last:
            part, carry = text.removesuffix("\r"), ""
        else:  # hold back what the next part may continue: a token, or a \r that may precede \n
            cut = text.rfind(" ") + 1 if tokens else len(text) - text.endswith("\r")
            part, carry = text[:cut], text[cut:]
            if len(carry) > 64:
                raise ValueError(f"{path}: line {number}: a token of {len(carry):,}+ characters; "
                                 f"a chars file has one character (or <U+XXXX>) between spaces")
        if tokens:
            part = _characters(part if last else part[:-1], path, number, column)
        yield number, part, last
        column, line_open = (0, False) if last else (column + len(part), True)
        number += last


def _characters(text: str, path, number: int, column: int) -> list[str]:
    chars = []
    for i, token in enumerate(text.split(" ") if text else [], column + 1):
        try:
            chars.append(_unescape(token))
        except ValueError as error:
            raise ValueError(f"{path}: line {number}, token {i}: {error}; "
                             f"separate characters with single spaces, write a space as <U+0020>") from None
    return chars


def _whole_pieces(parts, max_chunk: int):
    """Cut a part that does not end its line after its last sentence end and carry the rest on.

    The tagger cuts a text into pieces (core.text.sentence_bounds), tags each alone, then reads
    the whole text's tags as spans: an I_ that continues the piece before it, cut inside a long
    sentence, joins that span. Cut only where a sentence ends, a long line gets exactly the tags it
    would get whole; memory grows with the longest sentence, not the line.
    """
    carry = None
    for number, part, last in parts:
        if carry:
            part = carry + part
        if last:
            carry = None
        else:
            cut = max((i + 1 for i, char in enumerate(part) if char in SENTENCE_ENDS), default=0)
            part, carry = part[:cut], part[cut:]
        yield number, part, last


def _batches(parts):
    batch, size = [], 0
    for item in parts:
        batch.append(item)
        size += len(item[1])
        if size >= BATCH_CHARS or len(batch) >= BATCH_LINES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch
