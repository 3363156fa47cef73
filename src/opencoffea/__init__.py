"""opencoffea: columnar analysis of CMS NanoAOD, made first for the CMS open data.

The public API, in one place:

- :class:`Processor` — subclass it and write ``analyze(events, out)``;
- :func:`load_config` — read and validate an analysis YAML file;
- :func:`run` — run an analysis (iterative, futures or dask), returning its :class:`Result`;
- :func:`write_result` / :func:`load_result` — a result's directory (ROOT + JSON), and back;
- :func:`generate` — synthetic NanoAOD samples for demos, tests and benchmarks.

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

from ._version import __version__
from .config import AnalysisConfig, load_config
from .errors import (
    AnalysisError,
    ConfigError,
    CorrectionError,
    InputFileError,
    OpenCoffeaError,
)
from .execution import run
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
    "generate",
    "load_config",
    "load_result",
    "run",
    "write_result",
]
