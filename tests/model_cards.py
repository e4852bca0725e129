"""What CI needs to check a shipped model's card: the figures the card states, and the same
`python -m core eval` commands that printed them."""
import json
import re
import subprocess
import sys

import pytest

from conftest import ROOT


def card_figures(card) -> dict:
    """The card's <!-- ci: name=value ... (...) --> line as {name: value}."""
    match = re.search(r"<!-- ci: (.*?) \(", card.read_text(encoding="utf-8"))
    return {key: float(value) for key, value in (item.split("=") for item in match.group(1).split())}


def evaluate(model, corpus: str, ignore: str) -> dict:
    """Entity scores of `python -m core eval` on a prepared corpus's test split."""
    folder = ROOT / "data" / "corpora" / corpus
    if not (folder / "test.txt").exists():
        pytest.fail(f"{folder} is missing: run the set-up (bash scripts/setup.sh)")
    return _eval(model, str(folder / "test.txt"), str(folder / "test_TAG.txt"), "--ignore", ignore)


def evaluate_spans(model, path) -> dict:
    """Entity scores of `python -m core eval --spans` on a JSON-lines evaluation set."""
    return _eval(model, "--spans", str(path))


def _eval(model, *args) -> dict:
    completed = subprocess.run([sys.executable, "-m", "core", "eval", "--model", str(model), *args, "--json", "--quiet"],
                               cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return json.loads(completed.stdout)["entities"]
