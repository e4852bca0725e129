"""Bad (and odd but fine) input through the real command line, one test id per case.

A failure must be exit 2 with exactly one line on stderr that names the file (and the line where
there is one), no traceback, and no output file (hidden temporary included) left behind.
`check` is a report: a file it can read but finds faults in exits 1 with every bad line listed.
"""
from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT
from core.tagging import stream
from core.__main__ import main as cli

GOLD_CHARS = "我 爱 北 京\n张 三 在\n".encode()
GOOD_TAGS = b"O O B_LOC I_LOC\nB_PER I_PER O\n"
DIR = object()  # a file entry that is made as a folder
HUGE = "北京是中国的首都" * 3_000  # 24,000 characters on one line, read in 18 parts of 4,096 bytes


def case(name, argv, files, code, names=(), says=(), out_lines=None):
    """argv and names hold {d} (the case's folder) and {model}; files map names to bytes (or DIR)."""
    return pytest.param(argv, files, code, names, says, out_lines, id=name)


TAG = ["tag", "{d}/in.txt", "-o", "{d}/out.tags", "--model", "{model}", "--quiet"]
TEXT = TAG + ["--text"]
EVAL = ["eval", "{d}/c.txt", "{d}/t.txt", "--model", "{model}", "--quiet"]
CHECK = ["check", "{d}/c.txt", "{d}/t.txt"]

CASES = [
    # tag: paths
    case("01-tag-missing-input", TEXT, {}, 2, ["{d}/in.txt"], ["no such file"]),
    case("02-tag-input-is-a-folder", TEXT, {"in.txt": DIR}, 2, ["{d}/in.txt"], ["folder"]),
    case("03-tag-empty-input", TEXT, {"in.txt": b""}, 2, ["{d}/in.txt"], ["empty"]),
    case("04-tag-output-is-the-input", ["tag", "{d}/in.txt", "-o", "{d}/in.txt", "--model", "{model}", "--text"],
         {"in.txt": "北京\n".encode()}, 2, ["{d}/in.txt"], ["input file"]),
    case("05-tag-output-is-a-folder", ["tag", "{d}/in.txt", "-o", "{d}/sub", "--model", "{model}", "--text"],
         {"in.txt": "北京\n".encode(), "sub": DIR}, 2, ["{d}/sub"], ["folder"]),
    case("06-tag-output-folder-missing", ["tag", "{d}/in.txt", "-o", "{d}/no/out.tags", "--model", "{model}"],
         {"in.txt": "北 京\n".encode()}, 2, ["{d}/no"], ["does not exist"]),
    case("07-tag-output-under-a-file", ["tag", "{d}/in.txt", "-o", "{d}/in.txt/out.tags", "--model", "{model}"],
         {"in.txt": "北 京\n".encode()}, 2, ["{d}/in.txt"], ["not a folder"]),
    case("08-tag-output-unwritable", ["tag", "{d}/in.txt", "-o", "/proc/out.tags", "--model", "{model}"],
         {"in.txt": "北 京\n".encode()}, 2, ["/proc/out.tags"], ["cannot write"]),
    case("09-tag-model-folder-without-config", ["tag", "{d}/in.txt", "-o", "{d}/out.tags", "--model", "{d}"],
         {"in.txt": "北 京\n".encode()}, 2, ["{d}"], ["not a model folder"]),
    case("10-tag-model-folder-not-ours", ["tag", "{d}/in.txt", "-o", "{d}/out.tags", "--model", "{d}/m"],
         {"in.txt": "北 京\n".encode(), "m/config.json": b"{}"}, 2, ["{d}/m"], ["not a usable model folder"]),
    # tag: contents
    case("11-tag-text-not-utf8", TEXT, {"in.txt": "北京\n上海\xff\n".encode().replace(b"\xc3\xbf", b"\xff")},
         2, ["{d}/in.txt"], ["line 2, column 3", "not UTF-8"]),
    case("12-tag-chars-not-utf8", TAG, {"in.txt": b"\xe5\x8c\x97 \xe4\xba\n"}, 2, ["{d}/in.txt"], ["line 1", "UTF-8"]),
    case("13-tag-chars-two-characters-in-a-token", TAG, {"in.txt": "北 京\n北京\n".encode()},
         2, ["{d}/in.txt"], ["line 2, token 1"]),
    case("14-tag-chars-double-space", TAG, {"in.txt": "北  京\n".encode()}, 2, ["{d}/in.txt"], ["line 1, token 2"]),
    case("15-tag-text-lone-cr-is-a-character", TEXT, {"in.txt": "我爱北京\r天安门\n张三\n".encode()}, 0, out_lines=[8, 2]),
    case("16-tag-text-crlf", TEXT, {"in.txt": "我爱北京\r\n张三\r\n".encode()}, 0, out_lines=[4, 2]),
    case("17-tag-text-nul-bytes", TEXT, {"in.txt": "北\x00京\n\x00\n".encode()}, 0, out_lines=[3, 1]),
    case("18-tag-text-emoji-astral", TEXT, {"in.txt": "张三😀在𠀀北京\n".encode()}, 0, out_lines=[7]),
    case("19-tag-chars-emoji-and-escapes", TAG, {"in.txt": "张 三 😀 <U+0020> 𠀀\n".encode()}, 0, out_lines=[5]),
    case("20-tag-text-huge-line", TEXT, {"in.txt": (HUGE + "\n短\n").encode()}, 0, out_lines=[len(HUGE), 1]),
    case("21-tag-chars-huge-line", TAG, {"in.txt": (" ".join(HUGE[:6_000]) + "\n").encode()}, 0, out_lines=[6_000]),
    case("22-tag-no-final-newline-and-blank-lines", TEXT, {"in.txt": "北京\n\n上海".encode()}, 0, out_lines=[2, 0, 2]),
    # eval: paths and gold files
    case("23-eval-missing-chars", EVAL, {"t.txt": GOOD_TAGS}, 2, ["{d}/c.txt"], ["no such file"]),
    case("24-eval-tags-is-a-folder", EVAL, {"c.txt": GOLD_CHARS, "t.txt": DIR}, 2, ["{d}/t.txt"], ["folder"]),
    case("25-eval-empty-pair", EVAL, {"c.txt": b"", "t.txt": b""}, 2, ["{d}/c.txt"], ["no sentences"]),
    case("26-eval-misaligned-line", EVAL, {"c.txt": GOLD_CHARS, "t.txt": b"O O B_LOC\nB_PER I_PER O\n"},
         2, ["{d}/t.txt"], ["line 1: 4 characters, 3 tags"]),
    case("27-eval-line-missing-in-tags", EVAL, {"c.txt": GOLD_CHARS, "t.txt": b"O O B_LOC I_LOC\n"},
         2, ["{d}/t.txt"], ["line 2", "missing"]),
    case("28-eval-unknown-type", EVAL, {"c.txt": GOLD_CHARS, "t.txt": b"O O B_FOO I_FOO\nB_PER I_PER O\n"},
         2, ["{d}/t.txt"], ["line 1, column 3", "'B_FOO'", "known tags: B_LOC"]),
    case("29-eval-malformed-tag", EVAL, {"c.txt": GOLD_CHARS, "t.txt": b"O O LOC O\nB_PER I_PER O\n"},
         2, ["{d}/t.txt"], ["line 1, column 3", "'LOC'"]),
    case("30-eval-not-utf8-tags", EVAL, {"c.txt": GOLD_CHARS, "t.txt": b"O O B_LOC I_LOC\nB_PER \xff O\n"},
         2, ["{d}/t.txt"], ["line 2, column 7"]),
    case("31-eval-model-not-a-folder", ["eval", "{d}/c.txt", "{d}/t.txt", "--model", "{d}/c.txt"],
         {"c.txt": GOLD_CHARS, "t.txt": GOOD_TAGS}, 2, ["{d}/c.txt"], ["not a model folder"]),
    case("32-eval-dash-tags", EVAL, {"c.txt": GOLD_CHARS, "t.txt": b"O O B-LOC I-LOC\nB-PER I-PER O\n"}, 0),
    case("33-eval-broken-bio-repaired", EVAL, {"c.txt": GOLD_CHARS, "t.txt": b"O O I_LOC I_LOC\nB_PER I_PER O\n"},
         0, ["{d}/t.txt"], ["line 1, column 3", "read as B_"]),
    case("34-eval-unknown-type-ignored", EVAL + ["--ignore", "FOO"],
         {"c.txt": GOLD_CHARS, "t.txt": b"O O B_FOO I_FOO\nB_PER I_PER O\n"}, 0),
    # check
    case("35-check-missing-tags", CHECK, {"c.txt": GOLD_CHARS}, 2, ["{d}/t.txt"], ["no such file"]),
    case("36-check-empty-chars", CHECK, {"c.txt": b"", "t.txt": GOOD_TAGS}, 2, ["{d}/c.txt"], ["empty"]),
    case("37-check-not-utf8-chars-reported", CHECK, {"c.txt": b"\xe5\x8c\x97 \xff\n", "t.txt": b"O O\n"},
         1, ["{d}/c.txt"], ["line 1, column 3", "not UTF-8"]),
    case("38-check-dash-tags", CHECK, {"c.txt": GOLD_CHARS, "t.txt": b"O O B-LOC I-LOC\nB-PER I-PER O\n"}, 0),
    case("39-check-unknown-type-reported", CHECK, {"c.txt": GOLD_CHARS, "t.txt": b"O O B_FOO I_FOO\nB_PER I_PER O\n"},
         1, ["{d}/t.txt"], ["line 1", "B_FOO", "column 3"]),
    case("40-check-misaligned-reported", CHECK, {"c.txt": GOLD_CHARS, "t.txt": b"O O B_LOC\nB_PER I_PER O\n"},
         1, ["{d}/t.txt"], ["line 1: 4 characters, 3 tags"]),
]


@pytest.mark.parametrize("argv, files, code, names, says, out_lines", CASES)
def test_cli_input(argv, files, code, names, says, out_lines, tiny_model, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(stream, "PART_BYTES", 4096)  # huge lines are read in many parts, not one
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir() if content is DIR else path.write_bytes(content)
    fill = {"d": str(tmp_path), "model": str(tiny_model)}
    before = sorted(p.name for p in tmp_path.iterdir())
    assert cli([arg.format(**fill) for arg in argv]) == code
    out, err = capsys.readouterr()
    shown = (out + err) if code == 1 else err  # check reports on stdout
    assert "Traceback" not in out + err
    for text in [name.format(**fill) for name in names] + list(says):
        assert text in shown
    if code == 2:
        assert len(err.splitlines()) == 1 and err.startswith("error: "), err
        assert sorted(p.name for p in tmp_path.iterdir()) == before  # no output, no hidden .tmp
    if out_lines is not None:
        lines = (tmp_path / "out.tags").read_text(encoding="utf-8").split("\n")
        assert lines[-1] == ""
        assert [len(line.split(" ")) if line else 0 for line in lines[:-1]] == out_lines


@pytest.mark.slow
def test_huge_line_in_parts_gets_the_tags_of_the_whole_line(tiny_model, tmp_path, monkeypatch):
    """Parts are cut where the tagger cuts its pieces, so reading in parts changes no tag."""
    from core.model.model import load_model
    from core.tagging.predict import Tagger

    text = "张三在北京，李四去上海。" * 300 + "联合国总部在纽约" * 300  # 6,000 characters
    (tmp_path / "in.txt").write_text(text + "\n", encoding="utf-8")
    monkeypatch.setattr(stream, "PART_BYTES", 1000)
    # One tagger, one piece a batch, for both: batches of other shapes pad differently, and that
    # float noise can flip a near-tie of the tiny model, which says nothing about the parts.
    tagger = Tagger(load_model(tiny_model), batch_size=1)
    stream.tag_file(tagger, tmp_path / "in.txt", tmp_path / "out.tags", tokens=False)
    assert (tmp_path / "out.tags").read_text(encoding="utf-8") == " ".join(tagger.tag(text).tags) + "\n"


@pytest.mark.slow
def test_failed_run_leaves_no_output(tiny_model, tmp_path, capsys, monkeypatch):
    """A bad line far into the file: the lines before it were tagged, yet nothing is left behind."""
    monkeypatch.setattr(stream, "BATCH_CHARS", 500)  # so that batches were written before the bad line
    (tmp_path / "in.txt").write_bytes("北 京\n".encode() * 3000 + b"\xff\n")
    (tmp_path / "out.tags").write_text("old\n")
    argv = ["tag", str(tmp_path / "in.txt"), "-o", str(tmp_path / "out.tags"), "--model", str(tiny_model), "--quiet"]
    assert cli(argv) == 2
    assert "line 3001, column 1" in capsys.readouterr().err
    assert (tmp_path / "out.tags").read_text() == "old\n"  # the old output stands, no half of a new one
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt", "out.tags"]


def test_real_command_line_one_line_no_traceback(tiny_model, tmp_path):
    """The same through `python -m core` in a subprocess: exit status and stderr as a user sees them."""
    (tmp_path / "in.txt").write_bytes("北京\r上海\n".encode())
    run = [sys.executable, "-m", "core", "tag", str(tmp_path / "in.txt"), "--text", "--model", str(tiny_model)]
    ok = subprocess.run(run + ["-o", str(tmp_path / "out.tags"), "--quiet"], capture_output=True, text=True, cwd=ROOT)
    assert ok.returncode == 0, ok.stderr
    assert len((tmp_path / "out.tags").read_text().split("\n")[0].split(" ")) == 5
    bad = subprocess.run(run + ["-o", str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert (bad.returncode, bad.stderr.count("\n")) == (2, 1) and str(tmp_path) in bad.stderr


@pytest.mark.parametrize("command", ["prepare", "tag", "eval", "check", "silver", "train", "experiment"])
def test_help_answers(command):
    with pytest.raises(SystemExit) as done:
        cli([command, "--help"])
    assert done.value.code == 0
