"""Times: the one place that reads them and checks them. Exact instants, aware only.

residency answers "may this data move now?", so every time it takes must name one instant:
a naive datetime (a wall-clock time in no zone) or a bare number is refused, everywhere, by
the same functions:

- :func:`aware` checks a datetime given in code;
- :func:`moment` is :func:`aware`, with ``None`` meaning now;
- :func:`parse_instant` reads RFC 3339 text with an offset (the command line, JSON files);
- :func:`instant` takes either, as files give them (a TOML offset date-time or a string);
- :func:`day_or_instant` also takes a date, meaning 00:00 UTC (group membership dates);
- :func:`micros` turns an instant into exact integer microseconds since the epoch, for
  comparisons that must hold to the microsecond in any year (floats do not);
  :func:`from_micros` turns them back (``time.time_ns() // 1000`` reads the clock as them,
  the instant ``datetime.now(UTC)`` gives, with no datetime built).

>>> parse_instant("2026-01-01T09:30:00+02:00").isoformat()
'2026-01-01T09:30:00+02:00'
>>> micros(parse_instant("2026-01-01T07:30:00Z")) == micros(
...     parse_instant("2026-01-01T09:30:00+02:00")
... )
True
>>> parse_instant("2026-01-01T09:30:00")
Traceback (most recent call last):
...
residency.errors.InvalidTime: '2026-01-01T09:30:00' has no offset, ...
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Final

from residency._text import quoted
from residency.errors import InvalidTime

__all__ = [
    "EPOCH",
    "aware",
    "day_or_instant",
    "from_micros",
    "instant",
    "micros",
    "moment",
    "parse_instant",
]

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
"""The instant :func:`micros` counts from."""

_EXAMPLE: Final = "write it like 2026-01-01T00:00:00Z or 2026-01-01T02:00:00+02:00"
_LONGEST: Final = 40

# RFC 3339: a full date and time, seconds included, and an offset (Z or +hh:mm).
_RFC3339: Final = re.compile(
    r"(?P<time>\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)"
    r"(?P<offset>[Zz]|[+-]\d{2}:\d{2})?"
)
_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


def aware(value: object, name: str = "a time") -> datetime:
    """Return ``value`` if it is a timezone-aware datetime; else raise ``InvalidTime``.

    >>> aware(datetime(2020, 1, 31, 12))
    Traceback (most recent call last):
    ...
    residency.errors.InvalidTime: a time is a naive datetime (2020-01-31 12:00:00): ...
    """
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            message = (
                f"{name} is a naive datetime ({value}): give it a timezone (for example tzinfo=UTC)"
            )
            raise InvalidTime(message, value=value)
        return value
    message = f"{name} is an aware datetime, not {_kind(value)}"
    raise InvalidTime(message, value=value)


def moment(at: object) -> datetime:
    """Return ``at`` as an aware datetime, now for ``None``; refuse naive or other values.

    >>> moment(datetime(2020, 1, 31, 12, tzinfo=UTC)).isoformat()
    '2020-01-31T12:00:00+00:00'
    """
    return datetime.now(UTC) if at is None else aware(at, "at")


def parse_instant(text: object, name: str = "a time") -> datetime:
    """Return the instant that RFC 3339 ``text`` names; its offset is required."""
    if not isinstance(text, str):
        message = f"{name} is RFC 3339 text with an offset, not {_kind(text)}"
        raise InvalidTime(message, value=text)
    match = _RFC3339.fullmatch(text.strip()) if len(text) <= _LONGEST else None
    if match is None:
        message = f"{quoted(text)} is not an RFC 3339 time: {_EXAMPLE}"
        raise InvalidTime(message, value=text)
    if match["offset"] is None:
        message = f"{quoted(text)} has no offset, so it names no single instant: {_EXAMPLE}"
        raise InvalidTime(message, value=text)
    offset = match["offset"].upper().replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(match["time"].upper().replace(" ", "T") + offset)
    except ValueError as error:
        message = f"{quoted(text)} is not a valid time ({error}): {_EXAMPLE}"
        raise InvalidTime(message, value=text) from None


def instant(value: object, name: str = "a time") -> datetime:
    """Return the instant ``value`` names: an aware datetime, or RFC 3339 text with an offset.

    Numbers are refused: a Unix timestamp in a file is too easily a mistake, and names no
    zone the reader can check.
    """
    if isinstance(value, str):
        return parse_instant(value, name)
    if isinstance(value, datetime):
        return aware(value, name)
    message = f"{name} is RFC 3339 text with an offset (2026-01-01T00:00:00Z), not {_kind(value)}"
    raise InvalidTime(message, value=value)


def day_or_instant(value: object, name: str = "a time") -> datetime:
    """Return the instant ``value`` names; a date (or ISO date text) means 00:00 UTC that day.

    >>> day_or_instant("2020-02-01").isoformat(), day_or_instant(date(2020, 2, 1)).isoformat()
    ('2020-02-01T00:00:00+00:00', '2020-02-01T00:00:00+00:00')
    """
    if isinstance(value, datetime):
        try:
            return aware(value, name).astimezone(UTC)
        except OverflowError:  # an instant at the very edge of the calendar, moved off it
            message = f"{value.isoformat()} is too close to the first or last day of the calendar"
            raise InvalidTime(message, value=value) from None
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str) and _DATE.fullmatch(value.strip()):
        try:
            return day_or_instant(date.fromisoformat(value.strip()), name)
        except ValueError:
            message = f"{quoted(value)} is not a valid date"
            raise InvalidTime(message, value=value) from None
    if isinstance(value, str) and _RFC3339.fullmatch(value.strip()):
        return parse_instant(value, name).astimezone(UTC)
    shown = quoted(value) if isinstance(value, str) else _kind(value)
    message = f"expected an ISO date (2020-02-01) or an RFC 3339 time, not {shown}"
    raise InvalidTime(message, value=value)


def micros(at: datetime) -> int:
    """Return ``at`` (aware) as exact integer microseconds since 1970-01-01T00:00:00Z.

    >>> micros(datetime(3000, 1, 1, tzinfo=UTC)) - micros(
    ...     datetime(2999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    ... )
    1
    """
    delta = at - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int) -> datetime:
    """Return the instant ``value`` microseconds after 1970-01-01T00:00:00Z, in UTC (exactly).

    >>> from_micros(micros(datetime(2026, 1, 1, 9, 30, 0, 5, tzinfo=UTC))).isoformat()
    '2026-01-01T09:30:00.000005+00:00'
    """
    return EPOCH + timedelta(microseconds=value)


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return f"true/false ({value})"
    if isinstance(value, int | float):
        return f"a number ({quoted(str(value))})"
    return f"{type(value).__name__} {quoted(repr(value))}"
