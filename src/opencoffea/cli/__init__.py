"""The ``opencoffea`` command: a thin shell over the library.

Every sub-command parses its arguments, calls one library function and prints. Errors
that are the user's to fix (:class:`~opencoffea.errors.OpenCoffeaError`) are printed as
one clear message without a traceback. What the library logs (where a dask dashboard
is) is shown on the terminal too.

Exit status: 0 when all is well; 1 for an error; 3 when a run finished but chunks
failed; 4 when a run finished but left events unread on purpose (``--max-chunks``).

Example:
    $ opencoffea run configs/dimuon_demo.yaml --executor futures --workers 2
    $ opencoffea inspect nano_dy.root Muon
    $ opencoffea cutflow results/dimuon_demo            # each cut, with its efficiencies
    $ opencoffea datasets search DoubleMuon --year 2016 --format nanoaod
    $ opencoffea datasets download 30555 --to data/DoubleMuon --max-files 2
    $ opencoffea jobscript configs/my_analysis.yaml     # the batch job of execution.cluster
    $ opencoffea export datacard results/higgs4l_demo   # also pyhf, hepdata
    $ opencoffea fit results/higgs4l_demo
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .._version import __version__
from ..errors import OpenCoffeaError
from . import analysis, cluster, corrections, cutflow, display, inference, portal
from .terminal import EXIT_ERROR, EXIT_FAILED_CHUNKS, EXIT_INCOMPLETE, console, show_log

__all__ = ["EXIT_ERROR", "EXIT_FAILED_CHUNKS", "EXIT_INCOMPLETE", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``opencoffea`` command; returns the exit status.

    Example:
        >>> main(["check", "configs/dimuon_demo.yaml"])  # "ok: ..." goes to standard error
        0
        >>> main(["check", "configs/no_such_file.yaml"])  # the error too, without a traceback
        1
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_ERROR
    show_log()
    try:
        return args.handler(args) or 0
    except OpenCoffeaError as err:
        console.print(f"[bold red]error:[/] {err}", soft_wrap=True)
        return EXIT_ERROR
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]")
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="opencoffea",
        description="Columnar analysis of CMS NanoAOD, made first for the CMS open data.",
    )
    parser.add_argument("--version", action="version", version=f"opencoffea {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    analysis.add_commands(sub)
    cutflow.add_commands(sub)
    portal.add_commands(sub)
    corrections.add_commands(sub)
    cluster.add_commands(sub)
    inference.add_commands(sub)
    display.add_commands(sub)
    return parser
