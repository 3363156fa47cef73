"""Peak resident memory of a benchmark's process and of the worker processes it starts.

``resource.getrusage(...).ru_maxrss`` will not do on Linux: a process started by fork and
exec keeps its parent's figure as a floor, so a benchmark that generated a sample first
reports that sample's memory for every process it starts, and the workers of a run their
driver's. So this process's own peak is the kernel's high-water mark of its memory
(``VmHWM``), and the workers' is sampled every 0.1 s while the measurement runs.

Example:
    >>> with PeakMemory() as peak:
    ...     data = b"x" * (50 * 2**20)
    >>> peak.own_mib >= 50, peak.children_mib >= 0
    (True, True)
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType

import psutil


class PeakMemory:
    """``with PeakMemory() as peak: ...``, then ``peak.own_mib`` and ``peak.children_mib``."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.children_mib = 0.0
        self.own_mib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        status = Path("/proc/self/status").read_text()
        self.own_mib = int(status.split("VmHWM:")[1].split()[0]) / 1024

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(self.interval):
            for child in me.children(recursive=True):
                try:
                    rss = child.memory_info().rss / 2**20
                except psutil.Error:  # gone between listing and asking
                    continue
                self.children_mib = max(self.children_mib, rss)
