"""python -m core.training.combine STACKED FAST --weight W --out OUT [--score] [--save-dtype float16]:
a fast model folded into a stacked one (core/model/combine.py) written as a model folder, so the
default model is made by one rerunnable command. combined.json records the fold; the stacked
model's own record (its run, its curves, how it was mixed) stays with it.
"""
from __future__ import annotations

import argparse
import sys

from core.model.combine import fold_in
from core.model.config import COMBINED_FILE, MIXED_FILE
from core.model.model import CURVES_FILE, TRAINING_FILE, load_model
from core.training.mix import add_output_options, save_made_model


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.training.combine", description=__doc__.split("\n")[0])
    parser.add_argument("stacked", help="a model folder trained with --stack lac")
    parser.add_argument("fast", help="a fast model folder (LAC's encoder + CRF)")
    parser.add_argument("--weight", type=float, required=True, help="the fast model's scores are multiplied by it")
    add_output_options(parser)
    args = parser.parse_args(argv)
    try:
        model = fold_in(load_model(args.stacked), load_model(args.fast), args.weight)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    save_made_model(model, args, args.stacked, COMBINED_FILE,
                    {"stacked": args.stacked, "fast": args.fast, "fast_weight": args.weight},
                    keep=(CURVES_FILE, TRAINING_FILE, MIXED_FILE))
    return 0


if __name__ == "__main__":
    sys.exit(main())
