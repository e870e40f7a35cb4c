"""The exceptions of residency: one tree, every leaf also a builtin.

A residency library that guesses is dangerous, so every question it cannot answer for sure
ends in one of these, with fields that say why, never in a silent default::

    ResidencyError
    ├── LocationError (ValueError)             the input does not name one assignable place
    │   ├── InvalidLocation (TypeError)        empty, overlong, control characters, not a str
    │   ├── UnknownLocation (LookupError)      fits no country; .suggestions
    │   ├── AmbiguousLocation (LookupError)    fits several countries; .candidates
    │   └── UnassignedLocation (LookupError)   a country the catalog leaves unassigned
    ├── InvalidAccount (ValueError)            an account id that is not a non-empty str
    ├── UnknownRegion (LookupError)            a region id the catalog does not hold; .region
    ├── UnknownDataCenter (LookupError)        an id the catalog does not hold; .data_center
    ├── NoEligibleDataCenter (LookupError)     no data center of the region meets a constraint
    ├── CatalogError (ValueError)              an invalid catalog; .problems lists every one
    ├── InvalidTime (ValueError)               a naive datetime or an unreadable time
    ├── UnknownConsent (ValueError)            a consent naming no sub-processor id or kind
    ├── InvalidAgreement (ValueError)          a malformed agreement or agreements file; .problems
    ├── AgreementConflict (ValueError)         the store refuses a change: a duplicate id, ...
    ├── UnknownAgreement (LookupError)         an agreement id the store does not hold
    ├── StoreError (OSError)                   the agreement store cannot be used as asked
    │   ├── StoreMissing (FileNotFoundError)   no store there, and none is created
    │   ├── StoreUnavailable                   not a regular file, no permission, no server
    │   ├── StoreLocked                        another writer held it too long
    │   ├── StoreReadOnly (PermissionError)    opened read-only, or the file refuses writes
    │   ├── StoreFull                          the disk or quota is full
    │   └── StoreCorrupt                       not a store, damaged, or newer
    │       └── StoreTampered                  history altered outside residency; .event
    ├── FileError (OSError)                    a file that cannot be read or written as asked
    │   ├── NotARegularFile                    missing, a FIFO, a device, a directory; .path
    │   └── FileTooLarge                       larger than residency reads for its purpose
    ├── InvalidConstraint (LookupError)        a constraint naming no provider or certification
    ├── MissingColumn (LookupError)            a table without the column asked for; .column
    ├── DuplicateColumn (ValueError)           a frame has a column a call would add; .column
    ├── MissingDependency (ImportError)        an optional library is missing; .extra
    └── TransferDenied (PermissionError)       enforce_transfer refused a move; .decision

Catch ``ResidencyError`` for all of them, or the builtin a caller already handles:

>>> from residency import resolve_location
>>> try:
...     resolve_location("Korea")
... except LookupError as error:
...     print(type(error).__name__, error.candidates)
AmbiguousLocation ('KP', 'KR')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from residency._text import path as shown_path
from residency._text import quoted, shown

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

__all__ = [
    "AgreementConflict",
    "AmbiguousLocation",
    "CatalogError",
    "DuplicateColumn",
    "FileError",
    "FileTooLarge",
    "InvalidAccount",
    "InvalidAgreement",
    "InvalidConstraint",
    "InvalidLocation",
    "InvalidTime",
    "LocationError",
    "MissingColumn",
    "MissingDependency",
    "NoEligibleDataCenter",
    "NotARegularFile",
    "Problem",
    "ResidencyError",
    "StoreCorrupt",
    "StoreError",
    "StoreFull",
    "StoreLocked",
    "StoreMissing",
    "StoreReadOnly",
    "StoreTampered",
    "StoreUnavailable",
    "TransferDenied",
    "UnassignedLocation",
    "UnknownAgreement",
    "UnknownConsent",
    "UnknownDataCenter",
    "UnknownLocation",
    "UnknownRegion",
]


class ResidencyError(Exception):
    """The base of every error residency raises on purpose."""


class LocationError(ResidencyError, ValueError):
    """The input does not name exactly one place that the catalog assigns."""

    def __init__(self, message: str, *, value: object = None) -> None:
        super().__init__(message)
        self.value = value
        """The input as given (truncated when it was too long to keep)."""


class InvalidLocation(LocationError, TypeError):
    """The input cannot be a location at all: empty, overlong, control characters, not a str."""


class UnknownLocation(LocationError, LookupError):
    """The input fits no country; ``suggestions`` holds close names, never a guess.

    Suggestions are computed when they are first read (``suggestions``, or the message), so
    refusing a million unknown names costs nothing for suggestions nobody reads.
    """

    def __init__(
        self,
        message: str,
        *,
        value: object = None,
        suggestions: Iterable[str] = (),
        suggest: Callable[[], Iterable[str]] | None = None,
    ) -> None:
        super().__init__(message, value=value)
        self._suggestions: tuple[str, ...] | None = None if suggest else tuple(suggestions)
        self._suggest = suggest

    @property
    def suggestions(self) -> tuple[str, ...]:
        """Close known names, for a human to choose from; empty when nothing is close."""
        if self._suggestions is None:
            assert self._suggest is not None  # noqa: S101 - set whenever _suggestions is not
            self._suggestions = tuple(self._suggest())
            self._suggest = None
        return self._suggestions

    def __str__(self) -> str:
        message = super().__str__()
        suggestions = self.suggestions
        if suggestions:
            message += f"; did you mean {' or '.join(map(repr, suggestions))}?"
        return message


class AmbiguousLocation(LocationError, LookupError):
    """The input fits several countries; ``candidates`` lists their alpha-2 codes."""

    def __init__(self, message: str, *, value: object = None, candidates: Iterable[str]) -> None:
        super().__init__(message, value=value)
        self.candidates: tuple[str, ...] = tuple(sorted(candidates))
        """The alpha-2 codes the input could mean, sorted."""


class UnassignedLocation(LocationError, LookupError):
    """The catalog deliberately assigns the country to no region (Antarctica in the default)."""

    def __init__(self, message: str, *, value: object = None, country: str, catalog: str) -> None:
        super().__init__(message, value=value)
        self.country = country
        """The alpha-2 code of the unassigned country."""
        self.catalog = catalog
        """The id of the catalog that leaves it unassigned."""


class InvalidAccount(ResidencyError, ValueError):
    """An account id that is not a non-empty ``str``; residency never hashes anything else."""

    def __init__(self, account_id: object) -> None:
        self.account_id = account_id
        """The account id as given."""
        super().__init__(f"an account id is a non-empty str, not {shown(account_id)}")


class UnknownRegion(ResidencyError, LookupError):
    """A region id that the catalog does not hold."""

    def __init__(self, region: object, *, catalog: str, known: Iterable[str]) -> None:
        self.region = region
        """The id as given."""
        self.catalog = catalog
        """The id of the catalog that was asked."""
        self.known: tuple[str, ...] = tuple(known)
        """The region ids the catalog does hold."""
        super().__init__(
            f"{shown(region)} is not a region of catalog {catalog!r}; "
            f"the regions are {', '.join(self.known)}"
        )


class UnknownDataCenter(ResidencyError, LookupError):
    """A data center id that the catalog does not hold; ``suggestions`` holds close ids."""

    def __init__(
        self,
        data_center: object,
        *,
        catalog: str,
        known: Iterable[str],
        suggestions: Iterable[str] = (),
    ) -> None:
        self.data_center = data_center
        """The id as given."""
        self.catalog = catalog
        """The id of the catalog that was asked."""
        self.known: tuple[str, ...] = tuple(known)
        """The data center ids the catalog does hold."""
        self.suggestions: tuple[str, ...] = tuple(suggestions)
        """Known ids close to the one given, for a human to choose from."""
        hint = (
            f"; did you mean {' or '.join(map(repr, self.suggestions))}?"
            if self.suggestions
            else ""
        )
        super().__init__(
            f"{shown(data_center)} is not a data center of catalog {catalog!r}{hint} "
            f"(known: {', '.join(self.known)})"
        )


class NoEligibleDataCenter(ResidencyError, LookupError):
    """No data center of the customer's region meets a placement constraint.

    Residency never falls back to another region to satisfy a constraint.
    """

    def __init__(self, message: str, *, region: str, constraint: object) -> None:
        super().__init__(message)
        self.region = region
        """The region whose data centers were considered."""
        self.constraint = constraint
        """The constraint that none of them met."""


@attrs.frozen
class Problem:
    """One problem of an invalid catalog or agreements file."""

    path: str
    """Where the problem is, as a dotted path into the document (``data_centers[2].region``)."""
    message: str
    """What is wrong there."""

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class CatalogError(ResidencyError, ValueError):
    """A catalog (or agreements) document is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: Iterable[Problem], *, source: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        """Every problem found, in document order; never empty."""
        self.source = source
        """The file the document came from, when it came from a file."""
        where = f"{shown_path(source)}: " if source else ""
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        listed = "; ".join(str(problem) for problem in self.problems)
        super().__init__(f"{where}{count} {noun}: {listed}")


class InvalidTime(ResidencyError, ValueError):
    """A time that residency cannot place on the timeline: naive, or not a time at all."""

    def __init__(self, message: str, *, value: object = None) -> None:
        super().__init__(message)
        self.value = value
        """The value as given."""


class UnknownConsent(ResidencyError, ValueError):
    """A consent that names neither a sub-processor id nor a kind of the catalog."""

    def __init__(
        self, message: str, *, consents: Iterable[str], catalog: str, known: Iterable[str]
    ) -> None:
        super().__init__(message)
        self.consents: tuple[str, ...] = tuple(consents)
        """The consent names that are unknown."""
        self.catalog = catalog
        """The id of the catalog that was asked."""
        self.known: tuple[str, ...] = tuple(known)
        """The names a consent may use: sub-processor ids and kinds."""


class InvalidAgreement(ResidencyError, ValueError):
    """An agreement (or agreements file) that cannot be used; ``problems`` lists every one."""

    def __init__(
        self, problems: Iterable[Problem], *, agreement: object = None, source: str | None = None
    ) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        """Every problem found, in order; never empty."""
        self.agreement = agreement
        """The id of the agreement at fault, when one agreement is."""
        self.source = source
        """The file the agreements came from, when they came from a file."""
        where = f"{shown_path(source)}: " if source else ""
        which = f"agreement {shown(agreement)}: " if agreement is not None else ""
        listed = "; ".join(str(problem) for problem in self.problems)
        super().__init__(f"{where}{which}{listed}")


class AgreementConflict(ResidencyError, ValueError):
    """The agreement store refuses a change that would lose or overwrite what it holds."""

    def __init__(self, message: str, *, agreement: str) -> None:
        super().__init__(message)
        self.agreement = agreement
        """The id of the agreement concerned."""


class UnknownAgreement(ResidencyError, LookupError):
    """An agreement id that the agreement store does not hold."""

    def __init__(self, agreement: str) -> None:
        self.agreement = agreement
        """The id asked for."""
        super().__init__(f"the store holds no agreement {shown(agreement)}")


class StoreError(ResidencyError, OSError):
    """The agreement store cannot be used as asked; each subclass says which way."""

    def __init__(self, message: str, *, path: str, where: str = "") -> None:
        self.path = path
        """The store: its file, or its PostgreSQL URL without the password."""
        self.where = where
        """The record at fault, when one is (``event 12``)."""
        at = f" ({where})" if where else ""
        super().__init__(f"{shown_path(path)}{at}: {message}")
        # OSError would otherwise format itself from its arguments; keep ours.
        self.args = (f"{shown_path(path)}{at}: {message}",)

    def __str__(self) -> str:
        return str(self.args[0])


class StoreMissing(StoreError, FileNotFoundError):
    """No store where one was named, and none is created: a missing file, folder or database."""


class StoreUnavailable(StoreError):
    """The store cannot be opened or reached: not a regular file, no permission, no server."""


class StoreLocked(StoreError):
    """Another writer held the store for longer than a write waits."""


class StoreReadOnly(StoreError, PermissionError):
    """A write to a store opened read-only, or that the file or database refuses to write."""


class StoreFull(StoreError):
    """The disk or quota is full: the write was not made."""


class StoreCorrupt(StoreError):
    """Not a residency store, a damaged one, or one written by a newer residency."""


class StoreTampered(StoreCorrupt):
    """The history was altered outside residency: ``event`` names the first bad event.

    An inserted, changed or removed event breaks the hash chain; a dropped, disabled or
    rewritten trigger or index differs from the schema residency made.
    """

    def __init__(self, message: str, *, path: str, event: int | None = None) -> None:
        self.event = event
        """The ``seq`` of the first bad event; ``None`` when the schema, not an event, is."""
        super().__init__(message, path=path, where=f"event {event}" if event else "")


class FileError(ResidencyError, OSError):
    """A file that cannot be read or written as asked; ``line`` says where, when one line is."""

    def __init__(self, message: str, *, path: str, line: int | None = None) -> None:
        self.path = path
        """The file, as given."""
        self.line = line
        """The line at fault, counting from 1, when one line is."""
        where = shown_path(path) if line is None else f"{shown_path(path)}, line {line}"
        super().__init__(f"{where}: {message}")
        # OSError would otherwise format itself from its arguments; keep ours.
        self.args = (f"{where}: {message}",)

    def __str__(self) -> str:
        return str(self.args[0])


class NotARegularFile(FileError):
    """A path that names no regular file: missing, a FIFO, a device, a directory, a socket."""


class FileTooLarge(FileError):
    """A file larger than residency reads for its purpose."""


class InvalidConstraint(ResidencyError, LookupError):
    """A placement constraint that names a provider or certification the catalog does not hold.

    Told apart from :class:`NoEligibleDataCenter`: a typo is not a region without a match.
    """

    def __init__(self, message: str, *, unknown: Mapping[str, Iterable[str]], catalog: str) -> None:
        super().__init__(message)
        self.unknown: dict[str, tuple[str, ...]] = {
            field: tuple(sorted(values)) for field, values in unknown.items()
        }
        """The names the catalog does not hold, by constraint field (``providers``, ...)."""
        self.catalog = catalog
        """The id of the catalog that was asked."""


class MissingColumn(ResidencyError, LookupError):
    """A table (a CSV file, a frame) without the column asked for."""

    def __init__(
        self, column: str, *, columns: Iterable[str], option: str | None = None, what: str = "table"
    ) -> None:
        self.column = column
        """The column asked for."""
        self.columns: tuple[str, ...] = tuple(columns)
        """The columns the table has, in order."""
        listed = ", ".join(quoted(name) for name in self.columns[:20]) or "none"
        more = f" and {len(self.columns) - 20:,} more" if len(self.columns) > 20 else ""
        hint = f"; name it with {option}" if option else ""
        message = f"the {what} has no column {quoted(column)} (its columns: {listed}{more}){hint}"
        super().__init__(message)


class DuplicateColumn(ResidencyError, ValueError):
    """A frame already has a column that a call would add: it is refused, never overwritten."""

    def __init__(self, column: str, *, columns: Iterable[str]) -> None:
        self.column = column
        """The column that exists already."""
        self.columns: tuple[str, ...] = tuple(columns)
        """The columns the frame has, in order."""
        message = (
            f"the frame has a column {quoted(column)} already, which residency would add: "
            "rename or drop it first (nothing is overwritten)"
        )
        super().__init__(message)


class MissingDependency(ResidencyError, ImportError):
    """An optional library a call needs is not installed; the message names the extra."""

    def __init__(self, module: str, *, extra: str) -> None:
        self.module = module
        """The module that could not be imported."""
        self.extra = extra
        """The residency extra that installs it."""
        message = f"{module} is not installed: pip install 'residency[{extra}]'"
        super().__init__(message)


class TransferDenied(ResidencyError, PermissionError):
    """``enforce_transfer`` refused a move; ``decision`` says why."""

    def __init__(self, decision: Any) -> None:  # noqa: ANN401 - a TransferDecision; kept loose to avoid an import cycle
        self.decision = decision
        """The ``TransferDecision`` that denied the move."""
        super().__init__(decision.reason)
