"""How many threads torch uses: chosen for a machine that other work shares.

torch starts one OpenMP worker per core and, by default, lets idle workers spin. On our 2 cores
with two other CPU-bound processes beside it, the fast model took 72.6 s for 500 MSRA lines where
LAC took 10.2 s (issue 20): every parallel region waited for a worker that had no core. So idle
workers sleep (OMP_WAIT_POLICY=PASSIVE, read when OpenMP starts, hence set in core/__init__.py
before anything imports torch), and a process uses only the cores the load average leaves free,
at least one. A user's OMP_NUM_THREADS always wins.

Long work (a training run, a teacher tagging a corpus) re-chooses as it goes (ThreadChooser): a
choice made once at the start kept a teacher on one core for 40 minutes because a run that had just
ended still stood in the load average. The load average counts this process too, so its own recent
CPU use is taken off before the rest is read as other work.
"""
from __future__ import annotations

import os
import time


def passive_wait() -> None:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def free_cores(load: float | None = None, total: int | None = None) -> int:
    """The cores the 1-minute load average leaves free, rounded, between 1 and all of them."""
    total = cores() if total is None else total
    if load is None:
        try:
            load = os.getloadavg()[0]
        except OSError:
            return total
    return max(1, min(total, round(total - load)))


def configure(load: float | None = None) -> int:
    """Set torch's intra-op threads for work about to start; returns the number chosen."""
    import torch

    if os.environ.get("OMP_NUM_THREADS"):
        return torch.get_num_threads()
    threads = free_cores(load)
    if threads != torch.get_num_threads():
        torch.set_num_threads(threads)
    return threads


def own_cpu_seconds() -> float:
    """CPU time this process has used, all its threads together."""
    times = os.times()
    return times.user + times.system


class ThreadChooser:
    """configure(), again every `every_s` seconds of long work, with the cores this process itself
    kept busy since the last choice taken off the load (the 1-minute average counts them too)."""

    def __init__(self, every_s: float = 30.0, clock=time.monotonic, cpu=own_cpu_seconds, load=None):
        self.every_s, self._clock, self._cpu = every_s, clock, cpu
        self._load = load or (lambda: os.getloadavg()[0])
        self._last: tuple[float, float] | None = None  # (wall, cpu) at the last choice
        self.threads: int | None = None

    def others_load(self) -> float:
        """The load average less this process's own use since the last choice (none at the first)."""
        now, cpu = self._clock(), self._cpu()
        own = 0.0
        if self._last is not None and now > self._last[0]:
            own = (cpu - self._last[1]) / (now - self._last[0])
        self._last = (now, cpu)
        try:
            return max(0.0, self._load() - own)
        except OSError:
            return 0.0

    def maybe_configure(self) -> int | None:
        """Choose the threads if none were chosen or `every_s` has passed; the number now in use."""
        if self._last is None or self._clock() - self._last[0] >= self.every_s:
            self.threads = configure(self.others_load())
        return self.threads
