"""Target 9: `tag` streams: its peak resident memory stays flat with input size (ratio ≤ 1.2 between an
input and one 10x smaller, in the same run) and under 1.5 GB.

    .venv/bin/python bench/memory_stream.py --model DIR [--chars 10000000] [--ratio 10]

Both inputs go through the command line itself, `python -m core tag FILE --text -o OUT --quiet`,
each in a fresh child whose peak RSS is read from getrusage(RUSAGE_CHILDREN).ru_maxrss. That
figure is the largest child's ever waited for, so each measurement runs under its own helper
process. The text is generated (a seeded mix of common characters, punctuation and line lengths
of 1-300 characters): no corpus is needed. The 10M target wants a small model, as the default one
tags ~5,000 characters/s here: the fast model (README "The fast model") or a 1-layer tiny one.
"""
from __future__ import annotations

import sys

from _common import ROOT, parser, setup, verdict  # noqa: I001

import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

LIMIT_MB = 1500
FLAT = 1.2  # what "flat" allows: the interpreter, torch and the model are the same in both runs
ALPHABET = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严"
PUNCTUATION = "，。、；：！？“”（）"


def build_file(path: Path, size: int, seed: int = 0) -> None:
    """size characters of generated text, written a line at a time (no big string in this process)."""
    rng = random.Random(seed)
    written = 0
    with open(path, "w", encoding="utf-8", newline="\n") as file:
        while written < size:
            n = min(rng.randint(1, 300), size - written)
            chars = rng.choices(ALPHABET, k=n)
            for i in range(12, n, rng.randint(8, 30)):
                chars[i] = rng.choice(PUNCTUATION)
            file.write("".join(chars) + "\n")
            written += n


def measure(path: Path, model: str) -> dict:
    """Runs the CLI on path from a helper process, so that RUSAGE_CHILDREN sees this run alone."""
    command = [sys.executable, __file__, "--measure", str(path), model]
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_child(path: str, model: str) -> None:
    out = Path(path).with_suffix(".tags")
    command = [sys.executable, "-m", "core", "tag", path, "--text", "-o", str(out), "--model", model, "--quiet"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"python -m core tag failed ({done.returncode}): {done.stderr.strip()}")
    seconds = time.perf_counter() - started
    tags = sum(len(line.split(" ")) for line in open(out, encoding="utf-8") if line.strip())
    out.unlink()
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # kB on Linux
    print(json.dumps({"peak_mb": peak, "seconds": seconds, "tags": tags}))


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--measure":
        measure_child(argv[1], argv[2])
        return 0
    p = parser(__doc__.split("\n")[0], chars=10_000_000, repeats=1)
    p.add_argument("--ratio", type=int, default=10, help="the baseline input is this many times smaller")
    args = p.parse_args(argv)
    info = setup(args)
    if not Path(args.model, "config.json").is_file():
        print(f"{args.model} is not a model folder; pass --model DIR (a small model: README 'The fast model')",
              file=sys.stderr)
        return 2
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)
    sizes = {"baseline": args.chars // args.ratio, "full": args.chars}
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, size in sizes.items():
            path = Path(tmp, f"{size}.txt")
            build_file(path, size)
            runs[name] = {"chars": size, "bytes": path.stat().st_size, **measure(path, args.model)}
            path.unlink()
            r = runs[name]
            print(f"  {size:,} characters ({r['bytes'] / 1e6:,.1f} MB): peak RSS {r['peak_mb']:,.0f} MB, "
                  f"{r['seconds']:,.1f} s, {size / r['seconds']:,.0f} chars/s", flush=True)
            if r["tags"] != size:
                print(f"{r['tags']:,} tags written for {size:,} characters", file=sys.stderr)
                return 2
    full, base = runs["full"], runs["baseline"]
    ratio = full["peak_mb"] / base["peak_mb"]
    return verdict(f"peak RSS tagging {full['chars']:,} characters", full["peak_mb"], base["peak_mb"], ratio,
                   f"<= {FLAT} and < {LIMIT_MB} MB; baseline = {base['chars']:,} characters, same model",
                   ratio <= FLAT and full["peak_mb"] < LIMIT_MB, unit="MB", info=info, args=args,
                   extra={"runs": runs, "model": args.model})


if __name__ == "__main__":
    sys.exit(main())
