"""The ``opencoffea`` command: a thin shell over the library.

Every sub-command parses its arguments, calls one library function and prints. Errors
that are the user's to fix (:class:`~opencoffea.errors.OpenCoffeaError`) are printed as
one clear message without a traceback.

Exit status: 0 when all is well; 1 for an error; 3 when a run finished but chunks
failed; 4 when a run finished but left events unread on purpose (``--max-chunks``).

Example:
    $ opencoffea run configs/dimuon_demo.yaml --executor futures --workers 2
    $ opencoffea inspect nano_dy.root Muon
    $ opencoffea datasets search DoubleMuon --year 2016 --format nanoaod
    $ opencoffea datasets download 30555 --to data/DoubleMuon --max-files 2
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ._version import __version__
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
    run.add_argument("--server", help="CERN Open Data portal for record: datasets")
    run.add_argument("--refresh", action="store_true", help="ask the portal again for records")
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

    plot = sub.add_parser("plot", help="draw the plots of a result (PNG, PDF and JSON)")
    plot.add_argument("result", type=Path, help="a result directory")
    plot.add_argument("--config", type=Path, help="take the plots from this YAML instead")
    plot.add_argument("--output", type=Path, help="where to write (default RESULT/plots)")
    plot.set_defaults(handler=_plot)

    yields = sub.add_parser("yields", help="per-group yields per channel, against a reference")
    yields.add_argument("result", type=Path, help="a result directory")
    yields.add_argument("--config", type=Path, help="take the reference from this YAML")
    yields.add_argument("--histogram", help="the histogram (default: the first plotted)")
    yields.set_defaults(handler=_yields)

    _datasets_parser(sub)
    _corrections_parser(sub)
    return parser


def _datasets_parser(sub: argparse._SubParsersAction) -> None:
    """``opencoffea datasets ACTION``: the CERN Open Data portal (search, show, files, download)."""
    portal = argparse.ArgumentParser(add_help=False)
    portal.add_argument("--server", help="portal URL (default $OPENCOFFEA_PORTAL or the CERN one)")
    portal.add_argument("--refresh", action="store_true", help="ask the portal, not the cache")
    datasets = sub.add_parser("datasets", help="find and fetch CERN Open Data portal records")
    datasets.set_defaults(handler=lambda args: _help(datasets))
    actions = datasets.add_subparsers(dest="action", metavar="ACTION")

    search = actions.add_parser("search", parents=[portal], help="search the portal's records")
    search.add_argument("text", help="words to find, e.g. 'DoubleMuon Run2016H'")
    search.add_argument("--experiment", help="e.g. CMS")
    search.add_argument("--type", help="e.g. Dataset, or Dataset::Simulated")
    search.add_argument("--year", help="year the data were taken, e.g. 2016")
    search.add_argument("--format", help="file format, e.g. nanoaod, nanoaodsim, aod")
    search.add_argument("--size", type=int, default=20, help="at most this many records")
    search.set_defaults(handler=_datasets_search)

    show = actions.add_parser("show", parents=[portal], help="what a record holds")
    show.add_argument("recid", type=int)
    show.set_defaults(handler=_datasets_show)

    files = actions.add_parser("files", parents=[portal], help="the file URLs of a record")
    files.add_argument("recid", type=int)
    files.add_argument("--protocol", choices=["https", "root"], default="https")
    files.set_defaults(handler=_datasets_files)

    download = actions.add_parser("download", parents=[portal], help="download, verified")
    download.add_argument("recid", type=int)
    download.add_argument("--to", type=Path, required=True, help="directory for the files")
    download.add_argument("--max-files", type=int, help="only the first N files")
    download.add_argument("--quiet", action="store_true", help="no progress bar")
    download.set_defaults(handler=_datasets_download)


# ---------------------------------------------------------------------------- commands


def _run(args: argparse.Namespace) -> int:
    from .config import load_config
    from .execution import run
    from .results import write_result

    config = load_config(args.config)
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
    )
    directory = write_result(result, args.output)
    _print_summary(result)
    if config.plots:
        from .plotting import plot_result

        figures = plot_result(result, config)
        console.print(f"{len(figures) // 3} plot(s) in [bold]{directory / 'plots'}[/]")
    done = (
        f"{result.events_processed:,} events in {result.execution.seconds:.1f} s "
        f"({result.events_per_second:,.0f} events/s) with {result.execution.executor}"
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
        return EXIT_FAILED_CHUNKS
    if result.unread:
        console.print(
            f"[yellow]{result.events_unread:,} events left unread by --max-chunks "
            "(listed in manifest.json)[/]"
        )
        return EXIT_INCOMPLETE
    return 0


def _print_summary(result) -> None:
    """The rows of :meth:`Result.summary` as a table on standard output."""
    table = Table(title=f"{result.config.name}: summary")
    for column in ("dataset", "kind", "group", "files", "events", "Σw", "selected", "scale"):
        justify = "left" if column in ("dataset", "kind", "group") else "right"
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
    # a wide table stays whole in a log or a pipe (rich would fold it to 80 columns)
    Console(highlight=False, width=None if sys.stdout.isatty() else 160).print(table)


def _check(args: argparse.Namespace) -> int:
    from .config import load_config
    from .datasets import resolve_files
    from .processor import load_processor

    config = load_config(args.config)
    processor = (
        load_processor(config).__name__ if config.processor else "none (pre-made histograms)"
    )
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
    from .inspection import inspect_file, render_inspection

    render_inspection(inspect_file(args.file, args.collection), Console(highlight=False))
    return 0


def _plot(args: argparse.Namespace) -> int:
    from .config import load_config
    from .plotting import plot_result
    from .results import load_result

    result = load_result(args.result)
    config = load_config(args.config) if args.config else None
    written = plot_result(result, config, args.output)
    if not written:
        console.print(f"[yellow]no plots[/] in the configuration of {args.result}")
        return 0
    console.print(
        f"{len(written) // 3} plot(s) (PNG, PDF and JSON) in [bold]{written[0].parent}[/]"
    )
    return 0


def _yields(args: argparse.Namespace) -> int:
    from .config import load_config
    from .plotting import render_yields, yields
    from .results import load_result

    result = load_result(args.result)
    config = load_config(args.config) if args.config else None
    table = yields(result, config, args.histogram)
    render_yields(table, Console(highlight=False, width=None if sys.stdout.isatty() else 200))
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


# ---------------------------------------------------------------------------- datasets


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return EXIT_ERROR


def _portal(args: argparse.Namespace):
    from .datasets.portal import Portal

    return Portal(args.server, refresh=args.refresh)


def _datasets_search(args: argparse.Namespace) -> int:
    hits = _portal(args).search(
        args.text,
        experiment=args.experiment,
        type=args.type,
        year=args.year,
        format=args.format,
        size=args.size,
    )
    if not hits:
        console.print(f"no record matches {args.text!r} with these filters")
        return 0
    table = Table(title=f"{len(hits)} record(s) matching {args.text!r}")
    for column in ("recid", "title", "type", "year", "events", "files", "size"):
        left = column in ("title", "type")
        # Dataset titles have no spaces: fold them rather than cut the part that tells them apart.
        table.add_column(column, justify="left" if left else "right", overflow="fold")
    for hit in hits:
        kind = " ".join(filter(None, [hit.type, f"({hit.kind})" if hit.kind else None]))
        table.add_row(
            str(hit.recid),
            hit.title,
            kind or "—",
            hit.year or "—",
            _count(hit.number_events),
            _count(hit.number_files),
            _bytes(hit.size),
        )
    Console(highlight=False).print(table)
    return 0


def _datasets_show(args: argparse.Namespace) -> int:
    record = _portal(args).record(args.recid)
    table = Table(title=f"record {record.recid}", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    validated = ", ".join(map(str, record.validated_runs))
    xsec = record.cross_section_pb
    for key, value in (
        ("title", record.title),
        ("DOI", record.doi),
        ("experiment", record.experiment),
        ("type", " ".join(filter(None, [record.type, record.kind and f"({record.kind})"]))),
        ("year", record.year),
        ("events", _count(record.number_events)),
        ("files", f"{_count(record.number_files)} ({len(record.files)} resolved)"),
        ("size", _bytes(record.size)),
        ("validated runs", f"record {validated}" if validated else None),
        ("cross section", f"{xsec:g} pb" if xsec is not None else None),
    ):
        table.add_row(key, value or "—")
    Console(highlight=False).print(table)
    return 0


def _datasets_files(args: argparse.Namespace) -> int:
    portal = _portal(args)
    for file in portal.record(args.recid).files:
        print(portal.url(file, args.protocol))  # plain lines, for `> files.txt` or xargs
    return 0


def _datasets_download(args: argparse.Namespace) -> int:
    from .datasets.download import download

    portal = _portal(args)
    record = portal.record(args.recid)
    paths = download(
        record, args.to, max_files=args.max_files, portal=portal, progress=not args.quiet
    )
    size = sum(p.stat().st_size for p in paths)
    unchecked = sum(1 for f in record.files[: len(paths)] if not f.checksum)
    console.print(
        f"{len(paths)} file(s) of record {record.recid} ({_bytes(size)}) in [bold]{args.to}[/], "
        + (
            "verified by adler32"
            if not unchecked
            else f"[yellow]{unchecked} unverified: the record gives no checksum[/]"
        )
    )
    return 0


# ---------------------------------------------------------------------------- corrections

_STATE_STYLE = {"verified": "green", "other version": "yellow", "missing": "red"}


def _corrections_parser(sub: argparse._SubParsersAction) -> None:
    """``opencoffea corrections ACTION``: the official payloads of the manifest (fetch, list)."""
    corrections = sub.add_parser("corrections", help="official correction payloads: fetch, list")
    corrections.set_defaults(handler=lambda args: _help(corrections))
    actions = corrections.add_subparsers(dest="action", metavar="ACTION")

    fetch = actions.add_parser("fetch", help="put an era's payloads into the cache, verified")
    fetch.add_argument("era", help="e.g. 2016postVFP_UL (all: opencoffea corrections list)")
    fetch.add_argument(
        "--from",
        dest="source",
        metavar="DIR",
        help="a jsonpog-integration checkout (default: the portal's open-data copy)",
    )
    fetch.add_argument("--server", help="portal URL (default $OPENCOFFEA_PORTAL or the CERN one)")
    fetch.add_argument(
        "--any-version",
        action="store_true",
        help="take payloads the manifest has no checksum for (a newer checkout)",
    )
    fetch.add_argument("--quiet", action="store_true", help="no progress bar")
    fetch.set_defaults(handler=_corrections_fetch)

    listing = actions.add_parser("list", help="the eras and their payloads, or one payload's keys")
    listing.add_argument("file", nargs="?", help="a payload file: a path, or POG/... in the root")
    listing.add_argument("--root", help="payload directory ($OPENCOFFEA_CORRECTIONS or the cache)")
    listing.set_defaults(handler=_corrections_list)


def _corrections_fetch(args: argparse.Namespace) -> int:
    from .corrections.fetch import fetch

    result = fetch(
        args.era,
        source=args.source,
        server=args.server,
        any_version=args.any_version,
        progress=not args.quiet,
    )
    table = Table(title=f"{result.era}: payloads from {result.source}")
    for column in ("payload", "file", "sha256", "state"):
        table.add_column(column, overflow="fold")
    for file in result.files:
        table.add_row(
            file.payload.name,
            str(file.path or file.payload.path),
            file.sha256[:16] + "…" if file.sha256 else "—",
            Text(file.state, style=_STATE_STYLE[file.state]),
        )
    Console(highlight=False, width=None if sys.stdout.isatty() else 160).print(table)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}", soft_wrap=True)
    if result.missing:
        console.print(
            f"[bold red]{len(result.missing)} payload(s) of {result.era} not found[/] in "
            f"{result.source}: {', '.join(result.missing)}",
            soft_wrap=True,
        )
        return EXIT_ERROR
    console.print(f"{len(result.files)} payload(s) of {result.era} in [bold]{result.root}[/]")
    return 0


def _corrections_list(args: argparse.Namespace) -> int:
    from .corrections.describe import describe_payload
    from .corrections.location import find_payload_file, payload_root
    from .eras import load_manifest

    out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    if args.file:
        path = find_payload_file(args.file, args.root)
        description, corrections = describe_payload(path)
        table = Table(title=str(path), caption=description, caption_justify="left")
        for column in ("correction", "version", "inputs", "output"):
            table.add_column(column, overflow="fold")
        for c in corrections:
            name = Text(c.name)
            if c.description:
                name.append("\n" + c.description, style="dim")
            inputs = Text("\n").join(_variable(v) for v in c.inputs)
            version = "compound" if c.compound else str(c.version)
            table.add_row(name, version, inputs, _variable(c.output))
        out.print(table)
        return 0
    manifest = load_manifest()
    root = payload_root(args.root)
    table = Table(title=f"payload manifest: eras, their payloads in {root}")
    for column in ("era", "description", "jets", "portal", "payloads"):
        table.add_column(column, overflow="fold")
    for era in manifest.eras.values():
        states = [f.state for f in era.status(root)]
        summary = Text(", ").join(
            Text(f"{states.count(s)} {s}", style=style)
            for s, style in _STATE_STYLE.items()
            if s in states
        )
        portal = f"record {manifest.sources.portal.record}" if era.portal else "—"
        table.add_row(
            era.name, era.description, era.jets.algorithm if era.jets else "—", portal, summary
        )
    out.print(table)
    portal = manifest.sources.portal
    console.print(
        f"fetch: opencoffea corrections fetch ERA, from the portal (record {portal.record}, "
        f"{portal.file}, {_bytes(portal.size)}) or --from DIR, a jsonpog-integration checkout "
        f"such as {', '.join(manifest.sources.directories) or 'a CVMFS one'}",
        soft_wrap=True,
    )
    return 0


def _variable(variable: tuple[str, str, str | None]) -> Text:
    """``name (type)``, and its description where the payload gives one."""
    name, kind, description = variable
    text = Text(f"{name} ({kind})")
    if description:
        text.append(f" {description}", style="dim")
    return text


def _count(number: int | None) -> str:
    return "—" if number is None else f"{number:,}"


def _bytes(size: int | None) -> str:
    if size is None:
        return "—"
    value, units = float(size), ["B", "kB", "MB", "GB", "TB"]
    while value >= 1000 and len(units) > 1:
        value /= 1000
        units.pop(0)
    return f"{value:,.0f} B" if units[0] == "B" else f"{value:,.1f} {units[0]}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
