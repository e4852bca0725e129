"""Target 6: peak resident memory while tagging the MSRA test stays under 1.5 GB.

    .venv/bin/python bench/memory.py [--chars 20000] [--full]

Each measurement runs in a fresh subprocess (ru_maxrss of that process: model loading included).
The default is a --chars subset, our Tagger against the seed's Tagger (64 sentences a batch, no
token cap, torch's own Linear layers); --full adds the whole test file (172,601 characters, a few minutes) with our Tagger,
and the verdict then uses that figure.
"""
from __future__ import annotations

import sys

from _common import DEFAULT_MODEL, parser, setup, verdict  # noqa: I001

import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

LIMIT_MB = 1500


def child(chars: int | None, seed: bool, model_dir: str) -> None:
    from _common import msra_texts
    from core.model.model import load_model
    from core.tagging.predict import Tagger

    texts = msra_texts(chars)
    model = load_model(model_dir)
    tagger = Tagger(model, max_tokens=10**9, onednn=False) if seed else Tagger(model)
    loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    results = tagger.tag_texts(texts)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"chars": sum(map(len, texts)), "loaded_mb": loaded, "peak_mb": peak, "seconds": seconds,
                      "entities": sum(len(r.entities) for r in results)}))


def measure(chars: int | None, seed: bool, model_dir: str) -> dict:
    command = [sys.executable, __file__, "--child", str(chars or 0), "seed" if seed else "ours", model_dir]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        child(int(argv[1]) or None, argv[2] == "seed", argv[3])
        return 0
    p = parser(__doc__.split("\n")[0], repeats=1)
    p.add_argument("--full", action="store_true", help="also tag the whole MSRA test file")
    args = p.parse_args(argv)
    info = setup(args)
    model_dir = args.model or str(DEFAULT_MODEL)
    runs = {}
    for name, seed in (("Tagger", False), ("seed Tagger", True)):
        runs[name] = measure(args.chars, seed, model_dir)
    if args.full:
        runs["Tagger, whole file"] = measure(None, False, model_dir)
    for name, r in runs.items():
        print(f"  {name}: {r['chars']:,} characters, peak {r['peak_mb']:,.0f} MB "
              f"(after loading the model {r['loaded_mb']:,.0f} MB), {r['chars'] / r['seconds']:,.0f} chars/s")
    ours = runs.get("Tagger, whole file", runs["Tagger"])
    baseline = runs["seed Tagger"]
    return verdict(f"peak RSS tagging {ours['chars']:,} characters", ours["peak_mb"], baseline["peak_mb"],
                   ours["peak_mb"] / baseline["peak_mb"],
                   f"< {LIMIT_MB} MB; baseline = seed Tagger on {baseline['chars']:,} characters",
                   ours["peak_mb"] < LIMIT_MB, unit="MB", info=info, args=args, extra={"runs": runs})


if __name__ == "__main__":
    sys.exit(main())
