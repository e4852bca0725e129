"""CI re-evaluates the bundled default model and checks the figures its model card states."""
import re
import subprocess
import sys

import pytest

from conftest import ROOT

CARD = ROOT / "models" / "default" / "MODEL_CARD.md"


def card_figures() -> dict:
    match = re.search(r"<!-- ci: (.*?) \(", CARD.read_text(encoding="utf-8"))
    return {key: float(value) for key, value in (item.split("=") for item in match.group(1).split())}


def evaluate(corpus: str, ignore: str) -> dict:
    import json

    folder = ROOT / "data" / "corpora" / corpus
    if not (folder / "test.txt").exists():
        pytest.fail(f"{folder} is missing: run the set-up (bash scripts/setup.sh)")
    completed = subprocess.run(
        [sys.executable, "-m", "core", "eval", "--model", str(ROOT / "models" / "default"),
         str(folder / "test.txt"), str(folder / "test_TAG.txt"), "--ignore", ignore, "--json", "--quiet"],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return json.loads(completed.stdout)["entities"]


def test_card_msra_figure_is_reproduced():
    assert round(evaluate("msra", "T")["micro"]["f1"], 4) == card_figures()["msra_test_micro_f1"]


def test_card_modern_text_figure_is_reproduced():
    """Our own modern-text set's test part (eval/modern), the figure the card puts beside LAC's."""
    import json

    completed = subprocess.run(
        [sys.executable, "-m", "core", "eval", "--model", str(ROOT / "models" / "default"),
         "--spans", str(ROOT / "eval" / "modern" / "test.jsonl"), "--json", "--quiet"],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, completed.stderr[-2000:]
    micro = json.loads(completed.stdout)["entities"]["micro"]["f1"]
    assert round(micro, 4) == card_figures()["modern_test_micro_f1"]


def test_card_time_figure_is_reproduced():
    assert round(evaluate("pd", "ORG")["T"]["f1"], 4) == card_figures()["pd_test_T_f1"]
