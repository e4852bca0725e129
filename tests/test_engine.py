"""Train -> save -> load -> tag round trip on a tiny model, and the command line around it (training
runs themselves: tests/test_training_runs.py)."""
import json

import pytest

from conftest import SENTENCES
from core.__main__ import main as cli
from core.data.corpora import Sentence, write_pair
from core.labels import spans_to_tags
from core.model.model import load_model
from core.tagging.predict import Tagger


def test_round_trip_tags_the_training_sentences_back(tiny_model):
    tagger = Tagger(load_model(tiny_model))
    results = tagger.tag_texts([text for text, _ in SENTENCES])
    right = sum(r.spans == [tuple(s) for s in spans] for r, (_, spans) in zip(results, SENTENCES))
    assert right >= len(SENTENCES) - 1


def test_every_character_gets_one_tag_and_no_entity_begins_or_ends_on_a_space(tiny_model):
    tagger = Tagger(load_model(tiny_model))
    text = "张三 在\u3000上海😀ＡＢＣ abc 123\x07\t。" + "北京" * 100
    result = tagger.tag(text)
    assert len(result.tags) == len(text) == len(result.char_confidence)
    assert all(not tag.startswith("B_") for ch, tag in zip(text, result.tags) if ch.isspace())
    for entity in result.entities:
        assert text[entity.start:entity.end] == entity.text == entity.text.strip()
        assert 0.0 <= entity.confidence <= 1.0


def test_long_text_is_chunked_and_offsets_still_match(tiny_model):
    tagger = Tagger(load_model(tiny_model))
    text = "".join(t + "。" for t, _ in SENTENCES) * 40  # far beyond the tiny encoder's 62 positions
    result = tagger.tag(text)
    assert len(result.tags) == len(text)
    assert any(e.text == "北京" for e in result.entities)
    assert all(text[e.start:e.end] == e.text for e in result.entities)


def test_empty_text_gives_no_tags(tiny_model):
    result = Tagger(load_model(tiny_model)).tag("")
    assert result.tags == [] and result.entities == []


def test_marginals_give_probabilities_that_sum_to_one(tiny_model):
    import torch

    model = load_model(tiny_model)
    ids = torch.tensor([model.char_vocab.encode("我爱北京天安门")])
    mask = torch.ones_like(ids, dtype=torch.bool)
    probs = model.tag_probabilities(model.emissions(ids, mask), mask)
    assert torch.allclose(probs.sum(-1), torch.ones(1, 7), atol=1e-5)


def test_tag_command_writes_one_tag_per_character(tiny_model, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("我 爱 北 京 天 安 门\n张 三 <U+0020> 在 上 海\n", encoding="utf-8")
    out = tmp_path / "out.txt"
    assert cli(["tag", str(source), "-o", str(out), "--model", str(tiny_model), "--quiet"]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [len(line.split(" ")) for line in lines] == [7, 6]
    assert lines[1].split(" ")[2] == "O"


def test_check_names_the_misaligned_line(tmp_path, capsys):
    chars, tags = tmp_path / "c.txt", tmp_path / "t.txt"
    chars.write_text("我 爱 北 京\n张 三\n", encoding="utf-8")
    tags.write_text("O O B_LOC I_LOC\nB_PER\n", encoding="utf-8")
    assert cli(["check", str(chars), str(tags)]) == 1
    out = capsys.readouterr().out
    assert "line 2: 2 characters, 1 tags" in out


def test_check_accepts_a_good_pair(tmp_path):
    chars, tags = tmp_path / "c.txt", tmp_path / "t.txt"
    write_pair([Sentence(list("我爱北京"), "O O B_LOC I_LOC".split())], chars, tags)
    assert cli(["check", str(chars), str(tags)]) == 0


def test_eval_on_a_hand_computed_case(tiny_model, tmp_path, capsys, monkeypatch):
    """The eval command's scores against numbers worked out by hand, for predictions fixed here
    (the model's own would make the expectation depend on the code under test).

    Gold: 我爱[北京 LOC][天安门 LOC] / [张三 PER]在[上海 LOC]工作 / [新华社 ORG]记者[李四 PER]报道: 6 entities.
    Predicted: sentence 1 both right (2 true positives); sentence 2 张三 right, 上海 tagged PER (1 TP,
    1 false positive, 1 false negative); sentence 3 nothing (2 FN). TP 3, FP 1, FN 3:
    precision 3/4 = 0.75, recall 3/6 = 0.5, F1 2 * 0.75 * 0.5 / 1.25 = 0.6.
    """
    from core.tagging.predict import Tagged

    sentences = [Sentence(list(t), spans_to_tags(s, len(t))) for t, s in SENTENCES[:3]]
    predicted_spans = [[(2, 4, "LOC"), (4, 7, "LOC")], [(0, 2, "PER"), (3, 5, "PER")], []]
    fixed = [Tagged(text="".join(s.chars), tags=spans_to_tags(spans, len(s.chars)), entities=[],
                    char_confidence=[1.0] * len(s.chars)) for s, spans in zip(sentences, predicted_spans)]
    monkeypatch.setattr(Tagger, "tag_texts", lambda self, texts, **kwargs: fixed)
    chars, tags = tmp_path / "c.txt", tmp_path / "t.txt"
    write_pair(sentences, chars, tags)
    assert cli(["eval", "--model", str(tiny_model), str(chars), str(tags), "--json"]) == 0
    micro = json.loads(capsys.readouterr().out)["entities"]["micro"]
    assert micro["support"] == 6
    assert micro["precision"] == pytest.approx(0.75) and micro["recall"] == pytest.approx(0.5)
    assert micro["f1"] == pytest.approx(0.6)


def test_entity_scores_by_hand():
    from core.scores.metrics import entity_scores, token_accuracy

    gold = [["B_PER", "I_PER", "O", "B_LOC"], ["B_ORG", "I_ORG", "O"]]
    pred = [["B_PER", "I_PER", "O", "O"], ["B_ORG", "O", "O"]]
    scores = entity_scores(gold, pred)
    # 3 gold entities, 2 predicted, 1 exactly right (PER)
    assert scores["micro"]["precision"] == 0.5
    assert abs(scores["micro"]["recall"] - 1 / 3) < 1e-9
    assert abs(scores["micro"]["f1"] - 0.4) < 1e-9
    assert scores["PER"]["f1"] == 1.0 and scores["LOC"]["recall"] == 0.0
    assert token_accuracy(gold, pred) == 5 / 7


def test_missed_entities_are_explained_by_kind():
    from core.scores.metrics import missed_entity_kinds

    text_gold = ["B_ORG", "I_ORG", "I_ORG", "I_ORG", "O", "B_PER", "I_PER", "O", "B_LOC", "I_LOC", "O", "B_LOC", "I_LOC"]
    predicted = ["B_LOC", "I_LOC", "B_ORG", "I_ORG", "O", "B_PER", "I_PER", "O", "B_ORG", "I_ORG", "O", "O", "O"]
    assert missed_entity_kinds([text_gold], [predicted]) == {
        "ORG": {"split into LOC+ORG": 1},
        "LOC": {"same span as ORG": 1, "not found": 1},
    }
    assert missed_entity_kinds([["B_T", "I_T", "I_T"]], [["O", "B_T", "I_T"]]) == {"T": {"wrong edges as T": 1}}


def test_eval_errors_flag_prints_the_breakdown(tiny_model, tmp_path, capsys):
    sentences = [Sentence(list(t), spans_to_tags(s, len(t))) for t, s in SENTENCES[:3]]
    chars, tags = tmp_path / "c.txt", tmp_path / "t.txt"
    write_pair(sentences, chars, tags)
    assert cli(["eval", "--model", str(tiny_model), str(chars), str(tags), "--json", "--errors"]) == 0
    report = json.loads(capsys.readouterr().out)
    missed = sum(sum(kinds.values()) for kinds in report["missed"].values())
    found = round(report["entities"]["micro"]["recall"] * report["entities"]["micro"]["support"])
    assert missed + found == report["entities"]["micro"]["support"]
