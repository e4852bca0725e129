"""Whitespace inside an entity: "Tim Cook" is one PER (ANNOTATION.md). The tagger never begins or
ends an entity on whitespace, but lets a learned one continue across it."""
import json

import pytest

from core.labels import Span
from core.tagging.predict import Tagger, strip_whitespace
from conftest import write_corpus

NAMES = ["我见了Tim Cook", "Tim Cook说好", "昨天Tim Cook来了", "Tim Cook在北京", "他和Tim Cook谈了"]


def test_strip_whitespace_trims_both_ends_and_drops_what_is_only_space():
    assert strip_whitespace(Span(0, 5, "PER"), " ab  x") == Span(1, 3, "PER")
    assert strip_whitespace(Span(2, 6, "PER"), "a Tim Cook") == Span(2, 5, "PER")
    assert strip_whitespace(Span(1, 3, "LOC"), "a \t") is None


@pytest.mark.slow
def test_a_name_with_a_space_is_learned_as_one_entity(tiny_model, tmp_path):
    from core.training.options import RunOptions
    from core.training.run import run
    from core.training.settings import TrainSettings

    corpus = write_corpus(tmp_path / "corpus")
    corrections = tmp_path / "corrections.jsonl"
    lines = []
    for text in NAMES:
        start = text.index("Tim Cook")
        lines.append(json.dumps({"text": text, "spans": [[start, start + 8, "PER"]]}, ensure_ascii=False) + "\n")
    corrections.write_text("".join(lines), encoding="utf-8")
    out = tmp_path / "with-spaces"
    options = RunOptions(out=str(out), data=str(corpus), corrections=str(corrections), corrections_repeat=10,
                         init_from=str(tiny_model), device="cpu", dev_limit=0,
                         settings=TrainSettings(epochs=8, batch_size=8, lr=1e-3, head_lr_multiplier=10, patience=8))
    assert run(options) == 0
    tagged = Tagger.from_folder(out).tag("Tim Cook说好")
    assert [(e.text, e.label) for e in tagged.entities] == [("Tim Cook", "PER")]
    assert tagged.tags[3] == "I_PER"
    for result in Tagger.from_folder(out).tag_texts([" Tim Cook ", "我见了 Tim Cook 。", "  "]):
        for entity in result.entities:
            assert entity.text == entity.text.strip() and entity.text
