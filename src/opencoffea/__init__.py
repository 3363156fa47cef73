"""opencoffea: columnar analysis of CMS NanoAOD, made first for the CMS open data.

The public API, in one place:

- :class:`Processor` — subclass it and write ``analyze(events, out)``;
- :func:`momenta` — the first objects of each event as numpy four-vectors, to add them fast;
- :func:`load_config` — read and validate an analysis YAML file;
- :func:`run` — run an analysis (iterative, futures or dask), with the YAML's processor or
  a class of a notebook's, returning its :class:`Result` (and writing it, with ``output=``);
- :func:`write_result` / :func:`load_result` — a result's directory (ROOT + JSON), and back;
- :func:`generate` — synthetic NanoAOD samples for demos, tests and benchmarks;
- :func:`display` — events in a browser (one offline HTML page) and as PNG pictures.

Each name is imported when first used (PEP 562), so that ``import opencoffea`` and the
``opencoffea`` command start at once: the whole stack (coffea, awkward, uproot, numba) takes
seconds to import, and only the work that needs a part of it pays for that part.

Example:
    >>> import opencoffea, tempfile
    >>> result = opencoffea.run(opencoffea.load_config("configs/dimuon_quick.yaml"), status=False)
    >>> result.complete, result.events_processed
    (True, 8000)
    >>> directory = opencoffea.write_result(result, tempfile.mkdtemp())
    >>> opencoffea.load_result(directory).summary() == result.summary()
    True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import (
    AnalysisError,
    ConfigError,
    CorrectionError,
    InputFileError,
    OpenCoffeaError,
)

if TYPE_CHECKING:
    from .api import run
    from .config import AnalysisConfig, load_config
    from .display import display
    from .kinematics import momenta
    from .processor import Processor
    from .recorder import Recorder
    from .results import Result, load_result, write_result
    from .samples import generate

__all__ = [
    "AnalysisConfig",
    "AnalysisError",
    "ConfigError",
    "CorrectionError",
    "InputFileError",
    "OpenCoffeaError",
    "Processor",
    "Recorder",
    "Result",
    "__version__",
    "display",
    "generate",
    "load_config",
    "load_result",
    "momenta",
    "run",
    "write_result",
]

# Where each name imported on first use lives: the same as the TYPE_CHECKING imports above
# (tests/test_startup.py checks it). The errors cost nothing and are always there.
_LAZY = {
    "AnalysisConfig": "config",
    "load_config": "config",
    "display": "display",
    "momenta": "kinematics",
    "run": "api",
    "Processor": "processor",
    "Recorder": "recorder",
    "Result": "results",
    "load_result": "results",
    "write_result": "results",
    "generate": "samples",
}


if not TYPE_CHECKING:  # type checkers see the imports above, and a misspelt name as an error

    def __getattr__(name: str) -> Any:
        """A public name, imported from its module on first use and kept.

        Example:
            >>> import opencoffea
            >>> opencoffea.load_config.__name__, "load_config" in dir(opencoffea)
            ('load_config', True)
        """
        if name not in _LAZY:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value  # the next use is a plain attribute lookup
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
