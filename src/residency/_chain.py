"""The agreement store's history as data: event rows, their hash chain, and the rules they obey.

Both store backends (SQLite and PostgreSQL) keep the same rows and obey the same rules; this
module is where those are written down once, in plain Python, so that every backend is checked
against the same definition:

- an event row is the tuple :data:`Row` (``seq`` to ``hash``), stored in one append-only table;
- ``seq`` counts from 1 with no gap; ``prev_hash`` is the ``hash`` of the event before it
  (:data:`GENESIS` for the first), and ``hash`` is :func:`digest` of the row's other fields,
  so that an inserted, altered or removed event breaks the chain at that event;
- an agreement's events are numbered by ``version`` from 1: version 1 is its ``add``, every
  later one an ``amend`` or a ``revoke`` of the version before it, of the same account;
- a revoked agreement is final: no event follows the one whose snapshot holds ``revoked_at``
  (a new agreement takes a new id);
- the snapshot is the agreement as it stands after the event, in canonical JSON
  (:func:`snapshot`); its id and account are the row's, and an amendment changes only the
  window end, the destinations or the reference.

The databases enforce what they can of this themselves (triggers); :func:`check` is the
definition, run by ``AgreementStore.verify()``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from residency._text import shown
from residency._time import parse_instant
from residency.agreements import Agreement, UnusableAgreement
from residency.errors import InvalidAgreement, Problem, ResidencyError

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "GENESIS",
    "KINDS",
    "Row",
    "Taken",
    "Violation",
    "check",
    "decode",
    "digest",
    "link",
    "reference_snapshot",
    "snapshot",
]

Row = tuple[int, str, str, str, int, int, str, str, str, str, str]
"""One event: (seq, kind, agreement_id, account_id, version, recorded_at, actor, note,
snapshot, prev_hash, hash); ``recorded_at`` in microseconds since the epoch, UTC."""

COLUMNS: Final = (
    "seq",
    "kind",
    "agreement_id",
    "account_id",
    "version",
    "recorded_at",
    "actor",
    "note",
    "snapshot",
    "prev_hash",
    "hash",
)
"""The columns of the event table, in the order of :data:`Row`."""

GENESIS: Final = "0" * 64
"""The ``prev_hash`` of the first event."""

KINDS: Final = ("add", "amend", "revoke")
"""The kinds of event."""

# What an amendment may change; everything else of the snapshot is the agreement's for good.
_FIXED: Final = ("id", "account_id", "valid_from", "basis")


class Taken(Exception):
    """A backend's signal: the database refused an ``add`` whose agreement id it holds already.

    The backend has rolled the transaction back; the store names the id (the backends cannot
    tell which of a stream of rows it was).
    """


class Violation(ResidencyError):
    """A row that breaks the rules of the history: ``seq`` names it, ``message`` says how."""

    def __init__(self, seq: int, message: str) -> None:
        self.seq = seq
        self.message = message
        super().__init__(f"event {seq}: {message}")


def message(fields: tuple[int, str, str, str, int, int, str, str, str, str]) -> str:
    """The text an event's hash is taken of: its fields ``seq`` to ``prev_hash``, as text.

    Each is prefixed by its length in characters and a colon, so that no field can bleed into
    the next (``1:5`` then ``3:add`` ...). SQL builds the same text with
    ``length(x) || ':' || x``, so a database's own check can follow this definition.
    """
    seq, kind, agreement_id, account_id, version, recorded_at, actor, note, snapshot, prev = fields
    # One f-string rather than a loop: this runs for every event each time a store opens.
    seq_text, version_text, recorded_text = str(seq), str(version), str(recorded_at)
    return (
        f"{len(seq_text)}:{seq_text}{len(kind)}:{kind}{len(agreement_id)}:{agreement_id}"
        f"{len(account_id)}:{account_id}{len(version_text)}:{version_text}"
        f"{len(recorded_text)}:{recorded_text}{len(actor)}:{actor}{len(note)}:{note}"
        f"{len(snapshot)}:{snapshot}{len(prev)}:{prev}"
    )


def digest(fields: tuple[int, str, str, str, int, int, str, str, str, str]) -> str:
    """The SHA-256 (hex) of :func:`message` of an event's fields ``seq`` to ``prev_hash``."""
    return hashlib.sha256(message(fields).encode("utf-8")).hexdigest()


def link(previous: tuple[int, str], fields: tuple[str, str, str, int, int, str, str, str]) -> Row:
    """The row that follows ``previous`` (its ``(seq, hash)``; ``(0, GENESIS)`` for none).

    ``fields`` are the event's own, from ``kind`` to ``snapshot``: (kind, agreement_id,
    account_id, version, recorded_at, actor, note, snapshot).
    """
    head = (previous[0] + 1, *fields, previous[1])
    return (*head, _sha256(message(head).encode("utf-8")).hexdigest())


_sha256: Final = hashlib.sha256


def snapshot(agreement: Agreement) -> str:
    """The agreement as canonical JSON: fixed key order, compact, UTF-8, no absent field.

    Written out by hand, as :func:`reference_snapshot` would encode it (a property test holds
    them equal): this runs for every agreement a store records, and the JSON encoder's
    general machinery costs three times as much.
    """
    quote = _quote
    destinations = ",".join(map(quote, sorted(agreement.destinations)))
    text = (
        f'{{"id":{quote(agreement.id)},"account_id":{quote(agreement.account_id)},'
        f'"destinations":[{destinations}],"valid_from":"{agreement.valid_from.isoformat()}"'
    )
    if agreement.valid_until is not None:
        text += f',"valid_until":"{agreement.valid_until.isoformat()}"'
    if agreement.revoked_at is not None:
        text += f',"revoked_at":"{agreement.revoked_at.isoformat()}"'
    basis, reference = quote(agreement.basis.value), quote(agreement.reference)
    return f'{text},"basis":{basis},"reference":{reference}}}'


def reference_snapshot(agreement: Agreement) -> str:
    """:func:`snapshot` by the JSON encoder: the definition the fast one is held to."""
    data: dict[str, Any] = {
        "id": agreement.id,
        "account_id": agreement.account_id,
        "destinations": sorted(agreement.destinations),
        "valid_from": agreement.valid_from.isoformat(),
    }
    if agreement.valid_until is not None:
        data["valid_until"] = agreement.valid_until.isoformat()
    if agreement.revoked_at is not None:
        data["revoked_at"] = agreement.revoked_at.isoformat()
    data["basis"] = agreement.basis.value
    data["reference"] = agreement.reference
    return _ENCODE(data)


_ENCODE: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
"""json.dumps with these options, made once: dumps would make a new encoder every call."""
_quote: Final = json.encoder.encode_basestring
"""A str as a JSON string, as :data:`_ENCODE` writes one (``ensure_ascii=False``)."""


def decode(text: str) -> Agreement:
    """The agreement a snapshot holds.

    Raises:
        InvalidAgreement: the snapshot is no agreement this version can use; the message
            says why.
    """
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            message = "not a JSON object"
            raise TypeError(message)  # noqa: TRY301 - one handler for every shape
        optional = {
            name: _instant(data[name], name)
            for name in ("valid_until", "revoked_at")
            if data.get(name) is not None
        }
        return Agreement(
            id=data["id"],
            account_id=data["account_id"],
            destinations=data["destinations"],
            valid_from=_instant(data["valid_from"], "valid_from"),
            basis=data["basis"],
            reference=data.get("reference", ""),
            **optional,
        )
    except InvalidAgreement:
        raise
    except (KeyError, TypeError, ValueError, RecursionError) as error:
        detail = f"lacks {error}" if isinstance(error, KeyError) else str(error)
        problem = Problem("snapshot", f"an unreadable snapshot ({detail})")
        raise InvalidAgreement([problem]) from None


def _instant(value: object, name: str) -> datetime:
    """A time as a snapshot holds it: ISO text with an offset (as ``isoformat()`` writes)."""
    if value.__class__ is str:
        try:
            found = datetime.fromisoformat(value)  # type: ignore[arg-type]
        except ValueError:
            found = None
        if found is not None and found.utcoffset() is not None:
            return found
    return parse_instant(value, name)  # raises, with the usual message


def unusable(agreement_id: str, account_id: str, error: InvalidAgreement) -> UnusableAgreement:
    """The unusable agreement that a snapshot failing :func:`decode` stands for."""
    reason = "; ".join(problem.message for problem in error.problems)
    return UnusableAgreement(agreement_id, account_id, f"its snapshot cannot be read: {reason}")


def check(rows: Iterable[Row], *, rules: bool = True) -> tuple[int, str]:
    """Check the chain over ``rows`` (the whole history, by seq); return the last (seq, hash).

    With ``rules``, also every rule of the module docstring.

    Raises:
        Violation: at the first row that breaks a rule, naming it.
    """
    previous: tuple[int, str] = (0, GENESIS)
    # Per agreement: its last version, account, fixed fields and whether it is revoked.
    last: dict[str, tuple[int, str, tuple[object, ...], bool]] = {}
    for row in rows:
        seq, prev_hash, hashed = row[0], row[9], row[10]
        if seq != previous[0] + 1:
            raise Violation(seq, f"follows event {previous[0]}: an event is missing or moved")
        if prev_hash != previous[1]:
            raise Violation(seq, "its prev_hash is not the hash of the event before it")
        if digest(row[:10]) != hashed:
            raise Violation(seq, "its hash does not match its fields: the event was altered")
        if rules:
            _follow(row, last)
        previous = (seq, hashed)
    return previous


def _follow(  # noqa: C901, PLR0912 - one branch per rule, in the order of the docstring
    row: Row, last: dict[str, tuple[int, str, tuple[object, ...], bool]]
) -> None:
    seq, kind, agreement_id, account_id, version, _, actor, note, text = row[:9]
    if kind not in KINDS:
        raise Violation(seq, f"unknown kind {shown(kind)}")
    for name, value in (("actor", actor), ("note", note)):
        if not isinstance(value, str):
            raise Violation(seq, f"{name} is not text")
    before = last.get(agreement_id)
    which = f"agreement {shown(agreement_id)}"
    if before is None:
        if kind != "add" or version != 1:
            raise Violation(seq, f"{which} does not start with add")
    elif kind == "add":
        raise Violation(seq, f"{which} is added twice")
    elif version != before[0] + 1:
        raise Violation(seq, f"version {version} does not follow version {before[0]}")
    elif account_id != before[1]:
        raise Violation(seq, "an event moves the agreement to another account")
    elif before[3]:
        raise Violation(seq, f"{which} changes after its revocation")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        data = None
    if (
        not isinstance(data, dict)
        or data.get("id") != agreement_id
        or (data.get("account_id") != account_id)
    ):
        raise Violation(seq, "its snapshot is not an agreement of this id and account")
    revoked = data.get("revoked_at") is not None
    if kind == "revoke" and not revoked:
        raise Violation(seq, "a revoke event whose snapshot is not revoked")
    if kind == "amend" and revoked:
        raise Violation(seq, "an amend event that revokes")
    fixed = tuple(data.get(name) for name in _FIXED)
    if before is not None and fixed != before[2]:
        changed = [name for name, a, b in zip(_FIXED, fixed, before[2], strict=True) if a != b]
        raise Violation(seq, f"an event changes {', '.join(changed)}, which never change")
    last[agreement_id] = (version, account_id, fixed, revoked)
