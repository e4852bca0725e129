"""Silver labels from several teachers: agreement fixes a tag, disagreement leaves a set for the CRF."""
import json

import torch

from core.training import teachers
from core.labels import DEFAULT_TAGS
from core.training.batches import allowed_tags, split_long
from core.data.training_data import load_split


def test_lac_words_become_our_spans_with_whitespace_trimmed():
    words = [("我", "r"), ("爱", "v"), (" 北京", "LOC"), ("今天", "TIME"), ("华为 ", "ORG")]
    assert teachers.lac_spans(words) == [(3, 5, "LOC"), (5, 7, "T"), (7, 9, "ORG")]


def test_merge_keeps_agreed_tags_single_and_disagreements_as_sets():
    lac = ["B_PER", "I_PER", "O", "B_LOC"]
    fast = ["B_PER", "I_PER", "B_ORG", "B_LOC"]
    assert teachers.merge([lac, fast]) == [("B_PER",), ("I_PER",), ("O", "B_ORG"), ("B_LOC",)]


def test_agreement_counts_exact_spans_per_type():
    first = [["B_PER", "I_PER", "O", "B_LOC", "I_LOC"], ["B_T", "I_T", "O"]]
    second = [["B_PER", "I_PER", "O", "B_ORG", "I_ORG"], ["B_T", "O", "O"]]
    rows = teachers.agreement(first, second)
    assert rows["PER"] == {"agreed": 1, "first_only": 0, "second_only": 0, "f1": 1.0}
    assert rows["LOC"]["f1"] == 0.0 and rows["ORG"]["second_only"] == 1
    # T: 今天 against 今: no exact match, one span each side.
    assert rows["T"] == {"agreed": 0, "first_only": 1, "second_only": 1, "f1": 0.0}
    assert rows["all"] == {"agreed": 1, "first_only": 2, "second_only": 2, "f1": round(2 / 6, 4)}


def test_teacher_run_resumes_after_a_line_cut_by_a_kill(tmp_path):
    sentences = [f"第{i}句话在北京" for i in range(2500)]
    path = tmp_path / "teacher_x.tags"
    calls = []

    def tag(texts):
        calls.append(len(texts))
        return [["O"] * len(t) for t in texts]

    teachers.run_teacher(sentences[:1000], tag, path)
    with open(path, "a", encoding="utf-8") as stream:
        stream.write("O O O")  # a kill in the middle of a line
    assert teachers.run_teacher(sentences, tag, path) == 1000
    rows = teachers.read_teacher(path, len(sentences))
    assert [len(r) for r in rows] == [len(s) for s in sentences]
    assert calls == [1000, 1000, 500]


def test_combined_corpus_trains_with_the_teachers_set_allowed(tmp_path):
    sentences = ["张三在华为上班。", "今天 下雨。"]
    lac = [["B_PER", "I_PER", "O", "B_ORG", "I_ORG", "O", "O", "O"], ["B_T", "I_T", "O", "O", "O", "O"]]
    fast = [["B_PER", "I_PER", "O", "B_LOC", "I_LOC", "O", "O", "O"], ["B_T", "I_T", "O", "O", "O", "O"]]
    out = tmp_path / "silver"
    info = teachers.combine(sentences * 50, {"lac": lac * 50, "fast": fast * 50}, out)
    assert info["sentences"] == {"train": 99, "dev": 1}
    assert json.loads((out / "corpus.json").read_text(encoding="utf-8"))["alternatives"] is True
    examples = load_split(str(out), "train")
    first = examples[0]
    assert first.tags == lac[0]
    assert first.alternatives[3] == ("B_LOC",) and first.alternatives[0] == ()
    allowed = allowed_tags(first, list(DEFAULT_TAGS))
    index = {t: i for i, t in enumerate(DEFAULT_TAGS)}
    assert allowed[3].nonzero().flatten().tolist() == sorted([index["B_ORG"], index["B_LOC"]])
    assert allowed[0].sum() == 1
    # The space is written escaped and read back as one character.
    assert examples[1].chars[2] == " "
    # Cutting a long example keeps each character's alternatives with it.
    pieces = split_long([first], 4)
    assert sum((p.alternatives for p in pieces), ()) == first.alternatives
    assert torch.equal(torch.cat([allowed_tags(p, list(DEFAULT_TAGS)) for p in pieces]), allowed)


def test_a_model_teacher_is_named_by_its_weights_so_a_retrained_folder_tags_afresh(tmp_path):
    folder = tmp_path / "fast"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"weights one")
    first = teachers.teacher_name(str(folder))
    (folder / "model.safetensors").write_bytes(b"weights two")
    second = teachers.teacher_name(str(folder))
    assert first.startswith("fast-") and second.startswith("fast-") and first != second
    assert teachers.teacher_name("lac") == "lac"


def test_a_silver_split_reads_as_one_tag_a_character_for_the_data_screen(tmp_path):
    from core.data.training_data import read_labelled

    out = tmp_path / "silver"
    teachers.combine(["张三在华为上班。"] * 2, {"lac": [["B_PER", "I_PER", "O", "B_ORG", "I_ORG", "O", "O", "O"]] * 2,
                                               "fast": [["B_PER", "I_PER", "O", "O", "O", "O", "O", "O"]] * 2}, out)
    [sentence] = read_labelled(out / "train.txt", out / "train_TAG.txt")[:1]
    assert sentence.tags == ["B_PER", "I_PER", "O", "B_ORG", "I_ORG", "O", "O", "O"]
