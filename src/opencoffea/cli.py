"""The ``opencoffea`` command: a thin shell over the library.

Every sub-command parses its arguments, calls one library function and prints. Errors
that are the user's to fix (:class:`~opencoffea.errors.OpenCoffeaError`) are printed as
one clear message without a traceback.

Exit status: 0 when all is well; 1 for an error; 3 when a run finished but chunks
failed; 4 when a run finished but left events unread on purpose (``--max-chunks``).

Example:
    $ opencoffea run configs/dimuon_demo.yaml --executor futures --workers 2
    $ opencoffea inspect nano_dy.root Muon
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from . import __version__
from .errors import OpenCoffeaError

EXIT_ERROR = 1
EXIT_FAILED_CHUNKS = 3
EXIT_INCOMPLETE = 4

console = Console(stderr=True, highlight=False)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``opencoffea`` command; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_ERROR
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

    run = sub.add_parser("run", help="run an analysis from its YAML file")
    run.add_argument("config", type=Path, help="the analysis YAML file")
    run.add_argument("--executor", choices=["iterative", "futures", "dask"])
    run.add_argument("--workers", type=int, help="processes (futures) or dask workers")
    run.add_argument("--scheduler", help="address of a dask scheduler, e.g. tcp://host:8786")
    run.add_argument("--chunksize", type=int, help="entries per chunk")
    run.add_argument("--max-chunks", type=int, help="at most this many chunks per dataset")
    run.add_argument("--output", type=Path, help="result directory (default results/NAME)")
    run.add_argument("--quiet", action="store_true", help="no progress bars")
    run.set_defaults(handler=_run)

    check = sub.add_parser("check", help="validate a YAML file without running it")
    check.add_argument("config", type=Path)
    check.set_defaults(handler=_check)

    inspect = sub.add_parser("inspect", help="trees, collections and branch documentation")
    inspect.add_argument("file", help="a NanoAOD file (path or URL)")
    inspect.add_argument("collection", nargs="?", help="show the branches of this collection")
    inspect.set_defaults(handler=_inspect)

    generate = sub.add_parser("generate", help="write a synthetic NanoAOD sample")
    generate.add_argument("process", help="dy_mumu, dy_ee, zz4l, hzz4l, ttbar, dimuon_data")
    generate.add_argument("-n", "--events", type=int, default=10_000)
    generate.add_argument("-o", "--output", type=Path, required=True)
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--kind", choices=["mc", "data"], default="mc")
    generate.add_argument("--format", choices=["nanoaod", "outreach"], default="nanoaod")
    generate.add_argument(
        "--compression", choices=["lzma", "zstd", "lz4", "zlib", "none"], default="lzma"
    )
    generate.set_defaults(handler=_generate)
    return parser


# ---------------------------------------------------------------------------- commands


def _run(args: argparse.Namespace) -> int:
    from .config import load_config
    from .execution import run
    from .results import normalise, write_result

    config = load_config(args.config)
    result = run(
        config,
        executor=args.executor,
        workers=args.workers,
        scheduler=args.scheduler,
        chunksize=args.chunksize,
        max_chunks=args.max_chunks,
        status=not args.quiet,
    )
    directory = write_result(result, args.output)
    _print_summary(result, normalise(result))
    seconds = result.execution["seconds"]
    rate = result.events_processed / seconds if seconds else 0.0
    console.print(
        f"{result.events_processed:,} events in {seconds:.1f} s ({rate:,.0f} events/s) "
        f"with {result.execution['executor']}; results in [bold]{directory}[/]"
    )
    if result.output.failures:
        failures = result.output.failures
        console.print(
            f"[bold red]{len(failures)} chunk(s) failed, {result.events_failed:,} events "
            "not processed[/] (listed in manifest.json):"
        )
        for failure in failures[:5]:
            console.print(
                f"  {failure['file']} [{failure['entry_start']}, {failure['entry_stop']}): "
                f"{failure['error']}",
                soft_wrap=True,
            )
        return EXIT_FAILED_CHUNKS
    if result.unread:
        console.print(
            f"[yellow]{result.events_unread:,} events left unread by --max-chunks "
            "(listed in manifest.json)[/]"
        )
        return EXIT_INCOMPLETE
    return 0


def _print_summary(result, norms) -> None:
    table = Table(title=f"{result.config.name}: summary")
    for column in ("dataset", "kind", "group", "files", "events", "Σw", "selected", "scale"):
        justify = "left" if column in ("dataset", "kind", "group") else "right"
        table.add_column(column, justify=justify)
    for name, records in result.inputs.items():
        norm = norms[name]
        cutflow = result.output.cutflows.get(name)
        selected = list(cutflow.entries.values())[-1][0] if cutflow and cutflow.entries else 0
        events = sum(r.info.num_entries for r in records)
        table.add_row(
            name,
            norm.kind,
            result.config.group_of(name),
            str(len(records)),
            f"{events:,}",
            "—" if norm.sumw is None else f"{norm.sumw:.6g}",
            f"{selected:,}",
            f"{norm.factor:.4g}",
        )
    Console(highlight=False).print(table)


def _check(args: argparse.Namespace) -> int:
    from .config import load_config
    from .datasets import resolve_files
    from .processor import load_processor

    config = load_config(args.config)
    cls = load_processor(config)
    files = {
        name: len(resolve_files(config, name))
        for name, spec in config.datasets.items()
        if spec.generate is None and spec.record is None
    }
    console.print(
        f"[green]ok[/]: {args.config}: processor {cls.__name__}, "
        f"{len(config.datasets)} dataset(s) ({sum(files.values())} local file(s)), "
        f"{len(config.histograms)} histogram(s), {len(config.plots)} plot(s)"
    )
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from .events import inspect_file, render_inspection

    render_inspection(inspect_file(args.file, args.collection), Console(highlight=False))
    return 0


def _generate(args: argparse.Namespace) -> int:
    from .samples import generate

    path = generate(
        args.process,
        args.output,
        args.events,
        seed=args.seed,
        kind=args.kind,
        format=args.format,
        compression=args.compression,
    )
    console.print(f"wrote {args.events:,} {args.kind} events of {args.process} to {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
