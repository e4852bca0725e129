"""Command line: python -m core {prepare,tag,eval,check,silver,teach,train,experiment} ...; see --help.
The commands are in core/cli/."""
import sys

from core.cli import main

if __name__ == "__main__":
    sys.exit(main())
