"""Training runs end to end on a tiny BERT: train_job.py under torchrun, fine-tuning that keeps a
model's curves, scores that name their set's size, a model cut to fewer layers, a failing job, a
killed job resumed, silver spans, the init modes and the studies' table."""
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, SENTENCES
from core.__main__ import main as cli
from core.data.corpora import Sentence, write_pair
from core.labels import spans_to_tags
from core.model.build import keep_first_layers
from core.model.model import load_model


def _corpus_folder(tmp_path, train_repeat: int = 4):
    """A corpus folder of SENTENCES (train repeated) that train_job.py --data accepts."""
    data = tmp_path / "corpus"
    data.mkdir(exist_ok=True)
    sentences = [Sentence(list(t), spans_to_tags(s, len(t))) for t, s in SENTENCES]
    for split in ("train", "dev", "test"):
        write_pair(sentences * (train_repeat if split == "train" else 1), data / f"{split}.txt", data / f"{split}_TAG.txt")
    return data


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_torchrun_two_processes_on_cpu(tiny_bert, tmp_path):
    """train_job.py unchanged under torchrun: DDP over gloo, rank 0 writes the model."""
    data = _corpus_folder(tmp_path)
    out = tmp_path / "model"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(_free_port()),
               str(ROOT / "train_job.py"), "--out", str(out), "--data", str(data), "--data-dir", str(tmp_path), "--encoder", str(tiny_bert),
               "--epochs", "2", "--batch-size", "4", "--lr", "1e-3", "--quiet", "--device", "cpu",
               "--time-budget", "5",  # the ranks agree on the budget's stop after every step
               "--progress", str(tmp_path / "progress.jsonl")]
    completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    events = [json.loads(line) for line in (tmp_path / "progress.jsonl").read_text().splitlines()]
    assert events[0]["event"] == "start" and events[0]["world_size"] == 2
    assert any(e["event"] == "finished" for e in events)
    assert load_model(out).tags[0] == "O"


def test_fine_tuning_from_a_model_keeps_its_curves(tiny_bert, tmp_path):
    from train_job import main as train_main

    data = _corpus_folder(tmp_path)
    common = ["--data", str(data), "--data-dir", str(tmp_path), "--encoder", str(tiny_bert), "--batch-size", "4", "--lr", "1e-3", "--quiet"]
    assert train_main(["--out", str(tmp_path / "first"), "--epochs", "2", *common]) == 0
    assert train_main(["--out", str(tmp_path / "second"), "--init-from", str(tmp_path / "first"), "--epochs", "1", *common]) == 0
    curves = json.loads((tmp_path / "second" / "curves.json").read_text())
    assert [row["epoch"] for row in curves] == [1, 2, 3]
    scores = json.loads((tmp_path / "second" / "scores.json").read_text())
    assert "entities" in scores["corpus"]
    assert not (tmp_path / "second.resume").exists()


def test_scores_name_the_size_of_each_set_and_whether_it_was_a_sample(tiny_model, tmp_path):
    """Issue 22: a 300-sentence sample's F1 sat beside a full test set's as if they were one measure.
    Each scored set records its sentences (documents for the held-out corrections), and a set cut
    by --test-limit how many its split holds."""
    from train_job import main as train_main

    data = _corpus_folder(tmp_path)
    heldout = tmp_path / "heldout.jsonl"
    heldout.write_text("".join(json.dumps({"text": t, "spans": s}, ensure_ascii=False) + "\n" for t, s in SENTENCES[:2]),
                       encoding="utf-8")
    common = ["--data", str(data), "--data-dir", str(tmp_path), "--init-from", str(tiny_model), "--improves",
              str(tiny_model), "--heldout", str(heldout), "--epochs", "1", "--batch-size", "4", "--quiet"]
    assert train_main(["--out", str(tmp_path / "sample"), "--test-limit", "4", *common]) == 0
    assert train_main(["--out", str(tmp_path / "whole"), *common]) == 0
    sample, whole = (json.loads((tmp_path / name / "scores.json").read_text()) for name in ("sample", "whole"))
    assert (sample["corpus"]["sentences"], sample["corpus"]["sample_of"]) == (4, len(SENTENCES))
    assert whole["corpus"]["sentences"] == len(SENTENCES) and "sample_of" not in whole["corpus"]
    assert sample["heldout"]["sentences"] == whole["heldout"]["sentences"] == 2
    before = json.loads((tmp_path / "sample" / "training.json").read_text())["before"]
    assert {name: (result["sentences"], result.get("sample_of")) for name, result in before.items()} == \
        {"corpus": (4, len(SENTENCES)), "heldout": (2, None)}


def test_a_model_cut_to_fewer_layers_trains_into_a_smaller_variant(tiny_model, tiny_bert, tmp_path):
    """--init-from with --layers: the fast variant starts from the first N layers of a trained model."""
    from train_job import main as train_main

    data = _corpus_folder(tmp_path)
    source = load_model(tiny_model)
    assert source.config.num_layers == 2
    assert train_main(["--out", str(tmp_path / "cut"), "--init-from", str(tiny_model), "--layers", "1", "--epochs", "1",
                       "--data", str(data), "--data-dir", str(tmp_path), "--batch-size", "4", "--lr", "1e-3", "--quiet"]) == 0
    cut = load_model(tmp_path / "cut")
    assert cut.config.num_layers == 1 and len(cut.encoder.encoder.layer) == 1
    assert cut.encoder.config.num_hidden_layers == 1
    # The curves start afresh: the source's epochs belong to a different model.
    assert [row["epoch"] for row in json.loads((tmp_path / "cut" / "curves.json").read_text())] == [1]
    untouched = load_model(tiny_model)
    assert untouched.config.num_layers == 2, "the source folder is not modified"
    with pytest.raises(ValueError, match="1..2"):
        keep_first_layers(untouched, 3)


def test_a_failing_job_reports_failure_and_writes_no_model(tiny_bert, tmp_path):
    from train_job import main as train_main

    out = tmp_path / "never"
    progress = tmp_path / "p.jsonl"
    assert train_main(["--out", str(out), "--data", str(tmp_path / "missing"), "--encoder", str(tiny_bert),
                       "--quiet", "--progress", str(progress)]) == 1
    events = [json.loads(line) for line in progress.read_text().splitlines()]
    assert events[-1]["event"] == "failed" and "missing" in events[-1]["error"]
    assert not out.exists()


@pytest.mark.slow
def test_a_killed_job_resumes_from_its_last_epoch(tiny_bert, tmp_path):
    import signal
    import time

    data = _corpus_folder(tmp_path, train_repeat=40)
    out, progress = tmp_path / "model", tmp_path / "progress.jsonl"
    command = [sys.executable, str(ROOT / "train_job.py"), "--out", str(out), "--data", str(data), "--data-dir", str(tmp_path),
               "--encoder", str(tiny_bert), "--epochs", "3", "--batch-size", "4", "--quiet", "--progress", str(progress)]
    job = subprocess.Popen(command, cwd=ROOT)
    deadline = time.time() + 120
    while time.time() < deadline and '"event": "epoch"' not in (progress.read_text() if progress.exists() else ""):
        time.sleep(0.05)
    # Kill it once the first epoch's checkpoint is written, before the job can finish.
    while time.time() < deadline and not (tmp_path / "model.resume" / "state.json").exists():
        time.sleep(0.05)
    job.send_signal(signal.SIGKILL)
    job.wait()
    state = json.loads((tmp_path / "model.resume" / "state.json").read_text())
    assert 1 <= state["epoch"] < 3, "the job finished before it could be killed"
    assert load_model(out).tags[0] == "O"  # the best epoch so far is complete and loadable
    resumed = subprocess.run(command + ["--resume"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    events = [json.loads(line) for line in progress.read_text().splitlines()]
    assert any(e["event"] == "resumed" and e["epoch"] == state["epoch"] for e in events)
    assert [row["epoch"] for row in json.loads((out / "curves.json").read_text())] == [1, 2, 3]


def test_silver_spans_fill_only_characters_gold_leaves_o():
    from core.training.silver import add_silver

    gold = ["B_PER", "I_PER", "O", "O", "O", "O"]
    predicted = ["B_T", "I_T", "O", "B_T", "I_T", "O"]  # the first T overlaps a gold person
    assert add_silver(gold, predicted, {"T"}) == ["B_PER", "I_PER", "O", "B_T", "I_T", "O"]
    assert add_silver(gold, ["O", "O", "B_LOC", "I_LOC", "O", "O"], {"T"}) == gold  # other types are ignored
    with pytest.raises(ValueError, match="6 gold tags but 2"):
        add_silver(gold, ["O", "O"], {"T"})


def test_silver_command_writes_a_fully_annotated_corpus(tiny_model, tmp_path):
    data = _corpus_folder(tmp_path, train_repeat=1)
    out = tmp_path / "silver"
    assert cli(["silver", str(data), "--out", str(out), "--types", "PER,LOC", "--model", str(tiny_model), "--quiet"]) == 0
    info = json.loads((out / "corpus.json").read_text())
    assert info["unannotated"] == [] and info["silver"]["types"] == ["LOC", "PER"]
    from core.data.corpora import read_pair

    for split in ("train", "dev", "test"):
        source, silver = read_pair(data / f"{split}.txt", data / f"{split}_TAG.txt"), read_pair(out / f"{split}.txt", out / f"{split}_TAG.txt")
        assert [s.chars for s in silver] == [s.chars for s in source]
        for before, after in zip(source, silver):  # gold entities are never overwritten
            assert all(b == a for b, a in zip(before.tags, after.tags) if b != "O")
    assert (out / "test_TAG.txt").read_text() == (data / "test_TAG.txt").read_text()
    with pytest.raises(SystemExit, match="does not tag"):
        cli(["silver", str(data), "--out", str(out), "--types", "MONEY", "--model", str(tiny_model), "--quiet"])


def test_init_modes_keep_exactly_what_they_say(tiny_bert):
    """pretrained keeps everything, embeddings only the embedding rows, random nothing."""
    import torch

    from core.model.model import NerConfig
    from core.model.build import build_model

    torch.manual_seed(0)
    models = {init: build_model(tiny_bert, NerConfig(init=init)) for init in ("pretrained", "embeddings", "random")}
    reference = models["pretrained"].encoder.state_dict()

    def same(init, prefix):
        state = models[init].encoder.state_dict()
        return all(torch.equal(state[k], reference[k]) for k in reference if k.startswith(prefix) and state[k].is_floating_point())

    assert same("embeddings", "embeddings.") and not same("embeddings", "encoder.layer.")
    assert not same("random", "embeddings.word_embeddings") and not same("random", "encoder.layer.")


def test_experiment_table_states_its_budget_and_device(tmp_path):
    from core.training.experiment import describe_budget, parse_args, write_table

    rows = [{"variant": "1 layer", "dev_f1": 0.5, "seconds": 58.2, "device": "x86_64",
             "test": {"msra": {"entities": {"micro": {"f1": 0.25}}}}}]
    path = tmp_path / "results.md"
    write_table(rows, path, "Study: layers", "python -m core experiment layers", describe_budget(parse_args(["layers"])))
    text = path.read_text()
    assert "at most 2 epochs or 4 minutes" in text and "3,000 sentences" in text and "Device: x86_64." in text
    assert "| 1 layer | 0.5000 | 0.2500 | 58 |" in text
