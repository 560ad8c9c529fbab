"""Working ahead in threads keeps order, hands errors to the consumer, and never runs far ahead of it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from jianguan.ingest.prefetch import map_ahead, prefetch


class Source:
    """An iterator that records how far it has been read, and can fail at one item."""

    def __init__(self, count: int, fail_at: int | None = None) -> None:
        self.count = count
        self.fail_at = fail_at
        self.produced = 0
        self.closed = False

    def __iter__(self) -> Iterator[int]:
        try:
            for item in range(self.count):
                if item == self.fail_at:
                    raise ValueError(f"unreadable at {item}")
                self.produced += 1
                yield item
        finally:
            self.closed = True


def test_prefetch_keeps_order_and_reads_at_most_depth_ahead() -> None:
    source = Source(50)
    seen = []
    for item in prefetch(iter(source), depth=2):
        time.sleep(0.002)
        assert source.produced <= item + 1 + 2 + 1, "bounded look-ahead: queue plus the item being put"
        seen.append(item)
    assert seen == list(range(50))


def test_prefetch_reraises_the_producers_error_where_it_happened() -> None:
    seen = []
    with pytest.raises(ValueError, match="unreadable at 7"):
        for item in prefetch(iter(Source(20, fail_at=7))):
            seen.append(item)
    assert seen == list(range(7))


def test_a_consumer_that_stops_early_stops_the_producer_thread() -> None:
    source = Source(10_000)
    before = threading.active_count()
    for item in prefetch(iter(source), depth=1):
        if item == 3:
            break
    assert source.produced < 10, "the producer stopped soon after the consumer"
    assert threading.active_count() == before


def test_map_ahead_returns_results_in_order_and_runs_calls_concurrently() -> None:
    running = 0
    most = 0
    lock = threading.Lock()

    def slow_square(item: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.01 * (item % 3))  # later items may finish first
        with lock:
            running -= 1
        return item * item

    assert list(map_ahead(slow_square, iter(range(30)), workers=2, ahead=2)) == [i * i for i in range(30)]
    assert most == 2


def test_map_ahead_reraises_and_holds_a_bounded_number_of_items() -> None:
    source = Source(100)

    def check(item: int) -> int:
        if item == 5:
            raise RuntimeError("row check failed")
        return item

    results = []
    with pytest.raises(RuntimeError, match="row check failed"):
        for value in map_ahead(check, iter(source), workers=2, ahead=1):
            results.append(value)
    assert results == [0, 1, 2, 3, 4]
    assert source.produced <= 5 + 2 + 1 + 1, "submitted at most workers + ahead beyond the consumer"


def test_map_ahead_yields_every_result_before_the_sources_error() -> None:
    results = []
    with pytest.raises(ValueError, match="unreadable at 6"):
        for value in map_ahead(lambda item: item + 100, iter(Source(20, fail_at=6)), workers=2, ahead=2):
            results.append(value)
    assert results == [100, 101, 102, 103, 104, 105]
