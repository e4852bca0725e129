"""Every `python -m core ...` command the app's screens tell people to run is accepted by the
command line: the quick ones run for real on small files and the tiny model, the long ones
(prepare, experiment) are parsed through their --help. A hint for a subcommand this test does
not know fails here, so a new hint comes with its check."""
import os
import re
import subprocess
import sys

from conftest import ROOT
from ui import formats

HINT = re.compile(r"python -m core ([a-z]+)")
LONG_RUNNING = {"prepare", "experiment"}  # minutes of work: only their arguments are checked


def core(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})


def shown_subcommands() -> set[str]:
    found = set()
    for path in [*ROOT.rglob("screens/**/*.py"), *ROOT.rglob("ui/**/*.py")]:  # the rooms too
        found |= set(HINT.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_hinted_subcommand_is_checked_here():
    assert shown_subcommands() <= {"tag", "check", "convert"} | LONG_RUNNING


def test_the_tag_pages_hint_tags_a_text_file(tmp_path, tiny_model):
    (tmp_path / "INPUT.txt").write_text("我爱北京天安门\n张三在上海工作\n", encoding="utf-8")
    args = formats.CLI_HINT.split()[3:]  # after "python -m core"
    result = core(*args, "--model", str(tiny_model), "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / "OUTPUT_TAG.txt").read_text(encoding="utf-8").splitlines()
    assert [len(line.split()) for line in lines] == [7, 7]


def test_the_check_hint_checks_a_pair(tmp_path):
    (tmp_path / "train.txt").write_text("张 三\n", encoding="utf-8")
    (tmp_path / "train_TAG.txt").write_text("B_PER I_PER\n", encoding="utf-8")
    result = core("check", "train.txt", "train_TAG.txt", cwd=tmp_path)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr


def test_the_convert_hint_turns_doccano_into_conll(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"text": "张三在上海", "label": [[0, 2, "PER"], [3, 5, "LOC"]]}\n', encoding="utf-8")
    result = core("convert", "a.jsonl", "--from", "doccano", "--to", "conll", "-o", "a.conll", "--no-provenance",
                  cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in (tmp_path / "a.conll").read_text(encoding="utf-8").splitlines() if line.strip()]
    assert rows == [["张", "B-PER"], ["三", "I-PER"], ["在", "O"], ["上", "B-LOC"], ["海", "I-LOC"]]


def test_the_long_running_hints_are_real_subcommands(tmp_path):
    for name in sorted(LONG_RUNNING):
        result = core(name, "--help", cwd=tmp_path)
        assert result.returncode == 0 and f"{name}" in result.stdout, result.stderr
    studies = core("experiment", "--help", cwd=tmp_path).stdout
    assert all(study in studies for study in ("head", "layers", "init"))  # the Model screen's <study> names
