"""Target 1c: opt-in reduced precision (Tagger(quantize="attention") int8 attention layers,
Tagger(quantize="bf16") bfloat16 autocast) only where MSRA test F1 stays within 0.3 points.

    .venv/bin/python bench/quantize.py [--chars 20000] [--repeats 3] [--f1-sentences N]

Speed: characters/s of each mode against the float32 Tagger, interleaved, on --chars characters.
F1: strict entity micro-F1 on the MSRA test (T ignored, as `python -m core eval --ignore T`), all
4,620 lines unless --f1-sentences; this part takes a few minutes.
"""
from __future__ import annotations

import sys

from _common import interleaved, median, msra_sentences, msra_texts, parser, setup, show_times, verdict  # noqa: I001

import time  # noqa: E402

from core.scores.metrics import drop_types, evaluate_tags  # noqa: E402
from core.model.model import load_model  # noqa: E402
from core.tagging.predict import Tagger  # noqa: E402

MODES = ("attention", "bf16")


def f1(tagger, sentences) -> float:
    gold = [drop_types(s.tags, {"T"}) for s in sentences]
    predicted = [drop_types(r.tags, {"T"}) for r in tagger.tag_texts([s.chars for s in sentences])]
    return evaluate_tags(gold, predicted, tagger.model.tags)["entities"]["micro"]["f1"]


def main(argv=None) -> int:
    p = parser(__doc__.split("\n")[0])
    p.add_argument("--f1-sentences", type=int, default=None, help="score F1 on the first N test sentences only")
    args = p.parse_args(argv)
    info = setup(args)
    model = load_model(args.model)
    taggers = {"float32": Tagger(model), **{mode: Tagger(model, quantize=mode) for mode in MODES}}
    texts = msra_texts(args.chars)
    n = sum(map(len, texts))
    times = interleaved({name: (lambda t=t: t.tag_texts(texts)) for name, t in taggers.items()}, args.repeats)
    print(f"speed on {n:,} characters:")
    show_times(times, per=n, unit="chars/s")
    speedups = {mode: median(times["float32"]) / median(times[mode]) for mode in MODES}
    for mode, speedup in speedups.items():
        print(f"  {mode}: {speedup:.2f}x float32")
    sentences = msra_sentences()[: args.f1_sentences]
    print(f"MSRA test F1 on {len(sentences):,} sentences:")
    scores = {}
    for name, tagger in taggers.items():
        started = time.perf_counter()
        scores[name] = f1(tagger, sentences)
        print(f"  {name}: F1 {scores[name]:.4f} ({time.perf_counter() - started:.0f} s)", flush=True)
    deltas = {mode: (scores[mode] - scores["float32"]) * 100 for mode in MODES}
    for mode, delta in deltas.items():
        print(f"  {mode}: {delta:+.2f} F1 points, {speedups[mode]:.2f}x float32's speed")
    worst = min(MODES, key=lambda mode: scores[mode])
    passed = all(abs(delta) <= 0.3 for delta in deltas.values())
    return verdict(f"worst opt-in mode's F1 ({worst})", scores[worst], scores["float32"],
                   scores[worst] / scores["float32"],
                   "every mode within 0.3 F1 points of float32 (baseline)", passed, info=info, args=args,
                   extra={"f1": scores, "delta_points": deltas, "speedup": speedups,
                          "f1_sentences": len(sentences)})


if __name__ == "__main__":
    sys.exit(main())
