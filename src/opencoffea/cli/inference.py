"""The commands from a result to a measurement: export (datacard, pyhf, hepdata) and fit.

Example:
    $ opencoffea export datacard results/higgs4l_demo      # results/higgs4l_demo/inference/
    $ opencoffea export pyhf results/higgs4l_demo
    $ opencoffea export hepdata results/higgs4l_demo      # results/higgs4l_demo/hepdata/
    $ opencoffea fit results/higgs4l_demo                 # μ, significance, limit, pulls

    or from Python:

    >>> from opencoffea.cli import main
    >>> main(["export", "datacard", str(higgs4l_demo)])
    0
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from .terminal import console

if TYPE_CHECKING:  # the library is imported by each command, when it runs
    from ..config import AnalysisConfig
    from ..results import Result

__all__ = ["add_commands"]


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``export`` (``datacard``, ``pyhf``, ``hepdata``) and ``fit`` to ``sub``.

    Example:
        >>> parser = argparse.ArgumentParser(prog="opencoffea")
        >>> add_commands(parser.add_subparsers(dest="command"))
        >>> parser.parse_args(["export", "pyhf", "results/x"]).format
        'pyhf'
    """
    export = sub.add_parser(
        "export", help="a result as a Combine datacard, a pyhf workspace or a HEPData record"
    )
    export.add_argument("format", choices=["datacard", "pyhf", "hepdata"])
    export.add_argument("result", type=Path, help="a result directory")
    export.add_argument("--config", type=Path, help="take inference: and hepdata: from this YAML")
    export.add_argument(
        "--output", type=Path, help="where to write (default RESULT/inference, RESULT/hepdata)"
    )
    export.add_argument("--images", action="store_true", help="hepdata: add the figures")
    export.set_defaults(handler=_export)

    fit = sub.add_parser("fit", help="fit the signal strength of the inference: model (pyhf)")
    fit.add_argument("result", type=Path, help="a result directory")
    fit.add_argument("--config", type=Path, help="take inference: from this YAML")
    fit.add_argument("--output", type=Path, help="where to write (default RESULT/inference)")
    fit.add_argument("--no-limit", action="store_true", help="no upper limit (the slow part)")
    fit.set_defaults(handler=_fit)


def _inputs(args: argparse.Namespace) -> tuple[Result, AnalysisConfig]:
    from ..config import load_config
    from ..results import load_result

    result = load_result(args.result)
    return result, load_config(args.config) if args.config else result.config


def _export(args: argparse.Namespace) -> int:
    from ..inference import statistical_model, write_datacard, write_hepdata, write_workspace

    result, config = _inputs(args)
    if args.format == "hepdata":
        directory = write_hepdata(result, args.output, config, images=args.images)
        tables = len(config.hepdata.plots or config.plots) if config.hepdata else 0
        console.print(f"HEPData record of {tables} table(s), validated, in [bold]{directory}[/]")
        return 0
    model = statistical_model(result, config)  # its warnings are logged: on the terminal
    directory = args.output or args.result / "inference"
    if args.format == "datacard":
        card = write_datacard(model, directory)
        console.print(f"datacard [bold]{card}[/] with [bold]{card.parent / 'shapes.root'}[/]")
    else:
        path = write_workspace(model, Path(directory) / "workspace.json")
        console.print(f"pyhf workspace, valid against pyhf's schema: [bold]{path}[/]")
    return 0


def _fit(args: argparse.Namespace) -> int:
    from ..inference import fit_workspace, pyhf_workspace, statistical_model, write_fit

    result, config = _inputs(args)
    model = statistical_model(result, config)
    fit = fit_workspace(pyhf_workspace(model), limit=not args.no_limit)
    console.print(f"μ = {fit.mu:.3f} ± {fit.mu_error:.3f}")
    console.print(
        f"significance: {fit.significance:.2f}σ observed, {fit.significance_expected:.2f}σ "
        f"expected (p₀ = {fit.p0:.2g})"
    )
    if fit.limit is not None and fit.limit_expected is not None:
        low, median, high = fit.limit_expected[1:4]
        console.print(
            f"95 % CL upper limit on μ: {fit.limit:.3f} observed, {median:.3f} expected "
            f"({low:.3f} to {high:.3f} at ±1σ)"
        )
    written = write_fit(fit, args.output or args.result / "inference", config.name)
    console.print(f"fit and pulls in [bold]{written[0].parent}[/]")
    return 0
