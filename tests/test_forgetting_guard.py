"""The forgetting guard (core/training/run.py, core/model/weight_average.py): after fine-tuning on corrections, more
of the starting weights go back in, a tenth at a time, while the run scores more than forget_limit
F1 points below its start on the corpora's dev sentences."""
import json

import pytest
import torch

from conftest import SENTENCES
from core.model.model import TRAINING_FILE, load_model, read_json
from core.training.options import RunOptions
from core.training.run import run
from core.training.run_data import start_shares
from core.training.settings import TrainSettings
from core.training.batches import evaluate
from core.data.training_data import load_split
from core.model.weight_average import mix_until_kept
from conftest import write_corpus


def test_the_first_share_that_keeps_the_floor_is_chosen(tiny_model, tmp_path):
    start = load_model(tiny_model)
    tuned = load_model(tiny_model)
    with torch.no_grad():
        for parameter in tuned.parameters():
            parameter.add_(1.0)
    tuned_folder = tuned.save(tmp_path / "tuned")
    weight = "classifier.weight"
    start_weight = dict(start.named_parameters())[weight]

    def distance(model) -> float:  # how far the mix still is from the start: 1 - share
        return float((dict(model.named_parameters())[weight] - start_weight).mean().detach())

    model, tries = mix_until_kept(lambda: load_model(tuned_folder), tiny_model, [0.2, 0.3, 0.4, 0.5],
                                  lambda m: -distance(m), floor=-0.65)
    assert [t["share"] for t in tries] == [0.2, 0.3, 0.4]  # 0.8 and 0.7 away are too far; 0.6 is near enough
    assert abs(distance(model) - 0.6) < 1e-4
    _, none_kept = mix_until_kept(lambda: load_model(tuned_folder), tiny_model, [0.2, 0.3], lambda m: 0.0, floor=1.0)
    assert [t["share"] for t in none_kept] == [0.2, 0.3]  # nothing keeps the floor: the last share


def test_shares_step_by_a_tenth_up_to_the_top():
    assert start_shares(RunOptions(out="x", keep_start=0.2, keep_start_max=0.5)) == [0.2, 0.3, 0.4, 0.5]
    assert start_shares(RunOptions(out="x", keep_start=0.0, keep_start_max=0.25)) == [0.0, 0.1, 0.2]


def _run(tiny_model, tmp_path, name, corrections, forget_limit, keep_start_max=0.5):
    corpus = tmp_path / "corpus"
    if not corpus.exists():
        write_corpus(corpus)
    path = tmp_path / f"{name}.jsonl"
    path.write_text("".join(json.dumps({"text": text, "spans": spans}, ensure_ascii=False) + "\n"
                            for text, spans in corrections), encoding="utf-8")
    out = tmp_path / name
    options = RunOptions(out=str(out), data=str(corpus), corrections=str(path), corrections_repeat=10,
                         init_from=str(tiny_model), device="cpu", dev_limit=0, keep_start=0.2,
                         keep_start_max=keep_start_max,
                         guard_sentences=len(SENTENCES), forget_limit=forget_limit,
                         settings=TrainSettings(epochs=6, batch_size=8, lr=2e-3, head_lr_multiplier=10, patience=6))
    assert run(options) == 0
    return out, corpus


@pytest.mark.slow
def test_a_run_that_forgets_gets_more_of_its_start_back(tiny_model, tmp_path):
    # Corrections that say the corpus's own sentences hold no entities: learning them is forgetting.
    # Room up to 0.8: how much of the start this tiny run needs back varies with how its sums were
    # split (threads, chosen from the machine's load); under a busy suite 0.5 was sometimes not enough.
    out, corpus = _run(tiny_model, tmp_path, "forgets", [(text, []) for text, _ in SENTENCES], forget_limit=1.0,
                       keep_start_max=0.8)
    guard = read_json(out, TRAINING_FILE, {})["guard"]
    tries = guard["tries"]
    assert guard["sentences"] == len(SENTENCES) and guard["start"] > 0.5
    assert tries[0]["share"] == 0.2 and tries[0]["score"] < guard["start"] - 0.01  # it did forget
    shares = start_shares(RunOptions(out="x", keep_start=0.2, keep_start_max=0.8))
    assert len(tries) > 1 and [t["share"] for t in tries] == shares[:len(tries)]
    floor = guard["start"] - 0.01
    # More of the start back scores higher each time, and a share below the top keeps the floor:
    # the guard stopped there because the model got back what it knew (0.2 -> 0.15, 0.3 -> 0.91,
    # 0.4 -> 1.0 on this tiny run), not because it ran out of shares.
    scores = [t["score"] for t in tries]
    assert scores == sorted(scores) and scores[-1] > scores[0]
    assert tries[-1]["share"] < 0.8 and tries[-1]["score"] >= floor
    assert all(t["score"] < floor for t in tries[:-1])  # it stopped at the first share that kept the floor
    assert read_json(out, TRAINING_FILE, {})["keep_start"] == tries[-1]["share"]
    # The saved model is the chosen mix: it scores the guard sentences as the last try did.
    dev = load_split(str(corpus), "dev", limit=len(SENTENCES))
    assert abs(evaluate(load_model(out), dev)["entities"]["micro"]["f1"] - tries[-1]["score"]) < 1e-6


@pytest.mark.slow
def test_a_run_within_the_limit_keeps_the_first_share(tiny_model, tmp_path):
    out, _ = _run(tiny_model, tmp_path, "keeps", SENTENCES, forget_limit=100.0)
    training = read_json(out, TRAINING_FILE, {})
    assert [t["share"] for t in training["guard"]["tries"]] == [0.2] and training["keep_start"] == 0.2
