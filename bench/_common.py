"""Shared by the benchmarks: the MSRA text, interleaved timing, model FLOPs, the verdict lines.

Every figure is a ratio against a baseline timed in the same process, with the repetitions of the
two interleaved (ABBA order) and medians quoted: the machine's two cores are shared, so absolute
times drift and only ratios measured side by side mean something. Each script prints the load
average before and after, so a reader can tell a quiet run from a contended one.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Before torch loads OpenMP: idle worker threads sleep instead of spinning. On two cores shared
# with other users, spinning workers made every run erratic (a pytorch-crf decode took 13 ms to
# 900 ms); passive waiting made them repeatable (bench/README.md). --omp-wait active undoes it.
if "--omp-wait" in sys.argv:
    os.environ["OMP_WAIT_POLICY"] = sys.argv[sys.argv.index("--omp-wait") + 1].upper()
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

from core.data.corpus_files import split_paths  # noqa: E402

DEFAULT_MODEL = ROOT / "models" / "default"
MSRA_CHARS, MSRA_TAGS = split_paths("msra", "test", ROOT / "data")
ENCODER = ROOT / "data" / "encoders" / "e5-small"


def parser(description: str, chars: int | None = 20_000, repeats: int = 3) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    if chars is not None:
        p.add_argument("--chars", type=int, default=chars, help=f"MSRA test characters to use (default {chars})")
    p.add_argument("--repeats", type=int, default=repeats, help=f"interleaved repetitions (default {repeats})")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own, 2 here)")
    p.add_argument("--model", default=str(DEFAULT_MODEL))
    p.add_argument("--json", help="also write the results to this file")
    p.add_argument("--omp-wait", choices=["passive", "active"], default="passive",
                   help="OMP_WAIT_POLICY for this run (default passive; set before torch loads)")
    p.add_argument("--load", type=int, default=0,
                   help="run the whole bench beside N CPU-bound processes (a loaded machine; default 0)")
    return p


def setup(args) -> dict:
    """Apply --threads and describe the run: a dict that goes into the JSON and the header line."""
    if getattr(args, "load", 0):
        import atexit

        generator = BusyMachine(args.load).__enter__()
        atexit.register(generator.__exit__, None, None, None)
    if args.threads:
        torch.set_num_threads(args.threads)
    info = {"torch": torch.__version__, "threads": torch.get_num_threads(), "cpus": os.cpu_count(),
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
            "cpu": platform.processor() or platform.machine(), "load_before": round(os.getloadavg()[0], 2),
            "load_generator_processes": getattr(args, "load", 0)}
    print(f"# torch {info['torch']}, {info['threads']} threads, {info['cpus']} CPUs, "
          f"OMP_WAIT_POLICY={info['omp_wait_policy']}, "
          f"load average {info['load_before']} at start"
          + (f", {info['load_generator_processes']} spinning processes beside it" if info["load_generator_processes"] else ""),
          flush=True)
    return info


def msra_sentences(max_chars: int | None = None):
    """The MSRA test sentences (chars + tags), the first ones up to max_chars characters."""
    from core.data.corpora import read_pair

    sentences = read_pair(MSRA_CHARS, MSRA_TAGS)
    if max_chars is None:
        return sentences
    out, total = [], 0
    for sentence in sentences:
        if total >= max_chars:
            break
        out.append(sentence)
        total += len(sentence.chars)
    return out


def msra_texts(max_chars: int | None = None) -> list[str]:
    return [s.text for s in msra_sentences(max_chars)]


def interleaved(candidates: dict, repeats: int, warmup: bool = True) -> dict[str, list[float]]:
    """Seconds per call of each candidate, the candidates' runs interleaved ABBA-style.

    Interleaving spreads the other users' load over all candidates alike; reversing the order
    every other round cancels a steady drift (a machine warming up, a neighbour finishing).
    """
    names = list(candidates)
    if warmup:
        for name in names:
            candidates[name]()
    times = {name: [] for name in names}
    for round_ in range(repeats):
        for name in (names if round_ % 2 == 0 else names[::-1]):
            started = time.perf_counter()
            candidates[name]()
            times[name].append(time.perf_counter() - started)
    return times


class BusyMachine:
    """A load generator: `processes` CPU-bound Python processes spinning for as long as the block
    runs (a 2-core job beside ours is BusyMachine(2)). They are killed on the way out, even on error."""

    def __init__(self, processes: int):
        self.processes = processes
        self._running = []

    def __enter__(self):
        import subprocess

        self._running = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(self.processes)]
        time.sleep(0.5 if self.processes else 0)  # let them reach the scheduler before timing starts
        return self

    def __exit__(self, *exc):
        for process in self._running:
            process.kill()
            process.wait()
        self._running = []
        return False


def median(values) -> float:
    return statistics.median(values)


def show_times(times: dict[str, list[float]], per: float | None = None, unit: str = "s") -> None:
    """One line per candidate: the median and the runs (all of them, or quartiles when many)."""
    for name, values in times.items():
        shown = values if len(values) <= 6 else statistics.quantiles(values, n=4, method="inclusive")
        label = "runs" if len(values) <= 6 else f"quartiles of {len(values)} runs"
        if per is None:
            runs = ", ".join(f"{v * 1000:.2f}" for v in shown)
            print(f"  {name}: median {median(values) * 1000:.2f} ms  ({label}: {runs}; min {min(values) * 1000:.2f})")
        else:
            runs = ", ".join(f"{per / v:,.0f}" for v in shown)
            print(f"  {name}: median {per / median(values):,.0f} {unit}  ({label}: {runs})")


def matmul_gflops(size: int = 1024, seconds: float = 1.0) -> float:
    """A plain float32 torch matmul's rate (GFLOP/s), square size x size, timed for about `seconds`."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    flops = 2.0 * size ** 3
    calls, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds or calls < 3:
        a @ b
        calls += 1
    return flops * calls / (time.perf_counter() - started) / 1e9


def encoder_flops(model, sequence_lengths, padded_width: int | None = None) -> float:
    """Multiply-add FLOPs (x2) of the encoder + classifier for sequences of these character counts.

    Per layer and sequence of L tokens (characters + <s> + </s>): Q, K, V and output projections
    2*L*4*h^2, feed-forward 2*L*2*h*ff, attention scores and mixing 2*2*L^2*h. Embeddings, layer
    norms, GELU and the CRF are left out (well under 1% here). With padded_width, every sequence
    counts as that wide: the work a padded batch really does.
    """
    config = model.encoder.config
    h, ff, layers, tags = config.hidden_size, config.intermediate_size, config.num_hidden_layers, len(model.tags)
    total = 0.0
    for n in sequence_lengths:
        length = (padded_width or n) + 2
        total += layers * (2 * length * (4 * h * h + 2 * h * ff) + 4 * length * length * h)
        total += 2 * n * h * tags
    return total


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4g}"


def verdict(name: str, figure: float, baseline: float, ratio: float, target: str, passed: bool,
            unit: str = "", info: dict | None = None, args=None, extra: dict | None = None) -> int:
    """Print the closing lines (figure, baseline, ratio, PASS/FAIL) and return the exit code."""
    load_after = round(os.getloadavg()[0], 2)
    print(f"{name}: {_number(figure)} {unit}".rstrip())
    print(f"baseline: {_number(baseline)} {unit}".rstrip())
    print(f"ratio: {ratio:.3g} (target {target}) -> {'PASS' if passed else 'FAIL'}")
    print(f"# load average {load_after} at end", flush=True)
    if args is not None and getattr(args, "json", None):
        record = {"name": name, "figure": figure, "baseline": baseline, "ratio": ratio, "target": target,
                  "passed": passed, "unit": unit, **(info or {}), "load_after": load_after, **(extra or {})}
        Path(args.json).write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0 if passed else 1
