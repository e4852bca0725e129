"""`tag -o` and the edges of a run (issue 22, item 9): a FIFO or a device is written through, a
symlink's target is written and the link kept; a CUDA device that is not there and Ctrl-C end
in one line; `check` reads both files a line at a time."""
from __future__ import annotations

import os
import stat

import pytest

import core.cli.tag as cli_module
from core.__main__ import main as cli
from conftest import ROOT

TEXT = "张三在北京\n李四\n"


def tag(tmp_path, model, output, *more):
    (tmp_path / "in.txt").write_text(TEXT, encoding="utf-8")
    return cli(["tag", str(tmp_path / "in.txt"), "-o", str(output), "--text", "--model", str(model), "--quiet", *more])


def tag_lines(text: str) -> list[int]:
    return [len(line.split(" ")) for line in text.splitlines()]


def test_a_fifo_is_written_through_not_replaced(tiny_model, tmp_path):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader waits, as `cat out.fifo` would
    try:
        assert tag(tmp_path, tiny_model, fifo) == 0
        received = os.read(reader, 1 << 16).decode("utf-8")
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still the pipe, not a regular file in its place
    assert tag_lines(received) == [5, 2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt", "out.fifo"]  # no hidden .tmp


def test_a_symlink_keeps_pointing_at_its_target_which_gets_the_tags(tiny_model, tmp_path):
    (tmp_path / "runs").mkdir()
    target = tmp_path / "runs" / "today.tags"
    target.write_text("old\n")
    link = tmp_path / "latest.tags"
    link.symlink_to(target)
    assert tag(tmp_path, tiny_model, link) == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert tag_lines(target.read_text(encoding="utf-8")) == [5, 2]


def test_a_dangling_symlink_gets_its_target_made(tiny_model, tmp_path):
    link = tmp_path / "latest.tags"
    link.symlink_to(tmp_path / "new.tags")
    assert tag(tmp_path, tiny_model, link) == 0
    assert link.is_symlink() and tag_lines((tmp_path / "new.tags").read_text(encoding="utf-8")) == [5, 2]


@pytest.mark.parametrize("device, says", [("cuda", "CUDA is not available"), ("cuda:0", "CUDA is not available"),
                                          ("gpu", "not a device")])
def test_a_device_that_is_not_there_is_one_line(tiny_model, tmp_path, capsys, monkeypatch, device, says):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # as on a machine without CUDA
    assert tag(tmp_path, tiny_model, tmp_path / "out.tags", "--device", device) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: --device {device}: ") and says in err
    assert not (tmp_path / "out.tags").exists()


class Interrupted:
    """A tagger interrupted (Ctrl-C) while it tags."""
    max_chunk = 510

    def tag_texts(self, texts, progress=None, confidence=True):
        raise KeyboardInterrupt


def test_ctrl_c_is_one_line_exit_130_and_the_old_output_stands(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli_module, "_tagger", lambda *args: Interrupted())
    (tmp_path / "out.tags").write_text("old\n")
    assert tag(tmp_path, "unused", tmp_path / "out.tags") == 130
    assert capsys.readouterr().err == "interrupted; no output written\n"
    assert (tmp_path / "out.tags").read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt", "out.tags"]


def test_check_reads_both_files_a_line_at_a_time(tmp_path, capsys, monkeypatch):
    """Lines appended while check runs are checked too: it reads as it goes, never a whole file first."""
    chars, tags = tmp_path / "c.txt", tmp_path / "t.txt"
    chars.write_text("北 京\n" * 200_000, encoding="utf-8")  # 1.6 MB: far past any read buffer
    tags.write_text("B_LOC I_LOC\n" * 200_000, encoding="utf-8")
    from core.data import corpora

    real = corpora.pair_lines

    def appending(chars_path, tags_path, known_tags=None):
        for n, item in enumerate(real(chars_path, tags_path, known_tags)):
            if n == 0:  # after the first line is read, both files grow by one bad line
                with open(chars, "a", encoding="utf-8") as file:
                    file.write("上 海\n")
                with open(tags, "a", encoding="utf-8") as file:
                    file.write("B_LOC\n")
            yield item

    monkeypatch.setattr(corpora, "pair_lines", appending)
    assert cli(["check", str(chars), str(tags)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines() == [f"{chars} / {tags}: line 200001: 2 characters, 1 tags"]


def test_sigterm_leaves_no_hidden_file_and_the_old_output_stands(tiny_model, tmp_path):
    """A real process terminated while it writes (as `kill` or a job manager stops it)."""
    import signal
    import subprocess
    import sys
    import time

    source = tmp_path / "in.txt"
    source.write_text("张三在上海工作，新华社记者李四报道。\n" * 40_000, encoding="utf-8")
    (tmp_path / "out.tags").write_text("old\n")
    process = subprocess.Popen([sys.executable, "-m", "core", "tag", str(source), "-o", str(tmp_path / "out.tags"),
                                "--text", "--model", str(tiny_model), "--quiet"], cwd=ROOT, stderr=subprocess.PIPE,
                               text=True)
    deadline = time.monotonic() + 120
    while not any(p.name.startswith(".out.tags.") for p in tmp_path.iterdir()):  # it has begun writing
        assert process.poll() is None and time.monotonic() < deadline, "the tagger ended before writing"
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 143
    assert process.stderr.read() == "terminated; no output written\n"
    assert (tmp_path / "out.tags").read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt", "out.tags"]
