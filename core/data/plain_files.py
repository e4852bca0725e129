"""Unannotated uploads: plain text (a document a line, as Label Studio reads a .txt) and CSV (the
column named text, else the first). Their records carry no spans: the active model suggests them.
Readers yield (line, Record | None, problem | None), as core/data/interchange.py's do.
"""
from __future__ import annotations

import csv
import io

from core.data.corpora import readable_file, text_lines
from core.data.interchange import Record, check_text

TEXT_COLUMNS = ("text", "content", "sentence", "文本", "句子", "内容")  # a header naming the text column


def read_plain(path):
    """A document per non-blank line; a line that is not UTF-8 is refused by number."""
    for line, raw, bad in text_lines(path):
        if bad:
            yield line, None, bad.split(": ", 1)[-1]
        elif raw.strip():
            try:
                yield line, Record(check_text(raw)), None
            except ValueError as error:
                yield line, None, str(error)


def read_csv(path):
    """A document per row: the column a header names text (or content, sentence, 文本...), else
    the first column with the first row read as a document too. A quoted field may span lines;
    a row is named by the line it starts on."""
    data = readable_file(path).read_bytes().removeprefix(b"\xef\xbb\xbf")
    try:
        content = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise ValueError(f"{path}: line {line}: not UTF-8 text; save it as UTF-8") from None
    try:
        dialect = csv.Sniffer().sniff(content[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(content, newline=""), dialect)
    column, first = 0, True
    try:
        for row in reader:
            line = reader.line_num - sum(field.count("\n") for field in row)  # line_num is where the row ends
            if first:
                first = False
                header = [field.strip().lower() for field in row]
                named = next((header.index(name) for name in TEXT_COLUMNS if name in header), None)
                if named is not None:
                    column = named
                    continue
            yield from _row(line, row, column)
    except csv.Error as error:  # a NUL byte, an unclosed quote at the end: the rows after it cannot be told apart
        yield reader.line_num, None, f"not CSV ({error}); the rows before it were read"


def _row(line: int, row, column: int):
    if not any(field.strip() for field in row):
        return
    if column >= len(row):
        yield line, None, f"no column {column + 1} (the row has {len(row)})"
        return
    try:
        yield line, Record(check_text(row[column])), None
    except ValueError as error:
        yield line, None, str(error)
