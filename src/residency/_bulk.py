"""Rows of a table placed in chunks: a region and a primary data center for every row.

Rows are placed with :meth:`~residency.Policy.assign_many`, which resolves each distinct
location once and, asked to return errors, gives a bad row its error and every other row its
answer. Nothing stops on a bad row. The rows are written as CSV with four more columns
(:data:`ADDED_COLUMNS`), or as one JSON object per row.
"""

from __future__ import annotations

import csv
import functools
import itertools
import json
from typing import TYPE_CHECKING, Final, TextIO

import attrs

from residency._text import escape, json_escape, one_line
from residency.errors import MissingColumn, ResidencyError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from datetime import datetime

    from residency.placement import Placement
    from residency.policy import Policy

__all__ = ["ADDED_COLUMNS", "BulkReport", "assign_rows", "column"]

ADDED_COLUMNS: Final = ("region", "primary", "rule", "error")
"""The columns ``assign`` adds to each row, after the table's own."""

_CHUNK: Final = 10_000
_KEPT_BAD_ROWS: Final = 5


@attrs.frozen
class BulkReport:
    """What a bulk run did."""

    rows: int
    """How many data rows were read."""
    bad: int
    """How many of them could not be placed."""
    examples: tuple[tuple[int, str], ...]
    """The first few bad rows: (line number in the file, ``ErrorName: message``)."""


def column(header: list[str], name: str, option: str | None = None, what: str = "file") -> int:
    """Return the position of column ``name`` in ``header``.

    Raises:
        MissingColumn: the header has no such column; ``option`` is how to name another.
    """
    try:
        return header.index(name)
    except ValueError:
        raise MissingColumn(name, columns=header, option=option, what=what) from None


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

    ``where`` is the position of the location in each row, ``who`` that of the account id.
    Nothing is written before the first chunk of rows has been read, so a file that fails
    to read within its first chunk leaves even standard output empty. CSV cells are written
    as they were read, except to a ``terminal``, where their control characters are escapes
    (as ``ls`` shows file names); JSON writes them as escapes anywhere. ``advance`` is told
    how many rows each chunk held.
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


def _chunks(rows: Iterator[list[str]]) -> Iterator[list[list[str]]]:
    while chunk := list(itertools.islice(rows, _CHUNK)):
        yield chunk
