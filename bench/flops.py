"""Target 1b: the tagging pipeline's achieved floating-point rate at least 60% of a plain torch
matmul's rate measured in the same run.

    .venv/bin/python bench/flops.py [--chars 20000] [--repeats 3] [--threads N]

Pipeline FLOPs come from the model's shape (bench/_common.py encoder_flops) over the characters
actually tagged, plus <s> and </s> per sentence: useful work only, padding not counted. The time is
the whole Tagger.tag_texts call (sentence splitting, batching, encoder, Viterbi, marginals,
results). The reference is a float32 1024x1024x1024 torch.matmul (torch's BLAS: MKL, which takes
a generic code path on our AMD EPYC cores). For information: the model-shaped matmul (512 tokens
x 384 -> 1536, the feed-forward layer at max_tokens 512) and the same shape on oneDNN, the
kernels the Tagger's Linear layers use by default (Tagger(onednn=True)): the fairer ceiling.
"""
from __future__ import annotations

import sys

from _common import encoder_flops, matmul_gflops, median, msra_texts, parser, setup, verdict  # noqa: I001

import time  # noqa: E402

import torch  # noqa: E402

from core.model.model import load_model  # noqa: E402
from core.tagging.predict import Tagger  # noqa: E402
from core.text import sentence_bounds  # noqa: E402


def shaped_matmul_gflops(m: int, k: int, n: int, seconds: float = 1.0) -> float:
    a, b = torch.randn(m, k), torch.randn(k, n)
    a @ b
    calls, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds or calls < 3:
        a @ b
        calls += 1
    return 2.0 * m * k * n * calls / (time.perf_counter() - started) / 1e9


def onednn_linear_gflops(m: int, k: int, n: int, seconds: float = 1.0) -> float:
    from core.tagging.onednn import OneDnnLinear

    layer = OneDnnLinear(torch.nn.Linear(k, n))
    x = torch.randn(m, k)
    with torch.inference_mode():
        layer(x)
        calls, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds or calls < 3:
            layer(x)
            calls += 1
    return 2.0 * m * k * n * calls / (time.perf_counter() - started) / 1e9


def main(argv=None) -> int:
    args = parser(__doc__.split("\n")[0]).parse_args(argv)
    info = setup(args)
    model = load_model(args.model)
    tagger = Tagger(model)
    texts = msra_texts(args.chars)
    n = sum(map(len, texts))
    lengths = [end - start for text in texts for start, end in sentence_bounds(text, tagger.max_chunk)]
    flops = encoder_flops(model, lengths)
    print(f"{n:,} characters, {len(lengths)} sentences: {flops / 1e9:,.1f} GFLOP of useful work "
          f"({flops / n / 1e6:.1f} MFLOP per character)")
    tagger.tag_texts(texts[:20])  # warm-up
    pipeline, square, shaped, onednn = [], [], [], []
    for _ in range(args.repeats):
        started = time.perf_counter()
        tagger.tag_texts(texts)
        pipeline.append(flops / (time.perf_counter() - started) / 1e9)
        square.append(matmul_gflops(1024, seconds=1.5))
        shaped.append(shaped_matmul_gflops(512, 384, 1536, seconds=1.5))
        onednn.append(onednn_linear_gflops(512, 384, 1536, seconds=1.5))
    print("  pipeline GFLOP/s: " + ", ".join(f"{v:.1f}" for v in pipeline))
    print("  matmul 1024^3 GFLOP/s: " + ", ".join(f"{v:.1f}" for v in square))
    print("  matmul 512x384x1536 GFLOP/s (information): " + ", ".join(f"{v:.1f}" for v in shaped))
    ratio = median(pipeline) / median(square)
    print("  oneDNN linear 512x384x1536 GFLOP/s (information): " + ", ".join(f"{v:.1f}" for v in onednn))
    print(f"  pipeline vs model-shaped matmul: {median(pipeline) / median(shaped):.0%}; "
          f"vs the same shape on oneDNN: {median(pipeline) / median(onednn):.0%}")
    return verdict("tagging pipeline rate", median(pipeline), median(square), ratio,
                   ">= 0.6 of a 1024^3 float32 torch matmul's rate (baseline)", ratio >= 0.6,
                   unit="GFLOP/s", info=info, args=args,
                   extra={"chars_per_s": n * median(pipeline) * 1e9 / flops,
                          "shaped_matmul_gflops": median(shaped), "onednn_linear_gflops": median(onednn),
                          "ratio_to_onednn": median(pipeline) / median(onednn)})


if __name__ == "__main__":
    sys.exit(main())
