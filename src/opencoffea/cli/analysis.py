"""The commands of an analysis: run, check, inspect, generate, plot and yields.

Example:
    $ opencoffea run configs/dimuon_demo.yaml --executor futures --workers 2
    $ opencoffea plot results/dimuon_demo
    $ opencoffea inspect nano_dy.root Muon

    or from Python:

    >>> import tempfile
    >>> from opencoffea.cli import main
    >>> main(["generate", "dy_mumu", "-n", "1000", "-o", f"{tempfile.mkdtemp()}/dy.root"])
    0
"""

from __future__ import annotations

import argparse
import gc
import shlex
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from rich.console import Console
from rich.table import Table

from .terminal import EXIT_FAILED_CHUNKS, EXIT_INCOMPLETE, console, table_console

if TYPE_CHECKING:  # the library is imported by each command, when it runs
    from ..config import AnalysisConfig
    from ..results import Result

__all__ = ["add_commands"]


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``run``, ``check``, ``inspect``, ``generate``, ``plot`` and ``yields`` to ``sub``.

    Example:
        >>> parser = argparse.ArgumentParser(prog="opencoffea")
        >>> add_commands(parser.add_subparsers(dest="command"))
        >>> parser.parse_args(["run", "a.yaml", "--quiet"]).quiet
        True
    """
    run = sub.add_parser("run", help="run an analysis from its YAML file")
    run.add_argument("config", type=Path, help="the analysis YAML file")
    run.add_argument("--executor", choices=["iterative", "futures", "dask"])
    run.add_argument("--workers", type=int, help="processes (futures) or dask workers")
    run.add_argument("--scheduler", help="address of a dask scheduler, e.g. tcp://host:8786")
    run.add_argument("--chunksize", type=int, help="entries per chunk")
    run.add_argument("--max-chunks", type=int, help="at most this many chunks per dataset")
    run.add_argument("--output", type=Path, help="result directory (default results/NAME)")
    run.add_argument("--quiet", action="store_true", help="no progress bars")
    run.add_argument("--server", help="CERN Open Data portal for record: datasets")
    run.add_argument("--refresh", action="store_true", help="ask the portal again for records")
    run.add_argument(
        "--resume",
        action="store_true",
        help="take the chunks an interrupted run of the same analysis finished; process the rest",
    )
    run.add_argument(
        "--keep-going",
        action="store_true",
        help="run every chunk even when the first ones fail the same way in the processor",
    )
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

    plot = sub.add_parser(
        "plot", help="draw the plots of a result, or quick looks without plots: (PNG, PDF, JSON)"
    )
    plot.add_argument("result", type=Path, help="a result directory")
    plot.add_argument("--config", type=Path, help="take the plots from this YAML instead")
    plot.add_argument("--output", type=Path, help="where to write (default RESULT/plots)")
    plot.set_defaults(handler=_plot)

    yields = sub.add_parser("yields", help="per-group yields per channel, against a reference")
    yields.add_argument("result", type=Path, help="a result directory")
    yields.add_argument("--config", type=Path, help="take the reference from this YAML")
    yields.add_argument("--histogram", help="the histogram (default: the first plotted)")
    yields.set_defaults(handler=_yields)


def _run(args: argparse.Namespace) -> int:
    from ..config import load_config
    from ..results import RunLock

    config = load_config(args.config)
    # Before any processing: an output that cannot be written, or that another run is
    # writing, is an error now, not after an hour. The lock is held until the result is in.
    with RunLock(args.output or config.output_dir()) as lock:
        if lock.replaced is not None:
            console.print(
                f"[yellow]warning:[/] took over the lock of a run that died ({lock.replaced})",
                soft_wrap=True,
            )
        return _run_locked(args, config)


def _run_locked(args: argparse.Namespace, config: AnalysisConfig) -> int:
    from ..api import save
    from ..errors import CheckpointError, Interrupted
    from ..execution import run
    from ..execution.checkpoint import checkpoint_dir, discard, kept

    directory = args.output or config.output_dir()
    checkpoint = checkpoint_dir(directory)
    output = ["--output", str(args.output)] if args.output else []
    again = shlex.join(["opencoffea", "run", str(args.config), *output])  # to copy and paste
    try:
        result = run(
            config,
            executor=args.executor,
            workers=args.workers,
            scheduler=args.scheduler,
            chunksize=args.chunksize,
            max_chunks=args.max_chunks,
            status=not args.quiet,
            server=args.server,
            refresh=args.refresh,
            checkpoint=checkpoint,
            resume=args.resume,
            keep_going=args.keep_going,
        )
    except CheckpointError:
        raise
    except BaseException as err:  # Ctrl-C, a lost scheduler, any error: what finished is kept
        finished = kept(checkpoint)
        hint = (
            f"{finished} finished chunk(s) kept in {checkpoint}; with the same configuration "
            f"and processor, [bold]{again} --resume[/] processes only the others"
            if finished
            else ""
        )
        if isinstance(err, Interrupted):  # one line, no traceback, the shell's exit status
            console.print(f"[yellow]{err}[/]" + (f"; {hint}" if hint else ""), soft_wrap=True)
            return 128 + signal.SIGINT
        if hint:
            console.print(hint, soft_wrap=True)
        raise
    figures = save(result, directory)  # the result, then its plots (or quick looks)
    if result.complete:
        discard(checkpoint)
    _print_summary(result)
    if result.execution.resumed:
        console.print(
            f"resumed: {result.execution.resumed} of {result.execution.chunks} chunks "
            "from the checkpoint"
        )
    _print_plots(figures)
    # a resumed run's events include its kept chunks', which took no time in this run
    rate = "" if result.execution.resumed else f" ({result.events_per_second:,.0f} events/s)"
    done = (
        f"{result.events_processed:,} events in {result.execution.seconds:.1f} s{rate} "
        f"with {result.execution.executor}"
        if result.inputs
        else f"{sum(map(len, result.premade.values()))} pre-made histograms read"
    )
    console.print(f"{done}; results in [bold]{directory}[/]")
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {warning}", soft_wrap=True)
    if result.failures:
        console.print(
            f"[bold red]{len(result.failures)} chunk(s) failed, {result.events_failed:,} events "
            "not processed[/] (listed in manifest.json):"
        )
        for failure in result.failures[:5]:
            console.print(
                f"  {failure.file} [{failure.entry_start}, {failure.entry_stop}): {failure.error}",
                soft_wrap=True,
            )
        console.print(f"[bold]{again} --resume[/] tries them again", soft_wrap=True)
        return EXIT_FAILED_CHUNKS
    if result.unread:
        console.print(
            f"[yellow]{result.events_unread:,} events left unread by --max-chunks "
            f"(listed in manifest.json)[/]; [bold]{again} --resume[/] reads them",
            soft_wrap=True,
        )
        return EXIT_INCOMPLETE
    return 0


def _print_plots(figures: list[Path]) -> None:
    """Each figure's path (its PDF and JSON beside it), to open or copy."""
    if figures:
        console.print(f"{len(figures)} plot(s) (PNG, PDF and JSON):")
    for path in figures:
        console.print(f"  {path}", style="bold", soft_wrap=True, markup=False)


def _print_summary(result: Result) -> None:
    """The rows of :meth:`Result.summary` as a table on standard output."""
    table = Table(title=f"{result.config.name}: summary")
    for column in ("dataset", "kind", "group", "files", "events", "Σw", "selected", "scale"):
        justify: Literal["left", "right"] = (
            "left" if column in ("dataset", "kind", "group") else "right"
        )
        table.add_column(column, justify=justify)
    for row in result.summary():
        table.add_row(
            row.dataset,
            row.kind,
            row.group,
            str(row.files),
            "—" if row.events is None else f"{row.events:,}",
            "—" if row.sumw is None else f"{row.sumw:.6g}",
            "—" if row.selected is None else f"{row.selected:,}",
            f"{row.scale:.4g}",
        )
    table_console().print(table)


def _check(args: argparse.Namespace) -> int:
    from ..config import load_config
    from ..datasets import resolve_files
    from ..processor import load_processor

    config = load_config(args.config)
    if config.processor:
        processor = load_processor(config).__name__
    elif config.event_datasets():
        processor = "none (give one to opencoffea.run)"
    else:
        processor = "none (pre-made histograms)"
    files = {
        name: len(resolve_files(config, name))
        for name, spec in config.datasets.items()
        if spec.generate is None and spec.record is None
    }
    console.print(
        f"[green]ok[/]: {args.config}: processor {processor}, "
        f"{len(config.datasets)} dataset(s) ({sum(files.values())} local file(s)), "
        f"{len(config.histograms)} histogram(s), {len(config.plots)} plot(s)"
    )
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from ..inspection import inspect_file, render_inspection

    # The command reads one file's metadata and ends: some 120,000 objects for a v15 tree,
    # all alive until then, which the cyclic garbage collector would walk again and again
    # as they are made, to free nothing (0.15-0.2 s of the command's 1 s). Turned on again
    # after, for a caller of main() that goes on.
    enabled = gc.isenabled()
    gc.disable()
    try:
        render_inspection(inspect_file(args.file, args.collection), Console(highlight=False))
    finally:
        if enabled:
            gc.enable()
    return 0


def _plot(args: argparse.Namespace) -> int:
    from ..config import load_config
    from ..plotting import plot_result
    from ..results import load_result

    result = load_result(args.result)
    config = load_config(args.config) if args.config else None
    written = plot_result(result, config, args.output)
    if not written:
        console.print(f"[yellow]no histogram to draw[/] in {args.result}")
        return 0
    _print_plots([path for path in written if path.suffix == ".png"])
    return 0


def _yields(args: argparse.Namespace) -> int:
    from ..config import load_config
    from ..plotting import render_yields, yields
    from ..results import load_result

    result = load_result(args.result)
    config = load_config(args.config) if args.config else None
    table = yields(result, config, args.histogram)
    render_yields(table, table_console(200))
    return 0


def _generate(args: argparse.Namespace) -> int:
    from ..datasets.progress import progress_bar
    from ..samples import generate

    with progress_bar(f"generating {args.process} ({args.kind})", args.events) as advance:
        path = generate(
            args.process,
            args.output,
            args.events,
            seed=args.seed,
            kind=args.kind,
            format=args.format,
            compression=args.compression,
            progress=advance,
        )
    console.print(f"wrote {args.events:,} {args.kind} events of {args.process} to {path}")
    return 0
