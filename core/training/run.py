"""One training run from options to a model folder: device, data, model, resume, the loop, saving.

Every event of the run goes to the sinks it is given (plain dicts: a JSON-lines file, a progress
bar, the studio's database); the run never knows who listens. train_job.py, `python -m core
train` (both through core/training/run_cli.py's flags) and the studies (core/training/experiment.py) all come here.
"""
from __future__ import annotations

import json
import os
import platform
import random
import shutil
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

import torch

from core.atomic import write_folder
from core.data.augment import repeat_with_swaps
from core.data.corpus_files import BUNDLED
from core.labels import DEFAULT_TAGS, ENTITY_TYPES, tag_types
from core.model.lac import LAC_FOLDER, is_lac_folder
from core.model.model import (CONFIG_FILE, CURVES_FILE, SCORES_FILE, TRAINING_FILE, NerConfig,
                        build_model, extend_tags, keep_first_layers, load_model, read_json)
from core.training.repeat_policy import FIXED_REPEAT
from core.training.settings import TrainSettings
from core.training.train import TrainState, train
from core.training.batches import evaluate
from core.threads import configure as configure_threads
from core.data.training_data import FIXED_EVALUATION, has_split, load_corrections, load_split
from core.model.weight_average import mix_in_start, mix_until_kept

BUNDLED_ENCODER = "data/encoders/e5-small"
HELDOUT = "heldout"  # the scores' name for the user's held-out corrected documents
SAVE_DTYPES = ("float32", "float16")
RESUME_SUFFIX = ".resume"  # OUT.resume: the model and optimizer after the last finished epoch
SAVE_SECONDS = 10.0  # writing the model folder (twice: best epoch, then with its scores)

Sink = Callable[[dict], None]


@dataclass
class RunOptions:
    """What to train on, from what, and where to; how to train is `settings`."""

    out: str
    data: str = ",".join(BUNDLED)  # comma-separated corpora: msra, pd, or folders with train/dev splits
    data_dir: str = "data"
    corrections: str | None = None  # JSON-lines file of corrected documents (text + spans)
    corrections_repeat: int = FIXED_REPEAT  # times each correction is repeated, so a few hundred matter
    # Share of the entities swapped, in each repeat after the first, for another of the same type
    # from the corrections (core/data/augment.py): the model learns contexts, not only strings.
    mention_swap: float = 0.0
    # A random sample of N training sentences a corpus instead of all of them: fine-tuning on
    # corrections replays that much of the corpora so the model does not forget what it knew.
    replay: int | None = None
    heldout: str | None = None  # JSON-lines of corrected documents never trained on, scored as "heldout"
    encoder: str = BUNDLED_ENCODER  # or "lac": LAC's embedding + BiGRU alone (data/encoders/lac)
    stack: str | None = None  # "lac": LAC's BiGRU features beside the transformer's, per character
    init_from: str | None = None  # fine-tune this model folder (its curves are kept)
    # The model this run is to replace (the active one), scored before training on the same sets
    # as the reference for promotion; init_from may be its base (core/training/improve.py). Default: init_from.
    improves: str | None = None
    # Share of init_from's weights mixed back into the trained ones at the end (WiSE-FT,
    # core/model/weight_average.py): the improve recipe keeps what the model knew this way.
    keep_start: float = 0.0
    # The forgetting guard: the first guard_sentences of each corpus's dev split score the mix
    # against init_from; while it lost more than forget_limit F1 points there, another tenth of
    # init_from goes back in, up to keep_start_max (core/model/weight_average.py). 0: no guard.
    guard_sentences: int = 0
    forget_limit: float = 1.0
    keep_start_max: float = 0.5
    head: str = "crf"
    layers: int | None = None  # first N encoder layers; with init_from, cuts that model to N
    init: str = "pretrained"
    train_limit: int | None = None  # first N sentences of each corpus (quick runs)
    dev_limit: int | None = None
    test_limit: int | None = None
    no_test: bool = False
    device: str = "auto"
    save_dtype: str = "float32"
    resume: bool = False
    settings: TrainSettings = field(default_factory=TrainSettings)

    @property
    def resume_dir(self) -> Path:
        out = Path(self.out)
        return out.with_name(out.name + RESUME_SUFFIX)


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


def load_data(options: RunOptions):
    """(train examples, dev examples, {evaluation set: test examples}, forgetting-guard examples,
    {evaluation set: sentences its whole split holds} for the sets test_limit cut to a sample)."""
    corpora = [name for name in options.data.split(",") if name]
    train_examples, dev_examples, tests, guard, wholes = [], [], {}, [], {}

    def test_split(name: str) -> list:
        examples = load_split(name, "test", options.data_dir)
        if options.test_limit is not None and options.test_limit < len(examples):
            wholes[Path(name).name] = len(examples)  # a sample's score is not the whole split's
            examples = examples[:options.test_limit]
        return examples

    for name in corpora:
        corpus_train = load_split(name, "train", options.data_dir, options.train_limit)
        if options.replay is not None and options.replay < len(corpus_train):
            corpus_train = random.Random(options.settings.seed).sample(corpus_train, options.replay)
        train_examples += corpus_train
        dev_examples += load_split(name, "dev", options.data_dir, options.dev_limit)
        if guards(options):
            guard += load_split(name, "dev", options.data_dir, options.guard_sentences)
        if not options.no_test and has_split(name, "test", options.data_dir):  # a silver corpus has none
            tests[Path(name).name] = test_split(name)
    if not options.no_test:
        # Every version is also scored on the fixed evaluation set, so versions compare on it.
        for name in FIXED_EVALUATION:
            if name not in tests and has_split(name, "test", options.data_dir):
                tests[name] = test_split(name)
    corrections = load_corrections(options.corrections) if options.corrections else []
    heldout = load_corrections(options.heldout) if options.heldout and not options.no_test else []
    # The user's own types (in the corrections, or learned in an earlier round) are never
    # annotated in a corpus: there an O may hide them, as MSRA's O may hide a time.
    own = (types_in(corrections + heldout) | set(_starting_types(options))) - set(ENTITY_TYPES)
    for examples in (train_examples, dev_examples, guard, *tests.values()):
        for example in examples:
            example.unannotated = example.unannotated | own
    train_examples += repeat_with_swaps(corrections, options.corrections_repeat, options.mention_swap,
                                        options.settings.seed)
    if heldout:
        tests[HELDOUT] = heldout
    return train_examples, dev_examples, tests, guard, wholes


def guards(options: RunOptions) -> bool:
    """Whether the run checks its own forgetting: a guard set, a start to mix back, room to mix more."""
    return bool(options.guard_sentences and options.init_from and options.keep_start_max > options.keep_start)


def start_shares(options: RunOptions) -> list[float]:
    """keep_start, then a tenth more at a time up to keep_start_max (just under 1 at most)."""
    top = min(options.keep_start_max, 0.95)
    shares, share = [options.keep_start], options.keep_start
    while share + 0.1 <= top + 1e-9:
        share = round(share + 0.1, 4)
        shares.append(share)
    return shares


def types_in(examples) -> set[str]:
    return {tag[2:] for example in examples for tag in example.tags if tag != "O"}


def _starting_types(options: RunOptions) -> list[str]:
    """The entity types of the model the run starts from (fine-tuning or resuming), [] for a new one."""
    folder = options.resume_dir / "model" if options.resume and options.resume_dir.exists() else options.init_from
    tags = (read_json(folder, CONFIG_FILE, {}).get("ner", {}).get("tags") or []) if folder else []
    return tag_types(tags)


def score_sets(model, tests: dict, emit: Sink = lambda event: None, phase: str = "evaluating",
               seconds_per_char: float | None = None, finish_by: float | None = None,
               wholes: dict | None = None) -> dict:
    """{set: evaluate() result without the loss, with "sentences" scored (documents, for the
    held-out corrections) and, for a set cut to a sample, "sample_of": the sentences its whole
    split holds (wholes)}: two scores compare only on the same set, and the pages say which.
    A progress event before each set: the phase ("baseline" scores the model to compare with
    before training, "evaluating" the trained one), set i of n, the share of characters scored so
    far, and the ETA.

    The ETA is finish_by - now when the whole job must end by then (a time budget's end), else the
    characters left at the speed measured so far (seconds_per_char before the first set) and the
    saving after them."""
    scores, started, done_chars = {}, time.time(), 0
    total_chars = sum(len(ex.chars) for examples in tests.values() for ex in examples)
    for index, (name, examples) in enumerate(tests.items(), 1):
        rate = (time.time() - started) / done_chars if done_chars else seconds_per_char
        eta = rate * (total_chars - done_chars) + SAVE_SECONDS if rate is not None else None
        if finish_by is not None:
            eta = max(0.0, finish_by - time.time())
        emit({"event": "step", "phase": phase, "set": name, "index": index, "of": len(tests),
              "fraction": done_chars / max(total_chars, 1), "eta_s": eta})
        scores[name] = evaluate(model, examples)
        scores[name].pop("loss", None)
        scores[name]["sentences"] = len(examples)
        if name in (wholes or {}):
            scores[name]["sample_of"] = wholes[name]
        done_chars += sum(len(ex.chars) for ex in examples)
    return scores


def run(options: RunOptions, sinks: list[Sink] = (), argv: list[str] | None = None) -> int:
    """Train as options say; 0 when the model folder is written and scored, 1 when the run failed.

    Every event goes to every sink, with a "time" stamp; a failure is the event "failed" with
    the traceback. Off rank 0 (under torchrun) nothing is emitted or saved.
    """
    device, rank, world = setup_device(options.device)
    if device.type == "cpu":
        configure_threads()  # the cores the load leaves free, chosen once: later the run's own load counts
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
