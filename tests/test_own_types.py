"""The user's own entity types: a retraining extends the active model's tag set (new rows in the
linear layer and the CRF, the learned ones kept) and learns the new type from a few corrections."""
import json

import pytest
import torch

from conftest import SENTENCES
from core.model.build import extend_tags
from core.model.model import load_model
from conftest import write_corpus

PRODUCTS = ["我买了苹果手机", "苹果手机很贵", "他用苹果手机拍照", "小米手环卖得好", "她戴着小米手环"]


def _product_spans(text):
    spans = []
    for name in ("苹果手机", "小米手环"):
        start = text.find(name)
        if start >= 0:
            spans.append([start, start + len(name), "PROD"])
    return spans


def test_extending_keeps_every_learned_row(tiny_model):
    model = load_model(tiny_model)
    ids, mask = model.batch_ids([list(text) for text, _ in SENTENCES])
    before = model.emissions(ids, mask).detach()
    paths = model.decode(before, mask)
    transitions = model.crf.transitions.detach().clone()
    extend_tags(model, ["PROD"])
    assert model.tags[-2:] == ["B_PROD", "I_PROD"] and model.entity_types[-1] == "PROD"
    after = model.emissions(ids, mask).detach()
    old = before.shape[-1]
    assert torch.equal(after[..., :old], before)  # the old tags score exactly as before
    assert torch.equal(model.decode(after, mask), paths)  # and it tags as before, until it learns
    assert torch.equal(model.crf.transitions[:old, :old], transitions)
    assert extend_tags(model, ["PER", "PROD"]) is model and len(model.tags) == old + 2  # nothing new: unchanged


@pytest.mark.slow
def test_a_new_type_is_learned_from_a_handful_of_corrections(tiny_model, tmp_path):
    from core.tagging.predict import Tagger
    from core.training.options import RunOptions
    from core.training.run import run
    from core.training.settings import TrainSettings

    corpus = write_corpus(tmp_path / "corpus")
    corrections = tmp_path / "corrections.jsonl"
    corrections.write_text("".join(json.dumps({"text": text, "spans": _product_spans(text)}, ensure_ascii=False) + "\n"
                                   for text in PRODUCTS), encoding="utf-8")
    out = tmp_path / "with-products"
    options = RunOptions(out=str(out), data=str(corpus), corrections=str(corrections), corrections_repeat=10,
                         init_from=str(tiny_model), device="cpu", dev_limit=0,  # as the improve recipe: the last epoch
                         settings=TrainSettings(epochs=8, batch_size=8, lr=1e-3, head_lr_multiplier=10, patience=8))
    assert run(options) == 0
    tagger = Tagger.from_folder(out)
    assert "PROD" in tagger.model.entity_types
    tagged = tagger.tag("我买了苹果手机")
    assert [(e.text, e.label) for e in tagged.entities if e.label == "PROD"] == [("苹果手机", "PROD")]
    # What it knew still holds on the corpus it was trained on.
    text, spans = SENTENCES[1]
    assert [(e.start, e.end, e.label) for e in tagger.tag(text).entities] == spans
