"""A result as a notebook shows it: what ran, each dataset's numbers, cutflows and plots.

Jupyter shows an object by its ``_repr_html_``; :meth:`Result._repr_html_
<opencoffea.results.Result._repr_html_>` is :func:`result_html`. Everything written is
escaped: dataset and group names are the user's text.

Example:
    >>> from opencoffea import load_result
    >>> page = result_html(load_result(higgs4l_demo))
    >>> "<b>higgs4l_demo</b>" in page, "ZZ → 4ℓ" in page, "plots/m4l.png" in page
    (True, True, True)
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from .cutflow import cutflow_table

if TYPE_CHECKING:
    from .result import Result

__all__ = ["result_html"]

_COLUMNS = ("dataset", "kind", "group", "files", "events", "Σw", "selected", "scale")


def result_html(result: Result) -> str:
    """The HTML of a result: a heading line, the datasets table, the cutflows (folded),
    links to the plots of its directory, and its warnings and failures.
    """
    execution = result.execution
    state = "complete" if result.complete else "<b style='color:#c00'>incomplete</b>"
    where = f" · in <code>{escape(str(result.directory))}</code>" if result.directory else ""
    head = (
        f"<p><b>{escape(result.config.name)}</b>: {result.events_processed:,} of "
        f"{result.events_in_input:,} events, {state} · {escape(execution.executor)}, "
        f"{execution.chunks} chunk(s), {execution.seconds:.1f} s{where}</p>"
    )
    return "".join(
        (
            "<div>",
            head,
            _datasets(result),
            _cutflows(result),
            _plots(result.directory),
            _notes(result),
            "</div>",
        )
    )


def _datasets(result: Result) -> str:
    header = "".join(f"<th>{escape(c)}</th>" for c in _COLUMNS)
    rows = []
    for row in result.summary():
        cells = (
            row.dataset,
            row.kind,
            row.group,
            f"{row.files:,}",
            _count(row.events),
            "—" if row.sumw is None else f"{row.sumw:.6g}",
            _count(row.selected),
            f"{row.scale:.4g}",
        )
        rows.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    return f"<table><tr>{header}</tr>{''.join(rows)}</table>"


def _cutflows(result: Result) -> str:
    if not result.manifest["cutflows"]:
        return ""
    table = cutflow_table(result.manifest["cutflows"])
    return f"<details><summary>cutflows ({len(table)})</summary>{table._repr_html_()}</details>"


def _plots(directory: Path | None) -> str:
    """Links to the figures of the result's ``plots/`` (relative: a notebook serves those)."""
    if directory is None or not (directory / "plots").is_dir():
        return ""
    figures = sorted((directory / "plots").glob("*.png"))
    if not figures:
        return ""
    links = " · ".join(
        f"<a href='{escape(_relative(path))}' target='_blank'>{escape(path.stem)}</a>"
        for path in figures
    )
    return f"<p>plots: {links}</p>"


def _notes(result: Result) -> str:
    lines = [f"warning: {w}" for w in result.warnings]
    if result.failures:
        lines.append(
            f"{len(result.failures)} chunk(s) failed, {result.events_failed:,} events not "
            "processed (listed in the manifest)"
        )
    if result.unread:
        lines.append(f"{result.events_unread:,} events left unread (max_chunks)")
    return "".join(f"<p style='color:#a60'>{escape(line)}</p>" for line in lines)


def _count(number: int | None) -> str:
    return "—" if number is None else f"{number:,}"


def _relative(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows): no relative path
        return str(path)
