"""GPU figures (issue 4, "GPU"): training tokens/s and tagging characters/s with mixed precision
(bf16 autocast) on one CUDA GPU, each against float32 on the same GPU in the same run.

    .venv/bin/python bench/gpu.py [--steps 60] [--repeats 3] [--chars 172601] [--model DIR] [--encoder DIR]

Tagging: the default model over the MSRA test text, Tagger float32 against Tagger(quantize="bf16"),
with the share of tags that differ and both MSRA F1s (T set to O). Training: the default model's
shape (12 layers, from data/encoders/e5-small, or the --encoder folder), length-bucketed batches
of 64 MSRA train sentences, the same starting weights for every run, float32 against bf16 autocast. Exit 2 when
there is no GPU; exit 1 when mixed precision is not faster than float32 in either figure or its
F1 moves by more than 0.3 points (the quantisation rule of target 1c).
"""
from __future__ import annotations

import sys

from _common import ENCODER, ROOT, interleaved, median, msra_sentences, parser, setup, show_times, verdict  # noqa: I001

import copy  # noqa: E402
import random  # noqa: E402

import torch  # noqa: E402
from train_speed import run as train_run  # noqa: E402

from core.scores.metrics import drop_types, entity_scores  # noqa: E402
from core.model.model import NerConfig, load_model  # noqa: E402
from core.model.build import build_model  # noqa: E402
from core.tagging.predict import Tagger  # noqa: E402
from core.training.batches import bucketed_batches, split_long  # noqa: E402
from core.data.training_data import load_split  # noqa: E402


def tagging(args) -> dict:
    sentences = msra_sentences(args.chars)
    texts = ["".join(s.chars) for s in sentences]
    n = sum(map(len, texts))
    model = load_model(args.model, device="cuda")
    taggers = {"float32": Tagger(model), "bf16 autocast": Tagger(model, quantize="bf16")}

    def timed(tagger):
        def call():
            tagger.tag_texts(texts)
            torch.cuda.synchronize()
        return call

    times = interleaved({name: timed(t) for name, t in taggers.items()}, args.repeats)
    print(f"tagging {n:,} MSRA test characters on {torch.cuda.get_device_name()}:")
    show_times(times, per=n, unit="chars/s")
    tags = {name: [r.tags for r in t.tag_texts(texts)] for name, t in taggers.items()}
    gold = [drop_types(s.tags, {"T"}) for s in sentences]
    f1 = {name: entity_scores(gold, [drop_types(t, {"T"}) for t in out])["micro"]["f1"] for name, out in tags.items()}
    differing = sum(a != b for x, y in zip(tags["float32"], tags["bf16 autocast"]) for a, b in zip(x, y))
    print(f"  MSRA F1 float32 {f1['float32']:.4f}, bf16 {f1['bf16 autocast']:.4f}; {differing} of {n:,} tags differ")
    return {"chars_per_s": {name: n / median(t) for name, t in times.items()}, "f1": f1, "differing_tags": differing}


def training(args) -> dict:
    torch.manual_seed(0)
    model = build_model(args.encoder, NerConfig()).to("cuda")
    initial = copy.deepcopy(model.state_dict())
    examples = split_long(load_split("msra", "train", data_dir=ROOT / "data", limit=args.sentences), 256)
    batches = bucketed_batches([len(ex.chars) for ex in examples], 64, random.Random(13))
    rates = {"float32": [], "bf16 autocast": []}
    for round_ in range(args.repeats):
        for name in (list(rates) if round_ % 2 == 0 else list(rates)[::-1]):
            model.load_state_dict(initial)
            rates[name].append(train_run(model, examples, batches, args.steps, False, amp=name != "float32"))
            print(f"  training, {name}: {rates[name][-1]:,.0f} real tokens/s", flush=True)
    return {name: median(values) for name, values in rates.items()}


def main(argv=None) -> int:
    p = parser(__doc__.split("\n")[0], chars=172_601)
    p.add_argument("--steps", type=int, default=60, help="training steps per run (the first is warm-up)")
    p.add_argument("--encoder", default=str(ENCODER), help="encoder folder of the training figure (default e5-small)")
    p.add_argument("--sentences", type=int, default=8000, help="MSRA train sentences to draw batches from")
    args = p.parse_args(argv)
    info = setup(args)
    if not torch.cuda.is_available():
        print("no CUDA GPU here: this benchmark needs one (the CPU figures are in the other scripts)", file=sys.stderr)
        return 2
    info["gpu"] = torch.cuda.get_device_name()
    tag = tagging(args)
    train = training(args)
    print(f"training: float32 {train['float32']:,.0f}, bf16 {train['bf16 autocast']:,.0f} real tokens/s "
          f"({train['bf16 autocast'] / train['float32']:.2f}x)")
    speed_up = tag["chars_per_s"]["bf16 autocast"] / tag["chars_per_s"]["float32"]
    f1_change = 100 * (tag["f1"]["bf16 autocast"] - tag["f1"]["float32"])
    passed = speed_up > 1 and train["bf16 autocast"] > train["float32"] and abs(f1_change) <= 0.3
    return verdict(f"tagging with bf16 on {info['gpu']}", tag["chars_per_s"]["bf16 autocast"],
                   tag["chars_per_s"]["float32"], speed_up, "> 1x float32, F1 within 0.3 points", passed,
                   unit="chars/s", info=info, args=args,
                   extra={"tagging": tag, "training_tokens_per_s": train, "f1_change_points": f1_change})


if __name__ == "__main__":
    sys.exit(main())
