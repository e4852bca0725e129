"""What a run reads and is scored on: the examples of its corpora and corrections, the sets it
scores (the fixed evaluation set, the user's held-out documents), and scoring them with progress."""
from __future__ import annotations

import random
import time
from pathlib import Path

from core.data.augment import repeat_with_swaps
from core.data.training_data import FIXED_EVALUATION, has_split, load_corrections, load_split
from core.labels import ENTITY_TYPES, tag_types
from core.model.model import CONFIG_FILE, read_json
from core.training.batches import evaluate
from core.training.options import HELDOUT, SAVE_SECONDS, RunOptions, Sink


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
