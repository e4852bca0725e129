"""The training run on the command line: its flags (every default from RunOptions and
TrainSettings, every choice from the model's own lists) and the sinks a terminal wants (a JSON-lines
progress file, a progress bar). train_job.py and `python -m core train` build on these."""
from __future__ import annotations

import argparse
import json
import os
from dataclasses import fields
from pathlib import Path

from core.model.config import HEADS, INITS, STACKS
from core.training.options import SAVE_DTYPES, RunOptions, Sink
from core.training.settings import TrainSettings

_CHOICES = {"head": HEADS, "init": INITS, "save_dtype": SAVE_DTYPES, "stack": [s for s in STACKS if s]}
_HELP = {
    "out": "model folder to write (the best epoch)", "data": "comma-separated corpora: msra, pd, or corpus folders",
    "corrections": "JSON-lines file of corrected documents (text + spans)",
    "corrections_repeat": "times each correction is repeated, so a few hundred matter",
    "mention_swap": "share of the entities swapped, in each repeat of a correction after the first, for "
                    "another of the same type from the corrections (entity-replacement augmentation)",
    "replay": "train on a random sample of N sentences of each corpus (fine-tuning on corrections)",
    "heldout": "JSON-lines of corrected documents never trained on, scored at the end as 'heldout'",
    "test_limit": "score the first N sentences of each test set (a fixed sample)",
    "encoder": "encoder folder (bundled or any Hugging Face one), or lac: Baidu LAC's embedding + BiGRU "
               "(converted by prepare into data/encoders/lac)",
    "stack": "lac: stack LAC's 256-d BiGRU output beside the encoder's vector, per character; lac2: two copies "
             "of it (the second tuned with --lac-lr; core/model/combine.py folds a fast model in as one)",
    "lac_lr": "learning rate of LAC's BiGRU (0: frozen)", "lac_embedding_lr": "of LAC's embedding (0: frozen)",
    "init_from": "start from this model folder's weights (fine-tuning; its curves are kept)",
    "keep_start": "share of --init-from's weights mixed back into the trained ones at the end (WiSE-FT: "
                  "keeps what the model knew)",
    "guard_sentences": "forgetting guard: score the first N sentences of each corpus's dev split after the mix "
                       "with --init-from; 0: no guard",
    "forget_limit": "F1 points the guard lets the run lose there against --init-from",
    "keep_start_max": "the guard mixes in a tenth more of --init-from at a time, up to this share",
    "improves": "the model folder this run is to replace, scored first on the same sets for comparison "
                "(default: --init-from, which may be its base)",
    "layers": "first N encoder layers (default: all); with --init-from, cuts that model to N",
    "train_limit": "first N sentences of each corpus (quick runs)", "no_test": "skip the final test-set scores",
    "device": "auto, cpu, cuda", "resume": "continue from OUT.resume if it exists",
    "time_budget": "minutes; the schedule shrinks to fit",
}
_SETTINGS_FLAGS = ("epochs", "batch_size", "lr", "crf_lr_multiplier", "classifier_lr_multiplier",
                   "warmup_fraction", "patience", "max_steps", "seed", "lac_lr", "lac_embedding_lr")
# Old flag names still accepted: a resumed job replays its recorded command, and a job row's params
# or a script may use the old name. New name -> old name.
_ALIASES = {"crf_lr_multiplier": "head_lr_multiplier"}
# Flags the launcher writes itself for a job; the rest are what a job's params may set.
_LAUNCHER_FLAGS = ("out", "corrections", "heldout", "resume")


def add_run_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The run's flags (--out, --data, ..., --epochs, --lr, --time-budget); defaults from the dataclasses."""
    settings = TrainSettings()
    for option in fields(RunOptions):
        if option.name != "settings":
            _add_flag(parser, option.name, option.default, option.type)
    for option in fields(TrainSettings):
        if option.name in _SETTINGS_FLAGS:
            _add_flag(parser, option.name, getattr(settings, option.name), option.type)
    parser.add_argument("--time-budget", type=float, default=None, help=_HELP["time_budget"])
    parser.add_argument("--progress", help="append one JSON line per event here")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _add_flag(parser, name: str, default, annotation: str) -> None:
    """--name-with-dashes typed from the field's annotation ("int | None" -> int)."""
    flags = [_flag(name)] + ([_flag(_ALIASES[name])] if name in _ALIASES else [])
    if isinstance(default, bool):
        parser.add_argument(*flags, action="store_true", help=_HELP.get(name))
    elif name == "out":
        parser.add_argument(*flags, required=True, help=_HELP[name])
    else:
        kind = {"int": int, "float": float}.get(annotation.split("|")[0].strip(), str)
        parser.add_argument(*flags, type=kind, default=default, choices=_CHOICES.get(name), help=_HELP.get(name))


def options_from_args(args: argparse.Namespace) -> RunOptions:
    values = vars(args)
    settings = TrainSettings(**{name: values[name] for name in _SETTINGS_FLAGS},
                             time_budget_s=values["time_budget"] * 60 if values.get("time_budget") else None)
    return RunOptions(**{f.name: values[f.name] for f in fields(RunOptions) if f.name != "settings"},
                      settings=settings)


# ---- options -> argv: the one way a run's options become a command line ------------------------
PARAM_NAMES = tuple(f.name for f in fields(RunOptions) if f.name not in ("settings", *_LAUNCHER_FLAGS)) \
    + _SETTINGS_FLAGS + ("time_budget",)  # the keys of a job's params (launcher.start_training)


def params_to_argv(params: dict, allowed=None) -> list[str]:
    """The flags for params keyed by flag name (time_budget in minutes; an old name in _ALIASES is
    taken for the new one): True is a bare flag, False and None are left out, a list is joined with
    commas (data=["msra", "pd"] -> --data msra,pd). Keys outside `allowed` (default: every run flag)
    raise ValueError naming them."""
    renamed = {old: new for new, old in _ALIASES.items()}
    params = {renamed.get(key, key): value for key, value in params.items()}
    known = tuple(allowed) if allowed is not None else PARAM_NAMES + _LAUNCHER_FLAGS
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ValueError(f"unknown training parameter(s) {', '.join(unknown)}; known: {', '.join(known)}")
    argv = []
    for name in known:
        value = params.get(name)
        if value is None or value is False:
            continue
        if value is True:
            argv.append(_flag(name))
        else:
            argv += [_flag(name), ",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)]
    return argv


def options_to_argv(options: RunOptions) -> list[str]:
    """The flags whose parse (add_run_arguments, options_from_args) gives options back: every
    value that differs from its default. ValueError for a setting no flag carries."""
    default_options, default_settings = RunOptions(out=options.out), TrainSettings()
    params = {f.name: getattr(options, f.name) for f in fields(RunOptions)
              if f.name != "settings" and (f.name == "out" or getattr(options, f.name) != getattr(default_options, f.name))}
    for option in fields(TrainSettings):
        value = getattr(options.settings, option.name)
        if value == getattr(default_settings, option.name):
            continue
        if option.name == "time_budget_s":
            params["time_budget"] = value / 60
        elif option.name in _SETTINGS_FLAGS:
            params[option.name] = value
        else:
            raise ValueError(f"setting {option.name}={value!r} has no command-line flag")
    return params_to_argv(params)


def command_line_sinks(args: argparse.Namespace, enabled: bool = True) -> list[Sink]:
    """--progress (a JSON-lines file) and the terminal bar unless --quiet; none off rank 0."""
    if not enabled:
        return []
    return ([JsonLinesSink(args.progress)] if args.progress else []) + ([] if args.quiet else [ProgressBar()])


# ---- sinks -----------------------------------------------------------------------------------
class JsonLinesSink:
    """One JSON line per event: the machine-readable stream a job's watchers read."""

    def __init__(self, path):
        self.path = Path(path)

    def __call__(self, event: dict) -> None:
        with self.path.open("a", encoding="utf-8") as stream:
            stream.write(json.dumps(event, ensure_ascii=False) + "\n")


class ProgressBar:
    """A tqdm bar over the steps, with a line per epoch."""

    def __init__(self):
        self.bar = None

    def __call__(self, event: dict) -> None:
        from tqdm import tqdm

        kind = event["event"]
        if kind == "start":
            self.bar = tqdm(total=event["total_steps"], unit="step", dynamic_ncols=True)
        elif kind == "step" and event.get("phase", "training") != "training":
            where = f"{event.get('set')} ({event.get('index')} of {event.get('of')})"
            what = {"evaluating": f"evaluating {where}",
                    "baseline": f"scoring the model before training: {where}"}.get(event["phase"], event["phase"])
            (self.bar.set_description_str if self.bar else print)(what)
        elif kind == "step" and self.bar is not None:
            self.bar.total = event["total_steps"]  # a time budget may shrink the plan
            self.bar.n = event["step"]
            self.bar.set_postfix(epoch=event["epoch"], loss=f"{event['loss']:.3f}")
            self.bar.refresh()
        elif kind == "epoch":
            dev = "not measured (no dev set)" if event["dev_f1"] is None else f"{event['dev_f1']:.4f}"
            message = f"epoch {event['epoch']}: train loss {event['train_loss']:.4f}, dev F1 {dev}"
            (self.bar.write if self.bar else print)(message)
        elif kind in ("done", "failed") and self.bar is not None:
            self.bar.close()
            self.bar = None


def main(argv=None, prog: str = "python -m core train") -> int:
    """`python -m core train`: a run with the command line's sinks (no database)."""
    parser = add_run_arguments(argparse.ArgumentParser(prog=prog, description=__doc__))
    args = parser.parse_args(argv)
    rank = int(os.environ.get("RANK", "0"))
    from core.training.run import run  # here: it imports torch, which the flags and sinks above never need

    return run(options_from_args(args), command_line_sinks(args, enabled=rank == 0), argv)
