"""One training run from options to a model folder: device, data, model, resume, the loop, saving.

Every event of the run goes to the sinks it is given (plain dicts: a JSON-lines file, a progress
bar, the studio's database); the run never knows who listens. train_job.py, `python -m core
train` (both through core/training/run_cli.py's flags) and the studies (core/training/experiment.py) all come here.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import time
import traceback
from dataclasses import asdict, replace
from pathlib import Path

import torch

from core.atomic import write_folder
from core.labels import DEFAULT_TAGS
from core.model.lac import LAC_FOLDER, is_lac_folder
from core.model.model import CONFIG_FILE, CURVES_FILE, SCORES_FILE, TRAINING_FILE, NerConfig, load_model, read_json
from core.model.build import build_model, extend_tags, keep_first_layers
from core.model.weight_average import mix_in_start, mix_until_kept
from core.threads import ThreadChooser
from core.training.batches import evaluate
from core.training.options import SAVE_SECONDS, RunOptions, Sink
from core.training.run_data import load_data, score_sets, start_shares, types_in
from core.training.train import TrainState, train


# ---- the run ---------------------------------------------------------------------------------
def setup_device(requested: str) -> tuple[torch.device, int, int]:
    """Device, rank and world size; initialises torch.distributed under torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    use_cuda = torch.cuda.is_available() if requested == "auto" else requested == "cuda"
    if world > 1:
        torch.distributed.init_process_group(backend="nccl" if use_cuda else "gloo")
    rank = torch.distributed.get_rank() if world > 1 else 0
    if use_cuda:
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        return torch.device("cuda", local), rank, world
    return torch.device("cpu"), rank, world


def run(options: RunOptions, sinks: list[Sink] = (), argv: list[str] | None = None) -> int:
    """Train as options say; 0 when the model folder is written and scored, 1 when the run failed.

    Every event goes to every sink, with a "time" stamp; a failure is the event "failed" with
    the traceback. Off rank 0 (under torchrun) nothing is emitted or saved.
    """
    device, rank, world = setup_device(options.device)
    # The cores the load leaves free, chosen again as the run goes (its own load not counted).
    threads = ThreadChooser() if device.type == "cpu" else None
    if threads:
        threads.maybe_configure()
    torch.manual_seed(options.settings.seed)

    def emit(event: dict) -> None:
        if rank != 0:
            return
        event.setdefault("time", time.time())
        for sink in sinks:
            sink(event)

    out = Path(options.out)
    run_started = time.time()
    try:
        train_examples, dev_examples, tests, guard, wholes = load_data(options)
        # The time budget keeps room for scoring the test sets after training, and the guard set
        # for the start and two mixes.
        after_chars = sum(len(ex.chars) for examples in [*tests.values(), guard, guard, guard] for ex in examples)
        settings = replace(options.settings, after_training_chars=after_chars, after_training_s=SAVE_SECONDS)
        finish_by = run_started + settings.time_budget_s if settings.time_budget_s else None
        scoring_rate = None  # seconds a character, measured on the baseline: the final scoring's first ETA
        model, state, optimizer_state = _starting_point(options)
        # A type the corrections use that the model does not know: new rows, the learned ones kept.
        extend_tags(model, sorted(types_in(train_examples) - set(model.entity_types)))
        if state is not None:
            emit({"event": "resumed", "epoch": state.epoch, "step": state.step})
        model.to(device)
        run_info = {"argv": list(argv if argv is not None else sys.argv[1:]), "device": str(device),
                    "device_name": torch.cuda.get_device_name(device) if device.type == "cuda"
                    else platform.processor() or platform.machine(),
                    "world_size": world, "torch": torch.__version__, "train_sentences": len(train_examples),
                    "dev_sentences": len(dev_examples), "settings": asdict(settings),
                    "init_from": str(Path(options.init_from).resolve()) if options.init_from else None}
        reference = options.improves or options.init_from
        if options.improves:  # an improvement (core/training/improve.py): its next one starts from init_from again
            run_info["improves"] = str(Path(options.improves).resolve())
        if state is None:
            state = TrainState(history=_earlier_curves(options.init_from, model))
            if reference and tests:
                # The parent's scores on the very same sets (a fixed sample, the held-out corrections):
                # what the new version is compared with before anyone promotes it.
                same = Path(reference).resolve() == Path(options.init_from or "").resolve()
                scoring_started = time.time()
                run_info["before"] = score_sets(model if same else load_model(reference, device=device), tests, emit,
                                                "baseline", finish_by=finish_by, wholes=wholes)
                scoring_s = time.time() - scoring_started
                scoring_rate = scoring_s / max(sum(len(ex.chars) for examples in tests.values() for ex in examples), 1)
                # Scoring the trained model on the same sets takes about as long: a measured time
                # for the budget's reserve, on this machine under its present load.
                settings = replace(settings, after_training_chars=3 * sum(len(ex.chars) for ex in guard),
                                   after_training_s=SAVE_SECONDS + scoring_s)
        if settings.time_budget_s:  # loading and scoring the parent came out of the same budget
            settings = replace(settings, time_budget_s=settings.time_budget_s - (time.time() - run_started))

        def checkpoint(state_now: TrainState, optimizer_now: dict) -> None:
            if rank == 0:
                _save_resume_point(model, state_now, optimizer_now, options.resume_dir)

        best_saved = False
        for event in train(model, train_examples, dev_examples, settings, state, optimizer_state, checkpoint):
            emit(event)
            if threads:
                threads.maybe_configure()
            if event["event"] == "epoch" and event["is_best"] and rank == 0:
                _save_model(model, out, options, state.history, run_info)
                best_saved = True
            elif event["event"] == "done":
                run_info["seconds"] = event["seconds"]
                run_info["stop_reason"] = event["reason"]
        if rank == 0:
            if not best_saved and not out.exists():
                _save_model(model, out, options, state.history, run_info)
            if guard:
                best = _guarded_mix(options, out, device, guard, run_info, emit)
            else:
                best = load_model(out, device=device)
                if options.keep_start and options.init_from:
                    mix_in_start(best, options.init_from, options.keep_start)
                    run_info["keep_start"] = options.keep_start
            scores = score_sets(best, tests, emit, seconds_per_char=scoring_rate, wholes=wholes)
            emit({"event": "step", "phase": "saving", "eta_s": SAVE_SECONDS / 2})
            _save_model(best, out, options, state.history, run_info, scores=scores)
            emit({"event": "finished", "model": str(out), "scores": scores})
            shutil.rmtree(options.resume_dir, ignore_errors=True)
        return 0
    except Exception as error:
        emit({"event": "failed", "error": str(error), "traceback": traceback.format_exc()})
        print(f"training failed: {error}", file=sys.stderr)
        return 1
    finally:
        if world > 1 and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


def _guarded_mix(options: RunOptions, out: Path, device, guard: list, run_info: dict, emit: Sink):
    """The trained model in out mixed back with init_from until it keeps init_from's F1 on the
    guard set within forget_limit points; run_info["guard"] records the start's score and each try."""
    def score(model) -> float:
        emit({"event": "step", "phase": "evaluating", "set": "forgetting guard", "index": 1, "of": 1, "eta_s": None})
        return evaluate(model, guard)["entities"]["micro"]["f1"]

    start_f1 = score(load_model(options.init_from, device=device))
    best, tries = mix_until_kept(lambda: load_model(out, device=device), options.init_from, start_shares(options),
                                 score, start_f1 - options.forget_limit / 100)
    run_info["keep_start"] = tries[-1]["share"]
    run_info["guard"] = {"sentences": len(guard), "forget_limit": options.forget_limit, "start": start_f1,
                         "tries": tries}
    return best


def _starting_point(options: RunOptions):
    """(model, resumed TrainState or None, optimizer state or None)."""
    resume_dir = options.resume_dir
    if options.resume and (resume_dir / "state.json").exists():
        model = load_model(resume_dir / "model")
        state = TrainState(**json.loads((resume_dir / "state.json").read_text(encoding="utf-8")))
        return model, state, torch.load(resume_dir / "optimizer.pt", weights_only=True)
    if options.init_from:
        model = load_model(options.init_from)
        if options.layers is not None and options.layers != model.config.num_layers:
            keep_first_layers(model, options.layers)  # a smaller variant: its curves start afresh
        return model, None, None
    if options.encoder == "lac" or is_lac_folder(options.encoder):
        config = NerConfig(tags=list(DEFAULT_TAGS), head=options.head, encoder_type="lac")
        return build_model(None, config, LAC_FOLDER if options.encoder == "lac" else options.encoder), None, None
    config = NerConfig(tags=list(DEFAULT_TAGS), head=options.head, num_layers=options.layers, init=options.init,
                       stack=options.stack)
    return build_model(options.encoder, config), None, None


def _save_resume_point(model, state: TrainState, optimizer_state: dict, folder: Path) -> None:
    """The model folder plus optimizer state and TrainState, swapped in atomically."""

    def build(tmp: Path) -> None:
        model.save(tmp / "model")
        torch.save(optimizer_state, tmp / "optimizer.pt")
        (tmp / "state.json").write_text(json.dumps(asdict(state)), encoding="utf-8")

    write_folder(folder, build)


def _earlier_curves(init_from, model) -> list:
    """Fine-tuning continues the curves of the model it starts from; a cut-down variant does not."""
    if not init_from:
        return []
    earlier = read_json(init_from, CONFIG_FILE, {}).get("ner", {})
    if earlier.get("num_layers") != model.config.num_layers:
        return []
    return list(read_json(init_from, CURVES_FILE, []))


def _save_model(model, out: Path, options: RunOptions, history, run_info, scores=None) -> None:
    extra = {CURVES_FILE: history, TRAINING_FILE: run_info}
    if scores is not None:
        extra[SCORES_FILE] = scores
    if options.save_dtype == "float16":
        import copy

        model = copy.deepcopy(model).cpu().half()  # the model in training stays float32
    model.save(out, extra, complete=scores is not None)  # the scored save is the last: only it may become a version
