"""Peak resident memory of a benchmark: this process (the driver) and its Java children (the Spark JVM)."""

from __future__ import annotations

import threading
import time

import psutil


def _java_rss(process: psutil.Process) -> int:
    """RSS of the Java processes below ``process`` (children that exit while being looked at are skipped)."""
    total = 0
    for child in process.children(recursive=True):
        try:
            if "java" in child.name():
                total += child.memory_info().rss
        except psutil.Error:  # e.g. a Python worker that exited between the listing and the look
            continue
    return total


class PeakMemory:
    """Samples the RSS of this process and of its Java children every 0.2 s until the ``with`` block ends."""

    def __init__(self) -> None:
        self.peak_driver = 0
        self.peak_jvm = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            self.peak_driver = max(self.peak_driver, me.memory_info().rss)
            self.peak_jvm = max(self.peak_jvm, _java_rss(me))
            time.sleep(0.2)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def driver_mib(self) -> float:
        return self.peak_driver / 2**20

    @property
    def jvm_mib(self) -> float:
        return self.peak_jvm / 2**20
