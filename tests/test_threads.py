"""Thread choice on a shared machine: the free cores, at least one; a user's setting wins."""
import os
import subprocess
import sys

from core import threads


def test_free_cores_leave_room_for_the_load():
    assert threads.free_cores(load=0.1, total=2) == 2
    assert threads.free_cores(load=1.2, total=2) == 1
    assert threads.free_cores(load=7.5, total=2) == 1
    assert threads.free_cores(load=3.0, total=16) == 13


def test_importing_core_makes_idle_workers_sleep_unless_told_otherwise():
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    code = "import core, os; print(os.environ['OMP_WAIT_POLICY'])"
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout.strip() == "PASSIVE"
    env["OMP_WAIT_POLICY"] = "ACTIVE"
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout.strip() == "ACTIVE"


def test_configure_sets_torch_threads_and_respects_omp_num_threads():
    code = ("import core.threads as t, torch; print(t.configure(load=99.0), torch.get_num_threads())")
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout.split()
    assert out == ["1", "1"]
    env["OMP_NUM_THREADS"] = "2"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout.split()
    assert out == ["2", "2"]


def test_long_work_rechooses_without_counting_its_own_load(monkeypatch):
    """A teacher started beside a run that was ending got one core and kept it for 40 minutes."""
    chosen = []
    monkeypatch.setattr(threads, "configure", lambda load: chosen.append(load) or threads.free_cores(load, total=2))
    wall, cpu, load = [0.0], [0.0], [1.0]
    chooser = threads.ThreadChooser(every_s=30, clock=lambda: wall[0], cpu=lambda: cpu[0], load=lambda: load[0])
    assert chooser.maybe_configure() == 1  # another process still in the load average: one core
    wall[0], cpu[0] = 10, 10
    assert chooser.maybe_configure() == 1 and len(chosen) == 1  # not due yet
    # 40 s later the other work has gone; the load of 1.0 is this process's own core.
    wall[0], cpu[0], load[0] = 40, 40, 1.0
    assert chooser.maybe_configure() == 2
    # Using both cores, load 2 is all its own; then another job starts and the load climbs to 3.
    wall[0], cpu[0], load[0] = 80, 120, 2.0
    assert chooser.maybe_configure() == 2
    wall[0], cpu[0], load[0] = 120, 200, 3.0
    assert chooser.maybe_configure() == 1
    assert chosen == [1.0, 0.0, 0.0, 1.0]
