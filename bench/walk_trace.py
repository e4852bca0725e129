"""The tracer behind bench/walks.py: which of the repository's files a run visits, and its moves.

A file is visited when a function in it (or its module body) runs. A move is a call from a function
in one file into a function in another; library frames in between are skipped, so the nearest
repository frame is the caller. Moves are counted once per (caller function, callee function) pair.
Only the repository's own code counts: .venv/, tests/ and bench/ (the driver and this tracer) are
left out, as if they were libraries.
"""
from __future__ import annotations

import atexit
import json
import os
import sys
import threading
from pathlib import Path

NOT_OURS = (".venv", "tests", "bench")
# The job's process installs the tracer from sitecustomize (bench/walks_site/) when these are set.
OUT_ENV, ROOT_ENV = "WALK_TRACE_OUT", "WALK_TRACE_ROOT"


class Trace:
    """A sys.settrace/threading.settrace hook: the app's script runs in a thread of its own and the
    model loads in another, so a tracer on the calling thread alone would miss both."""

    def __init__(self, root: str | Path):
        self.root = os.path.realpath(root) + os.sep
        self.not_ours = tuple(os.path.join(self.root, name) + os.sep for name in NOT_OURS)
        self.files: dict[str, int] = {}  # repository file -> calls into it
        self.moves: dict[tuple[str, str], int] = {}  # ("file:function", "file:function") -> calls
        self.known: dict[str, str | None] = {}  # code file name -> path under root, or None

    def ours(self, code) -> str | None:
        name = code.co_filename
        if name not in self.known:  # realpath per call would slow the traced run tenfold
            real = name if name.startswith("<") else os.path.realpath(name)
            mine = real.startswith(self.root) and not real.startswith(self.not_ours)
            self.known[name] = os.path.relpath(real, self.root) if mine else None
        return self.known[name]

    def __call__(self, frame, event, arg):
        if event != "call":
            return None
        here = self.ours(frame.f_code)
        if here is None:
            return None  # no local tracing: only calls matter, and lines would cost a lot
        self.files[here] = self.files.get(here, 0) + 1
        caller = frame.f_back
        while caller is not None and self.ours(caller.f_code) is None:
            caller = caller.f_back
        if caller is not None:
            there = self.ours(caller.f_code)
            if there != here:
                move = (f"{there}:{caller.f_code.co_name}", f"{here}:{frame.f_code.co_name}")
                self.moves[move] = self.moves.get(move, 0) + 1
        return None

    def start(self) -> None:
        threading.settrace(self)
        sys.settrace(self)

    def stop(self) -> None:
        sys.settrace(None)
        threading.settrace(None)

    def dump(self, path: str | Path) -> None:
        record = {"files": self.files, "moves": [[a, b, n] for (a, b), n in self.moves.items()]}
        Path(path).write_text(json.dumps(record, indent=1), encoding="utf-8")


def install_from_env() -> None:
    """Trace this whole process and dump at exit to $WALK_TRACE_OUT.<pid>.json (sitecustomize)."""
    if not os.environ.get(OUT_ENV):
        return
    trace = Trace(os.environ[ROOT_ENV])
    trace.start()
    atexit.register(lambda: (trace.stop(), trace.dump(f"{os.environ[OUT_ENV]}.{os.getpid()}.json")))


def room(path: str) -> str:
    """core/ and ui/ have a room per subfolder; every other folder is one room, a top-level file its own."""
    parts = path.split("/")
    if len(parts) == 1:
        return path
    if parts[0] in ("core", "ui") and len(parts) > 2:
        return "/".join(parts[:2]) + "/"
    return parts[0] + "/"


def count(paths) -> dict:
    """Several traces joined: their files, rooms and moves (a pair seen in two traces counts once)."""
    files, moves = set(), set()
    for path in paths:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
        files |= set(record["files"])
        moves |= {(a, b) for a, b, _ in record["moves"]}
    return {"files": sorted(files), "rooms": sorted({room(f) for f in files}), "moves": sorted(moves)}
