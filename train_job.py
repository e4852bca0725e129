"""The studio's training job: python train_job.py --out DIR [options] [--db FILE --job-id N].

A thin face over core/training/run.py (the same flags as `python -m core train`; also runs under torchrun):
with --db and --job-id the job's row in the studio database follows the run, and the finished
model is registered there as a version.
"""
from __future__ import annotations

import argparse
import os
import sys

from core.training.run import run
from core.training.run_cli import add_run_arguments, command_line_sinks, options_from_args


def parse_args(argv=None) -> argparse.Namespace:
    parser = add_run_arguments(argparse.ArgumentParser(description=__doc__))
    parser.add_argument("--db", help="studio database: the job's row follows the run; the finished model is registered")
    parser.add_argument("--job-id", type=int, help="the job's row in --db")
    args = parser.parse_args(argv)
    if (args.db is None) != (args.job_id is None):
        parser.error("--db and --job-id go together")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    rank_zero = int(os.environ.get("RANK", "0")) == 0
    sinks = command_line_sinks(args, enabled=rank_zero)
    if args.db and rank_zero:
        from storage.jobs import JobSink  # the sink lives in storage/: core/ never sees SQL

        sinks.append(JobSink(args.db, args.job_id))
    return run(options_from_args(args), sinks, argv)


if __name__ == "__main__":
    sys.exit(main())
