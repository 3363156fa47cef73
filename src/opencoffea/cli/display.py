"""``opencoffea display SOURCE``: events of a NanoAOD file or a portal record, in a browser;
``opencoffea display --from-result DIR``: the events an analysis marked (``out.mark``), the
objects that matter highlighted and its numbers shown.

Writes ``DIR/display.html`` (one self-contained page for all the events: open it in any
browser, no network needed) and one PNG of the r-φ and ρ-z views an event.

Example:
    $ opencoffea display nano_dy.root --max 5 --output dy_events
    $ opencoffea display record:30555 --event 284043:26:43391541 --output one_event
    $ opencoffea display --from-result results/higgs4l_demo --selection 4l --max 20
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from .terminal import bytes_text, console

__all__ = ["add_commands"]


def _event_id(text: str) -> tuple[int, int, int]:
    from ..display.choosing import parse_id

    try:
        return parse_id(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``display`` to the sub-commands ``sub``.

    Example:
        >>> parser = argparse.ArgumentParser(prog="opencoffea")
        >>> add_commands(parser.add_subparsers(dest="command"))
        >>> args = parser.parse_args(["display", "x.root", "--event", "1:2:3", "--entry", "7"])
        >>> args.source, args.event, args.entry, args.output
        ('x.root', [(1, 2, 3)], [7], PosixPath('display'))
        >>> args = parser.parse_args(["display", "--from-result", "results/h", "--selection", "4l"])
        >>> args.source, args.from_result, args.selection
        (None, PosixPath('results/h'), '4l')
    """
    display = sub.add_parser(
        "display",
        help="show events in a browser (one HTML page, offline) and as PNG pictures",
        description="Show NanoAOD events: one self-contained HTML page and a PNG an event.",
    )
    display.add_argument(
        "source", nargs="?", help="a NanoAOD file (path or URL), or record:N of the portal"
    )
    display.add_argument(
        "--from-result",
        type=Path,
        metavar="RESULT_DIR",
        help="instead of SOURCE: the events the analysis of this result marked (out.mark)",
    )
    display.add_argument(
        "--selection", metavar="NAME", help="with --from-result: only the events marked so"
    )
    display.add_argument(
        "--event",
        type=_event_id,
        action="append",
        metavar="RUN:LUMI:EVENT",
        help="an event to show (repeat for more)",
    )
    display.add_argument(
        "--entry", type=int, action="append", metavar="N", help="an entry to show (repeat)"
    )
    display.add_argument("--max", type=int, metavar="N", help="at most N events (default 10)")
    display.add_argument(
        "--output", type=Path, default=Path("display"), help="directory to write (./display)"
    )
    display.add_argument("--server", help="portal URL for record:N (default $OPENCOFFEA_PORTAL)")
    display.add_argument("--no-png", action="store_true", help="write the page only")
    display.set_defaults(handler=_display)


def _display(args: argparse.Namespace) -> int:
    from ..display import display
    from ..errors import OpenCoffeaError

    start = time.perf_counter()
    if (args.source is None) == (args.from_result is None):
        raise OpenCoffeaError("display: give a SOURCE (a file, record:N) or --from-result DIR")
    if args.from_result is not None:
        if args.event or args.entry:
            raise OpenCoffeaError("display --from-result: the result chooses the events")
        from ..marking import LIMIT
        from ..results import load_result

        result = load_result(args.from_result)
        shown = display(result, selection=args.selection, max_events=args.max)
        names = [args.selection] if args.selection else sorted(result.marked)
        kept = sum(len(result.marked[name].events) for name in names)
        selected = sum(result.marked[name].selected for name in names)
        left_out = (
            f"; {selected} selected, a chunk keeps {LIMIT} of each" if selected > kept else ""
        )
        more = "; --max N shows more" if len(shown.events) < kept else ""
        shown_of = f"{len(shown.events)} of the {kept} events marked as {', '.join(names)}"
        console.print(shown_of + left_out + more, soft_wrap=True)
    else:
        if args.selection:
            raise OpenCoffeaError("display: --selection chooses among a result's marked events")
        shown = display(
            args.source, ids=args.event, entries=args.entry, max_events=args.max, server=args.server
        )
    if not shown.events:
        console.print(f"[yellow]{args.source or args.from_result} has no events to show[/]")
    page = shown.save(args.output / "display.html")[0]
    pictures = [] if args.no_png or not shown.events else shown.save(args.output / "event.png")
    seconds = time.perf_counter() - start
    read = sum(f.bytes_read for f in shown.files)
    size = sum(f.size for f in shown.files)
    share = f" ({read / size:.1%})" if size else ""
    console.print(
        f"{len(shown.events)} event(s) in {seconds:.1f} s, {bytes_text(read)} read of "
        f"{bytes_text(size)}{share}; page: [bold]{page}[/] ({bytes_text(page.stat().st_size)})"
        + (f", {len(pictures)} PNG in [bold]{args.output}[/]" if pictures else ""),
        soft_wrap=True,
    )
    return 0
