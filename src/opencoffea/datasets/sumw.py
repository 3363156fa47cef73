"""The normalisation sums of a simulated file, from its ``Runs`` tree.

NanoAOD stores, per run, the number of generated events and the sums of their weights
before any selection: ``genEventCount``, ``genEventSumw`` and ``genEventSumw2``. NanoAOD
before v7 names them with a trailing underscore (``genEventSumw_``). A file may hold
several runs (entries); the sums of the file are the sums over them.

Example:
    >>> import uproot
    >>> with uproot.open(nano_dy) as file:  # NanoAOD v6: the names end in "_"
    ...     read_run_sums(file)  # doctest: +NORMALIZE_WHITESPACE
    RunSums(count=850098.0, sumw=15166686735.858717, sumw2=588798921139442.8,
            branch='genEventSumw_')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import uproot

__all__ = ["RunSums", "read_run_sums"]


@dataclass(frozen=True)
class RunSums:
    """Generated events and Σw, Σw² of one file, and the branch they were read from.

    Example:
        >>> import uproot
        >>> with uproot.open(testdata / "nanoaod" / "pfnano.root") as file:
        ...     sums = read_run_sums(file)
        >>> sums.count, sums.sumw, sums.branch  # unit weights: Σw is the number of events
        (10.0, 10.0, 'genEventSumw')
    """

    count: float
    sumw: float
    sumw2: float | None
    branch: str


def read_run_sums(file: uproot.ReadOnlyDirectory) -> RunSums | None:
    """Σ genEventSumw (and count, Σw²) over the ``Runs`` tree, or None where there is none.

    None means the file cannot tell its own normalisation (data, reduced formats, or a
    file written without the tree); the caller falls back to Σ genWeight of events read.

    Example:
        >>> import uproot
        >>> with uproot.open(testdata / "nanoaod" / "nano_dimuon.root") as file:  # data
        ...     print(read_run_sums(file))
        None
    """
    # uproot (and awkward with it) takes most of a second to import, which the portal's
    # commands, importing this package, need not pay
    import uproot

    if "Runs" not in file or not isinstance(file["Runs"], uproot.TTree):
        return None
    runs = file["Runs"]
    for suffix in ("", "_"):
        if f"genEventSumw{suffix}" in runs:
            names = [f"{n}{suffix}" for n in ("genEventCount", "genEventSumw", "genEventSumw2")]
            present = [n for n in names if n in runs]
            totals = {
                name: float(np.sum(values, dtype=np.float64))
                for name, values in runs.arrays(present, library="np").items()
            }
            return RunSums(
                count=totals.get(names[0], 0.0),
                sumw=totals[names[1]],
                sumw2=totals.get(names[2]),
                branch=names[1],
            )
    return None
