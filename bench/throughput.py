"""Target 1a: the Tagger's throughput (characters/s, default model, MSRA test text) at least 3x a
naive loop that tags one sentence at a time with the same model, with identical output tags.

    .venv/bin/python bench/throughput.py [--chars 20000] [--repeats 3] [--threads N]

The naive loop cuts the text into the same sentences as the Tagger (core.text.sentence_bounds),
then per sentence: encoder forward on a batch of one, whitespace forced to O as the Tagger does,
pytorch-crf's decode, the same BIO repair. It computes no marginals; the Tagger does (confidences).
For information, also timed: the Tagger with the other choice of Linear layers (oneDNN or
torch's own; the Tagger's default depends on the model, core/tagging/predict.tuned_defaults), the seed's Tagger (64 sentences a batch whatever their length, onednn=False)
and the opt-in Tagger(quantize="bf16"), and every candidate's floating-point rate
is set against a 1024^3 float32 matmul's: the ceiling on any float32 speed-up over the naive loop.
"""
from __future__ import annotations

import sys

from _common import (encoder_flops, interleaved, matmul_gflops, median, msra_texts, parser, setup,  # noqa: I001
                     show_times, verdict)

import torch  # noqa: E402

from core.labels import spans_to_tags, tags_to_spans  # noqa: E402
from core.model.model import load_model  # noqa: E402
from core.tagging.predict import Tagger  # noqa: E402
from core.text import sentence_bounds  # noqa: E402


def naive_tags(model, texts, max_chunk: int) -> list[list[str]]:
    """One sentence at a time: encoder forward + pytorch-crf decode, no batching at all."""
    out = []
    with torch.inference_mode():
        for text in texts:
            ids = []
            for start, end in sentence_bounds(text, max_chunk):
                piece = text[start:end]
                input_ids, mask = model.batch_ids([list(piece)])  # a stacked model's LAC ids too
                emissions = model.emissions(input_ids, mask).float()
                spaces = torch.tensor([[c.isspace() for c in piece]])
                emissions[:, :, 1:] = emissions[:, :, 1:].masked_fill(spaces.unsqueeze(2), -1e4)
                ids += model.crf.decode(emissions, mask=mask)[0]
            tags = [model.tags[i] for i in ids]
            out.append(spans_to_tags(tags_to_spans(tags), len(tags)))
    return out


def main(argv=None) -> int:
    args = parser(__doc__.split("\n")[0]).parse_args(argv)
    info = setup(args)
    model = load_model(args.model)
    texts = msra_texts(args.chars)
    n = sum(map(len, texts))
    tagger = Tagger(model)
    other = Tagger(model, onednn=not tagger.onednn)
    other_name = f"Tagger, onednn={other.onednn}"
    seed = Tagger(model, batch_size=64, max_tokens=10**9, onednn=False)
    bf16 = Tagger(model, quantize="bf16")
    print(f"{n:,} characters in {len(texts)} MSRA test lines; Tagger batch_size {tagger.batch_size}, "
          f"max_tokens {tagger.max_tokens}, onednn {tagger.onednn}")
    ours = [r.tags for r in tagger.tag_texts(texts)]
    naive = naive_tags(model, texts, tagger.max_chunk)
    differing = sum(a != b for x, y in zip(ours, naive) for a, b in zip(x, y))
    print(f"characters whose tag differs between the Tagger and the naive loop: {differing}")
    bf16_differing = sum(a != b for x, y in zip([r.tags for r in bf16.tag_texts(texts)], naive) for a, b in zip(x, y))
    times = interleaved({"naive loop": lambda: naive_tags(model, texts, tagger.max_chunk),
                         "Tagger": lambda: tagger.tag_texts(texts),
                         other_name: lambda: other.tag_texts(texts),
                         "seed Tagger (64 sentences a batch, onednn=False)": lambda: seed.tag_texts(texts),
                         "Tagger, quantize='bf16'": lambda: bf16.tag_texts(texts)},
                        args.repeats, warmup=False)
    show_times(times, per=n, unit="chars/s")
    matmul = matmul_gflops(1024, seconds=2.0)
    flops = encoder_flops(model, [e - s for t in texts for s, e in sentence_bounds(t, tagger.max_chunk)])
    print(f"  floating-point rate against a 1024^3 float32 matmul ({matmul:.0f} GFLOP/s, measured after):")
    for name, values in times.items():
        print(f"    {name}: {flops / median(values) / 1e9:.0f} GFLOP/s = {flops / median(values) / 1e9 / matmul:.0%}")
    naive_rate = n / median(times["naive loop"])
    print(f"  float32 ceiling: at 100% of the matmul rate the Tagger would be "
          f"{matmul * 1e9 / flops * n / naive_rate:.2f}x the naive loop")
    bf16_rate = n / median(times["Tagger, quantize='bf16'"])
    print(f"  quantize='bf16': {bf16_rate / naive_rate:.2f}x the naive loop, "
          f"tags differ from it on {bf16_differing} of {n:,} characters")
    ours_rate = n / median(times["Tagger"])
    ratio = ours_rate / naive_rate
    return verdict("Tagger throughput", ours_rate, naive_rate, ratio,
                   ">= 3x the naive one-sentence loop (baseline), identical tags", ratio >= 3 and differing == 0,
                   unit="chars/s", info=info, args=args,
                   extra={"differing_tags": differing, "matmul_gflops": matmul, "bf16_differing_tags": bf16_differing,
                          "bf16_chars_per_s": bf16_rate,
                          "tagger_onednn": tagger.onednn, "max_tokens": tagger.max_tokens,
                          "other_linear_chars_per_s": n / median(times[other_name]),
                          "seed_tagger_chars_per_s": n / median(times["seed Tagger (64 sentences a batch, onednn=False)"])})


if __name__ == "__main__":
    sys.exit(main())
