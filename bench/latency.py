"""Target 3: a 300-character paste to entities with confidences (Tagger.tag, CRF marginals
included) in at most 150 ms median on the warm default model.

    .venv/bin/python bench/latency.py [--repeats 21] [--threads N]

The paste is MSRA test text: consecutive lines joined until 300 characters (several sentences,
as a user would paste a paragraph). The baseline is the same call on the seed's Tagger
(64 sentences a batch, no token cap, torch's own Linear layers); Tagger(quantize="bf16") is timed for information.
"""
from __future__ import annotations

import sys

from _common import interleaved, median, msra_texts, parser, setup, show_times, verdict  # noqa: I001

from core.model.model import load_model  # noqa: E402
from core.tagging.predict import Tagger  # noqa: E402


def paste(length: int = 300) -> str:
    text = ""
    for line in msra_texts(10_000):
        text += line
        if len(text) >= length:
            return text[:length]
    raise ValueError(f"MSRA test text is shorter than {length} characters")


def main(argv=None) -> int:
    args = parser(__doc__.split("\n")[0], chars=None, repeats=21).parse_args(argv)
    info = setup(args)
    model = load_model(args.model)
    text = paste()
    tagger = Tagger(model)
    seed = Tagger(model, batch_size=64, max_tokens=10**9, onednn=False)
    bf16 = Tagger(model, quantize="bf16")
    result = tagger.tag(text)
    print(f"{len(text)} characters, {len(result.entities)} entities, e.g. "
          + ", ".join(f"{e.text}/{e.label} {e.confidence:.2f}" for e in result.entities[:4]))
    times = interleaved({"Tagger.tag": lambda: tagger.tag(text), "seed Tagger": lambda: seed.tag(text),
                         "quantize='bf16'": lambda: bf16.tag(text)}, args.repeats)
    show_times(times)
    ours, baseline = median(times["Tagger.tag"]) * 1000, median(times["seed Tagger"]) * 1000
    return verdict("300-character paste, Tagger.tag median", ours, baseline, ours / baseline,
                   "median <= 150 ms; ratio = ours / seed Tagger", ours <= 150, unit="ms", info=info, args=args,
                   extra={"bf16_ms": median(times["quantize='bf16'"]) * 1000})


if __name__ == "__main__":
    sys.exit(main())
