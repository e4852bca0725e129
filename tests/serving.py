"""A real uvicorn server in a thread on a free loopback port, and a plain urllib client: the service's
tests and bench/serve.py speak HTTP to it as any client would."""
from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
import urllib.error
import urllib.request


@contextlib.contextmanager
def serving(app, host: str = "127.0.0.1"):
    """The app served by uvicorn (lifespan included) until the block ends; yields its base URL."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host=host, port=0, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


def call(url: str, body=None, token: str | None = None, raw: bytes | None = None, basic: str | None = None,
         timeout: float = 60) -> tuple[int, dict]:
    """(status, JSON answer) of a GET (no body) or a POST of body as JSON (or raw bytes)."""
    data = raw if raw is not None else None if body is None else json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET",
                                     headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if basic:
        request.add_header("Authorization", "Basic " + base64.b64encode(f"label-studio:{basic}".encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        payload = error.read()
        try:
            return error.code, json.loads(payload)
        except ValueError:
            return error.code, {"raw": payload.decode("utf-8", "replace")}
