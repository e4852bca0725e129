"""`python -m core eval` on a JSON-lines spans file (eval/modern's format): the same numbers as the
chars/TAG pair form and as core.scores.metrics on the same predictions."""
import json

import pytest

from conftest import SENTENCES
from core.__main__ import main as cli
from core.data.corpora import Sentence, write_pair
from core.data.conll_jsonl import write_jsonl_spans
from core.labels import spans_to_tags
from core.scores.metrics import drop_types, entity_scores, token_accuracy
from core.model.model import load_model
from core.tagging.predict import Tagger


@pytest.fixture
def gold(tmp_path):
    """SENTENCES plus one unseen sentence, as a spans file and as a chars/TAG pair."""
    items = SENTENCES + [("昨天李四去了纽约", [(0, 2, "T"), (2, 4, "PER"), (6, 8, "LOC")])]
    sentences = [Sentence(list(text), spans_to_tags(spans, len(text))) for text, spans in items]
    spans_file, chars, tags = tmp_path / "gold.jsonl", tmp_path / "c.txt", tmp_path / "t.txt"
    write_jsonl_spans(sentences, spans_file)
    write_pair(sentences, chars, tags)
    return sentences, spans_file, chars, tags


def run_json(capsys, *args) -> dict:
    assert cli(["eval", *args, "--json", "--quiet"]) == 0
    return json.loads(capsys.readouterr().out)


def test_eval_spans_scores_as_core_metrics_does(tiny_model, gold, capsys):
    sentences, spans_file, _, _ = gold
    report = run_json(capsys, "--model", str(tiny_model), "--spans", str(spans_file))
    predicted = [r.tags for r in Tagger(load_model(tiny_model)).tag_texts([s.chars for s in sentences])]
    expected = entity_scores([s.tags for s in sentences], predicted)
    assert report["entities"] == expected
    assert report["entities"]["micro"]["support"] == 15  # 2 per training sentence, 3 in the new one
    assert report["token_accuracy"] == token_accuracy([s.tags for s in sentences], predicted)
    assert report["sentences"] == 7 and report["characters"] == sum(len(s.chars) for s in sentences)


def test_eval_spans_equals_the_pair_form_and_a_single_jsonl_argument(tiny_model, gold, capsys):
    _, spans_file, chars, tags = gold
    by_pair = run_json(capsys, "--model", str(tiny_model), str(chars), str(tags))
    by_spans = run_json(capsys, "--model", str(tiny_model), "--spans", str(spans_file))
    by_positional = run_json(capsys, "--model", str(tiny_model), str(spans_file))
    assert by_pair == by_spans == by_positional


def test_eval_spans_ignore_drops_a_type_on_both_sides(tiny_model, gold, capsys):
    sentences, spans_file, _, _ = gold
    report = run_json(capsys, "--model", str(tiny_model), "--spans", str(spans_file), "--ignore", "T")
    predicted = [r.tags for r in Tagger(load_model(tiny_model)).tag_texts([s.chars for s in sentences])]
    expected = entity_scores([drop_types(s.tags, {"T"}) for s in sentences], [drop_types(p, {"T"}) for p in predicted])
    assert report["entities"] == expected
    assert "T" not in report["entities"] and report["ignored_types"] == ["T"]
    assert report["entities"]["micro"]["support"] == 13


@pytest.mark.parametrize("args", [[], ["only_chars.txt"], ["c.txt", "t.txt", "--spans", "gold.jsonl"],
                                  ["--spans", "missing.jsonl"]])
def test_eval_says_what_it_needs(tiny_model, args):
    with pytest.raises(SystemExit) as stop:
        cli(["eval", "--model", str(tiny_model), *args])
    assert "error:" in str(stop.value)
