"""Our HTTP API: POST /v1/tag, GET /v1/health, GET /v1/model, with OpenAPI docs at /docs; Label
Studio's ML-backend protocol beside it at the root (service/label_studio.py).

The stack is FastAPI on Starlette, served by uvicorn. Starlette and uvicorn already come with
Streamlit, so serving adds no second server stack to keep patched; FastAPI adds, for one small
pure-Python package, the request validation that turns bad JSON and wrong shapes into 422s before
our code runs, and the OpenAPI schema and docs page.
"""
from __future__ import annotations

import contextlib
import json

from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel, Field

from service.access import caller
from service.batcher import Batcher
from service.source import model_info

MAX_CHARS = 100_000  # per request, as on the Tag page (about 30 s of the default model on a CPU); more: the CLI
BATCH_CHARS = 20_000  # characters the worker takes from the waiting requests at once


class TagRequest(BaseModel):
    texts: list[str] = Field(description="the texts to tag; offsets in the answer count their code points",
                             examples=[["张三在北京的清华大学读书。"]])


class Entity(BaseModel):
    start: int = Field(description="first character, counted in code points (an emoji is one)")
    end: int = Field(description="one past the last character")
    label: str
    text: str
    confidence: float = Field(description="the lowest CRF marginal probability of the entity's tags")


class TagResult(BaseModel):
    entities: list[Entity]
    model_version: str = Field(description="the studio's version (or the model folder's name) that tagged it")


class TagResponse(BaseModel):
    results: list[TagResult]


class BodyLimit:
    """413 for a body over `limit` bytes, before any of it is parsed (a declared length is refused
    unread; a chunked body is counted as it arrives)."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > self.limit:
            return await _too_large(send, self.limit)
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > self.limit:
                return await _too_large(send, self.limit)
        return await self.app(scope, replaying(b"".join(chunks), receive), send)


def replaying(body: bytes, receive):
    """An ASGI receive that hands the already-read body over once, then defers to the real one
    (which reports the client's disconnect)."""
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _too_large(send, limit: int) -> None:
    body = json.dumps({"detail": f"the request is over {limit:,} bytes; send fewer or shorter texts"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def build_app(source, studio=None, max_chars: int = MAX_CHARS, batch_chars: int = BATCH_CHARS) -> FastAPI:
    """The service over a ModelSource (service/source.py) and, when given, the studio database
    (service/access.Studio): tokens, the Label Studio webhook's corrections."""
    batcher = Batcher(source, batch_chars)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        source.start()
        batcher.start()
        yield
        batcher.stop()
        source.stop()

    app = FastAPI(title="NER Studio", version="1", lifespan=lifespan,
                  description="Chinese character-level NER (PER, LOC, ORG, T and the studio's own types).")
    app.state.source, app.state.studio, app.state.batcher = source, studio, batcher
    app.state.max_chars = max_chars
    # JSON escapes a character in at most 12 bytes (\ud83d\ude00): the character limit decides first.
    app.add_middleware(BodyLimit, limit=max_chars * 12 + 65_536)

    @app.post("/v1/tag", response_model=TagResponse, summary="tag texts")
    async def tag(body: TagRequest, who: str = Depends(caller)):
        served, results = await tag_texts(app, body.texts)
        return {"results": [{"entities": [vars(e) for e in r.entities], "model_version": served.name}
                            for r in results]}

    @app.get("/v1/health", summary="is it up, and with which model")
    def health():
        return {"status": "ok", "model_version": source.current().name, "problem": source.problem,
                **batcher.stats}

    @app.get("/v1/model", summary="the model served: name, types, scores, licence notes")
    def model(who: str = Depends(caller)):
        return model_info(source.current())

    from service.label_studio import router

    app.include_router(router)
    return app


async def tag_texts(app: FastAPI, texts: list[str]):
    """(Served, [Tagged]): 413 over the character limit, 422 for a text no file can hold."""
    total = sum(map(len, texts))
    if total > app.state.max_chars:
        raise HTTPException(413, f"{total:,} characters in one request; at most {app.state.max_chars:,}: "
                                 f"send fewer or shorter texts, or use python -m core tag for files")
    for number, text in enumerate(texts):
        bad = next((i for i, char in enumerate(text) if "\ud800" <= char <= "\udfff"), None)
        if bad is not None:
            raise HTTPException(422, f"texts[{number}]: character {bad} is a lone surrogate half, not a character")
    if not texts:
        return app.state.source.current(), []
    try:
        return await app.state.batcher.tag(texts)
    except Exception:
        raise HTTPException(500, "tagging failed; the server's log says why") from None
