"""The Label Studio ML backend against a real Label Studio, end to end on loopback (not run in CI).

Starts Label Studio from its own virtual environment (`python3 -m venv /tmp/ls-venv &&
/tmp/ls-venv/bin/pip install label-studio`), our service on a fresh studio database, then through
Label Studio's API: creates a NER project, connects the service as its ML backend, imports tasks
(including one our Label Studio export wrote), asks Label Studio to retrieve predictions, submits an annotation and checks that it became a correction in the studio. Every request
Label Studio sent to the service is written to --record (the unit tests' examples come from one).

    .venv/bin/python bench/label_studio.py --label-studio /tmp/ls-venv/bin/label-studio --model models/fast
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

CONFIG = """<View>
  <Labels name="label" toName="text">
    <Label value="Person" background="red"/><Label value="Location" background="blue"/>
    <Label value="Organization" background="green"/><Label value="时间" predicted_values="T" background="orange"/>
  </Labels>
  <Text name="text" value="$text"/>
</View>"""
TEXTS = ["张三在北京的清华大学读书。", "1998年元旦，李四去了上海浦东。😀", "联合国总部设在纽约　Tim Cook 也来了。"]


def api(base: str, token: str, path: str, body=None, method=None):
    request = urllib.request.Request(base + path, None if body is None else json.dumps(body).encode(),
                                     {"Authorization": f"Token {token}", "Content-Type": "application/json"},
                                     method=method or ("POST" if body is not None else "GET"))
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            payload = answer.read()
            return json.loads(payload) if payload else None
    except urllib.error.HTTPError as error:
        raise SystemExit(f"{method or 'GET/POST'} {path}: HTTP {error.code}: {error.read()[:800]!r}") from None


def recording(app, log: list):
    """The app, with every request body kept in log (path and JSON)."""
    from service.app import replaying  # the service's own body hand-over, not a second copy

    async def wrapped(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        log.append({"method": scope["method"], "path": scope["path"],
                    "body": json.loads(body) if body.strip() else None})
        return await app(scope, replaying(body, receive), send)
    return wrapped


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--label-studio", default="/tmp/ls-venv/bin/label-studio")
    p.add_argument("--model", default=str(ROOT / "models" / "fast"))
    p.add_argument("--port", type=int, default=8089)
    p.add_argument("--record", default=str(ROOT / "results" / "label_studio" / "recorded.json"))
    args = p.parse_args()
    from serving import serving

    from service.access import Studio
    from service.app import build_app
    from service.source import ModelSource
    from storage import documents, interchange

    work = Path(tempfile.mkdtemp(prefix="ls-bench-"))
    studio = Studio(work / "studio.db")
    log: list = []
    app = build_app(ModelSource(folder=args.model, studio=studio), studio)
    token = secrets.token_hex(20)
    env = {**os.environ, "LABEL_STUDIO_BASE_DATA_DIR": str(work / "ls"), "SSRF_PROTECTION_ENABLED": "false", "ML_BLOCK_LOCAL_IP": "false",
           "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true", "DJANGO_DB": "sqlite"}
    ls_log = open(work / "label-studio.log", "w")
    ls = subprocess.Popen([args.label_studio, "start", "--no-browser", "-p", str(args.port), "--data-dir",
                           str(work / "ls"), "--username", "bench@example.com", "--password", "bench-password-1",
                           "--user-token", token, "--enable-legacy-api-token"], env=env, stdout=ls_log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{args.port}"
    checks = []
    try:
        with serving(recording(app, log)) as service:
            deadline = time.monotonic() + 600
            while True:
                try:
                    api(base, token, "/api/version")
                    break
                except (OSError, SystemExit):
                    if ls.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit(f"Label Studio did not start; see {work / 'label-studio.log'}")
                    time.sleep(2)
            version = api(base, token, "/api/version")
            print(f"Label Studio {version.get('release') or version.get('label-studio-os-package', {}).get('version')} "
                  f"on {base}; our service on {service}")
            project = api(base, token, "/api/projects", {"title": "NER Studio bench", "label_config": CONFIG})
            backend = api(base, token, "/api/ml", {"url": service, "project": project["id"], "title": "NER Studio"})
            checks.append(("connected", bool(backend.get("id")) and backend.get("state") in ("CO", "connected", None)))
            ours = interchange.Record(TEXTS[0], [(0, 2, "PER")], annotated=False, suggested_by="earlier")
            from core.data.label_studio import record_task

            exported = record_task(ours)  # a task as our Label Studio export writes it
            exported["predictions"][0]["result"][0]["value"]["labels"] = ["Person"]
            api(base, token, f"/api/projects/{project['id']}/import?commit_to_project=true",
                [{"text": t} for t in TEXTS[1:]] + [exported])
            api(base, token, f"/api/dm/actions?id=retrieve_tasks_predictions&project={project['id']}",
                {"project": str(project["id"]), "selectedItems": {"all": True, "excluded": []}})
            tasks = api(base, token, f"/api/tasks?project={project['id']}&fields=all&page_size=100")["tasks"]
            for t in tasks:
                t["predictions"] = api(base, token, f"/api/predictions?task={t['id']}")
            predicted = {t["data"]["text"]: [r["value"] for p in t["predictions"] for r in p["result"]
                                             if p.get("model_version") != "earlier"] for t in tasks}
            for text, values in predicted.items():
                print(f"predictions for {text!r}: {[(v['start'], v['end'], v['text'], v['labels']) for v in values]}")
            checks.append(("predictions for every task", all(predicted.values())))
            checks.append(("labels in the project's names", all(v["labels"][0] in ("Person", "Location", "Organization", "时间")
                                                                for vs in predicted.values() for v in vs)))
            # No project webhook is needed: Label Studio posts ANNOTATION_CREATED to its ML backends' /webhook itself.
            task = next(t for t in tasks if t["data"]["text"] == TEXTS[1])
            result = [{"from_name": "label", "to_name": "text", "type": "labels",
                       "value": {"start": 12, "end": 14, "text": "上海", "labels": ["Location"]}},
                      {"from_name": "label", "to_name": "text", "type": "labels",
                       "value": {"start": 8, "end": 10, "text": "李四", "labels": ["Person"]}}]
            api(base, token, f"/api/tasks/{task['id']}/annotations", {"result": result, "was_cancelled": False})
            deadline, found = time.monotonic() + 60, None
            while time.monotonic() < deadline and found is None:
                with studio.lock:
                    found = documents.find_text(studio.db, TEXTS[1])
                time.sleep(0.5)
            print(f"the studio's document: {found and {k: found[k] for k in ('status', 'spans')} }")
            checks.append(("the annotation became a correction", found is not None and found["status"] == "corrected"
                           and found["spans"] == [[8, 10, "PER"], [12, 14, "LOC"]]))
            back = work / "export.json"
            back.write_text(json.dumps(api(base, token, f"/api/projects/{project['id']}/export?exportType=JSON&download_all_tasks=true"),
                                       ensure_ascii=False), encoding="utf-8")
            with studio.lock:
                imported = interchange.import_file(studio.db, back, "label-studio", "import:export.json")
            checks.append(("Label Studio's own export reads back", imported["refused"] == [] and imported["imported"] == 3))
    finally:
        ls.terminate()
        ls.wait(60)
    Path(args.record).parent.mkdir(parents=True, exist_ok=True)
    Path(args.record).write_text(json.dumps(log, ensure_ascii=False, indent=1), encoding="utf-8")
    for name, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}: {name}")
    print(f"requests Label Studio sent: {[(r['method'], r['path']) for r in log]} -> {args.record}")
    return 0 if checks and all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
