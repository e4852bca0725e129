"""Long writes in short transactions: an import of 200k lines held the write lock for 23.7 s, so
every other save and a finishing training job failed with "database is locked" after the busy
timeout. Items are handed out inside a write transaction that is committed and reopened once it
has held the lock for LOCK_SECONDS, letting other writers in between batches.
"""
from __future__ import annotations

import itertools
import time
from typing import Iterable, Iterator, TypeVar

import sqlite_utils

from storage.db import write_transaction

LOCK_SECONDS = 0.5  # the longest a batch holds the write lock: other writers wait at most about this
# Between batches the lock is left free this long. SQLite's busy handler is not a queue: a waiting
# writer sleeps and polls (up to 100 ms apart), so a writer that re-locks at once starves it.
GAP_SECONDS = 0.1
T = TypeVar("T")


def in_short_transactions(db: sqlite_utils.Database, items: Iterable[T], seconds: float = LOCK_SECONDS) -> Iterator[T]:
    """Yield each item inside a write transaction; commit every `seconds` and at the end.

    Consume it to the end: an exception in the loop's body (or leaving it early) rolls back the
    current batch only, the batches before it stay committed.
    """
    items = iter(items)
    for batch in itertools.count():
        if batch:
            time.sleep(GAP_SECONDS)
        with write_transaction(db):
            started = time.monotonic()
            for item in items:
                yield item
                if time.monotonic() - started >= seconds:
                    break
            else:
                return
