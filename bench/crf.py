"""Target 4a: our batched Viterbi (CRF.viterbi) at least 5x pytorch-crf's decode on emissions
(64, 100, 9), with identical paths.

    .venv/bin/python bench/crf.py [--repeats 50] [--threads N]

The headline shape is all 64 sequences 100 long (what "(64, 100, 9)" says); a batch of random
lengths 1..100 is timed too, for information, since pytorch-crf's backtrace cost follows the lengths.
"""
from __future__ import annotations

import sys

from _common import interleaved, median, parser, setup, show_times, verdict  # noqa: I001

import torch  # noqa: E402

from core.model.crf import CRF  # noqa: E402


def batch(lengths: torch.Tensor, seq: int = 100, num_tags: int = 9, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    crf = CRF(num_tags)
    with torch.no_grad():
        for param in (crf.start_transitions, crf.end_transitions, crf.transitions):
            param.normal_(generator=generator)
    emissions = torch.randn(len(lengths), seq, num_tags, generator=generator)
    mask = torch.arange(seq).unsqueeze(0) < lengths.unsqueeze(1)
    return crf, emissions, mask


def compare(crf, emissions, mask, repeats: int) -> tuple[float, float, bool]:
    ours = crf.viterbi(emissions, mask)
    library = crf.decode(emissions, mask=mask)
    identical = all(ours[b, : len(p)].tolist() == p and not ours[b, len(p):].any() for b, p in enumerate(library))
    with torch.inference_mode():
        times = interleaved({"pytorch-crf decode": lambda: crf.decode(emissions, mask=mask),
                             "CRF.viterbi": lambda: crf.viterbi(emissions, mask)}, repeats)
    show_times(times)
    return median(times["pytorch-crf decode"]), median(times["CRF.viterbi"]), identical


def main(argv=None) -> int:
    args = parser(__doc__.split("\n")[0], chars=None, repeats=50).parse_args(argv)
    info = setup(args)
    print("random lengths 1..100 (information only):")
    lengths = torch.randint(1, 101, (64,), generator=torch.Generator().manual_seed(1))
    lib_var, ours_var, same_var = compare(*batch(lengths, seed=1), args.repeats)
    print(f"  speed-up {lib_var / ours_var:.2f}x, identical paths: {same_var}")
    print("all 64 sequences 100 long (the target):")
    lib, ours, same = compare(*batch(torch.full((64,), 100)), args.repeats)
    print(f"  identical paths: {same}")
    ratio = lib / ours
    return verdict("CRF.viterbi (64, 100, 9)", ours * 1000, lib * 1000, ratio,
                   ">= 5x pytorch-crf's decode (baseline), identical paths", ratio >= 5 and same and same_var,
                   unit="ms", info=info, args=args,
                   extra={"identical": same and same_var, "random_lengths_ratio": lib_var / ours_var})


if __name__ == "__main__":
    sys.exit(main())
