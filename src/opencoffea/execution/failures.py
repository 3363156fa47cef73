"""What a chunk's error is: a read that a retry can cure, or a mistake, and where it happened.

A chunk reads its file while it runs (NanoEvents are lazy), over HTTP or XRootD for portal
files, and a read fails now and then for reasons that pass: a server's 5xx, a connection
dropped, a socket or XRootD timeout. :func:`transient` tells those apart from errors a retry
cannot change (a user's bug, a corrupt basket, a missing branch), and :func:`backoff` spaces
the retries. What uproot raises for each, through fsspec and NanoEvents:

- HTTP 5xx, 429 or 408: ``aiohttp.ClientResponseError`` with its ``status`` when the file
  is opened; mid-file, uproot 5.7 reads coalesced ranges with fsspec's ``cat_ranges``, which
  returns a failed range's error *as a value*, and uproot then slices it:
  ``TypeError: 'ClientResponseError' object is not subscriptable`` (the status is lost there,
  so any failed remote read is taken as transient);
- a dropped connection: ``aiohttp.ClientPayloadError``, ``ServerDisconnectedError`` or
  ``ClientOSError``; a timeout: ``TimeoutError`` (``asyncio``'s and ``socket``'s alike);
- XRootD (``fsspec-xrootd``, uproot's ``XRootDSource``): ``OSError`` with the server's
  status text, ``[ERROR] Operation expired``, ``[FATAL] Socket timeout``, ``[FATAL]
  Connection error``…

An error may come wrapped (:class:`~opencoffea.errors.InputFileError` keeps the error of
the HTTP stack as its ``__cause__``), so the whole chain is looked at.

A chunk that fails for good is described by :func:`where` (the place in the user's own
code, or the innermost frame) and :func:`short_traceback`: a processor travels to workers
by value (cloudpickle), and its code there is named ``<dynamic-code>``; the file it came
from is still its module's ``__file__``, which is what is shown.

Example:
    >>> transient(TimeoutError("read timed out")), transient(ZeroDivisionError("x"))
    (True, False)
    >>> transient(OSError("XRootD error: [ERROR] Operation expired"))
    True
    >>> [backoff(n) for n in (1, 2, 3, 9)]
    [0.5, 1.0, 2.0, 30.0]
"""

from __future__ import annotations

import errno
import linecache
import re
import sysconfig
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

__all__ = ["Where", "backoff", "describe", "short_traceback", "transient", "where"]

# The names of the errors of a connection or a read that passes (the stdlib's, http.client's
# and aiohttp's), also as uproot names them when it slices a failed range (see above).
_PASSING = {
    "TimeoutError",
    "ConnectionError",
    "ConnectionResetError",
    "ConnectionAbortedError",
    "ConnectionRefusedError",
    "BrokenPipeError",
    "IncompleteRead",
    "RemoteDisconnected",
    "ClientConnectionError",
    "ClientConnectorError",
    "ClientOSError",
    "ServerDisconnectedError",
    "ServerTimeoutError",
    "ClientPayloadError",
    "ClientResponseError",
}
_SLICED = re.compile(r"^'(\w+)' object is not subscriptable$")
_XROOTD = re.compile(
    r"\[(ERROR|FATAL)\].*(expired|timeout|timed out|connection|socket|disconnect|stream)",
    re.IGNORECASE,
)
_ERRNOS = {errno.ETIMEDOUT, errno.ECONNRESET, errno.ECONNREFUSED, errno.ECONNABORTED, errno.EPIPE}
_LIBRARIES = {  # Python's and the installed packages', and opencoffea's: not the user's code
    *(Path(sysconfig.get_path(name)).resolve() for name in ("stdlib", "purelib", "platlib")),
    Path(__file__).resolve().parents[1],
}


def transient(err: BaseException) -> bool:
    """Whether ``err``, or an error it wraps, is one that a retry of the read can cure.

    Example:
        >>> wrapped = TypeError("'ClientResponseError' object is not subscriptable")
        >>> transient(wrapped), transient(TypeError("'NoneType' object is not subscriptable"))
        (True, False)
        >>> transient(FileNotFoundError(errno.ENOENT, "no such file"))
        False
    """
    return any(_passes(error) for error in _chain(err))


def _passes(err: BaseException) -> bool:
    names = {cls.__name__ for cls in type(err).__mro__}
    if "ClientResponseError" in names:  # aiohttp's, with the HTTP status
        status = getattr(err, "status", None)
        return status is not None and (status >= 500 or status in (408, 429))
    if names & _PASSING:
        return True
    sliced = _SLICED.match(str(err)) if isinstance(err, TypeError) else None
    if sliced:
        return sliced[1] in _PASSING or sliced[1] == "OSError"
    if isinstance(err, OSError) and not isinstance(err, FileNotFoundError | PermissionError):
        return err.errno in _ERRNOS or bool(_XROOTD.search(str(err)))
    return False


def _chain(err: BaseException) -> Iterator[BaseException]:
    """``err``, then what it was raised from or during, once each."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def backoff(attempt: int) -> float:
    """Seconds to wait before retry ``attempt`` (1, 2, …): doubling from 0.5 s, at most 30 s."""
    return min(30.0, 0.5 * 2 ** (attempt - 1))


def describe(err: BaseException) -> str:
    """``Type: message`` on one line, of the error that passes if one is in the chain.

    Example:
        >>> try:
        ...     raise OSError("could not fetch") from ConnectionResetError("reset by peer")
        ... except OSError as err:
        ...     describe(err)
        'ConnectionResetError: reset by peer'
        >>> describe(TypeError("'ClientResponseError' object is not subscriptable"))
        'ClientResponseError reading a range of the file'
    """
    chosen = next((e for e in _chain(err) if _passes(e)), err)
    sliced = _SLICED.match(str(chosen)) if isinstance(chosen, TypeError) else None
    if sliced:  # uproot's word for a failed read of a range (see the module)
        return f"{sliced[1]} reading a range of the file"
    text = " ".join(str(chosen).split())
    return f"{type(chosen).__name__}: {text}" if text else type(chosen).__name__


@dataclass(frozen=True)
class Where:
    """Where an error was raised: its type, and the file, line and function of the frame
    that matters, the deepest in the user's own code (``user``) or else the innermost.

    Two chunks that fail at the same ``Where`` fail the same way, whatever the message.

    Example:
        >>> def analyze():
        ...     return 1 / 0
        >>> try:
        ...     analyze()
        ... except ZeroDivisionError as err:
        ...     here = where(err)
        >>> here.error, here.function, here.line > 0
        ('ZeroDivisionError', 'analyze', True)
    """

    error: str
    file: str
    line: int
    function: str
    user: bool

    def __str__(self) -> str:
        return f"{self.file}, line {self.line}, in {self.function}"


def where(err: BaseException) -> Where | None:
    """The :class:`Where` of ``err`` (None for an error without a traceback)."""
    frames = _frames(err.__traceback__)
    if not frames:
        return None
    users = [f for f in frames if f[3]]
    file, line, function, user = (users or frames)[-1]
    return Where(type(err).__name__, file, line, function, user)


def short_traceback(err: BaseException) -> str:
    """The frames that tell what happened: those in the user's code, the innermost frame,
    each with its line of source (where the file is at hand), and the error.

    Example:
        >>> try:
        ...     int("x")
        ... except ValueError as err:
        ...     print(short_traceback(err))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
          File "...", line ..., in <module>
            int("x")
        ValueError: invalid literal for int() with base 10: 'x'
    """
    frames = _frames(err.__traceback__)
    kept = [f for f in frames[:-1] if f[3]] + frames[-1:]
    lines = ["Traceback (most recent call last):"]
    for file, line, function, _ in kept:
        lines.append(f'  File "{file}", line {line}, in {function}')
        source = linecache.getline(file, line).strip()
        if source:
            lines.append(f"    {source}")
    lines.append(f"{type(err).__name__}: {err}".rstrip(": "))
    return "\n".join(lines)


def _frames(tb: TracebackType | None) -> list[tuple[str, int, str, bool]]:
    """(file, line, function, in the user's code) of each frame, outermost first."""
    frames = []
    for frame, line in traceback.walk_tb(tb):
        file = frame.f_code.co_filename
        if file == "<dynamic-code>":  # sent by value (cloudpickle): the file of its module
            file = frame.f_globals.get("__file__") or file
        frames.append((file, line or 0, frame.f_code.co_name, _is_users(file)))
    return frames


def _is_users(file: str) -> bool:
    if file.startswith("<"):
        return False
    path = Path(file).resolve()
    return not any(path.is_relative_to(library) for library in _LIBRARIES)
