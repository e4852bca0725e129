"""`python -m core agreement A.jsonl B.jsonl [--json]` as a user runs it: the hand-computed figures
of tests/test_agreement.py (pooled F1 1/2, kappa 23/31), and one line with exit status 2 for files
that do not hold the same texts."""
import json
import subprocess
import sys

import pytest

from conftest import ROOT

A = [{"text": "张三在上海工作", "spans": [[0, 2, "PER"], [3, 5, "LOC"]]},
     {"text": "新华社记者李四报道", "spans": [[0, 3, "ORG"], [5, 7, "PER"]]},
     {"text": "今天下雨", "spans": []}]
B = [{"text": "张三在上海工作", "spans": [[0, 2, "PER"], [3, 5, "ORG"]]},
     {"text": "新华社记者李四报道", "spans": [[0, 2, "ORG"], [5, 7, "PER"]]},
     {"text": "今天下雨", "spans": []}]


def write(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return str(path)


def agreement(*args):
    return subprocess.run([sys.executable, "-m", "core", "agreement", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_json_gives_the_hand_computed_figures(tmp_path):
    # The third text adds 4 characters tagged O by both: p_o = (13 + 4) / 20, p_e = (70 + 11*12 - 7*8) / 400
    # (O: A 7 + 4 = 11, B 8 + 4 = 12, replacing 7*8 in the 16-character sum of 70): (70 - 56 + 132) / 400
    # = 146/400; kappa = (340 - 146) / (400 - 146) = 194/254 = 97/127.
    done = agreement(write(tmp_path / "a.jsonl", A), write(tmp_path / "b.jsonl", B), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["f1"] == pytest.approx(0.5)
    assert result["per_type"] == {"LOC": 0.0, "ORG": 0.0, "PER": 1.0}
    assert result["kappa"] == pytest.approx(97 / 127)
    assert result["documents"] == 3 and result["disagreeing"] == [[1, 2], [2, 2]]


def test_the_report_names_the_lines_that_differ_most(tmp_path):
    done = agreement(write(tmp_path / "a.jsonl", A), write(tmp_path / "b.jsonl", B))
    assert done.returncode == 0, done.stderr
    assert "entity F1 (exact spans): 0.5000" in done.stdout
    assert "Cohen's kappa (character tags): 0.7638" in done.stdout
    assert "2 of 3 texts differ" in done.stdout and "line 1: 2 span(s), 2 character(s)" in done.stdout


def test_files_of_different_texts_are_one_line_and_exit_2(tmp_path):
    other = [dict(B[0]), {"text": "新华社记者王五报道", "spans": []}, dict(B[2])]
    done = agreement(write(tmp_path / "a.jsonl", A), write(tmp_path / "b.jsonl", other))
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "text 2 differs" in done.stderr
    done = agreement(write(tmp_path / "a.jsonl", A), str(tmp_path / "missing.jsonl"))
    assert done.returncode == 2 and "missing.jsonl" in done.stderr
