"""Work ahead in background threads: the next batches are parsed and checked while the current one is written.

pyarrow parses CSV in C++ without holding the GIL, so on a machine with two cores the parse of batch n+1 runs
beside the (mostly Python and Arrow kernel) work on batch n. The queue is bounded (``depth`` batches), so memory
stays bounded by the batch size whatever the file's size. An exception raised by the producer (an unreadable
file, for example) is re-raised in the consumer at the point it would have been raised without prefetching; a
consumer that stops early (an error, a ``break``) stops the producer and waits for its thread.

:func:`map_ahead` applies a function to the next few items in a small thread pool and yields the results in
order: the row checks of a batch are mostly Arrow kernels and numpy, which release the GIL, so two batches are
checked at once on two cores.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

_DONE = object()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetch(items: Iterator[T], *, depth: int = 2, name: str = "prefetch") -> Iterator[T]:
    """Yield what ``items`` yields, produced up to ``depth`` items ahead in a daemon thread."""
    slots: queue.Queue[object] = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(_Failure(exc))
            return
        put(_DONE)

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item = slots.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()
        close = getattr(items, "close", None)
        if close is not None:
            close()


def map_ahead(fn: Callable[[T], R], items: Iterator[T], *, workers: int = 2, ahead: int = 2) -> Iterator[R]:
    """``map(fn, items)`` with up to ``workers + ahead`` calls submitted ahead of the consumer, results in order.

    At most that many items and results are held at once (bounded memory). An exception raised by ``fn`` is
    re-raised when its result is reached, one raised by ``items`` after the results of the items before it; a
    consumer that stops early cancels what has not started and waits for what has.
    """
    pending: deque[Future[R]] = deque()
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="map_ahead") as pool:
        try:
            failure: BaseException | None = None
            while failure is None:
                try:
                    item = next(items)
                except StopIteration:
                    break
                except Exception as exc:  # the source failed: first the results of what it did produce
                    failure = exc
                    break
                pending.append(pool.submit(fn, item))
                while len(pending) > workers + ahead:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
            if failure is not None:
                raise failure
        finally:
            for future in pending:
                future.cancel()
