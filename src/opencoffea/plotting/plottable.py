"""What plotting reads of a result: a :class:`Plottable`.

Plots and yields tables are drawn from a result's normalised histograms, its configuration
(groups, luminosity, the ``plots:``) and its manifest (each dataset's kind and group). They
ask for no more than that, so plotting comes before the results in the layers of the
package: a :class:`~opencoffea.results.Result` is a :class:`Plottable`, and can draw itself
(``result.plot(name)``) without an import running backwards.

Example:
    >>> from opencoffea import load_result
    >>> isinstance(load_result(higgs4l_demo), Plottable)
    True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import hist

from ..config import AnalysisConfig

__all__ = ["Plottable"]


@runtime_checkable
class Plottable(Protocol):
    """A result as plotting sees it (see the module).

    ``histograms`` are the normalised ones, with their ``dataset`` and ``systematic`` axes;
    ``manifest["inputs"]`` holds each dataset's ``kind`` and ``group``; ``directory`` is
    where the result is written (its plots go to ``<directory>/plots``), None until it is.

    Example:
        >>> from opencoffea import load_result
        >>> result: Plottable = load_result(higgs4l_demo)
        >>> sorted(result.histograms), result.config.luminosity
        (['m4l', 'mZ1', 'mZ2'], 11580.0)
    """

    @property
    def config(self) -> AnalysisConfig: ...

    @property
    def manifest(self) -> dict[str, Any]: ...

    @property
    def histograms(self) -> dict[str, hist.Hist]: ...

    @property
    def directory(self) -> Path | None: ...
