"""``residency agreements``: what the commands over the agreement store need besides click.

Each command opens the store as it needs it (:func:`open_store`: a reading command read-only,
never creating one; a writing command creating a missing store, its writes checked against
the catalog in use), names who made a change (:func:`actor_of`), reads agreements from
command-line options through the schema of agreements files (:func:`agreement_from_options`,
so that what the command line records, a file could hold) or from a file or another store
(:func:`read_source`), and writes the store's agreements back out as an agreements file
(:func:`agreements_text`, :func:`write_export`) that reads back as it was, or is not written.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import TYPE_CHECKING, Any, Final

from residency._text import json_escape, quoted
from residency.agreements import SQLITE_HEADER, Agreement, load_agreements
from residency.errors import (
    FileError,
    FileTooLarge,
    InvalidAgreement,
    Problem,
    StoreCorrupt,
    StoreTampered,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from residency.agreements import AgreementIndex
    from residency.policy import Policy
    from residency.store import AgreementStore, Event

__all__ = [
    "FORMATS",
    "OPTIONS",
    "NoActor",
    "actor_of",
    "agreement_from_options",
    "agreements_text",
    "changes",
    "check_source",
    "current_events",
    "export_format",
    "history_changes",
    "is_store",
    "open_store",
    "read_source",
    "same_file",
    "write_export",
]

FORMATS: Final = ("toml", "json")
"""The formats of agreements files: those :func:`residency.load_agreements` reads."""

OPTIONS: Final = {
    "id": "--id",
    "account_id": "--account-id",
    "destinations": "--destination",
    "valid_from": "--valid-from",
    "valid_until": "--valid-until",
    "revoked_at": "--at",
    "basis": "--basis",
    "reference": "--reference",
}
"""The option of ``agreements add`` (and ``amend``, ``revoke``) that sets each field."""

# The patterns are compiled at first use, by re's own cache: most commands never use them.
_FIELD: Final = r"^agreements\[\d+\]\.?([a-z_]*)"


class NoActor(Exception):
    """No login name to record as the actor of a change, and no ``--actor``."""


def open_store(
    target: str | None, policy: Policy, *, write: bool, create: bool = True
) -> AgreementStore:
    """The store ``target`` (``None``: the default one) as a command needs it.

    A reading command (``write`` false) opens it read-only and never creates one. A writing
    command creates a missing store (``create``), except in a folder that does not exist
    (the store refuses that itself); one that changes an agreement the store must already
    hold does not (``create`` false), so that a mistyped path is an error, not a new store.
    Either way the catalog of ``policy`` is the one writes are checked against and
    ``verify`` reports on.
    """
    from residency.store import AgreementStore  # noqa: PLC0415 - the store loads only for stores

    if write:
        return AgreementStore(target, create=create, policy=policy)
    return AgreementStore(target, readonly=True, create=False, policy=policy)


def actor_of(given: str | None) -> str:
    """Who a change is recorded as made by: ``given`` (``--actor``), else the login name.

    Raises:
        NoActor: ``given`` is empty, or none was given and the login name is unknown.
    """
    if given is not None:
        if not given.strip():
            message = "--actor is empty: name who makes the change"
            raise NoActor(message)
        return given
    import getpass  # noqa: PLC0415 - only a change is recorded with who made it

    try:
        name = getpass.getuser()
    except (OSError, KeyError, ImportError):  # no name in the environment, no passwd entry
        name = os.environ.get("USER", "")
    if not name.strip():
        message = "no login name to record as who made the change: name one with --actor"
        raise NoActor(message)
    return name


def _option_problems(problems: Iterable[Problem]) -> list[Problem]:
    """The problems of one agreement of a document, at the options that set the fields."""
    found = []
    for problem in problems:
        match = re.match(_FIELD, problem.path)
        field = match[1] if match else problem.path
        found.append(Problem(OPTIONS.get(field, field), problem.message))
    return found


def agreement_from_options(fields: Mapping[str, object]) -> Agreement:
    """The agreement that ``fields`` (as an agreements file names them) describe.

    They are checked by the schema of agreements files, then as :class:`Agreement` checks
    them, so that what is recorded could be written to a file and read back; every problem
    is reported at once, each at the option that gives the field.

    Raises:
        InvalidAgreement: the problems, each at its option (``--valid-from: ...``).
    """
    from residency import _schema  # noqa: PLC0415 - pydantic loads only for what it checks

    checked = _schema.check_agreements({"agreements": [dict(fields)]})
    problems = _option_problems(checked.problems)
    if not problems:
        try:
            return Agreement(**checked.data["agreements"][0])
        except InvalidAgreement as error:
            problems = _option_problems(
                Problem(f"agreements[0].{problem.path}", problem.message)
                for problem in error.problems
            )
    identifier = fields.get("id")
    named = identifier if isinstance(identifier, str) and identifier else None
    raise InvalidAgreement(problems, agreement=named)


def is_store(source: str) -> bool:
    """Whether ``source`` names an agreement store: a ``postgresql://`` URL or an SQLite file."""
    from residency import _files  # noqa: PLC0415 - the file machinery loads only for files
    from residency.store import is_url  # noqa: PLC0415 - the store loads only for stores

    return is_url(source) or _files.starts_with(source, SQLITE_HEADER)


def check_source(source: str, policy: Policy) -> AgreementStore | AgreementIndex:
    """The agreements of ``check --agreements``: a store, open read-only, or a file's, checked.

    A store is handed to the check as it is, which reads only the account's agreements; a
    store of residency 0.1, which has no history to open, and an agreements file are read
    whole by :meth:`Policy.load_agreements <residency.Policy.load_agreements>`.
    """
    if is_store(source):
        from residency.store import AgreementStore, is_url  # noqa: PLC0415 - only for stores

        try:
            return AgreementStore(source, readonly=True, create=False, policy=policy)
        except StoreTampered:
            raise
        except StoreCorrupt:
            if is_url(source):
                raise
            # a store of residency 0.1, read whole below; anything else fails there again
    return policy.load_agreements(source)


def read_source(source: str, policy: Policy) -> tuple[Agreement, ...]:
    """Every agreement of ``source`` as it stands: an agreements file, or another store.

    A store is read read-only and checked whole first (:meth:`AgreementStore.verify`): a
    tampered one is refused, and so is one holding an agreement that cannot be used, which
    could not be carried over. A store of residency 0.1 is read as it stands.

    Raises:
        FileError, StoreError: ``source`` cannot be read.
        InvalidAgreement: the file is invalid, or the store holds agreements that cannot be
            used (each named, with why).
    """
    if not is_store(source):
        return load_agreements(source)
    from residency.store import AgreementStore, is_url, read_store  # noqa: PLC0415 - a store

    try:
        store = AgreementStore(source, readonly=True, create=False, policy=policy)
    except StoreTampered:
        raise
    except StoreCorrupt:
        if is_url(source):
            raise
        return read_store(source)  # a store of residency 0.1, or the error of what it is
    with store:
        report = store.verify()
        if report.unusable:
            problems = [
                Problem(f"agreement {quoted(item.id)}", f"cannot be carried over: {item.reason}")
                for item in report.unusable
            ]
            raise InvalidAgreement(problems, source=store.location)
        return store.all()


def current_events(store: AgreementStore, account: str | None) -> list[Event]:
    """The last event of each agreement (of ``account``; of every account for ``None``).

    Each holds the agreement as it stands and its version. They come by account, then by
    start and id, the order in which a check considers an account's agreements; those that
    cannot be read come last.
    """
    if account is not None:
        ids = [agreement.id for agreement in store.for_account(account)]
        ids += [item.id for item in store.index().unusable(account)]
        return [store.latest(agreement_id) for agreement_id in ids]
    last: dict[str, Event] = {}
    for event in store.history():
        last[event.agreement_id] = event
    return sorted(last.values(), key=_listed)


def _listed(event: Event) -> tuple[bool, str, int, str]:
    agreement = event.agreement
    if isinstance(agreement, Agreement):
        return (False, agreement.account_id, agreement.window[0], agreement.id)
    return (True, event.account_id, 0, event.agreement_id)


def same_file(one: str, other: str | os.PathLike[str]) -> bool:
    """Whether ``one`` and ``other`` name the same file (both exist)."""
    try:
        return os.path.samefile(one, other)  # noqa: PTH121 - pathlib would load for this alone
    except (OSError, ValueError):
        return False


def changes(before: Agreement, after: Agreement) -> dict[str, dict[str, Any]]:
    """What an event changed: each field whose value differs, before and after, as in JSON."""
    old, new = before.to_dict(), after.to_dict()
    return {
        name: {"before": old[name], "after": value}
        for name, value in new.items()
        if old[name] != value
    }


def history_changes(events: Sequence[Event]) -> list[dict[str, dict[str, Any]] | None]:
    """For each event of ``events`` (in order), what it changed; ``None`` for an ``add``.

    An event whose agreement, or whose previous version, cannot be read changed what cannot
    be said: ``None`` as well.
    """
    last: dict[str, Agreement | None] = {}
    found: list[dict[str, dict[str, Any]] | None] = []
    for event in events:
        agreement = event.agreement
        usable = agreement if isinstance(agreement, Agreement) else None
        before = last.get(event.agreement_id)
        found.append(None if usable is None or before is None else changes(before, usable))
        last[event.agreement_id] = usable
    return found


# --- agreements files ---------------------------------------------------------------------

# What a TOML basic string cannot hold as it is (the quote, the backslash, the controls) and
# what no one should meet raw when reading the file (C1 controls, invisible format characters).
_TOML_ESCAPED: Final = (
    '["\\\\\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]'
)
_TOML_SHORT: Final = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}

_HEADER: Final = (
    "# Agreements exported from a residency agreement store, as they stand: read them with\n"
    "# residency.load_agreements, check --agreements, or agreements import.\n"
)


def _toml_string(text: str) -> str:
    return '"' + re.sub(_TOML_ESCAPED, _toml_escape, text) + '"'


def _toml_escape(match: re.Match[str]) -> str:
    character = match[0]
    return _TOML_SHORT.get(character) or f"\\u{ord(character):04X}"


def _toml(agreements: Sequence[Agreement]) -> str:
    if not agreements:
        return f"{_HEADER}\nagreements = []\n"
    blocks = []
    for agreement in agreements:
        lines = ["[[agreements]]"]
        for name, value in agreement.to_dict().items():
            if value is None:
                continue
            if name in {"valid_from", "valid_until", "revoked_at"}:
                lines.append(f"{name} = {value}")  # an offset date-time, as RFC 3339 writes it
            elif isinstance(value, list):
                lines.append(f"{name} = [{', '.join(_toml_string(item) for item in value)}]")
            else:
                lines.append(f"{name} = {_toml_string(str(value))}")
        blocks.append("\n".join(lines) + "\n")
    return _HEADER + "\n" + "\n".join(blocks)


def _json(agreements: Sequence[Agreement]) -> str:
    document = {"agreements": [agreement.to_dict() for agreement in agreements]}
    return json_escape(json.dumps(document, ensure_ascii=False, indent=2)) + "\n"


def agreements_text(agreements: Sequence[Agreement], kind: str, *, source: str) -> str:
    """``agreements`` as the text of an agreements file of ``kind`` (``toml`` or ``json``).

    The text is read back as :func:`residency.load_agreements` reads a file before it is
    returned: what it cannot hold (an id longer than a file's, say, recorded through the
    library) is refused, never written to be refused later.

    Raises:
        InvalidAgreement: agreements that an agreements file cannot hold; ``source`` is the
            store they come from.
        FileTooLarge: the text is larger than an agreements file may be.
    """
    from residency import _files, _schema  # noqa: PLC0415 - pydantic loads only for files

    text = _toml(agreements) if kind == "toml" else _json(agreements)
    data = text.encode("utf-8")
    if len(data) > _files.DEFAULT_LIMIT:
        message = (
            f"the agreements come to {len(data):,} bytes, more than an agreements file is read "
            f"with ({_files.DEFAULT_LIMIT:,}): export fewer, or carry them over with import"
        )
        raise FileTooLarge(message, path=source)
    checked = _schema.check_agreements(
        _files.parse_document(data, source=source, suffix=f".{kind}")
    )
    problems = [
        Problem(problem.path, f"cannot be written to an agreements file: {problem.message}")
        for problem in checked.problems
    ]
    if problems:
        raise InvalidAgreement(problems, source=source)
    back = [Agreement(**fields) for fields in checked.data["agreements"]]
    if [a.to_dict() for a in back] != [a.to_dict() for a in agreements]:  # pragma: no cover
        message = "the agreements file would not read back as the agreements it was made from"
        raise AssertionError(message)
    return text


def export_format(given: str | None, output: str | None) -> str:
    """The format to export in: ``given`` (``--format``), else that of the output's name.

    Raises:
        ValueError: the output's name is not one an agreements file is read by (``.toml``,
            ``.json``), or says another format than ``given``.
    """
    if output is None:
        return given or "toml"
    suffix = os.path.splitext(output)[1].lower().removeprefix(".")  # noqa: PTH122 - a str
    if suffix not in FORMATS:
        message = (
            f"{quoted(output)} does not end in .toml or .json, so it would not be read back "
            "as an agreements file"
        )
        raise ValueError(message)
    if given is not None and given != suffix:
        message = f"--format {given} for {quoted(output)}, whose name says {suffix}"
        raise ValueError(message)
    return suffix


def write_export(
    text: str, output: str | None, *, force: bool, inputs: Iterable[str | os.PathLike[str]]
) -> None:
    """Write ``text`` to ``output`` (``None``: standard output), whole or not at all.

    Never over an existing file unless ``force``, and never over one of ``inputs`` (the
    store, the catalog) at all.

    Raises:
        FileError: ``output`` exists (without ``force``), is one of ``inputs``, or cannot be
            written; nothing is written.
    """
    if output is None:
        sys.stdout.write(text)
        return
    if not force and os.path.lexists(output):
        message = "exists already (--force replaces it)"
        raise FileError(message, path=output)
    from residency import _files  # noqa: PLC0415 - the file machinery loads only for files

    with _files.atomic_output(output, inputs=inputs) as sink:
        sink.write(text)
