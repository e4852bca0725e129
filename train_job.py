"""The training job: python train_job.py --out DIR [options]; also runs under torchrun (DDP).

Trains on any mix of prepared corpora and correction files, writes the best model folder
atomically, a resumable checkpoint each epoch, and one JSON line per event to --progress.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
import traceback
from dataclasses import asdict
from pathlib import Path

import torch

from core.labels import DEFAULT_TAGS
from core.model import NerConfig, build_model, keep_first_layers, load_model, read_json
from core.train import TrainSettings, TrainState, evaluate, train
from core.training_data import load_corrections, load_split

BUNDLED_ENCODER = Path("data/encoders/e5-small")
FIXED_EVALUATION = ("msra", "pd")  # MSRA official test; People's Daily hold-out (its T labels)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True, help="model folder to write (the best epoch)")
    parser.add_argument("--data", default="msra,pd", help="comma-separated corpora: msra, pd, or folders with train/dev splits")
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--corrections", help="JSON-lines file of corrected documents (text + spans)")
    parser.add_argument("--corrections-repeat", type=int, default=5, help="times each correction is repeated, so a few hundred matter")
    parser.add_argument("--encoder", default=str(BUNDLED_ENCODER), help="encoder folder (bundled or any Hugging Face one)")
    parser.add_argument("--init-from", help="start from this model folder's weights (fine-tuning; its curves are kept)")
    parser.add_argument("--head", choices=["crf", "softmax"], default="crf")
    parser.add_argument("--layers", type=int, default=None, help="first N encoder layers (default: all); with --init-from, cuts that model to N")
    parser.add_argument("--init", choices=["pretrained", "embeddings", "random"], default="pretrained")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--head-lr-multiplier", type=float, default=100.0)
    parser.add_argument("--warmup-fraction", type=float, default=0.06)
    parser.add_argument("--classifier-lr-multiplier", type=float, default=10.0)
    parser.add_argument("--time-budget", type=float, default=None, help="minutes; the schedule shrinks to fit")
    parser.add_argument("--patience", type=int, default=2)
    parser.add_argument("--max-steps", type=int, default=None)
    parser.add_argument("--train-limit", type=int, default=None, help="first N sentences of each corpus (quick runs)")
    parser.add_argument("--dev-limit", type=int, default=None)
    parser.add_argument("--test-limit", type=int, default=None)
    parser.add_argument("--no-test", action="store_true", help="skip the final test-set scores")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda")
    parser.add_argument("--save-dtype", choices=["float32", "float16"], default="float32")
    parser.add_argument("--progress", help="append one JSON line per event here")
    parser.add_argument("--resume", action="store_true", help="continue from OUT.resume if it exists")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--db", help="studio database: the job's row follows the run; the finished model is registered")
    parser.add_argument("--job-id", type=int, help="the job's row in --db")
    args = parser.parse_args(argv)
    if (args.db is None) != (args.job_id is None):
        parser.error("--db and --job-id go together")
    return args


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


class Progress:
    """Writes events as JSON lines (the machine-readable stream) and draws a terminal bar."""

    def __init__(self, path: str | None, quiet: bool, enabled: bool):
        self.path = Path(path) if path and enabled else None
        self.enabled = enabled
        self.quiet = quiet or not enabled
        self.bar = None
        self.sinks = []  # callables that also receive every event (the studio database)

    def emit(self, event: dict) -> None:
        if not self.enabled:
            return
        event = {k: v for k, v in event.items() if k != "optimizer_state"}
        event.setdefault("time", time.time())
        if self.path:
            with self.path.open("a", encoding="utf-8") as stream:
                stream.write(json.dumps(event, ensure_ascii=False) + "\n")
        for sink in self.sinks:
            sink(event)
        if self.quiet:
            return
        from tqdm import tqdm

        if event["event"] == "start":
            self.bar = tqdm(total=event["total_steps"], unit="step", dynamic_ncols=True)
        elif event["event"] == "step" and self.bar is not None:
            self.bar.n = event["step"]
            self.bar.set_postfix(epoch=event["epoch"], loss=f"{event['loss']:.3f}")
            self.bar.refresh()
        elif event["event"] == "epoch":
            message = f"epoch {event['epoch']}: train loss {event['train_loss']:.4f}, dev F1 {event['dev_f1']:.4f}"
            (self.bar.write if self.bar else print)(message)
        elif event["event"] == "done" and self.bar is not None:
            self.bar.close()


def load_data(args):
    corpora = [name for name in args.data.split(",") if name]
    train_examples, dev_examples, tests = [], [], {}
    for name in corpora:
        train_examples += load_split(name, "train", args.data_dir, args.train_limit)
        dev_examples += load_split(name, "dev", args.data_dir, args.dev_limit)
        if not args.no_test:
            tests[Path(name).name] = load_split(name, "test", args.data_dir, args.test_limit)
    if not args.no_test:
        # Every version is also scored on the fixed evaluation set, so versions compare on it.
        for name in FIXED_EVALUATION:
            if name not in tests and (Path(args.data_dir) / "corpora" / name / "test.txt").exists():
                tests[name] = load_split(name, "test", args.data_dir, args.test_limit)
    if args.corrections:
        train_examples += load_corrections(args.corrections) * args.corrections_repeat
    return train_examples, dev_examples, tests


def save_checkpoint(model, state: TrainState, optimizer_state: dict, folder: Path) -> None:
    """Resume point: the model folder plus optimizer state, swapped in atomically."""
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save(tmp / "model")
    torch.save(optimizer_state, tmp / "optimizer.pt")
    (tmp / "state.json").write_text(json.dumps(asdict(state)), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    os.rename(tmp, folder)


def main(argv=None) -> int:
    args = parse_args(argv)
    device, rank, world = setup_device(args.device)
    torch.manual_seed(args.seed)
    progress = Progress(args.progress, args.quiet, enabled=rank == 0)
    if args.db and rank == 0:
        from storage.jobs import JobSink  # the sink lives in storage/: core/ never sees SQL

        progress.sinks.append(JobSink(args.db, args.job_id))
    out = Path(args.out)
    resume_dir = out.with_name(out.name + ".resume")
    try:
        train_examples, dev_examples, tests = load_data(args)
        state, optimizer_state = None, None
        if args.resume and (resume_dir / "state.json").exists():
            model = load_model(resume_dir / "model")
            state = TrainState(**json.loads((resume_dir / "state.json").read_text(encoding="utf-8")))
            optimizer_state = torch.load(resume_dir / "optimizer.pt", weights_only=True)
            progress.emit({"event": "resumed", "epoch": state.epoch, "step": state.step})
        elif args.init_from:
            model = load_model(args.init_from)
            if args.layers is not None and args.layers != model.config.num_layers:
                keep_first_layers(model, args.layers)  # a smaller variant: its curves start afresh
        else:
            config = NerConfig(tags=list(DEFAULT_TAGS), head=args.head, num_layers=args.layers, init=args.init)
            model = build_model(args.encoder, config)
        model.to(device)
        settings = TrainSettings(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                                 head_lr_multiplier=args.head_lr_multiplier,
                                 classifier_lr_multiplier=args.classifier_lr_multiplier, patience=args.patience,
                                 warmup_fraction=args.warmup_fraction,
                                 time_budget_s=args.time_budget * 60 if args.time_budget else None,
                                 seed=args.seed, max_steps=args.max_steps)
        run_info = {"argv": sys.argv[1:] if argv is None else list(argv), "device": str(device),
                    "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or platform.machine(),
                    "world_size": world, "torch": torch.__version__, "train_sentences": len(train_examples),
                    "dev_sentences": len(dev_examples), "settings": asdict(settings)}
        history = list(state.history) if state else _earlier_curves(args.init_from, model)
        offset = len(history) - (state.epoch if state else 0)  # epochs before this run (fine-tuning)
        best_saved = False
        for event in train(model, train_examples, dev_examples, settings, state, optimizer_state):
            progress.emit(event)
            if event["event"] == "epoch":
                record = {k: v for k, v in event.items() if k not in ("optimizer_state", "event")}
                history.append({**record, "epoch": record["epoch"] + offset})
                if rank == 0:
                    if event["is_best"]:
                        _save_model(model, out, args, history, run_info)
                        best_saved = True
                    state_now = TrainState(epoch=event["epoch"], step=event["step"], best_f1=max(h["dev_f1"] for h in history[offset:]),
                                           epochs_without_gain=0, history=history)
                    save_checkpoint(model, state_now, event["optimizer_state"], resume_dir)
            if event["event"] == "done":
                run_info["seconds"] = event["seconds"]
                run_info["stop_reason"] = event["reason"]
        if rank == 0:
            if not best_saved and not out.exists():
                _save_model(model, out, args, history, run_info)
            best = load_model(out, device=device)
            scores = {name: evaluate(best, examples) for name, examples in tests.items()}
            for result in scores.values():
                result.pop("loss", None)
            _save_model(best, out, args, history, run_info, scores=scores)
            progress.emit({"event": "finished", "model": str(out), "scores": scores})
            shutil.rmtree(resume_dir, ignore_errors=True)
        return 0
    except Exception as error:
        progress.emit({"event": "failed", "error": str(error), "traceback": traceback.format_exc()})
        print(f"training failed: {error}", file=sys.stderr)
        return 1
    finally:
        if world > 1 and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


def _earlier_curves(init_from, model) -> list:
    """Fine-tuning continues the curves of the model it starts from; a cut-down variant does not."""
    if not init_from:
        return []
    earlier = read_json(init_from, "config.json", {}).get("ner", {})
    if earlier.get("num_layers") != model.config.num_layers:
        return []
    return list(read_json(init_from, "curves.json", []))


def _save_model(model, out: Path, args, history, run_info, scores=None) -> None:
    extra = {"curves.json": history, "training.json": run_info}
    if scores is not None:
        extra["scores.json"] = scores
    if args.save_dtype == "float16":
        half = load_model_copy(model).half()
        half.save(out, extra)
    else:
        model.save(out, extra)


def load_model_copy(model):
    import copy

    return copy.deepcopy(model).cpu()


if __name__ == "__main__":
    sys.exit(main())
