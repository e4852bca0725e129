"""Target 4b: Viterbi decoding plus forward-backward marginals take at most 10% of the Tagger's
total tagging time (default model, MSRA test text).

    .venv/bin/python bench/crf_share.py [--chars 20000] [--repeats 3] [--threads N]

The Tagger's model.decode and model.tag_probabilities are wrapped with timers for the run; the
share is their time over the whole tag_texts call. The encoder's share is printed beside it.
The baseline column is the share with pytorch-crf's decode in place of CRF.viterbi.
"""
from __future__ import annotations

import sys

from _common import median, msra_texts, parser, setup, verdict  # noqa: I001

import time  # noqa: E402

from core.model.model import load_model  # noqa: E402
from core.tagging.predict import Tagger  # noqa: E402


class Timed:
    """Wraps a bound method and adds up the seconds spent in it."""

    def __init__(self, method):
        self.method, self.seconds = method, 0.0

    def __call__(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return self.method(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started


def profile(tagger, texts, library_decode: bool = False) -> dict[str, float]:
    model = tagger.model
    if library_decode:
        import torch

        def decode(emissions, mask):
            paths = model.crf.decode(emissions, mask=mask)
            out = torch.zeros(mask.shape, dtype=torch.long)
            for row, path in enumerate(paths):
                out[row, : len(path)] = torch.tensor(path)
            return out
        model.decode = decode
    parts = {"encoder": Timed(model.emissions), "decode": Timed(model.decode),
             "marginals": Timed(model.tag_probabilities)}
    model.emissions, model.decode, model.tag_probabilities = parts["encoder"], parts["decode"], parts["marginals"]
    try:
        started = time.perf_counter()
        tagger.tag_texts(texts)
        total = time.perf_counter() - started
    finally:
        del model.emissions, model.decode, model.tag_probabilities  # back to the class's methods
    return {"total": total, **{name: part.seconds for name, part in parts.items()}}


def main(argv=None) -> int:
    args = parser(__doc__.split("\n")[0]).parse_args(argv)
    info = setup(args)
    tagger = Tagger(load_model(args.model))
    texts = msra_texts(args.chars)
    tagger.tag_texts(texts[:20])
    ours, library = [], []
    for round_ in range(args.repeats):
        for library_decode in ((False, True) if round_ % 2 == 0 else (True, False)):
            (library if library_decode else ours).append(profile(tagger, texts, library_decode))
    for name, runs in (("CRF.viterbi", ours), ("pytorch-crf decode", library)):
        shares = [(r["decode"] + r["marginals"]) / r["total"] for r in runs]
        print(f"  with {name}: decode + marginals {median(shares):.2%} of tagging "
              f"(runs: {', '.join(f'{s:.2%}' for s in shares)}); "
              f"decode {median([r['decode'] for r in runs]) * 1000:.0f} ms, "
              f"marginals {median([r['marginals'] for r in runs]) * 1000:.0f} ms, "
              f"encoder {median([r['encoder'] / r['total'] for r in runs]):.1%}, "
              f"total {median([r['total'] for r in runs]):.1f} s")
    share = median([(r["decode"] + r["marginals"]) / r["total"] for r in ours])
    baseline = median([(r["decode"] + r["marginals"]) / r["total"] for r in library])
    return verdict("decode + marginals share of tagging time", share * 100, baseline * 100, share / baseline,
                   "<= 10% of total tagging time; baseline = share with pytorch-crf's decode", share <= 0.10,
                   unit="%", info=info, args=args)


if __name__ == "__main__":
    sys.exit(main())
