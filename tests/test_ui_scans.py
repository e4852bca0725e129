"""The shell's per-page scans (job processes, the models/ folder) run at most once per SCAN_TTL_S."""
import launcher
from storage import versions
from ui import shared


def counting(monkeypatch, module, name):
    calls = []
    monkeypatch.setattr(module, name, lambda *args: calls.append(args) or [])
    return calls


def test_two_page_runs_within_the_ttl_reap_job_processes_once(monkeypatch, tmp_path):
    calls = counting(monkeypatch, launcher, "refresh_jobs")
    shared.reap_vanished_jobs.clear()
    shared.reap_vanished_jobs(str(tmp_path / "a.db"), object())
    shared.reap_vanished_jobs(str(tmp_path / "a.db"), object())  # another session's connection: same file
    assert len(calls) == 1
    shared.reap_vanished_jobs(str(tmp_path / "b.db"), object())  # another database is its own
    assert len(calls) == 2


def test_two_page_runs_within_the_ttl_scan_the_models_folder_once(monkeypatch, tmp_path):
    calls = counting(monkeypatch, versions, "register_model_folders")
    monkeypatch.setenv("NER_STUDIO_DB", str(tmp_path / "a.db"))
    monkeypatch.setenv("NER_STUDIO_MODEL", str(tmp_path / "models" / "default"))
    shared._register_model_folders.clear()
    shared.offer_model_folders(object())
    shared.offer_model_folders(object())
    assert len(calls) == 1 and calls[0][1] == str(tmp_path / "models")


def test_the_scan_runs_again_once_the_ttl_has_passed(monkeypatch, tmp_path):
    import time

    calls = counting(monkeypatch, launcher, "refresh_jobs")
    shared.reap_vanished_jobs.clear()
    shared.reap_vanished_jobs(str(tmp_path / "a.db"), object())
    time.sleep(shared.SCAN_TTL_S + 0.2)  # the cache's own clock: a real wait
    shared.reap_vanished_jobs(str(tmp_path / "a.db"), object())
    assert len(calls) == 2
