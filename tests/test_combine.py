"""core/model/combine.py and `python -m core.training.combine`: a fast model folded into a stacked one
scores every input exactly as the two models' scores summed, survives its folder, tags, and trains
with both LAC copies frozen."""
import subprocess
import sys

import pytest
import torch

from conftest import ROOT, SENTENCES
from core.data.training_data import Example
from core.labels import spans_to_tags
from core.model.build import build_model
from core.model.combine import fold_in
from core.model.lac_convert import build_lac_folder
from core.model.model import NerConfig, load_model
from core.tagging.predict import Tagger
from core.training.settings import TrainSettings
from core.training.train import train

TEXTS = ["张三在北京市工作", "ＡＢＣ公司于２０２３年在上海成立。", "😀a 𠀀\u3000王五", "中"]


def _examples():
    return [Example(list(text), spans_to_tags(spans, len(text))) for text, spans in SENTENCES]


@pytest.fixture(scope="module")
def pair(tiny_bert, tmp_path_factory):
    """A stacked model and a fast model, each trained a little; the fast one's BiGRU tuned away from LAC's."""
    lac = build_lac_folder(tmp_path_factory.mktemp("lac") / "lac")
    torch.manual_seed(0)
    stacked = build_model(tiny_bert, NerConfig(stack="lac"), lac_dir=lac)
    fast = build_model(None, NerConfig(encoder_type="lac"), lac_dir=lac)
    list(train(stacked, _examples() * 3, _examples(), TrainSettings(epochs=2, batch_size=6, lr=1e-3, log_every=1000)))
    list(train(fast, _examples() * 3, _examples(), TrainSettings(epochs=2, batch_size=6, lr=1e-2, lac_lr=1e-2,
                                                                 log_every=1000)))
    folder = tmp_path_factory.mktemp("models")
    return stacked.save(folder / "stacked"), fast.save(folder / "fast")


def _scores(model, texts=TEXTS):
    ids, mask = model.batch_ids([list(t) for t in texts])
    with torch.no_grad():
        return model.eval().emissions(ids, mask), mask


def test_the_folded_model_scores_as_the_two_summed(pair):
    stacked, fast = (load_model(folder) for folder in pair)
    assert not torch.equal(stacked.stacked.gru.weight_hh_l0, fast.encoder.gru.weight_hh_l0)  # two different LACs
    expected = _scores(stacked)[0] + 0.7 * _scores(fast)[0]
    crf = [a + 0.7 * b for a, b in zip(stacked.crf.parameters(), fast.crf.parameters())]
    combined = fold_in(stacked, fast, 0.7)
    got, mask = _scores(combined)
    assert combined.config.stack == "lac2" and combined.classifier.in_features == 32 + 256 + 256
    assert torch.allclose(got[mask], expected[mask], atol=1e-5)
    assert all(torch.allclose(mine, theirs) for mine, theirs in zip(combined.crf.parameters(), crf))


def test_the_cli_writes_a_folder_that_loads_tags_and_trains(pair, tmp_path):
    out = tmp_path / "combined"
    run = subprocess.run([sys.executable, "-m", "core.training.combine", *map(str, pair), "--weight", "0.5",
                          "--out", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    loaded = load_model(out)
    expected = fold_in(*(load_model(folder) for folder in pair), 0.5)
    assert torch.allclose(_scores(loaded)[0], _scores(expected)[0], atol=1e-5)
    result = Tagger(loaded).tag("张三在北京市工作。" * 20)
    assert len(result.tags) == 180
    # Trained like any model (an improve job): LAC's two copies stay as they are at lac_lr 0.
    partner = loaded.stacked_partner.gru.weight_hh_l0.clone()
    events = list(train(loaded, _examples() * 2, _examples(), TrainSettings(epochs=1, batch_size=6, lr=1e-3,
                                                                            log_every=1000)))
    assert events[-1]["event"] == "done"
    assert torch.equal(loaded.stacked_partner.gru.weight_hh_l0, partner)


def test_the_cli_refuses_models_in_the_wrong_order(pair, tmp_path):
    run = subprocess.run([sys.executable, "-m", "core.training.combine", str(pair[1]), str(pair[0]), "--weight", "0.5",
                          "--out", str(tmp_path / "x")], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 2 and "--stack lac" in run.stderr and not (tmp_path / "x").exists()
