"""Where opencoffea keeps what it can make again: generated samples, portal answers.

``OPENCOFFEA_CACHE`` if set, else ``$XDG_CACHE_HOME/opencoffea``, else ``~/.cache/opencoffea``.

Example:
    >>> cache_dir("samples").name
    'samples'
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir"]


def cache_dir(part: str) -> Path:
    """The cache directory for one kind of thing (created if missing).

    Example:
        >>> import os, tempfile
        >>> from unittest import mock
        >>> root = tempfile.mkdtemp()
        >>> with mock.patch.dict(os.environ, OPENCOFFEA_CACHE=root):
        ...     path = cache_dir("samples")
        >>> path.relative_to(root), path.is_dir()
        (PosixPath('samples'), True)
    """
    root = os.environ.get("OPENCOFFEA_CACHE")
    if root is None:
        xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        root = str(Path(xdg) / "opencoffea")
    path = Path(root).expanduser() / part
    path.mkdir(parents=True, exist_ok=True)
    return path
