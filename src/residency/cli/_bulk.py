"""``residency assign FILE.csv``: a region and a primary data center for every row of a file.

Rows are read in chunks through the one file reader (a regular file or standard input, each
line's encoding checked, every refusal naming its line) and placed with
:meth:`~residency.Policy.assign_many`, which resolves each distinct location once and, asked
to return errors, gives a bad row its error and every other row its answer. Nothing stops on
a bad row. The output is written to a temporary file and renamed on success, never over the
command's own input, so an interrupted or failed run leaves no partial file behind.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import itertools
import json
import sys
from typing import TYPE_CHECKING, Final, TextIO

import attrs

from residency import _files
from residency._text import escape, json_escape, one_line, quoted
from residency.errors import FileError, ResidencyError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from datetime import datetime

    from residency.placement import Placement
    from residency.policy import Policy

__all__ = ["ADDED_COLUMNS", "BulkReport", "MissingColumn", "assign_file", "assign_rows"]

ADDED_COLUMNS: Final = ("region", "primary", "rule", "error")
"""The columns ``assign`` adds to each row, after the file's own."""

_CHUNK: Final = 10_000
_KEPT_BAD_ROWS: Final = 5
_PROGRESS_FROM_ROWS: Final = 100_000


class MissingColumn(ResidencyError, LookupError):
    """The file has no column of the name asked for."""


@attrs.frozen
class BulkReport:
    """What a bulk run did."""

    rows: int
    """How many data rows were read."""
    bad: int
    """How many of them could not be placed."""
    examples: tuple[tuple[int, str], ...]
    """The first few bad rows: (line number in the file, ``ErrorName: message``)."""


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
        where = _column(reader.header, column, "--column")
        who = _column(reader.header, account_column, "--account-column") if account_column else None
        with (
            _sink(output, inputs=[*([file] if path else []), *inputs]) as sink,
            _progress(file) as advance,
        ):
            return assign_rows(
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


def assign_rows(  # noqa: PLR0913 - one run's whole setting
    policy: Policy,
    rows: Iterator[list[str]],
    sink: TextIO,
    *,
    header: list[str],
    where: int,
    who: int | None,
    at: datetime,
    as_json: bool = False,
    advance: Callable[[int], None] | None = None,
    terminal: bool = False,
) -> BulkReport:
    """Write ``rows`` to ``sink`` with their placement: CSV with four more columns, or JSON.

    Nothing is written before the first chunk of rows has been read, so a file that fails
    to read within its first chunk leaves even standard output empty. CSV cells are written
    as they were read, except to a ``terminal``, where their control characters are escapes
    (as ``ls`` shows file names); JSON writes them as escapes anywhere.
    """
    start = _json_writer if as_json else functools.partial(_csv_writer, terminal=terminal)
    write: Callable[[list[str], Placement | None, str], None] | None = None
    count = bad = 0
    examples: list[tuple[int, str]] = []
    for chunk in _chunks(rows):
        if write is None:
            write = start(sink, header)
        values = [row[where] if len(row) > where else "" for row in chunk]
        accounts = (
            [row[who] if len(row) > who else "" for row in chunk] if who is not None else None
        )
        answers = policy.assign_many(values, account_ids=accounts, at=at, errors="return")
        for row, answer in zip(chunk, answers, strict=True):
            count += 1
            if isinstance(answer, ResidencyError):
                bad += 1
                described = f"{type(answer).__name__}: {one_line(str(answer))}"
                if len(examples) < _KEPT_BAD_ROWS:
                    examples.append((count + 1, described))  # line numbers count the header
                write(row, None, described)
            else:
                write(row, answer, "")
        if advance is not None:
            advance(len(chunk))
    if write is None:  # a header and no rows
        start(sink, header)
    return BulkReport(rows=count, bad=bad, examples=tuple(examples))


def _csv_writer(
    sink: TextIO, header: list[str], *, terminal: bool = False
) -> Callable[[list[str], Placement | None, str], None]:
    writer = csv.writer(sink, lineterminator="\n")
    shown: Callable[[list[str]], list[str]] = (
        (lambda cells: [escape(cell) for cell in cells]) if terminal else (lambda cells: cells)
    )
    writer.writerow(shown([*header, *ADDED_COLUMNS]))

    def write(row: list[str], placement: Placement | None, error: str) -> None:
        if placement is None:
            writer.writerow([*shown(row), "", "", "", error])
        else:
            placed = [placement.region, placement.primary.id, placement.rule.id, ""]
            writer.writerow([*shown(row), *placed])

    return write


def _json_writer(
    sink: TextIO, header: list[str]
) -> Callable[[list[str], Placement | None, str], None]:
    def write(row: list[str], placement: Placement | None, error: str) -> None:
        record: dict[str, object] = dict(zip(header, row, strict=False))
        if placement is None:
            record.update(region=None, primary=None, data_centers=None, rule=None, error=error)
        else:
            record.update(
                region=placement.region,
                primary=placement.primary.id,
                data_centers=[dc.id for dc in placement.data_centers],
                rule=placement.rule.id,
                error=None,
            )
        sink.write(json_escape(json.dumps(record, ensure_ascii=False)) + "\n")

    return write


def _column(header: list[str], name: str, option: str) -> int:
    try:
        return header.index(name)
    except ValueError:
        columns = ", ".join(quoted(column) for column in header[:20]) or "none"
        message = (
            f"the file has no column {quoted(name)} (its columns: {columns}); name it with {option}"
        )
        raise MissingColumn(message) from None


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


def _chunks(rows: Iterator[list[str]]) -> Iterator[list[list[str]]]:
    while chunk := list(itertools.islice(rows, _CHUNK)):
        yield chunk
