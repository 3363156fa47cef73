"""The cutflows of a result as tables: each cut's events and Σw, with its efficiencies.

A run records, per dataset (``"ZZ"``) and per category of it (``"ZZ/4mu"``, from "all
events" on), the events and the sum of weights that pass each cut. The efficiencies are
ratios of Σw, the weighted numbers a normalised histogram holds (for data, Σw is the number
of events): *relative* to the cut before, and *cumulative*, to "all events". A ratio to
nothing is None.

Example:
    >>> table = cutflow_table({"DY": [{"cut": "all events", "events": 40, "sumw": 40.0},
    ...                               {"cut": "two muons", "events": 6, "sumw": 6.0}]})
    >>> table["DY"][1].relative, table["DY"][1].cumulative
    (0.15, 0.15)
"""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Cut", "CutflowTable", "cutflow_table", "percent"]


@dataclass(frozen=True)
class Cut:
    """One cut of a cutflow: what passes it, and the fraction of Σw it keeps.

    Example:
        >>> Cut("two muons", 6, 5.5, 0.5, 0.25).as_dict()["cumulative"]
        0.25
    """

    cut: str
    events: int
    sumw: float
    relative: float | None  # Σw after this cut / Σw after the one before
    cumulative: float | None  # Σw after this cut / Σw of all events

    def as_dict(self) -> dict[str, Any]:
        """The cut as ``opencoffea cutflow --json`` writes it."""
        return asdict(self)


class CutflowTable(dict[str, list[Cut]]):
    """The cuts of each dataset and category (``"ZZ/4mu"``), in the order of the run.

    A dict, shown as a table in a notebook; ``opencoffea cutflow`` shows it on a terminal,
    and writes :meth:`to_json` with ``--json``.

    Example:
        >>> table = cutflow_table({"DY": [{"cut": "all events", "events": 40, "sumw": 40.0},
        ...                               {"cut": "two muons", "events": 6, "sumw": 4.0}]})
        >>> json.loads(table.to_json())["DY"][1]["relative"]
        0.1
        >>> "<td>10.00%</td>" in table._repr_html_()
        True
    """

    def to_json(self) -> str:
        """``{dataset: [{cut, events, sumw, relative, cumulative}, ...]}``, indented."""
        rows = {name: [cut.as_dict() for cut in cuts] for name, cuts in self.items()}
        return json.dumps(rows, indent=1, ensure_ascii=False)

    def _repr_html_(self) -> str:
        parts = []
        for name, cuts in self.items():
            rows = "".join(
                f"<tr><td style='text-align:left'>{html.escape(c.cut)}</td>"
                f"<td>{c.events:,}</td><td>{c.sumw:.6g}</td>"
                f"<td>{percent(c.relative)}</td><td>{percent(c.cumulative)}</td></tr>"
                for c in cuts
            )
            parts.append(
                f"<table><caption style='text-align:left'><b>{html.escape(name)}</b></caption>"
                "<tr><th style='text-align:left'>cut</th><th>events</th><th>Σw</th>"
                f"<th>relative</th><th>cumulative</th></tr>{rows}</table>"
            )
        return "".join(parts)


def cutflow_table(cutflows: dict[str, list[dict[str, Any]]]) -> CutflowTable:
    """The table of cutflows as the manifest holds them (``{name: [{cut, events, sumw}]}``).

    Example:
        >>> rows = [{"cut": "all events", "events": 10, "sumw": 0.0},
        ...         {"cut": "one muon", "events": 0, "sumw": 0.0}]
        >>> cutflow_table({"Empty": rows})["Empty"][1]  # nothing to keep a fraction of
        Cut(cut='one muon', events=0, sumw=0.0, relative=None, cumulative=None)
    """
    table = CutflowTable()
    for name, rows in cutflows.items():
        cuts: list[Cut] = []
        first = rows[0]["sumw"] if rows else 0.0
        for index, row in enumerate(rows):
            before = rows[index - 1]["sumw"] if index else row["sumw"]
            cuts.append(
                Cut(
                    row["cut"],
                    int(row["events"]),
                    float(row["sumw"]),
                    _ratio(row["sumw"], before),
                    _ratio(row["sumw"], first),
                )
            )
        table[name] = cuts
    return table


def percent(fraction: float | None) -> str:
    """A fraction as a percentage to four significant digits; a dash for None.

    Example:
        >>> percent(1.0), percent(0.123456), percent(0.0004), percent(None)
        ('100.0%', '12.35%', '0.04000%', '—')
    """
    return "—" if fraction is None else f"{100 * fraction:#.4g}%"


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None
