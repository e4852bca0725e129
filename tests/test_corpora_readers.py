"""Reader findings of issue 21: CoNLL keeps empty sentences, the JSON-lines spans reader checks its
spans, and a UTF-8 byte order mark at a file's start is read as nothing."""
from __future__ import annotations

import codecs
import io
import json

import pytest

from core.tagging import stream
from core.data.corpora import Sentence, read_pair
from core.data.conll_jsonl import read_conll, read_jsonl_spans, write_conll
from core.data.training_data import load_corrections

BOM = codecs.BOM_UTF8
A = Sentence(list("张三"), ["B_PER", "I_PER"])
B = Sentence(list("北京"), ["B_LOC", "I_LOC"])
EMPTY = Sentence([], [])


def test_conll_round_trip_keeps_empty_sentences(tmp_path):
    sentences = [EMPTY, A, EMPTY, EMPTY, B, EMPTY]
    write_conll(sentences, tmp_path / "a.conll")
    assert read_conll(tmp_path / "a.conll") == sentences


def test_conll_without_a_final_blank_line_still_ends_its_last_sentence(tmp_path):
    (tmp_path / "a.conll").write_text("张\tB_PER\n三\tI_PER\n\n北\tB_LOC\n京\tI_LOC", encoding="utf-8")
    assert read_conll(tmp_path / "a.conll") == [A, B]


@pytest.mark.parametrize("label", ["per", "O", "B_PER", "", 7])
def test_json_lines_spans_refuse_a_label_that_is_no_entity_type(tmp_path, label):
    path = tmp_path / "corrections.jsonl"
    path.write_text(json.dumps({"text": "张三", "spans": [[0, 2, "PER"]]}) + "\n"
                    + json.dumps({"text": "张三", "spans": [[0, 2, label]]}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=rf"^{path}: line 2: .*label {label!r}"):
        load_corrections(path)  # what `train --corrections` reads


def test_json_lines_spans_keep_the_users_own_types_and_check_offsets(tmp_path):
    path = tmp_path / "corrections.jsonl"
    path.write_text(json.dumps({"text": "阿司匹林", "spans": [[0, 4, "DRUG"]]}) + "\n", encoding="utf-8")
    assert read_jsonl_spans(path) == [Sentence(list("阿司匹林"), ["B_DRUG", "I_DRUG", "I_DRUG", "I_DRUG"])]
    path.write_text(json.dumps({"text": "张三", "spans": [[1, 1, "PER"]]}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=rf"^{path}: line 1: .*outside the text"):
        read_jsonl_spans(path)


def test_a_byte_order_mark_at_the_start_is_read_as_nothing(tmp_path):
    (tmp_path / "a.txt").write_bytes(BOM + "张 三\n北 京\n".encode())
    (tmp_path / "a_TAG.txt").write_bytes(BOM + b"B_PER I_PER\nB_LOC I_LOC\n")
    assert read_pair(tmp_path / "a.txt", tmp_path / "a_TAG.txt") == [A, B]
    (tmp_path / "a.conll").write_bytes(BOM + "张\tB_PER\n三\tI_PER\n".encode())
    assert read_conll(tmp_path / "a.conll") == [A]
    (tmp_path / "a.jsonl").write_bytes(BOM + json.dumps({"text": "张三", "spans": [[0, 2, "PER"]]}).encode())
    assert read_jsonl_spans(tmp_path / "a.jsonl") == [A]


@pytest.mark.parametrize("tokens", [True, False])
def test_tag_reads_a_byte_order_mark_as_nothing(tokens):
    text = "张 三\n" if tokens else "张三\n"
    parts = list(stream._parts(io.BytesIO(BOM + text.encode()), "in.txt", tokens))
    assert [part for _, part, _ in parts] == [["张", "三"] if tokens else "张三"]
