"""Train -> save -> load -> tag round trip on a tiny model, and the command line around it."""
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
