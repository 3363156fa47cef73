"""Yields tables: per plot group and category, compared with a reference; shown with rich.

The yields are those of the figures (nominal, in-range bins), computed the same way, but
without drawing: this module does not import matplotlib, so ``opencoffea yields`` is quick.

Example:
    >>> from opencoffea import load_result
    >>> from rich.console import Console
    >>> table = yields(load_result(higgs4l_demo))
    >>> render_yields(table, Console(width=100))  # doctest: +NORMALIZE_WHITESPACE
             higgs4l_demo: yields of 'm4l' (per channel, nominal, in-range bins)
    ┏━━━━━━━━━━━━━━━┳━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┓
    ┃ group         ┃ kind   ┃         4mu ┃            4e ┃       2e2mu ┃     combined ┃
    ┡━━━━━━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━━━┩
    │ ZZ → 4ℓ       │ stack  │  59.9 ± 2.5 │    19.5 ± 1.4 │  79.9 ± 2.9 │  159.3 ± 4.1 │
    │ m_H = 125 GeV │ signal │ 7.28 ± 0.17 │ 2.077 ± 0.088 │ 8.19 ± 0.18 │ 17.55 ± 0.26 │
    │ Data          │ data   │          72 │            23 │          90 │          185 │
    └───────────────┴────────┴─────────────┴───────────────┴─────────────┴──────────────┘
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import hist
from rich.console import Console
from rich.table import Table

from ..config import AnalysisConfig
from ..errors import PlotError
from ..util import choices
from .groups import group_histograms, group_members, plot_roles
from .plottable import Plottable

__all__ = ["COMBINED", "Comparison", "Yield", "YieldTable", "render_yields", "yields"]

COMBINED = "combined"  # the yields column (and reference key) of all categories together


@dataclass(frozen=True)
class Yield:
    """A yield and its variance (Σw²: the MC statistical one; the count for data).

    Example:
        >>> Yield(16.0, 16.0).error
        4.0
    """

    value: float
    variance: float

    @property
    def error(self) -> float:
        """√variance: the MC statistical error, or √N for data.

        Example:
            >>> Yield(72.0, 72.0).error  # 72 data events
            8.48528137423857
        """
        return math.sqrt(self.variance)


@dataclass(frozen=True)
class Comparison:
    """One yield against a reference: difference, and pull (ours − ref)/√(σ² + σ_ref²).

    Example:
        >>> c = Comparison("ZZ", "4mu", Yield(10.0, 9.0), 14.0, 4.0)
        >>> c.difference, c.pull
        (-4.0, -0.8)
    """

    group: str
    column: str
    ours: Yield
    reference: float
    reference_error: float

    @property
    def difference(self) -> float:
        """Ours minus the reference.

        Example:
            >>> Comparison("Data", "4mu", Yield(72.0, 72.0), 66.0, 0.0).difference
            6.0
        """
        return self.ours.value - self.reference

    @property
    def pull(self) -> float | None:
        """None when neither number has an error (the pull is undefined).

        Example:
            >>> Comparison("Data", "4mu", Yield(72.0, 72.0), 66.0, 0.0).pull  # 6 / √72
            0.7071067811865476
            >>> print(Comparison("ZZ", "4mu", Yield(60.0, 0.0), 59.0, 0.0).pull)
            None
        """
        sigma = math.sqrt(self.ours.variance + self.reference_error**2)
        return self.difference / sigma if sigma > 0 else None


@dataclass
class YieldTable:
    """Yields per plot group (rows) and category (columns, then ``combined``).

    Example:
        >>> table = YieldTable(
        ...     "higgs4l", "m4l", "channel", ["4mu", "combined"], {"ZZ": "stack", "Data": "data"},
        ...     {"ZZ": {"4mu": Yield(59.93, 6.43), "combined": Yield(159.32, 17.08)},
        ...      "Data": {"4mu": Yield(72.0, 72.0), "combined": Yield(185.0, 185.0)}},
        ...     [Comparison("Data", "4mu", Yield(72.0, 72.0), 66.0, 0.0)],
        ... )
        >>> table.cells["Data"]["4mu"].value, table.comparisons[0].difference
        (72.0, 6.0)

        :func:`yields` makes the table of a result:

        >>> from opencoffea import load_result
        >>> table = yields(load_result(higgs4l_demo))
        >>> table.cells["Data"]["4mu"].value
        72.0
    """

    name: str
    histogram: str
    axis: str | None  # the category axis of the columns (None: only "combined")
    columns: list[str]
    kinds: dict[str, str]  # group → stack, signal, data (as plotted) or mc
    cells: dict[str, dict[str, Yield]]
    comparisons: list[Comparison]

    def as_dict(self) -> dict[str, Any]:
        """Machine-readable: the table and the comparisons.

        Example:
            >>> table = YieldTable("higgs4l", "m4l", None, ["combined"], {"Data": "data"},
            ...                    {"Data": {"combined": Yield(185.0, 185.0)}}, [])
            >>> table.as_dict()  # doctest: +NORMALIZE_WHITESPACE
            {'histogram': 'm4l', 'axis': None, 'columns': ['combined'],
             'groups': {'Data': {'kind': 'data',
                                 'combined': {'value': 185.0, 'error': 13.601470508735444}}},
             'comparisons': []}
        """
        return {
            "histogram": self.histogram,
            "axis": self.axis,
            "columns": self.columns,
            "groups": {
                group: {
                    "kind": self.kinds[group],
                    **{c: {"value": y.value, "error": y.error} for c, y in row.items()},
                }
                for group, row in self.cells.items()
            },
            "comparisons": [
                {
                    "group": c.group,
                    "column": c.column,
                    "value": c.ours.value,
                    "error": c.ours.error,
                    "reference": c.reference,
                    "reference_error": c.reference_error,
                    "difference": c.difference,
                    "pull": c.pull,
                }
                for c in self.comparisons
            ],
        }


def yields(
    result: Plottable, config: AnalysisConfig | None = None, histogram: str | None = None
) -> YieldTable:
    """Per-group yields of one histogram per category of its first category axis, and all
    categories combined; nominal, in-range bins (what the figures show), compared with the
    ``yields.reference`` table of the configuration when it has one.

    The histogram is ``histogram``, else ``yields.histogram``, else the first plotted one,
    else the first booked. Rows: the groups of the first plot of that histogram (stack,
    signal, data), then every other group of the result.

    Example:
        >>> from opencoffea import load_result
        >>> table = yields(load_result(higgs4l_demo))
        >>> table.columns
        ['4mu', '4e', '2e2mu', 'combined']
        >>> table.kinds
        {'ZZ → 4ℓ': 'stack', 'm_H = 125 GeV': 'signal', 'Data': 'data'}
    """
    config = config or result.config
    spec = config.yields
    histogram = histogram or (spec.histogram if spec else None) or _first_histogram(config)
    kinds = _yield_rows(result, config, histogram)
    h = result.histograms.get(histogram)
    categories = [a for a in list(h.axes)[2:] if isinstance(a, hist.axis.StrCategory)] if h else []
    axis = categories[0].name if categories else None
    selections: list[tuple[str, dict[str, str]]] = []
    if categories:
        selections = [(str(c), {categories[0].name: str(c)}) for c in categories[0]]
    selections.append((COMBINED, {}))
    cells: dict[str, dict[str, Yield]] = {group: {} for group in kinds}
    for column, select in selections:
        try:
            grouped = group_histograms(result, histogram, kinds, select, config)
        except PlotError as err:
            raise PlotError(f"yields: {err}") from None
        for group, numbers in grouped.items():
            cells[group][column] = Yield(numbers.total, numbers.total_variance)
    columns = [c for c, _ in selections]
    reference = spec.reference if spec else {}
    return YieldTable(
        config.name,
        histogram,
        axis,
        columns,
        kinds,
        cells,
        _compare(cells, columns, reference),
    )


def _first_histogram(config: AnalysisConfig) -> str:
    for name, plot in config.plots.items():
        return plot.histogram or name
    if not config.histograms:
        raise PlotError("yields: the configuration books no histogram")
    return next(iter(config.histograms))


def _yield_rows(result: Plottable, config: AnalysisConfig, histogram: str) -> dict[str, str]:
    """``{group: kind}``: the first plot of the histogram's groups, then the other groups."""
    kinds: dict[str, str] = {}
    for name, plot in config.plots.items():
        if (plot.histogram or name) == histogram:
            kinds = plot_roles(plot)
            break
    inputs = result.manifest["inputs"]
    for group, datasets in group_members(result, config).items():
        if group not in kinds:
            data = all(inputs[d].get("kind") == "data" for d in datasets)
            kinds[group] = "data" if data else "mc"
    return kinds


def _compare(
    cells: dict[str, dict[str, Yield]],
    columns: list[str],
    reference: dict[str, dict[str, float | tuple[float, float]]],
) -> list[Comparison]:
    comparisons = []
    for group, row in reference.items():
        if group not in cells:
            raise PlotError(
                f"yields.reference: no group {group!r}" + choices(group, cells, "groups")
            )
        for column, given in row.items():
            if column not in columns:
                raise PlotError(
                    f"yields.reference.{group}: no column {column!r}"
                    + choices(column, columns, "columns")
                )
            value, error = given if isinstance(given, tuple) else (given, 0.0)
            comparisons.append(Comparison(group, column, cells[group][column], value, error))
    return comparisons


def render_yields(table: YieldTable, console: Console | None = None) -> None:
    """Print a :class:`YieldTable` (and its comparison with the reference) as rich tables.

    Simulation shows value ± √Σw², data the count.

    Example:
        >>> from rich.console import Console
        >>> table = YieldTable(
        ...     "higgs4l", "m4l", "channel", ["4mu", "combined"], {"ZZ": "stack", "Data": "data"},
        ...     {"ZZ": {"4mu": Yield(59.93, 6.43), "combined": Yield(159.32, 17.08)},
        ...      "Data": {"4mu": Yield(72.0, 72.0), "combined": Yield(185.0, 185.0)}},
        ...     [Comparison("Data", "4mu", Yield(72.0, 72.0), 66.0, 0.0)],
        ... )
        >>> render_yields(table, Console(width=80))  # doctest: +NORMALIZE_WHITESPACE
           higgs4l: yields of 'm4l' (per channel,
                  nominal, in-range bins)
        ┏━━━━━━━┳━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━┓
        ┃ group ┃ kind  ┃        4mu ┃    combined ┃
        ┡━━━━━━━╇━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━┩
        │ ZZ    │ stack │ 59.9 ± 2.5 │ 159.3 ± 4.1 │
        │ Data  │ data  │         72 │         185 │
        └───────┴───────┴────────────┴─────────────┘
                against the reference: difference and pull
        ┏━━━━━━━┳━━━━━━━━┳━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━┓
        ┃ group ┃ column ┃ ours ┃ reference ┃ difference ┃   pull ┃
        ┡━━━━━━━╇━━━━━━━━╇━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━┩
        │ Data  │ 4mu    │   72 │        66 │       +6.0 │ +0.71σ │
        └───────┴────────┴──────┴───────────┴────────────┴────────┘
    """
    console = console or Console(highlight=False)
    where = f"per {table.axis}, " if table.axis else ""
    out = Table(
        title=f"{table.name}: yields of {table.histogram!r} ({where}nominal, in-range bins)"
    )
    out.add_column("group")
    out.add_column("kind")
    for column in table.columns:
        out.add_column(column, justify="right")
    for group, row in table.cells.items():
        cells = [_format_yield(row[c], table.kinds[group] == "data") for c in table.columns]
        out.add_row(group, table.kinds[group], *cells)
    console.print(out)
    if not table.comparisons:
        return
    compared = Table(title="against the reference: difference and pull")
    for column in ("group", "column", "ours", "reference", "difference", "pull"):
        compared.add_column(column, justify="left" if column in ("group", "column") else "right")
    for c in table.comparisons:
        data = table.kinds[c.group] == "data"
        compared.add_row(
            c.group,
            c.column,
            _format_yield(c.ours, data),
            _plus_minus(c.reference, c.reference_error),
            _signed(c.difference, math.sqrt(c.ours.variance + c.reference_error**2)),
            "—" if c.pull is None else f"{c.pull:+.2f}σ",
        )
    console.print(compared)


def _format_yield(y: Yield, data: bool) -> str:
    if data and float(y.value).is_integer():
        return f"{y.value:.0f}"
    return _plus_minus(y.value, y.error)


def _plus_minus(value: float, error: float) -> str:
    """``12.3 ± 1.2``: the error to two significant digits, the value to the same place.

    Example:
        >>> _plus_minus(12.345, 1.234), _plus_minus(1234.6, 56.7), _plus_minus(3.0, 0.0)
        ('12.3 ± 1.2', '1235 ± 57', '3')
    """
    if error <= 0:
        return f"{value:.6g}"
    decimals = _decimals(error)
    return f"{value:.{decimals}f} ± {error:.{decimals}f}"


def _signed(value: float, error: float) -> str:
    """A difference with a sign, to the place of its error's second significant digit.

    Example:
        >>> _signed(9.932, 3.2), _signed(-2.0, 0.0)
        ('+9.9', '-2')
    """
    return f"{value:+.{_decimals(error)}f}" if error > 0 else f"{value:+.6g}"


def _decimals(error: float) -> int:
    return min(6, max(0, 1 - math.floor(math.log10(error))))
