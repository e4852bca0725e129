"""python -m core.training.mix MODEL --start START --share S --out OUT [--score] [--save-dtype float16]:
a WiSE-FT mix (core/model/weight_average.py) written as a model folder, so a mixed model is made by
one rerunnable command. mixed.json records the mix; --score scores it on the fixed evaluation sets
(MSRA test, People's Daily test) as a training run scores what it trains, so the app shows its scores.
"""
from __future__ import annotations

import argparse
import json
import sys

from core.model.config import MIXED_FILE
from core.model.model import CURVES_FILE, SCORES_FILE, TRAINING_FILE, load_model, read_json
from core.model.weight_average import mix_in_start


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """--out, --score, --data-dir, --save-dtype: for a command that writes a model made from others."""
    parser.add_argument("--out", required=True)
    parser.add_argument("--score", action="store_true", help="score the result on the fixed evaluation sets")
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--save-dtype", choices=("float32", "float16"), default="float32")


def save_made_model(model, args, source, record_file: str, record: dict,
                    keep=(CURVES_FILE, TRAINING_FILE)) -> None:
    """Write a model made from other folders (a mix, a fold) to args.out: `source`'s files named in
    `keep` stay with it, `record` says how it was made, and --score scores it on the fixed evaluation
    sets (MSRA test, People's Daily test) as a training run scores what it trains."""
    extra = {name: content for name in keep if (content := read_json(source, name)) is not None}
    if args.score:
        from core.data.training_data import FIXED_EVALUATION, has_split, load_split
        from core.training.run_data import score_sets

        tests = {name: load_split(name, "test", args.data_dir) for name in FIXED_EVALUATION
                 if has_split(name, "test", args.data_dir)}
        extra[SCORES_FILE] = score_sets(model, tests)
    if args.save_dtype == "float16":
        model = model.half()
    model.save(args.out, {**extra, record_file: record})
    print(json.dumps(record))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.training.mix", description=__doc__.split("\n")[0])
    parser.add_argument("model", help="the fine-tuned model folder")
    parser.add_argument("--start", required=True, help="the folder whose weights are mixed back in")
    parser.add_argument("--share", type=float, required=True, help="START's share, in [0, 1)")
    add_output_options(parser)
    args = parser.parse_args(argv)
    try:
        model = mix_in_start(load_model(args.model), args.start, args.share)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    save_made_model(model, args, args.model, MIXED_FILE,
                    {"model": args.model, "start": args.start, "start_share": args.share})
    return 0


if __name__ == "__main__":
    sys.exit(main())
