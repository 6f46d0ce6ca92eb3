"""Read-ahead for file imports: parse and validate the next batch while the database stores this one.

Validation is Python work (it holds the GIL); storing is mostly the database's work (the driver
releases the GIL while it waits), so on two cores the two overlap. Only the producer runs in the
background thread; the unit of work, the observers and the progress callback stay on the caller's
thread. An error in the producer is raised in the caller; when the caller stops (an error, a
KeyboardInterrupt) the producer is told to stop after its current item.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from typing import TypeVar

T = TypeVar("T")

_JOIN_TIMEOUT_S = 5


class _End:
    """The producer finished."""


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def read_ahead(source: Generator[T, None, None], *, depth: int) -> Iterator[T]:
    """Yield `source`'s items, produced in a background thread up to `depth` items ahead."""
    if depth < 1:
        raise ValueError("depth must be at least 1")
    slots: queue.Queue[T | _End | _Failed] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(value: T | _End | _Failed) -> bool:
        while not stop.is_set():
            try:
                slots.put(value, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in source:
                if not put(item):
                    return
            put(_End())
        except BaseException as exc:  # handed to the consumer, which raises it
            put(_Failed(exc))
        finally:
            source.close()  # the producer's own generator: closes its file in this thread

    worker = threading.Thread(target=produce, name="ingest-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            value = slots.get()
            if isinstance(value, _End):
                return
            if isinstance(value, _Failed):
                raise value.error
            yield value
    finally:
        stop.set()
        worker.join(timeout=_JOIN_TIMEOUT_S)
