"""The command line's parser and its model-free commands never import torch: importing it costs
seconds and ~270 MB before argparse runs, so `--help`, `check`, `agreement` and `convert` would
wait on it. Each check runs in a fresh interpreter, where nothing else has imported torch yet."""
import json
import subprocess
import sys

from conftest import ROOT


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


def _torch_imported_by(statements: str) -> bool:
    done = _run(f"import sys\n{statements}\nprint('torch' in sys.modules)")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1] == "True"


def test_building_the_parser_does_not_import_torch():
    assert not _torch_imported_by("from core.cli import build_parser\n"
                                  "build_parser().parse_args(['check', 'a', 'b'])")


def test_help_exits_0_without_torch():
    statements = ("from core.cli import main\n"
                  "for argv in (['--help'], ['tag', '--help'], ['train', '--help'], ['experiment', '--help']):\n"
                  "    try:\n"
                  "        main(argv)\n"
                  "    except SystemExit as done:\n"
                  "        assert done.code == 0, (argv, done.code)")
    assert not _torch_imported_by(statements)


def test_model_free_commands_run_without_torch(tmp_path):
    chars, tags = tmp_path / "a.txt", tmp_path / "a_TAG.txt"
    chars.write_text("张 三 在 上 海\n", encoding="utf-8")
    tags.write_text("B_PER I_PER O B_LOC I_LOC\n", encoding="utf-8")
    spans = tmp_path / "a.jsonl"
    spans.write_text(json.dumps({"text": "张三在上海", "spans": [[0, 2, "PER"], [3, 5, "LOC"]]},
                                ensure_ascii=False) + "\n", encoding="utf-8")
    commands = [["check", str(chars), str(tags)], ["agreement", str(spans), str(spans)],
                ["convert", str(spans), "--from", "spans", "--to", "conll", "-o", str(tmp_path / "a.conll")]]
    statements = ("from core.cli import main\n"
                  f"for argv in {commands!r}:\n"
                  "    assert main(argv) == 0, argv")
    assert not _torch_imported_by(statements)
