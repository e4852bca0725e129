"""The importer keeps the good lines of a big file and names each bad one (issue 22, item 9):
one byte that is not UTF-8, or one token that is no character, used to lose the whole file."""
from __future__ import annotations

import json

from storage.documents import queue
from storage.files import import_jsonl, import_pair

LINES = 10_000
BAD_BYTE, BAD_TOKEN = 1_234, 5_678  # 1-based line numbers


def test_a_pair_with_a_bad_byte_and_a_surrogate_token_keeps_every_good_line(db, tmp_path):
    chars, tags = [b"\xe5\xbc\xa0 \xe4\xb8\x89 \xe5\x9c\xa8"] * LINES, [b"B_PER I_PER O"] * LINES  # 张 三 在
    chars[BAD_BYTE - 1] = b"\xe5\xbc\xa0 \xff \xe5\x9c\xa8"
    chars[BAD_TOKEN - 1] = "张 <U+D800> 在".encode()
    (tmp_path / "in.txt").write_bytes(b"\n".join(chars) + b"\n")
    (tmp_path / "in_TAG.txt").write_bytes(b"\n".join(tags) + b"\n")

    result = import_pair(db, tmp_path / "in.txt", tmp_path / "in_TAG.txt", "upload")

    assert result["imported"] == LINES - 2
    first, second = result["refused"]
    assert first.startswith(f"line {BAD_BYTE}:") and f"line {BAD_BYTE}, column 3: not UTF-8 (byte 0xff)" in first
    assert second.startswith(f"line {BAD_TOKEN}:") and "<U+D800>" in second and "surrogate" in second
    assert len(queue(db, status="to review", limit=LINES)) == LINES - 2


def test_json_lines_with_a_bad_byte_a_surrogate_and_broken_json_keep_every_good_line(db, tmp_path):
    good = json.dumps({"text": "张三在北京", "spans": [[0, 2, "PER"], [3, 5, "LOC"]]}, ensure_ascii=False).encode()
    lines = [good] * LINES
    lines[BAD_BYTE - 1] = good.replace("北".encode(), b"\xff")
    lines[BAD_TOKEN - 1] = b'{"text": "\\ud800\\u5f20\\u4e09"}'  # JSON may spell a lone surrogate half
    lines[LINES - 1] = b'{"text": "abc", "spans": [[0, 1, "PER"]'  # broken JSON on the last line
    (tmp_path / "in.jsonl").write_bytes(b"\n".join(lines) + b"\n")

    result = import_jsonl(db, tmp_path / "in.jsonl", "upload")

    assert result["imported"] == LINES - 3
    byte, surrogate, broken = result["refused"]
    assert byte == f"line {BAD_BYTE}, column 14: not UTF-8 (byte 0xff); save the file as UTF-8"
    assert surrogate.startswith(f"line {BAD_TOKEN}: character 1 ") and "surrogate" in surrogate
    # The line and the column in it, never a byte offset into the file.
    assert broken.startswith(f"line {LINES}: not JSON at column 40 ") and "char" not in broken


def test_json_lines_spans_that_are_no_list_are_one_bad_line(db, tmp_path):
    """check_spans raised TypeError on "spans": 5, which no caller caught: the import stopped there."""
    (tmp_path / "in.jsonl").write_text('{"text": "张三", "spans": 5}\n{"text": "北京", "spans": [[0, 2, "LOC"]]}\n',
                                       encoding="utf-8")
    result = import_jsonl(db, tmp_path / "in.jsonl", "upload")
    assert result["imported"] == 1 and result["refused"] == ["line 1: spans 5 is not a list of [start, end, label]"]
