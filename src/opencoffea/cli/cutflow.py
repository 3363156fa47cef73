"""``opencoffea cutflow RESULT_DIR``: each dataset's cuts, with their efficiencies.

Per dataset and category (``ZZ/4mu``), each cut's events and Σw, and the fraction of Σw it
keeps, relative to the cut before and cumulative from "all events"
(:meth:`Result.cutflow <opencoffea.results.Result.cutflow>`); ``--json`` writes the same
numbers as JSON on standard output.

Example:
    $ opencoffea cutflow results/higgs4l_demo
    $ opencoffea cutflow results/higgs4l_demo --dataset ZZTo4L/4mu --json
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.table import Table

from .terminal import table_console

__all__ = ["add_commands"]


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``cutflow`` to ``sub``.

    Example:
        >>> parser = argparse.ArgumentParser(prog="opencoffea")
        >>> add_commands(parser.add_subparsers(dest="command"))
        >>> parser.parse_args(["cutflow", "results/x", "--json"]).json
        True
    """
    cutflow = sub.add_parser(
        "cutflow", help="each dataset's cuts: events, Σw, efficiencies (relative, cumulative)"
    )
    cutflow.add_argument("result", type=Path, help="a result directory")
    cutflow.add_argument(
        "--dataset",
        action="append",
        help="only this dataset or category (ZZ/4mu); may be given again",
    )
    cutflow.add_argument("--json", action="store_true", help="JSON on standard output")
    cutflow.set_defaults(handler=_cutflow)


def _cutflow(args: argparse.Namespace) -> int:
    from ..errors import OpenCoffeaError
    from ..results import load_result
    from ..results.cutflow import CutflowTable, percent
    from ..util import choices

    table = load_result(args.result).cutflow()
    for name in args.dataset or []:
        if name not in table:
            raise OpenCoffeaError(
                f"{args.result}: no cutflow {name!r}" + choices(name, table, "cutflows")
            )
    if args.dataset:
        table = CutflowTable({name: table[name] for name in args.dataset})
    if args.json:  # for programs: exactly the JSON, unstyled and unwrapped
        print(table.to_json())
        return 0
    out = table_console()
    for name, cuts in table.items():
        shown = Table(title=name, title_justify="left")
        shown.add_column("cut")
        for column in ("events", "Σw", "relative", "cumulative"):
            shown.add_column(column, justify="right")
        for cut in cuts:
            shown.add_row(
                cut.cut,
                f"{cut.events:,}",
                f"{cut.sumw:.6g}",
                percent(cut.relative),
                percent(cut.cumulative),
            )
        out.print(shown)
    return 0
