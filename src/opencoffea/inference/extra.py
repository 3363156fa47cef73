"""The libraries of the ``stats`` extra (pyhf, hepdata_lib, hepdata-validator), imported where
they are needed: ``import opencoffea`` and the rest of the framework work without them.

Example:
    >>> stats_module("json").__name__  # any module; a missing one is a clear error
    'json'
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ..errors import InferenceError

__all__ = ["stats_module"]


def stats_module(name: str) -> ModuleType:
    """Import ``name``, or say which extra brings it.

    Example:
        >>> stats_module("no_such_library")
        Traceback (most recent call last):
        ...
        opencoffea.errors.InferenceError: no_such_library is not installed: pip install 'opencoffea[stats]'
    """  # noqa: E501
    try:
        return importlib.import_module(name)
    except ImportError:
        package = name.split(".")[0]
        raise InferenceError(
            f"{package} is not installed: pip install 'opencoffea[stats]'"
        ) from None
