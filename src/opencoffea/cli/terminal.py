"""What every command shares: the consoles, exit statuses and number formats.

Messages go to standard error (:data:`console`); tables and listings a user may pipe go
to standard output (:func:`table_console`).

Example:
    >>> count_text(1234567), bytes_text(2_500_000)
    ('1,234,567', '2.5 MB')
"""

from __future__ import annotations

import argparse
import logging
import sys

from rich.console import Console

__all__ = [
    "EXIT_ERROR",
    "EXIT_FAILED_CHUNKS",
    "EXIT_INCOMPLETE",
    "bytes_text",
    "console",
    "count_text",
    "print_help",
    "show_log",
    "table_console",
]

EXIT_ERROR = 1
EXIT_FAILED_CHUNKS = 3
EXIT_INCOMPLETE = 4

console = Console(stderr=True, highlight=False)


def show_log(level: int = logging.INFO) -> None:
    """Show what the library logs (its ``opencoffea.*`` loggers) on :data:`console`, once.

    The library logs what a person may want to know beside its result, such as where a dask
    cluster's dashboard is; the command shows each record as a dim line on standard error.

    Example:
        >>> show_log()
        >>> logging.getLogger("opencoffea.execution").info("dask dashboard: http://127.0.0.1:1/")
    """
    logger = logging.getLogger("opencoffea")
    logger.setLevel(level)
    if not any(isinstance(h, _ConsoleHandler) for h in logger.handlers):
        logger.addHandler(_ConsoleHandler())


class _ConsoleHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        # the message as it is: a URL's or a path's brackets are not markup
        console.print(self.format(record), style="dim", markup=False, soft_wrap=True)


def table_console(width: int = 160) -> Console:
    """A console on standard output; in a log or a pipe, ``width`` columns wide.

    rich would fold a wide table to 80 columns where there is no terminal; a table read
    in a log should stay whole.

    Example:
        >>> table_console(200).print("a table")  # on standard output
        a table
    """
    return Console(highlight=False, width=None if sys.stdout.isatty() else width)


def print_help(parser: argparse.ArgumentParser) -> int:
    """Print a command's help (for a command given without its action); an error status.

    Example:
        >>> print_help(argparse.ArgumentParser(prog="opencoffea datasets"))  # doctest: +ELLIPSIS
        usage: opencoffea datasets [-h]
        ...
        1
    """
    parser.print_help()
    return EXIT_ERROR


def count_text(number: int | None) -> str:
    """A count with thousands separators, or a dash for unknown.

    Example:
        >>> count_text(None)
        '—'
    """
    return "—" if number is None else f"{number:,}"


def bytes_text(size: int | None) -> str:
    """A size in bytes in decimal units (B, kB, MB, GB, TB), or a dash for unknown.

    Example:
        >>> bytes_text(999), bytes_text(1_234_000_000)
        ('999 B', '1.2 GB')
    """
    if size is None:
        return "—"
    value, units = float(size), ["B", "kB", "MB", "GB", "TB"]
    while value >= 1000 and len(units) > 1:
        value /= 1000
        units.pop(0)
    return f"{value:,.0f} B" if units[0] == "B" else f"{value:,.1f} {units[0]}"
