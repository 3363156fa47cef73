"""``opencoffea datasets ACTION``: the CERN Open Data portal (search, show, files, download).

Example:
    $ opencoffea datasets search DoubleMuon --year 2016 --format nanoaod
    $ opencoffea datasets download 30555 --to data/DoubleMuon --max-files 2
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from .terminal import bytes_text, console, count_text, print_help

if TYPE_CHECKING:  # the library is imported by each command, when it runs
    from ..datasets.portal import Portal

__all__ = ["add_commands"]


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``datasets`` and its actions to the sub-commands ``sub``.

    Example:
        >>> parser = argparse.ArgumentParser(prog="opencoffea")
        >>> add_commands(parser.add_subparsers(dest="command"))
        >>> parser.parse_args(["datasets", "show", "30555"]).recid
        30555
    """
    portal = argparse.ArgumentParser(add_help=False)
    portal.add_argument("--server", help="portal URL (default $OPENCOFFEA_PORTAL or the CERN one)")
    portal.add_argument("--refresh", action="store_true", help="ask the portal, not the cache")
    datasets = sub.add_parser("datasets", help="find and fetch CERN Open Data portal records")
    datasets.set_defaults(handler=lambda args: print_help(datasets))
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


def _portal(args: argparse.Namespace) -> Portal:
    from ..datasets.portal import Portal

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
            count_text(hit.number_events),
            count_text(hit.number_files),
            bytes_text(hit.size),
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
        ("events", count_text(record.number_events)),
        ("files", f"{count_text(record.number_files)} ({len(record.files)} resolved)"),
        ("size", bytes_text(record.size)),
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
    from ..datasets.download import download

    portal = _portal(args)
    record = portal.record(args.recid)
    paths = download(
        record, args.to, max_files=args.max_files, portal=portal, progress=not args.quiet
    )
    total = bytes_text(sum(p.stat().st_size for p in paths))
    unchecked = sum(1 for f in record.files[: len(paths)] if not f.checksum)
    console.print(
        f"{len(paths)} file(s) of record {record.recid} ({total}) in [bold]{args.to}[/], "
        + (
            "verified by adler32"
            if not unchecked
            else f"[yellow]{unchecked} unverified: the record gives no checksum[/]"
        )
    )
    return 0
