"""A result directory written whole or not at all, by one run at a time.

Beside each result directory ``<parent>/<name>`` is one hidden work directory,
``<parent>/.<name>.run/`` (:func:`work_dir`), which holds what a run needs while it writes:

- ``lock``: the run writing the result (pid, host, start time, as JSON). A second run into
  the same directory refuses, naming the first; the lock of a run that died (its pid gone,
  on this host) is taken over, and the new :class:`RunLock` says whose it was;
- ``incoming/``: the new result while it is written; it becomes ``<name>`` by one rename
  (:func:`publish`), after the older result there is renamed aside to ``previous/``, and
  that is deleted once the new one is in place. A reader sees the old result or the new
  one, never half of either;
- ``checkpoint/``: the chunks a run has finished, for ``--resume`` (written by the
  execution, not here).

The work directory goes when nothing is left in it.

Before any processing, :class:`RunLock` refuses an output that cannot be written: a file
where the directory should be, a directory that is not writable, a directory that holds
more than a result (it would be replaced whole), one another run is writing.

Example:
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "dimuon"
    >>> work_dir(target).name
    '.dimuon.run'
    >>> with RunLock(target):
    ...     sorted(p.name for p in work_dir(target).iterdir())
    ['lock']
    >>> def write(incoming):
    ...     _ = (incoming / "manifest.json").write_text("{}")
    >>> publish(target, write) == target, [p.name for p in target.iterdir()]
    (True, ['manifest.json'])
    >>> work_dir(target).exists()  # nothing left in it: gone
    False
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import shutil
import socket
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType

from ..errors import ResultError
from .result import HISTOGRAMS, LUMIS, MANIFEST

__all__ = ["Holder", "RunLock", "publish", "work_dir"]

LOCK = "lock"
INCOMING = "incoming"
PREVIOUS = "previous"
# What a result directory may hold, so that replacing it whole deletes nothing else (but
# what a file browser leaves behind).
RESULT_ENTRIES = frozenset({MANIFEST, HISTOGRAMS, LUMIS, "plots", ".DS_Store"})


def work_dir(result_dir: str | os.PathLike[str]) -> Path:
    """The hidden directory beside a result directory: ``<parent>/.<name>.run``.

    Its path is absolute, symbolic links resolved: two spellings of one result directory
    share one work directory, and so one lock.

    Example:
        >>> work_dir("/data/results/higgs4l").as_posix()
        '/data/results/.higgs4l.run'
    """
    target = Path(result_dir).resolve()
    return target.parent / f".{target.name}.run"


@dataclass(frozen=True)
class Holder:
    """The run holding a lock: process, host and when it started (UTC, ISO 8601).

    Example:
        >>> holder = Holder(4242, "lxplus801", "2026-11-29T16:40:00+00:00")
        >>> str(holder)
        'pid 4242 on lxplus801, started 2026-11-29T16:40:00+00:00'
        >>> Holder.of_this_process().pid == os.getpid()
        True
    """

    pid: int
    host: str
    started: str

    def __str__(self) -> str:
        return f"pid {self.pid} on {self.host}, started {self.started}"

    @classmethod
    def of_this_process(cls) -> Holder:
        """This process, now."""
        now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        return cls(os.getpid(), socket.gethostname(), now)

    def is_dead(self) -> bool:
        """True for a process of this host that is gone; a process elsewhere may be alive."""
        if self.host != socket.gethostname():
            return False
        if self.pid <= 0 or self.pid == os.getpid():  # unreadable, or an earlier process's
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # alive, another user's
            return False
        return False


# The result directories this process holds the lock of, and how many times: a process's
# lock is its own to take again (the command takes it before the run, write_result again).
_HELD: dict[Path, int] = {}


class RunLock:
    """The lock of a result directory, for one run: checks the output, then takes the lock.

    Refuses (:class:`~opencoffea.errors.ResultError`) a path that is a file, a directory
    that is not writable or holds more than a result, and a directory another run holds.
    A lock left by a process of this host that is gone is taken over: :attr:`replaced`
    says whose it was. Released (and the work directory removed, if empty) at the end of
    the ``with`` block.

    Example:
        >>> import tempfile
        >>> target = Path(tempfile.mkdtemp()) / "result"
        >>> with RunLock(target) as lock:
        ...     again = RunLock(target).acquire()  # this process's own: taken again
        ...     again.release()
        ...     json.loads((lock.work / "lock").read_text())["pid"] == os.getpid()
        True
        >>> target.touch()
        >>> RunLock(target).acquire()  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        opencoffea.errors.ResultError: .../result is a file: the result is a directory; ...
    """

    def __init__(self, result_dir: str | os.PathLike[str]) -> None:
        self.path = Path(result_dir).resolve()
        self.work = work_dir(self.path)
        self.replaced: Holder | None = None  # a dead run's lock, taken over
        self._holder = Holder.of_this_process()

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def acquire(self) -> RunLock:
        """Check the output directory and take its lock, or refuse; returns itself."""
        if self.path in _HELD:
            _HELD[self.path] += 1
            return self
        _check_writable(self.path)
        self.work.mkdir(parents=True, exist_ok=True)
        lock = self.work / LOCK
        for _ in range(3):  # each round removes a dead run's lock or finds a live one
            if _create(lock, self._holder):
                _HELD[self.path] = 1
                return self
            holder = _read(lock)
            if holder is None:  # released between the two steps: try again
                continue
            if not holder.is_dead():
                raise ResultError(
                    f"{self.path} is being written by another run ({holder}; its lock is "
                    f"{lock}): wait for it to finish, or write elsewhere (--output)"
                )
            if _remove_if_same(lock, holder):
                self.replaced = holder
        raise ResultError(f"{self.path}: its lock {lock} is taken and given back again and again")

    def release(self) -> None:
        """Give the lock back (the last of this process's holds); remove an empty work dir."""
        count = _HELD.get(self.path, 0)
        if count > 1:
            _HELD[self.path] = count - 1
            return
        _HELD.pop(self.path, None)
        holder = _read(self.work / LOCK)
        if holder is not None and (holder.pid, holder.host) == (os.getpid(), self._holder.host):
            (self.work / LOCK).unlink()  # ours (not a lock another run took over meanwhile)
        with contextlib.suppress(OSError):  # not empty: a checkpoint is kept, say
            self.work.rmdir()


def publish(result_dir: str | os.PathLike[str], write: Callable[[Path], object]) -> Path:
    """Write a result with ``write(directory)`` into the work directory, then move it in whole.

    Under the directory's :class:`RunLock` (taken here if this process does not hold it):
    ``write`` fills ``.<name>.run/incoming/``; an older result at ``result_dir`` is renamed
    to ``.<name>.run/previous/``, ``incoming`` renamed to ``result_dir``, and ``previous``
    deleted. If ``write`` fails, the older result is as it was; a process killed between
    the two renames leaves the older result in ``previous/``, put back by the next publish.
    Returns ``result_dir``, as given.

    Example:
        >>> import tempfile
        >>> target = Path(tempfile.mkdtemp()) / "result"
        >>> _ = publish(target, lambda d: (d / "manifest.json").write_text("old"))
        >>> def fails(directory):
        ...     _ = (directory / "manifest.json").write_text("half of the new one")
        ...     raise OSError("disk full")
        >>> publish(target, fails)
        Traceback (most recent call last):
        ...
        OSError: disk full
        >>> (target / "manifest.json").read_text()  # the older result, untouched
        'old'
    """
    with RunLock(result_dir) as lock:
        target, incoming, previous = lock.path, lock.work / INCOMING, lock.work / PREVIOUS
        _put_back(target, previous)
        _check_writable(target)  # again: the lock may have been taken hours ago
        shutil.rmtree(incoming, ignore_errors=True)  # a killed writer's
        incoming.mkdir()
        try:
            write(incoming)
            if target.exists():
                os.rename(target, previous)
            os.rename(incoming, target)
        finally:
            _put_back(target, previous)
            shutil.rmtree(incoming, ignore_errors=True)
    return Path(result_dir)


def _put_back(target: Path, previous: Path) -> None:
    """The older result back in place if the new one is not there, else deleted."""
    if not previous.exists():
        return
    if target.exists():
        shutil.rmtree(previous, ignore_errors=True)  # what stays is removed next time
    else:
        os.rename(previous, target)


def _check_writable(target: Path) -> None:
    """Refuse now what would fail when the result is written, hours later."""
    if target.name in ("", "..") or target == target.parent:
        raise ResultError(f"{target}: not a directory a result can be written to")
    if target.exists() and not target.is_dir():
        raise ResultError(f"{target} is a file: the result is a directory; give another --output")
    if target.is_dir():
        others = sorted(p.name for p in target.iterdir() if p.name not in RESULT_ENTRIES)
        if others:
            shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
            raise ResultError(
                f"{target} holds more than a result ({shown}), and a result replaces its "
                "directory whole: give a new or empty directory, or an older result's"
            )
        if not os.access(target, os.W_OK | os.X_OK):
            raise ResultError(f"{target} is not writable: the result cannot replace it")
    existing = target.parent
    while not existing.exists():  # made when the work directory is
        existing = existing.parent
    if not existing.is_dir():
        raise ResultError(f"{existing} is a file: {target} cannot be made under it")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ResultError(f"{existing} is not writable: {target} cannot be written there")


def _create(lock: Path, holder: Holder) -> bool:
    """Make ``lock`` holding ``holder``, whole, unless it exists; True if it was made."""
    # Written beside, then linked: a reader never sees a lock without its holder, and
    # link, unlike rename, fails where the lock exists.
    partial = lock.with_name(f".{lock.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}")
    partial.write_text(json.dumps(asdict(holder)) + "\n")
    try:
        os.link(partial, lock)
        return True
    except FileExistsError:
        return False
    finally:
        partial.unlink()


def _read(lock: Path) -> Holder | None:
    """The holder of ``lock``; None if there is no lock; one that cannot be read: dead."""
    try:
        return Holder(**json.loads(lock.read_text()))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError):  # not written by us: made on this host, dead
        return Holder(0, socket.gethostname(), "?")


def _remove_if_same(lock: Path, holder: Holder) -> bool:
    """Remove the dead ``holder``'s lock, unless another run took it over first."""
    aside = lock.with_name(f".{lock.name}.dead.{uuid.uuid4().hex[:8]}")
    try:
        os.rename(lock, aside)
    except FileNotFoundError:
        return False
    if _read(aside) == holder:
        aside.unlink()
        return True
    # another run's live lock, taken over an instant before: put it back
    with contextlib.suppress(FileExistsError):
        os.link(aside, lock)
    aside.unlink()
    return False
