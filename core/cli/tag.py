"""`python -m core tag`: a file's characters tagged into another file; the model and device
checks every command that loads a model shares."""
from __future__ import annotations

import sys


def _device(name: str) -> str:
    """name, or ValueError when this machine has no such device: loading onto it would end in a
    39-line traceback from deep inside torch."""
    import torch

    try:
        device = torch.device(name)
    except RuntimeError:
        raise ValueError(f"--device {name}: not a device; use cpu, cuda or cuda:N") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"--device {name}: CUDA is not available here (no GPU, no driver, or a torch "
                             f"built for the CPU); use --device cpu")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ValueError(f"--device {name}: this machine has {torch.cuda.device_count()} CUDA device(s), "
                             f"numbered from 0")
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"--device {name}: MPS is not available here; use --device cpu")
    elif device.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"--device {name}: not supported; use cpu, cuda or cuda:N")
    return name


ENGINES = ("auto", "numpy", "torch")  # auto: NumPy for a LAC-encoder CRF model on the CPU (core/tagging/lite.py)


def _tagger(model_dir, device, batch_size, engine: str = "torch"):
    from core.model.config import is_model_folder
    from core.tagging.lite import LiteTagger, runs_lite

    if not is_model_folder(model_dir):
        raise ValueError(f"{model_dir}: not a model folder (no config.json); pass --model DIR")
    lite = engine == "numpy" or (engine == "auto" and device == "cpu" and runs_lite(model_dir))
    if lite and device != "cpu":
        raise ValueError(f"--engine numpy runs on the CPU only, not --device {device}")
    if lite and not runs_lite(model_dir):
        raise ValueError(f"{model_dir}: --engine numpy runs LAC-encoder CRF models (models/fast) only; "
                         f"use --engine torch")
    device = device if lite else _device(device)
    try:
        if lite:  # no torch to import: most of a small file's time. A GRU step costs about the same
            # for 256 sentences as for 64, so it takes batches of at least 256 (core/tagging/lite.py).
            return LiteTagger.from_folder(model_dir, batch_size=max(batch_size, 256))
        from core.tagging.predict import Tagger

        return Tagger.from_folder(model_dir, device=device, batch_size=batch_size)
    except (OSError, KeyError, RuntimeError, ValueError) as error:  # a broken or foreign folder
        raise ValueError(f"{model_dir}: not a usable model folder ({type(error).__name__}: {error}); "
                         f"pass --model DIR") from None


def _progress_bar(total: int | None, quiet: bool, unit: str = "char"):
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, unit_scale=True, disable=quiet, dynamic_ncols=True)


class Terminated(BaseException):
    """SIGTERM as an exception: Python's default handler ends the process on the spot, which left
    the hidden half-written output beside -o; raised, it unwinds as Ctrl-C does (core/atomic.py)."""


def _terminate(signum, frame):
    raise Terminated


def cmd_tag(args) -> int:
    import signal
    import threading

    from core.atomic import is_stream
    from core.tagging.stream import input_file, output_file, tag_file

    source = input_file(args.input)
    output = output_file(args.output, [source])  # before the model loads: a bad -o costs nothing
    in_main_thread = threading.current_thread() is threading.main_thread()  # where handlers may be set
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    try:
        tagger = _tagger(args.model, args.device, args.batch_size, args.engine)
        with _progress_bar(source.stat().st_size, args.quiet, unit="B") as bar:  # bytes: known without a pass
            counts = tag_file(tagger, source, output, tokens=not args.text, progress=bar.update)
    except (KeyboardInterrupt, Terminated) as stop:  # the hidden file is gone and an old output stands
        where = f"{output} holds the tags written so far" if is_stream(output) else "no output written"
        ctrl_c = isinstance(stop, KeyboardInterrupt)
        print(f"{'interrupted' if ctrl_c else 'terminated'}; {where}", file=sys.stderr)
        return 130 if ctrl_c else 143  # 128 + SIGINT or SIGTERM, as a shell reports it
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
    if not args.quiet:
        print(f"{counts['lines']} lines, {counts['characters']} characters, {counts['entities']} entities "
              f"-> {output}", file=sys.stderr)
    return 0
