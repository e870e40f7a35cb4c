"""``residency assign FILE.csv``: a region and a primary data center for every row of a file.

Rows are read through the one file reader (a regular file or standard input, each line's
encoding checked, every refusal naming its line; a Parquet file, known by its content,
through the Parquet reader beside it) and placed by :mod:`residency._bulk`: in columns by
:meth:`Policy.assign_frame <residency.Policy.assign_frame>` where numpy and pyarrow are
installed and there are accounts to rank, else row by row; both write the same bytes. The
output is written to a temporary file and renamed on success, never over the command's own
input, so an interrupted or failed run leaves no partial file behind.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from typing import TYPE_CHECKING, Final, TextIO

import attrs

from residency import _bulk, _files
from residency.errors import FileError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from datetime import datetime

    from residency._bulk import BulkReport
    from residency.policy import Policy

__all__ = ["Rows", "assign_file", "columnar_installed", "is_parquet", "open_rows", "placer"]

_PROGRESS_FROM_ROWS: Final = 100_000
_PARQUET_SUFFIX: Final = ".parquet"

_COLUMNAR: bool | None = None
"""Which path places the rows: ``None`` chooses (the columnar one when numpy and pyarrow are
installed and the rows have accounts, or come from Parquet), ``True`` or ``False`` asks for
one; without numpy or pyarrow it is always the row path. Set by the tests."""


@attrs.frozen
class Rows:
    """An input file open for reading: its header, its rows, and how it was read."""

    header: list[str]
    """The column names."""
    rows: Iterator[list[str]]
    """The rows after the header, each cell text."""
    count: int | None = None
    """How many rows there are, when known before reading them (a Parquet file's)."""
    parquet: bool = False
    """Whether the file is Parquet."""


def is_parquet(file: str) -> bool:
    """Whether ``file`` is read as Parquet: it starts with ``PAR1``, or is named ``.parquet``.

    A file named so is read as Parquet, whose reader then refuses it unless it starts and
    ends with ``PAR1``; a Parquet file under another name is known by its first bytes.
    """
    return file.lower().endswith(_PARQUET_SUFFIX) or _files.is_parquet(file)


@contextlib.contextmanager
def open_rows(file: str, *, encoding: str) -> Iterator[Rows]:
    """Open ``file`` ("-": standard input, as CSV) as :func:`assign_file` reads it.

    Raises:
        FileError: ``file`` cannot be read (a Parquet file: also when damaged or truncated).
        MissingDependency: ``file`` is Parquet and pyarrow is not installed.
    """
    path = None if file == "-" else file
    if path is not None and is_parquet(path):
        with _files.open_parquet(path) as parquet:
            yield Rows(parquet.header, parquet.rows(chunk=_bulk.CHUNK), parquet.count, parquet=True)
        return
    with _files.open_csv(path, encoding=encoding, stdin=sys.stdin.buffer) as reader:
        yield Rows(reader.header, reader)


def columnar_installed() -> bool:
    """Whether numpy and pyarrow can be imported (neither is imported to know)."""
    try:
        return all(importlib.util.find_spec(name) is not None for name in ("numpy", "pyarrow"))
    except (ImportError, ValueError):
        return False


def placer(*, accounts: bool, parquet: bool = False) -> Callable[..., list[_bulk.Answer]]:
    """How rows are placed: in columns where that is installed and pays, else row by row.

    Without accounts every row of a location shares one placement already, which the row
    path looks up once per row: the columnar path would only add the import of numpy.
    """
    columnar = (accounts or parquet) if _COLUMNAR is None else _COLUMNAR
    return _bulk.place_columns if columnar and columnar_installed() else _bulk.place_rows


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

    ``file`` is CSV, or Parquet (known by its content, read when pyarrow is installed).

    Raises:
        FileError: ``file`` cannot be read or ``output`` not written (also when it is the
            input itself); nothing is written.
        MissingColumn: the header lacks ``column`` or ``account_column``; nothing is written.
        MissingDependency: ``file`` is Parquet and pyarrow is not installed.
    """
    with open_rows(file, encoding=encoding) as read:
        where = _bulk.column(read.header, column, "--column")
        who = (
            _bulk.column(read.header, account_column, "--account-column")
            if account_column
            else None
        )
        with (
            _sink(output, inputs=[*([file] if file != "-" else []), *inputs]) as sink,
            _progress(file, read.count) as advance,
        ):
            return _bulk.assign_rows(
                policy,
                read.rows,
                sink,
                header=read.header,
                where=where,
                who=who,
                at=at,
                as_json=as_json,
                advance=advance,
                terminal=output == "-" and sys.stdout.isatty(),
                place=placer(accounts=who is not None, parquet=read.parquet),
            )


@contextlib.contextmanager
def _sink(output: str, *, inputs: Iterable[str]) -> Iterator[TextIO]:
    if output == "-":
        yield sys.stdout
        return
    with _files.atomic_output(output, inputs=inputs) as sink:
        yield sink


@contextlib.contextmanager
def _progress(file: str, count: int | None = None) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr for a long file, when stderr is a terminal; else nothing.

    ``count`` is the number of rows when known (a Parquet file's); else lines are counted.
    """
    if file == "-" or not sys.stderr.isatty():
        yield None
        return
    try:
        total = _count_lines(file) - 1 if count is None else count
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
