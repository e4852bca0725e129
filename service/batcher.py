"""Concurrent requests tagged together: one worker thread owns the tagger and takes everything
waiting (up to max_chars) as one call of Tagger.tag_texts, whose length-sorted batching then packs
short texts from many clients into the same forward passes.

One thread, because torch already spreads a forward pass over the cores (core/threads.py) and two
passes at once on 2 cores only fight. A failing batch is retried a request at a time, so a text
that breaks the tagger fails its own request alone; nothing a client sends ends the worker.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque

log = logging.getLogger("service")


class Batcher:
    def __init__(self, source, max_chars: int = 20_000):
        self.source, self.max_chars = source, max_chars
        self.stats = {"requests": 0, "batches": 0, "texts": 0, "characters": 0}
        self._waiting: deque = deque()  # (texts, future, loop)
        self._wake = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="tagger", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify()

    async def tag(self, texts: list[str]):
        """(Served, [Tagged]) for the texts, tagged in the next batch."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        with self._wake:
            self._waiting.append((texts, future, loop))
            self._wake.notify()
        return await future

    def _take(self) -> list:
        with self._wake:
            while not self._waiting and not self._stopped:
                self._wake.wait()
            taken, size = [], 0
            while self._waiting and (not taken or size + _chars(self._waiting[0][0]) <= self.max_chars):
                taken.append(self._waiting.popleft())
                size += _chars(taken[-1][0])
            return taken

    def _run(self) -> None:
        while not self._stopped:
            taken = self._take()
            if taken:
                try:
                    self._tag(taken)
                except BaseException:  # the worker must outlive anything: answer and go on
                    log.exception("a batch failed")
                    for _, future, loop in taken:
                        _settle(future, loop, error=RuntimeError("tagging failed"))

    def _tag(self, taken: list) -> None:
        served = self.source.current()
        texts = [text for request, _, _ in taken for text in request]
        try:
            results = served.tagger.tag_texts(texts) if texts else []
        except Exception:
            if len(taken) == 1:
                raise
            log.warning("a batch of %d requests failed; tagging them one at a time", len(taken))
            for one in taken:
                try:
                    self._tag([one])
                except Exception as error:
                    log.exception("a request failed")
                    _settle(one[1], one[2], error=error)
            return
        self.stats["batches"] += 1
        self.stats["requests"] += len(taken)
        self.stats["texts"] += len(texts)
        self.stats["characters"] += sum(map(len, texts))
        start = 0
        for request, future, loop in taken:
            _settle(future, loop, value=(served, results[start:start + len(request)]))
            start += len(request)


def _chars(texts) -> int:
    return sum(map(len, texts))


def _settle(future, loop, value=None, error=None) -> None:
    def settle():
        if not future.done():  # the client may have gone away
            future.set_exception(error) if error is not None else future.set_result(value)

    try:
        loop.call_soon_threadsafe(settle)
    except RuntimeError:  # the loop is closed: the server is shutting down
        pass
