"""bench/adapt.py, the simulated annotator, end to end on the tiny model: the same storage, ranking,
launcher and training job as the app, in seconds."""
import json
import subprocess
import sys

import pytest

from conftest import ROOT, SENTENCES
from core.data.corpora import Sentence
from core.data.conll_jsonl import write_jsonl_spans
from core.labels import spans_to_tags
from conftest import write_corpus

pytestmark = pytest.mark.slow

# Distinct documents: the pool is corrected by text, and the queue must hold more than a round takes.
GOLD = [(f"{prefix}{text}", [(s + len(prefix), e + len(prefix), label) for s, e, label in spans])
        for prefix in ("", "据说", "听说", "今天") for text, spans in SENTENCES]


def test_corrections_train_a_new_version_per_round_for_each_strategy(tiny_model, tmp_path):
    for corpus in ("msra", "pd"):
        write_corpus(tmp_path / "data" / "corpora" / corpus)
    gold = tmp_path / "gold.jsonl"
    write_jsonl_spans([Sentence(list(text), spans_to_tags(spans, len(text))) for text, spans in GOLD], gold)
    out = tmp_path / "adapt.json"
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "adapt.py"), "--gold", str(gold), "--model", str(tiny_model),
         "--data-dir", str(tmp_path / "data"), "--rounds", "2", "--per-round", "4", "--time-budget", "0.5",
         "--msra-sample", "6", "--json", str(out), "--keep", str(tmp_path / "studios"), "--param", "mention_swap=0.25",
         "--strategy", "all"],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert completed.returncode in (0, 1), completed.stderr[-3000:]  # 1: the tiny model did not improve
    results = json.loads(out.read_text())
    assert set(results["strategies"]) == {"spot-check", "least-confident", "random"}
    for outcome in results["strategies"].values():
        rounds = outcome["rounds"]
        assert [row["corrections"] for row in rounds] == [0, 4, 8]
        assert all(row["seconds"] > 0 for row in rounds[1:])
        # The job trained on the corrections saved so far, less those it held out.
        assert all(row["trained_on"] + (row["job_heldout"] or 0) <= row["corrections"] for row in rounds[1:])
        assert rounds[2]["trained_on"] > rounds[1]["trained_on"]
        assert 0.0 <= outcome["msra_after"] <= 1.0
        assert all(0 <= row["mistakes_fixed"] <= row["mistakes_waiting"] for row in rounds[1:])
        # The improve recipe mixes a fixed 20% of the base back (its forgetting guard is off).
        assert all(row["keep_start"] == 0.2 and row["guard"] is None for row in rounds[1:])
    # Before the first round every strategy faces the same queue, tagged by the same model.
    assert len({outcome["rounds"][1]["mistakes_waiting"] for outcome in results["strategies"].values()}) == 1
    assert "| least-confident | 2 | 8 |" in completed.stdout
    last = results["strategies"]["least-confident"]["rounds"][2]
    assert f"| least-confident | 2 | 8 | {last['mistakes_fixed']} of {last['mistakes_waiting']} |" in completed.stdout
    from storage.db import connect
    from storage.jobs import get_job

    from storage.documents import queue
    from storage.versions import active_version

    db = connect(tmp_path / "studios" / "random" / "studio.db")
    assert get_job(db, 1)["params"]["mention_swap"] == 0.25  # the study's override reached the job
    # The queue left over was re-tagged by the last version promoted, as the Correct screen's Refresh does.
    waiting = queue(db, status="new")
    assert len(waiting) == len(GOLD) // 2 - 8
    assert {doc["predicted_by"] for doc in waiting} == {active_version(db)["name"]} != {"default"}
    db.close()

    # Earlier outputs are reported again, and several are averaged (here the same run twice).
    again = subprocess.run([sys.executable, str(ROOT / "bench" / "adapt.py"), "--report", str(out), str(out)],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == completed.returncode, again.stderr[-3000:]
    assert again.stdout.count("| least-confident | 2 | 8 |") == 2
    assert "Mean over 2 seeds (13, 13): held-out F1 by corrections" in again.stdout
    assert "| strategy | 0 | 4 | 8 | MSRA sample change | mistakes fixed by round |" in again.stdout
    assert "standard error" in again.stdout
    assert "spot-check minus random after 8 corrections" in again.stdout
    assert "least-confident minus random after 8 corrections" in again.stdout


def test_an_unknown_param_is_refused_before_anything_runs(tmp_path):
    completed = subprocess.run([sys.executable, str(ROOT / "bench" / "adapt.py"), "--gold", str(tmp_path / "none.jsonl"),
                                "--param", "learning_rate=1"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert completed.returncode != 0
    assert "--param learning_rate: not a training parameter" in completed.stderr
