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
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final, TextIO, TypeAlias

import attrs

from residency._text import escape, json_escape, one_line
from residency.errors import MissingColumn, ResidencyError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from datetime import datetime

    from residency.policy import Policy

__all__ = [
    "ADDED_COLUMNS",
    "Answer",
    "BulkReport",
    "assign_rows",
    "column",
    "place_columns",
    "place_rows",
]

ADDED_COLUMNS: Final = ("region", "primary", "rule", "error")
"""The columns ``assign`` adds to each row, after the table's own."""

_CHUNK: Final = 10_000
CHUNK: Final = _CHUNK
"""How many rows are placed at once."""
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


Answer: TypeAlias = tuple[str, str, str, Sequence[str]] | str
"""A row's answer: ``(region, primary, rule, data center ids)``, or ``"ErrorName: message"``."""


def place_rows(
    policy: Policy,
    values: list[str],
    accounts: list[str] | None,
    at: datetime,
    data_centers: bool,
) -> list[Answer]:
    """Each row's answer, by :meth:`~residency.Policy.assign_many`: the reference path.

    ``data_centers`` asks for each answer's data center ids (else they are left empty).
    """
    answers = policy.assign_many(values, account_ids=accounts, at=at, errors="return")
    return [
        f"{type(answer).__name__}: {one_line(str(answer))}"
        if isinstance(answer, ResidencyError)
        else (
            answer.region,
            answer.primary.id,
            answer.rule.id,
            [dc.id for dc in answer.data_centers] if data_centers else (),
        )
        for answer in answers
    ]


def place_columns(
    policy: Policy,
    values: list[str],
    accounts: list[str] | None,
    at: datetime,
    data_centers: bool,
) -> list[Answer]:
    """Each row's answer, by :meth:`~residency.Policy.assign_frame`: the columnar path.

    The same answers as :func:`place_rows` (a test pins the two equal on every kind of
    row), with no Python call per row to place it; needs numpy and pyarrow.
    """
    import numpy as np  # noqa: PLC0415 - the columnar path only
    import pyarrow as pa  # noqa: PLC0415 - the columnar path only

    strings = pa.string()
    try:
        columns = {"location": pa.array(values, type=strings)}
        if accounts is not None:
            columns["account"] = pa.array(accounts, type=strings)
    except (UnicodeError, pa.ArrowException):
        # A lone surrogate (``--encoding unicode_escape`` can decode one) is no UTF-8 that
        # Arrow holds: such a chunk is answered the plain way, as alike as ever.
        return place_rows(policy, values, accounts, at, data_centers)
    placed = policy.assign_frame(
        pa.table(columns),
        location="location",
        account="account" if accounts is not None else None,
        at=at,
    )

    def texts(name: str) -> list[str]:
        column = placed.column(name).combine_chunks()
        dictionary = np.array([*column.dictionary.to_pylist(), ""], dtype=object)
        indices = column.indices.fill_null(len(dictionary) - 1).to_numpy(zero_copy_only=False)
        return list(dictionary[indices])

    regions, primaries, rules = texts("region"), texts("primary"), texts("rule")
    errors = texts("error")
    ids = (
        _data_center_ids(placed.column("data_centers").combine_chunks(), len(values), np)
        if data_centers
        else None
    )
    return [
        error or (region, primary, rule, () if ids is None else ids[row])
        for row, (region, primary, rule, error) in enumerate(
            zip(regions, primaries, rules, errors, strict=True)
        )
    ]


def _data_center_ids(lists: Any, count: int, numpy: Any) -> list[list[str]]:  # noqa: ANN401 - pyarrow, numpy
    """Each row's data center ids, from the list column (empty where the row is in error)."""
    offsets = lists.offsets.to_numpy(zero_copy_only=False).tolist()
    items = lists.values
    names = numpy.array(items.dictionary.to_pylist(), dtype=object)
    flat = list(names[items.indices.to_numpy(zero_copy_only=False)]) if len(items) else []
    return [flat[offsets[row] : offsets[row + 1]] for row in range(count)]


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
    place: Callable[[Policy, list[str], list[str] | None, datetime, bool], list[Answer]] = (
        place_rows
    ),
) -> BulkReport:
    """Write ``rows`` to ``sink`` with their placement: CSV with four more columns, or JSON.

    ``where`` is the position of the location in each row, ``who`` that of the account id.
    Nothing is written before the first chunk of rows has been read, so a file that fails
    to read within its first chunk leaves even standard output empty. CSV cells are written
    as they were read, except to a ``terminal``, where their control characters are escapes
    (as ``ls`` shows file names); JSON writes them as escapes anywhere. ``advance`` is told
    how many rows each chunk held. ``place`` answers a chunk: :func:`place_rows` (the
    default) or :func:`place_columns`, which answer alike.
    """
    start = _json_writer if as_json else functools.partial(_csv_writer, terminal=terminal)
    write: Callable[[list[str], Answer], None] | None = None
    count = bad = 0
    examples: list[tuple[int, str]] = []
    for chunk in _chunks(rows):
        if write is None:
            write = start(sink, header)
        values = [row[where] if len(row) > where else "" for row in chunk]
        accounts = (
            [row[who] if len(row) > who else "" for row in chunk] if who is not None else None
        )
        answers = place(policy, values, accounts, at, as_json)
        for row, answer in zip(chunk, answers, strict=True):
            count += 1
            if isinstance(answer, str):
                bad += 1
                if len(examples) < _KEPT_BAD_ROWS:
                    examples.append((count + 1, answer))  # line numbers count the header
            write(row, answer)
        if advance is not None:
            advance(len(chunk))
    if write is None:  # a header and no rows
        start(sink, header)
    return BulkReport(rows=count, bad=bad, examples=tuple(examples))


def _csv_writer(
    sink: TextIO, header: list[str], *, terminal: bool = False
) -> Callable[[list[str], Answer], None]:
    writer = csv.writer(sink, lineterminator="\n")
    shown: Callable[[list[str]], list[str]] = (
        (lambda cells: [escape(cell) for cell in cells]) if terminal else (lambda cells: cells)
    )
    writer.writerow(shown([*header, *ADDED_COLUMNS]))

    def write(row: list[str], answer: Answer) -> None:
        if isinstance(answer, str):
            writer.writerow([*shown(row), "", "", "", answer])
        else:
            region, primary, rule, _ = answer
            writer.writerow([*shown(row), region, primary, rule, ""])

    return write


def _json_writer(sink: TextIO, header: list[str]) -> Callable[[list[str], Answer], None]:
    def write(row: list[str], answer: Answer) -> None:
        record: dict[str, object] = dict(zip(header, row, strict=False))
        if isinstance(answer, str):
            record.update(region=None, primary=None, data_centers=None, rule=None, error=answer)
        else:
            region, primary, rule, data_centers = answer
            record.update(
                region=region,
                primary=primary,
                data_centers=list(data_centers),
                rule=rule,
                error=None,
            )
        sink.write(json_escape(json.dumps(record, ensure_ascii=False)) + "\n")

    return write


def _chunks(rows: Iterator[list[str]]) -> Iterator[list[list[str]]]:
    while chunk := list(itertools.islice(rows, _CHUNK)):
        yield chunk
