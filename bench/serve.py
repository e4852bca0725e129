"""The HTTP service under concurrent clients on loopback, against the command line's tagger in the
same run.

The service runs as its own process (`python -m service --model M`), as it would be deployed; the
clients are threads here, each sending one MSRA test sentence a request, one request at a time.
Throughput: characters per second over all clients, against the CLI's tagging path
(core.tagging.stream.tag_file, in this process, the model loaded beforehand) on the same sentences.
Latency: p50/p95 of one 300-character text a request, with 1 client and with 8 at once.

    .venv/bin/python bench/serve.py --model models/fast
"""
from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from _common import ROOT, msra_texts, parser, setup


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url: str, texts: list[str]) -> float:
    """Seconds for one POST /v1/tag; raises on anything but 200."""
    body = json.dumps({"texts": texts}, ensure_ascii=False).encode()
    started = time.perf_counter()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as answer:
        answer.read()
    return time.perf_counter() - started


def clients(url: str, n: int, work: list[list[str]]) -> tuple[float, list[float]]:
    """n threads take requests from work until it is empty: (wall seconds, per-request seconds)."""
    lock, latencies, queue = threading.Lock(), [], list(work)

    def client():
        while True:
            with lock:
                if not queue:
                    return
                texts = queue.pop()
            seconds = post(url, texts)
            with lock:
                latencies.append(seconds)

    threads = [threading.Thread(target=client) for _ in range(n)]
    started = time.perf_counter()
    [t.start() for t in threads]
    [t.join() for t in threads]
    return time.perf_counter() - started, latencies


def cli_chars_per_s(model: str, texts: list[str]) -> float:
    from core.tagging.predict import Tagger
    from core.tagging.stream import tag_file

    tagger = Tagger.from_folder(model)
    with tempfile.TemporaryDirectory() as folder:
        source, out = Path(folder) / "in.txt", Path(folder) / "out.txt"
        source.write_text("\n".join(texts) + "\n", encoding="utf-8")
        tag_file(tagger, source, out, tokens=False)  # warm-up
        started = time.perf_counter()
        tag_file(tagger, source, out, tokens=False)
        return sum(map(len, texts)) / (time.perf_counter() - started)


def percentile(values, q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def main() -> int:
    p = parser(__doc__, chars=20_000, repeats=1)
    p.add_argument("--clients", type=int, nargs="+", default=[1, 8], help="concurrent clients (default 1 8)")
    p.add_argument("--latency-requests", type=int, default=40, help="300-character requests per latency run")
    args = p.parse_args()
    info = setup(args)
    texts = msra_texts(args.chars)
    long_text = "".join(msra_texts(2_000))[:300]
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "service", "--model", args.model, "--port", str(port),
                               "--log-level", "warning"], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    url = f"http://127.0.0.1:{port}/v1/tag"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                post(url, ["预热"])
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the service did not start")
                time.sleep(0.5)
        results = {"run": info, "model": args.model, "characters": sum(map(len, texts)), "throughput": {},
                   "latency_300": {}}
        cli = cli_chars_per_s(args.model, texts)
        results["cli_chars_per_s"] = round(cli)
        print(f"CLI tagger (core.tagging.stream.tag_file, in process): {cli:,.0f} chars/s over "
              f"{results['characters']:,} characters")
        for n in args.clients:
            wall, _ = clients(url, n, [[t] for t in texts])
            rate = results["characters"] / wall
            results["throughput"][n] = round(rate)
            print(f"service, {n} client(s), a sentence a request: {rate:,.0f} chars/s ({rate / cli:.2f}x the CLI)")
        for n in args.clients:
            _, latencies = clients(url, n, [[long_text]] * args.latency_requests)
            p50, p95 = percentile(latencies, 50) * 1000, percentile(latencies, 95) * 1000
            results["latency_300"][n] = {"p50_ms": round(p50, 1), "p95_ms": round(p95, 1)}
            print(f"300-character text, {n} client(s): p50 {p50:.0f} ms, p95 {p95:.0f} ms "
                  f"({args.latency_requests} requests)")
        results["run"]["load_after"] = round(os.getloadavg()[0], 2)
        print(f"# load average {results['run']['load_after']} at the end")
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")
    finally:
        server.terminate()
        server.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
