"""``residency assign FILE.csv``: a region and a primary data center for every row of a file.

Rows are read in chunks and placed with :meth:`~residency.Policy.assign_many`, which resolves
each distinct location once and, asked to return errors, gives a bad row its error and every
other row its answer. Nothing stops on a bad row.
"""

from __future__ import annotations

import csv
import itertools
from typing import TYPE_CHECKING, Final, TextIO

import attrs

from residency.errors import ResidencyError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from datetime import datetime

    from residency.placement import Placement
    from residency.policy import Policy

__all__ = ["ADDED_COLUMNS", "BulkReport", "MissingColumn", "assign_csv"]

ADDED_COLUMNS: Final = ("region", "primary", "rule", "error")
"""The columns ``assign`` adds to each row, after the file's own."""

_CHUNK: Final = 10_000
_KEPT_BAD_ROWS: Final = 5


class MissingColumn(ValueError):
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


def _placements(
    policy: Policy, values: list[str], accounts: list[str] | None, at: datetime | None
) -> list[Placement | str]:
    """Place a chunk, each distinct location once; a bad row gets its error, described."""
    answers = policy.assign_many(values, account_ids=accounts, at=at, errors="return")
    return [
        _describe(answer) if isinstance(answer, ResidencyError) else answer for answer in answers
    ]


def _describe(error: ResidencyError) -> str:
    return f"{type(error).__name__}: {' '.join(str(error).split())}"


def _column(header: list[str], name: str, option: str) -> int:
    try:
        return header.index(name)
    except ValueError:
        columns = ", ".join(repr(column) for column in header) or "none"
        message = f"the file has no column {name!r} (its columns: {columns}); name it with {option}"
        raise MissingColumn(message) from None


def assign_csv(  # noqa: PLR0913 - the options of the command, all keyword-only
    policy: Policy,
    source: TextIO,
    sink: TextIO,
    *,
    column: str,
    account_column: str | None = None,
    at: datetime | None = None,
    advance: Callable[[int], None] | None = None,
) -> BulkReport:
    """Read CSV rows from ``source``, write them to ``sink`` with region, primary, rule, error.

    ``column`` names the location column and ``account_column`` (optional) the account id;
    ``advance`` is called with the number of rows done after each chunk (for a progress bar).

    Raises:
        MissingColumn: the header lacks ``column`` or ``account_column``.
    """
    reader = csv.reader(source)
    header = next(reader, [])
    where = _column(header, column, "--column")
    who = _column(header, account_column, "--account-column") if account_column else None
    writer = csv.writer(sink, lineterminator="\n")
    writer.writerow([*header, *ADDED_COLUMNS])
    rows = bad = 0
    examples: list[tuple[int, str]] = []
    for chunk in _chunks(reader):
        values = [row[where] if len(row) > where else "" for row in chunk]
        accounts = (
            [row[who] if len(row) > who else "" for row in chunk] if who is not None else None
        )
        for row, answer in zip(chunk, _placements(policy, values, accounts, at), strict=True):
            rows += 1
            if isinstance(answer, str):
                bad += 1
                if len(examples) < _KEPT_BAD_ROWS:
                    examples.append((rows + 1, answer))  # line numbers count the header
                writer.writerow([*row, "", "", "", answer])
            else:
                writer.writerow([*row, answer.region, answer.primary.id, answer.rule.id, ""])
        if advance is not None:
            advance(len(chunk))
    return BulkReport(rows=rows, bad=bad, examples=tuple(examples))


def _chunks(reader: Iterator[list[str]]) -> Iterator[list[list[str]]]:
    while chunk := list(itertools.islice(reader, _CHUNK)):
        yield chunk
