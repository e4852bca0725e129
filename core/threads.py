"""How many threads torch uses: chosen for a machine that other work shares.

torch starts one OpenMP worker per core and, by default, lets idle workers spin. On our 2 cores
with two other CPU-bound processes beside it, the fast model took 72.6 s for 500 MSRA lines where
LAC took 10.2 s (issue 20): every parallel region waited for a worker that had no core. So idle
workers sleep (OMP_WAIT_POLICY=PASSIVE, read when OpenMP starts, hence set in core/__init__.py
before anything imports torch), and a process uses only the cores the load average leaves free,
at least one. A user's OMP_NUM_THREADS always wins.
"""
from __future__ import annotations

import os


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
