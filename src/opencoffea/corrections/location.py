"""Where payloads are read from: a directory given, ``$OPENCOFFEA_CORRECTIONS``, or the cache.

A root may be the cache (where :func:`~opencoffea.corrections.fetch.fetch` puts payloads),
a jsonpog-integration checkout (CVMFS:
``/cvmfs/cms.cern.ch/rsync/cms-nanoAOD/jsonpog-integration``) or the directory holding one.
The payloads of an era are found under a root by :meth:`opencoffea.eras.Era.payload`.

Example:
    >>> find_payload_file("POG/LUM/2016postVFP_UL/puWeights.json.gz", corrections_root).name
    'puWeights.json.gz'
"""

from __future__ import annotations

import os
from pathlib import Path

from ..datasets.cache import cache_dir
from ..eras import CHECKOUT, ENV_ROOT
from ..errors import CorrectionError

__all__ = ["find_payload_file", "payload_root"]


def payload_root(explicit: str | os.PathLike | None = None) -> Path:
    """Where payloads are read from: ``explicit``, else ``$OPENCOFFEA_CORRECTIONS``, else the
    cache directory that :func:`~opencoffea.corrections.fetch.fetch` fills.

    Example:
        >>> import os, tempfile
        >>> from unittest import mock
        >>> cache = tempfile.mkdtemp()
        >>> with mock.patch.dict(os.environ, OPENCOFFEA_CACHE=cache, OPENCOFFEA_CORRECTIONS=""):
        ...     payload_root().relative_to(cache)  # the cache, which fetch fills
        PosixPath('corrections')
        >>> payload_root(corrections_root) == corrections_root
        True
    """
    if explicit is not None:
        path, given = Path(explicit).expanduser(), "given"
    elif os.environ.get(ENV_ROOT):
        path, given = Path(os.environ[ENV_ROOT]).expanduser(), f"from ${ENV_ROOT}"
    else:
        return cache_dir("corrections")
    if not path.is_dir():
        raise CorrectionError(
            f"payload directory {path} ({given}) does not exist; give a jsonpog-integration "
            "checkout, or fetch the payloads (opencoffea corrections fetch ERA)"
        )
    return path


def find_payload_file(name: str | os.PathLike, root: str | os.PathLike | None = None) -> Path:
    """A payload file given as a path, or relative to the payload root (``POG/LUM/...``).

    Example:
        >>> path = find_payload_file("POG/LUM/2016postVFP_UL/puWeights.json.gz", corrections_root)
        >>> path.parent.name
        '2016postVFP_UL'
    """
    given = Path(name).expanduser()
    if given.is_file():
        return given
    base = payload_root(root)
    for path in (base / given, base / CHECKOUT / given):
        if path.is_file():
            return path
    raise CorrectionError(
        f"no payload file {name}: neither a file nor under the payload root {base}"
    )
