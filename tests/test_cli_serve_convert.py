"""`python -m core serve` (handed over to `python -m service`) as a real process, and `python -m core
convert` between the formats, round trip exact, a bad record named by line."""
import json
import os
import socket
import subprocess
import sys
import time

from conftest import ROOT
from serving import call

from core.cli import main

TEXT = "😀今天　Tim Cook在北京访问了清华大学。🎉"
SPANS = [[4, 12, "PER"], [13, 15, "LOC"], [18, 22, "ORG"]]


def test_core_serve_runs_the_service_and_tags_over_http(tiny_model):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "core", "serve", "--model", str(tiny_model), "--port", str(port),
                               "--log-level", "warning"], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                              stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, health = call(f"http://127.0.0.1:{port}/v1/health", timeout=5)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read()
                time.sleep(0.3)
        assert status == 200 and health["model_version"] == tiny_model.name
        status, answer = call(f"http://127.0.0.1:{port}/v1/tag", {"texts": ["张三在上海工作"]})
        assert status == 200 and answer["results"][0]["model_version"] == tiny_model.name
    finally:
        server.terminate()
        server.wait(20)
    assert "only this machine may call the service" in server.stderr.read()


def test_convert_round_trips_every_format_and_names_a_bad_record(tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"text": TEXT, "label": SPANS, "annotator": "ada"}, ensure_ascii=False) + "\n"
                      + '{"text": "坏", "label": [[0, 3, "PER"]]}\n'
                      + json.dumps({"text": "新产品", "label": [[1, 3, "PROD"]]}, ensure_ascii=False) + "\n",
                      encoding="utf-8")
    assert main(["convert", str(source), "--from", "doccano", "--to", "label-studio", "-o", str(tmp_path / "a.json")]) == 1
    assert "in.jsonl: line 2: span [0, 3, 'PER'] is outside the text" in capsys.readouterr().err
    assert main(["convert", str(tmp_path / "a.json"), "--from", "label-studio", "--to", "conll",
                 "-o", str(tmp_path / "b.conll")]) == 0
    assert "T\tB-PER" in (tmp_path / "b.conll").read_text(encoding="utf-8")
    assert main(["convert", str(tmp_path / "b.conll"), "--from", "conll", "--to", "spans", "-o", str(tmp_path / "c.jsonl")]) == 0
    assert main(["convert", str(tmp_path / "c.jsonl"), "--from", "spans", "--to", "doccano", "-o", str(tmp_path / "d.jsonl")]) == 0
    back = [json.loads(line) for line in (tmp_path / "d.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(r["text"], r["label"]) for r in back] == [(TEXT, SPANS), ("新产品", [[1, 3, "PROD"]])]
