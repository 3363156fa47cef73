"""Small helpers that several modules need, one copy of each.

Example:
    >>> did_you_mean("m4k", ["m4l", "mZ1"])
    " (did you mean 'm4l'?)"
    >>> did_you_mean("xyz", ["m4l"])
    ''
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = [
    "NOMINAL",
    "atomic_path",
    "choices",
    "did_you_mean",
    "either",
    "sha256_of",
    "write_atomic",
]

NOMINAL = "nominal"
"""The name of the unvaried result on every ``systematic`` axis and in every variation map."""


def either(options: Iterable[str]) -> str:
    """``"a"``, ``"a or b"``, ``"a, b or c"``.

    Example:
        >>> either(["'a'", "'b'", "'c'"])
        "'a', 'b' or 'c'"
    """
    *rest, last = options
    return f"{', '.join(rest)} or {last}" if rest else last


def did_you_mean(word: str, options: Iterable[str], *, n: int = 1, cutoff: float = 0.6) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``options`` to ``word``, or ``""``.

    With ``n`` > 1, up to ``n`` suggestions: `` (did you mean 'x' or 'y'?)``.

    Example:
        >>> "no histogram 'ptt'" + did_you_mean("ptt", ["pt", "phi", "pts", "eta"], n=2)
        "no histogram 'ptt' (did you mean 'pt' or 'pts'?)"
    """
    import difflib  # only on the error path

    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=n, cutoff=cutoff)
    return f" (did you mean {either(repr(c) for c in close)}?)" if close else ""


def choices(word: str, options: Iterable[str], label: str) -> str:
    """What an "unknown name" message ends with: the closest option, then every option.

    Example:
        >>> "no plot 'm4k'" + choices("m4k", ["m4l", "mZ1"], "plots")
        "no plot 'm4k' (did you mean 'm4l'?); plots: m4l, mZ1"
        >>> choices("x", [], "plots")
        '; plots: none'
    """
    options = [str(o) for o in options]
    return f"{did_you_mean(word, options)}; {label}: {', '.join(options) or 'none'}"


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; moved onto ``path`` if the block succeeds.

    A reader never sees half a file, and two writers (processes or threads) never share a
    temporary file: the last complete one wins. On an error the partial file is removed.

    Example:
        >>> import tempfile
        >>> target = Path(tempfile.mkdtemp()) / "a.txt"
        >>> with atomic_path(target) as tmp:
        ...     _ = tmp.write_text("whole")
        >>> target.read_text()
        'whole'
    """
    target = Path(path)
    partial = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.part")
    try:
        yield partial
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write ``data`` to ``path`` through :func:`atomic_path` (text as UTF-8).

    Example:
        >>> import tempfile
        >>> target = Path(tempfile.mkdtemp()) / "manifest.json"
        >>> write_atomic(target, '{"name": "dimuon"}')
        >>> target.read_text(), [p.name for p in target.parent.iterdir()]  # no partial file left
        ('{"name": "dimuon"}', ['manifest.json'])
    """
    with atomic_path(path) as partial:
        if isinstance(data, str):
            partial.write_text(data, encoding="utf-8")
        else:
            partial.write_bytes(data)


def sha256_of(path: str | os.PathLike[str]) -> str:
    """The sha256 of a file, hex, read in chunks: what a result's provenance records.

    Example:
        >>> sha256_of(nano_dy)
        '159b17b34b4d13ea4960d36fb9b01f2a505cc1a5a8de0fb3cfa185154543c81c'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
