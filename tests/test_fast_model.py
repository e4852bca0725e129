"""CI re-evaluates the committed fast model (LAC's embedding + BiGRU, our linear layer + CRF) and
checks the figures its model card states. The whole MSRA test takes seconds with this model."""
import json
import re
import subprocess
import sys

import pytest

from conftest import ROOT

FAST = ROOT / "models" / "fast"
CARD = FAST / "MODEL_CARD.md"


def card_figures() -> dict:
    match = re.search(r"<!-- ci: (.*?) \(", CARD.read_text(encoding="utf-8"))
    return {key: float(value) for key, value in (item.split("=") for item in match.group(1).split())}


def evaluate(corpus: str, ignore: str) -> dict:
    folder = ROOT / "data" / "corpora" / corpus
    if not (folder / "test.txt").exists():
        pytest.fail(f"{folder} is missing: run the set-up (bash scripts/setup.sh)")
    completed = subprocess.run(
        [sys.executable, "-m", "core", "eval", "--model", str(FAST), str(folder / "test.txt"),
         str(folder / "test_TAG.txt"), "--ignore", ignore, "--json", "--quiet"],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return json.loads(completed.stdout)["entities"]


def test_fast_model_is_small_and_self_contained():
    assert sum(path.stat().st_size for path in FAST.iterdir()) <= 20 * 1024 * 1024
    config = json.loads((FAST / "config.json").read_text(encoding="utf-8"))
    assert config["ner"]["encoder_type"] == "lac" and "lac" in config
    assert (FAST / "lac_vocab.json").is_file()  # loading never reads data/encoders/lac


def test_card_msra_figure_is_reproduced():
    assert round(evaluate("msra", "T")["micro"]["f1"], 4) == card_figures()["msra_test_micro_f1"]


def test_card_time_figure_is_reproduced():
    assert round(evaluate("pd", "ORG")["T"]["f1"], 4) == card_figures()["pd_test_T_f1"]
