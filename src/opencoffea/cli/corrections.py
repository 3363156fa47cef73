"""``opencoffea corrections ACTION``: the official payloads of the manifest (fetch, list).

Example:
    $ opencoffea corrections list
    $ opencoffea corrections fetch 2016postVFP_UL

    or from Python, the keys of one payload (a table on standard output):

    >>> import contextlib, io
    >>> from opencoffea.cli import main
    >>> pileup = "POG/LUM/2016postVFP_UL/puWeights.json.gz"
    >>> with contextlib.redirect_stdout(io.StringIO()) as shown:
    ...     status = main(["corrections", "list", pileup, "--root", str(corrections_root)])
    >>> status, "Collisions16_UltraLegacy_goldenJSON" in shown.getvalue()
    (0, True)
"""

from __future__ import annotations

import argparse

from rich.table import Table
from rich.text import Text

from .terminal import EXIT_ERROR, bytes_text, console, print_help, table_console

__all__ = ["add_commands"]

_STATE_STYLE = {"verified": "green", "other version": "yellow", "missing": "red"}


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``corrections`` and its actions to the sub-commands ``sub``.

    Example:
        >>> parser = argparse.ArgumentParser(prog="opencoffea")
        >>> add_commands(parser.add_subparsers(dest="command"))
        >>> parser.parse_args(["corrections", "fetch", "2016postVFP_UL"]).era
        '2016postVFP_UL'
    """
    corrections = sub.add_parser("corrections", help="official correction payloads: fetch, list")
    corrections.set_defaults(handler=lambda args: print_help(corrections))
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
    from ..corrections.fetch import fetch

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
    table_console().print(table)
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
    from ..corrections.describe import describe_payload
    from ..corrections.location import find_payload_file, payload_root
    from ..eras import load_manifest

    out = table_console()
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
    archive = manifest.sources.portal
    console.print(
        f"fetch: opencoffea corrections fetch ERA, from the portal (record {archive.record}, "
        f"{archive.file}, {bytes_text(archive.size)}) or --from DIR, a jsonpog-integration "
        f"checkout such as {', '.join(manifest.sources.directories) or 'a CVMFS one'}",
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
