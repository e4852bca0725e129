"""`python -m core serve ...`: the HTTP service, handed over to `python -m service` by module name.

core may not import service/ (nor storage/, which the service needs for tokens and corrections):
tests/test_layers.py keeps core below both. Running the package by name with runpy keeps the one
command users expect without an import arrow pointing up; the arguments pass through unchanged.
"""
from __future__ import annotations

import runpy
import sys


def add_arguments(parser):
    """For the command list only: main() hands `serve ...` over before parsing (argparse would refuse
    the service's own options)."""
    parser.add_argument("args", nargs="*", help="python -m service's options: --studio DB | --model DIR, --host, --port")
    return parser


def run(args) -> int:
    return hand_over(args.args)


def hand_over(argv) -> int:
    sys.argv = ["python -m core serve", *argv]
    try:
        runpy.run_module("service", run_name="__main__", alter_sys=True)
    except SystemExit as done:  # service/__main__.py ends with sys.exit(main())
        return done.code if isinstance(done.code, int) else 0
    return 0
