"""Target 5: training throughput (real, non-padding tokens per second) with length-bucketed
dynamic padding at least 5x the seed's recipe of padding every sentence to 300 characters.

    .venv/bin/python bench/train_speed.py [--steps 20] [--repeats 2] [--sentences 3000]

Same model (2 layers built from data/encoders/e5-small, NerConfig(num_layers=2), the same
starting weights for every run), same data (the first --sentences MSRA train sentences, cut at
256 characters as core.training.train does), same optimiser (core.training.train.make_optimizer), same number of
steps of 32 sentences. Bucketed: core.training.batches.bucketed_batches + collate, as train() uses them.
Seed: random batches, every sentence padded to 300. The first step of each run is a warm-up
and is not timed.
"""
from __future__ import annotations

import sys

from _common import ENCODER, ROOT, median, parser, setup, verdict  # noqa: I001

import copy  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402

from core.model.model import NerConfig  # noqa: E402
from core.model.build import build_model  # noqa: E402
from core.training.settings import TrainSettings  # noqa: E402
from core.training.batches import bucketed_batches, collate, split_long  # noqa: E402
from core.training.train import make_optimizer  # noqa: E402
from core.data.training_data import load_split  # noqa: E402

SEED_WIDTH = 300


def pad_to(ids, allowed, mask, width: int, pad_id: int):
    extra = width - ids.shape[1]
    ids = torch.nn.functional.pad(ids, (0, extra), value=pad_id)
    allowed = torch.nn.functional.pad(allowed, (0, 0, 0, extra), value=True)
    mask = torch.nn.functional.pad(mask, (0, extra), value=False)
    return ids, allowed, mask


def run(model, examples, batches, steps: int, seed_padding: bool, amp: bool = False) -> float:
    """Train `steps` steps on `batches`; real tokens per second over steps 2..steps.

    On a GPU, amp runs the forward pass under bf16 autocast as core.training.train does."""
    settings = TrainSettings()
    optimizer = make_optimizer(model, settings)
    device = next(model.parameters()).device
    model.train()
    tokens, started = 0, None
    for step, batch in enumerate(batches[:steps]):
        if step == 1:
            _sync(device)
            started = time.perf_counter()
        ids, allowed, mask = (t.to(device) for t in collate([examples[i] for i in batch], model))
        if seed_padding:
            ids, allowed, mask = pad_to(ids, allowed, mask, SEED_WIDTH, model.char_vocab.pad)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            emissions = model.emissions(ids, mask)
        loss = model.loss(emissions, allowed, mask)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), settings.clip_norm)
        optimizer.step()
        if step >= 1:
            tokens += int(mask.sum())
    _sync(device)
    return tokens / (time.perf_counter() - started)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main(argv=None) -> int:
    p = parser(__doc__.split("\n")[0], chars=None, repeats=2)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--sentences", type=int, default=3000)
    p.add_argument("--batch-size", type=int, default=32)
    args = p.parse_args(argv)
    info = setup(args)
    torch.manual_seed(0)
    model = build_model(ENCODER, NerConfig(num_layers=2))
    initial = copy.deepcopy(model.state_dict())
    examples = split_long(load_split("msra", "train", data_dir=ROOT / "data", limit=args.sentences), 256)
    lengths = [len(ex.chars) for ex in examples]
    print(f"{len(examples):,} sentences, mean {sum(lengths) / len(lengths):.1f} characters, "
          f"{args.steps} steps of {args.batch_size}")
    rng = random.Random(13)
    bucketed = bucketed_batches(lengths, args.batch_size, rng)
    order = list(range(len(examples)))
    rng.shuffle(order)
    plain = [order[i : i + args.batch_size] for i in range(0, len(order), args.batch_size)]
    rates = {"bucketed": [], "seed (pad to 300)": []}
    for round_ in range(args.repeats):
        for name in (list(rates) if round_ % 2 == 0 else list(rates)[::-1]):
            model.load_state_dict(initial)
            batches = bucketed if name == "bucketed" else plain
            rates[name].append(run(model, examples, batches, args.steps, name != "bucketed"))
            print(f"  {name}: {rates[name][-1]:,.0f} real tokens/s", flush=True)
    ours, seed = median(rates["bucketed"]), median(rates["seed (pad to 300)"])
    return verdict("bucketed training", ours, seed, ours / seed,
                   ">= 5x the seed's pad-to-300 recipe (baseline)", ours / seed >= 5,
                   unit="real tokens/s", info=info, args=args)


if __name__ == "__main__":
    sys.exit(main())
