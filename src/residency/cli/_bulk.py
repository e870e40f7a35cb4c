"""``residency assign FILE.csv``: a region and a primary data center for every row of a file.

Rows are read through the one file reader (a regular file or standard input, each line's
encoding checked, every refusal naming its line) and placed by :mod:`residency._bulk`. The
output is written to a temporary file and renamed on success, never over the command's own
input, so an interrupted or failed run leaves no partial file behind.
"""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING, Final, TextIO

from residency import _bulk, _files
from residency.errors import FileError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from datetime import datetime

    from residency._bulk import BulkReport
    from residency.policy import Policy

__all__ = ["assign_file"]

_PROGRESS_FROM_ROWS: Final = 100_000


def assign_file(  # noqa: PLR0913 - the options of the command, all keyword-only
    policy: Policy,
    file: str,
    output: str,
    *,
    column: str,
    account_column: str | None,
    encoding: str,
    at: datetime,
    as_json: bool,
    inputs: Iterable[str] = (),
) -> BulkReport:
    """Place every row of ``file`` ("-": standard input) and write them to ``output``.

    Raises:
        FileError: ``file`` cannot be read or ``output`` not written (also when it is the
            input itself); nothing is written.
        MissingColumn: the header lacks ``column`` or ``account_column``; nothing is written.
    """
    path = None if file == "-" else file
    with _files.open_csv(path, encoding=encoding, stdin=sys.stdin.buffer) as reader:
        where = _bulk.column(reader.header, column, "--column")
        who = (
            _bulk.column(reader.header, account_column, "--account-column")
            if account_column
            else None
        )
        with (
            _sink(output, inputs=[*([file] if path else []), *inputs]) as sink,
            _progress(file) as advance,
        ):
            return _bulk.assign_rows(
                policy,
                reader,
                sink,
                header=reader.header,
                where=where,
                who=who,
                at=at,
                as_json=as_json,
                advance=advance,
                terminal=output == "-" and sys.stdout.isatty(),
            )


@contextlib.contextmanager
def _sink(output: str, *, inputs: Iterable[str]) -> Iterator[TextIO]:
    if output == "-":
        yield sys.stdout
        return
    with _files.atomic_output(output, inputs=inputs) as sink:
        yield sink


@contextlib.contextmanager
def _progress(file: str) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr for a long file, when stderr is a terminal; else nothing."""
    if file == "-" or not sys.stderr.isatty():
        yield None
        return
    try:
        total = _count_lines(file) - 1
    except (OSError, FileError):
        total = 0
    if total < _PROGRESS_FROM_ROWS:
        yield None
        return
    from rich.progress import Progress  # noqa: PLC0415 - only long files on a terminal

    from residency.cli._render import error_console  # noqa: PLC0415 - rich loads only here

    with Progress(console=error_console(), transient=True) as progress:
        task = progress.add_task("Placing rows", total=total)
        yield lambda done: progress.advance(task, done)


def _count_lines(file: str) -> int:
    with open(file, "rb") as binary:  # noqa: PTH123 - a path the reader has checked already
        return sum(block.count(b"\n") for block in iter(lambda: binary.read(1 << 20), b""))
