"""Reader findings of issue 21: CoNLL keeps empty sentences."""
from __future__ import annotations

from core.corpora import Sentence, read_conll, write_conll

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
