"""`python -m core train` (one run, the flags train_job.py takes) and `experiment` (the studies)."""
from __future__ import annotations

import sys


def cmd_train(args) -> int:
    import os

    from core.training.run import run
    from core.training.run_cli import command_line_sinks, options_from_args

    return run(options_from_args(args), command_line_sinks(args, enabled=os.environ.get("RANK", "0") == "0"))


def cmd_experiment(args) -> int:
    from core.training.experiment import run_args

    return run_args(args, "python -m core experiment " + " ".join(sys.argv[2:]))
