"""ui.formats: downloads read back with core.data.corpora's readers; span edits; summaries."""
import pytest

from core.data.conll_jsonl import read_jsonl_spans
from core.data.corpora import read_pair
from core.data.interchange import read_conll_bio
from core.labels import ENTITY_TYPES, spans_to_tags
from ui import formats


def test_lines_become_sentences_and_empty_lines_are_dropped():
    text = "张三\r\n\n 在上海\x07\n"
    tags = ["B_PER", "I_PER", "O", "O", "O", "O", "O", "B_LOC", "I_LOC", "O", "O"]
    sentences = formats.sentences_by_line(text, tags)
    assert [(s.text, s.tags) for s in sentences] == [
        ("张三", ["B_PER", "I_PER"]), (" 在上海\x07", ["O", "O", "B_LOC", "I_LOC", "O"])]
    with pytest.raises(ValueError, match="3 characters but 2 tags"):
        formats.sentences_by_line("abc", ["O", "O"])


def test_downloads_read_back_the_same_sentences(tmp_path):
    text = "张三 在上海\n😀ＡＢ\t１\x07"
    tags = spans_to_tags([(0, 2, "PER"), (4, 6, "LOC")], len(text))
    sentences = formats.sentences_by_line(text, tags)
    chars_file, tags_file = formats.pair_strings(sentences)
    assert chars_file.split("\n")[0] == "张 三 <U+0020> 在 上 海"
    assert tags_file.split("\n")[0] == "B_PER I_PER O O B_LOC I_LOC"
    (tmp_path / "a.txt").write_text(chars_file, encoding="utf-8")
    (tmp_path / "a_TAG.txt").write_text(tags_file, encoding="utf-8")
    (tmp_path / "a.conll").write_text(formats.conll_string(sentences), encoding="utf-8")
    (tmp_path / "a.jsonl").write_text(formats.whole_text_jsonl(text, tags), encoding="utf-8")
    expected = [(s.chars, s.tags) for s in sentences]
    assert [(s.chars, s.tags) for s in read_pair(tmp_path / "a.txt", tmp_path / "a_TAG.txt")] == expected
    # CoNLL as CoNLL tools read it: B-/I-, which core.data.interchange's reader turns back into ours
    conll = formats.conll_string(sentences)
    assert conll.split("\n")[:4] == ["张\tB-PER", "三\tI-PER", "<U+0020>\tO", "在\tO"] and "B_" not in conll
    read = [(record.text, spans_to_tags(record.spans, len(record.text)))
            for _, record, _ in read_conll_bio(tmp_path / "a.conll", ENTITY_TYPES)]
    assert read == [(s.text, s.tags) for s in sentences]
    # JSON lines keep the whole text, so offsets are those of the text as pasted
    [whole] = read_jsonl_spans(tmp_path / "a.jsonl")
    assert whole.text == text and whole.tags == tags


def test_the_queue_key_is_the_lowest_character_confidence():
    from core.tagging.predict import Tagged

    assert Tagged("abc", ["O"] * 3, [], [0.9, 0.42, 0.99]).lowest_confidence == 0.42
    assert Tagged("", [], [], []).lowest_confidence == 1.0


def test_score_summary_reads_msra_micro_and_pd_time_f1_and_names_each_set_and_size():
    scores = {"msra": {"entities": {"micro": {"f1": 0.8633}}, "sentences": 4620},
              "pd": {"entities": {"T": {"f1": 0.9662}}, "sentences": 4683}}
    assert formats.score_summary(scores) == ("MSRA test (4,620 sentences) F1 86.3% · "
                                             "People's Daily test (4,683 sentences) T F1 96.6%")
    scores["msra"].update(sentences=300, sample_of=4620)  # the improve job's fixed sample on a CPU
    assert formats.score_summary(scores).startswith("MSRA test (300-sentence sample) F1 86.3% · ")
    assert formats.score_summary({"msra": {"entities": {}}}) is None
    assert formats.score_summary(None) is None


def test_a_set_is_named_with_its_size_and_two_sizes_never_compare():
    from core.scores.evaluation import comparable_sets, same_set

    confusion = {"tags": ["O", "B_PER"], "counts": [[170000, 1], [600, 2000]]}  # older scores: no sentences
    assert formats.set_label("msra", {"confusion": confusion}) == "MSRA test (172,601 characters)"
    assert formats.set_label("heldout", {"sentences": 1}) == "held-out corrections (1 document)"
    assert formats.set_label("news", None) == "news test (size not recorded)"
    whole = {"sentences": 4620, "characters": 172601, "entities": {"micro": {"f1": 0.86}}}
    sample = {"sentences": 300, "sample_of": 4620, "entities": {"micro": {"f1": 0.92}}}
    assert same_set(whole, {"confusion": confusion}) and not same_set(whole, sample)
    assert not same_set({}, {})  # nothing recorded: nothing shows they are one set
    assert comparable_sets({"msra": whole, "pd": whole}, {"msra": sample, "pd": whole}) == (["pd"], ["msra"])
    # One set, one name in a table or chart: the older scores take the label that gives sentences.
    assert formats.set_labels("msra", [{"confusion": confusion}, whole, sample]) == [
        "MSRA test (4,620 sentences)", "MSRA test (4,620 sentences)", "MSRA test (300-sentence sample)"]


def test_fragments_are_found_free_occurrences_first():
    text = "上海人在上海"
    assert formats.find_fragment(text, "上海") == [0, 4]
    assert formats.find_fragment(text, "上海", [(0, 2, "LOC")]) == [4, 0]
    assert formats.find_fragment(text, "北京") == [] and formats.find_fragment(text, "") == []

