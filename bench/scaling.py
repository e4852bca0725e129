"""Target 7: tagging time grows linearly with input size: characters/s at every size from 10k up
stays at least 0.8x the 10k figure (1k is shown too).

    .venv/bin/python bench/scaling.py [--max-size 1000000] [--sizes 1000,10000,100000,1000000] [--repeats 3]

Every size goes through the command line's own code, `python -m core tag FILE --text -o OUT`, with
its progress bar on this terminal: a child process runs the `core` package as __main__ exactly
as `python -m core` does (runpy), with a timer around Tagger.tag_texts, so start-up and model
loading are reported apart from tagging. The file repeats MSRA test lines up to exactly that many
characters. Sizes up to 100k run --repeats times, interleaved, and report medians; 1M runs once
(about 4 minutes on a quiet machine, twice that when the cores are shared).
"""
from __future__ import annotations

import sys

from _common import ROOT, median, msra_texts, parser, setup, verdict  # noqa: I001

import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402


def build_file(path: Path, size: int, lines: list[str]) -> None:
    out, total, i = [], 0, 0
    while total < size:
        line = lines[i % len(lines)][: size - total]
        out.append(line)
        total += len(line)
        i += 1
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def cli_child(timing_file: str, cli_args: list[str]) -> int:
    """`python -m core CLI_ARGS`, with the seconds spent in Tagger.tag_texts written to timing_file."""
    import runpy

    from core.tagging.predict import Tagger

    tag_texts = Tagger.tag_texts
    total = [0.0]  # `tag` streams: tag_texts runs once per batch of lines, so the seconds add up

    def timed(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return tag_texts(self, *args, **kwargs)
        finally:
            total[0] += time.perf_counter() - started
            Path(timing_file).write_text(json.dumps({"tagging_s": total[0]}))

    Tagger.tag_texts = timed
    sys.argv = ["python -m core", *cli_args]
    try:
        runpy.run_module("core", run_name="__main__", alter_sys=True)
    except SystemExit as done:
        return int(done.code or 0)
    return 0


def run_cli(path: Path, model: str, quiet: bool) -> dict:
    timing = path.with_suffix(".timing.json")
    command = [sys.executable, __file__, "--cli-child", str(timing), "tag", str(path), "--text",
               "-o", str(path.with_suffix(".tags")), "--model", model] + (["--quiet"] if quiet else [])
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, env=os.environ.copy())
    wall = time.perf_counter() - started
    return {"wall_s": wall, **json.loads(timing.read_text())}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--cli-child":
        return cli_child(argv[1], argv[2:])
    p = parser(__doc__.split("\n")[0], chars=None, repeats=3)
    p.add_argument("--sizes", default="1000,10000,100000,1000000")
    p.add_argument("--max-size", type=int, default=1_000_000, help="leave out sizes above this")
    args = p.parse_args(argv)
    info = setup(args)
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)
    sizes = [s for s in (int(x) for x in args.sizes.split(",")) if s <= args.max_size]
    lines = [t for t in msra_texts() if t]
    runs = {size: [] for size in sizes}
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for size in sizes:
            paths[size] = Path(tmp, f"{size}.txt")
            build_file(paths[size], size, lines)
        small = [s for s in sizes if s <= 100_000]
        for round_ in range(args.repeats):
            for size in (small if round_ % 2 == 0 else small[::-1]):
                print(f"{size:,} characters, run {round_ + 1}:", flush=True)
                runs[size].append(run_cli(paths[size], args.model, quiet=False))
        for size in sizes:
            if size > 100_000:
                print(f"{size:,} characters:", flush=True)
                runs[size].append(run_cli(paths[size], args.model, quiet=False))
    rows = []
    for size in sizes:
        tagging = median([r["tagging_s"] for r in runs[size]])
        rows.append({"size": size, "runs": len(runs[size]), "wall_s": median([r["wall_s"] for r in runs[size]]),
                     "tagging_s": tagging, "chars_per_s": size / tagging})
    print(f"{'characters':>12} {'runs':>5} {'wall s':>8} {'tagging s':>10} {'chars/s':>9}")
    for r in rows:
        print(f"{r['size']:>12,} {r['runs']:>5} {r['wall_s']:>8.1f} {r['tagging_s']:>10.2f} {r['chars_per_s']:>9,.0f}")
    checked = [r for r in rows if r["size"] >= 10_000]
    if len(checked) < 2:
        print("need at least two sizes of 10,000 characters or more to judge linearity", file=sys.stderr)
        return 2
    reference = checked[0]
    worst = min(checked[1:], key=lambda r: r["chars_per_s"])
    ratio = worst["chars_per_s"] / reference["chars_per_s"]
    largest = checked[-1]
    return verdict(f"chars/s at {largest['size']:,} characters", largest["chars_per_s"], reference["chars_per_s"],
                   ratio, f">= 0.8 at every size vs {reference['size']:,} characters (baseline); "
                   f"ratio shown for the slowest, {worst['size']:,}", ratio >= 0.8, unit="chars/s", info=info,
                   args=args, extra={"rows": rows})


if __name__ == "__main__":
    sys.exit(main())
