"""The ``residency agreements`` commands: the agreement store, from the command line.

They load when the command line first needs them (``residency agreements ...``, or the
group's help), not for the other commands: :class:`~residency.cli._app.ResidencyGroup`
lists the group by name and imports this module to run it. Everything of theirs that the
other commands share (the options, the session, how an answer is shown) lives in
:mod:`residency.cli._app`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import click

from residency._text import quoted
from residency._time import parse_instant
from residency.agreements import Agreement, LegalBasis, UnusableAgreement
from residency.cli import _agreements, _render
from residency.cli._app import (
    EXIT_DENIED,
    EXIT_OK,
    TIME,
    _account_option,
    _catalog_option,
    _json_option,
    _now,
    _Session,
    _show,
)

if TYPE_CHECKING:
    from datetime import datetime

    from residency.store import AgreementStore, Event

__all__ = ["agreements_group"]

_STORE_HELP: Final = (
    "The agreement store: a file path or a postgresql:// URL. Default: $RESIDENCY_AGREEMENTS, "
    "else agreements.sqlite3 in the user data folder ($XDG_DATA_HOME/residency, "
    "~/.local/share/residency)."
)
_store_option = click.option("--store", metavar="PATH|URL", help=_STORE_HELP)
_actor_option = click.option(
    "--actor",
    metavar="NAME",
    help="Who makes the change, as the history records it. Default: the login name.",
)
_note_option = click.option(
    "--note", default="", metavar="TEXT", help="Why, as the history records it. Default: none."
)


_VERSION_DIGITS: Final = 18
"""The most digits a version is read with: more than any store will count to."""


class VersionType(click.ParamType):
    """The version of an agreement as the user read it: an integer from 1."""

    name = "version"

    def convert(
        self,
        value: Any,  # noqa: ANN401 - click's own signature: text, or a default already read
        param: click.Parameter | None,
        ctx: click.Context | None,
    ) -> int:
        """Read ``value`` as a version; anything else is a usage error that quotes it short."""
        if isinstance(value, int):
            return value
        text = str(value).strip()
        digits = text.isascii() and text.isdigit() and len(text) <= _VERSION_DIGITS
        if not digits or int(text) < 1:
            message = (
                f"{quoted(str(value))} is no version: give the version the agreement is at, as "
                "'agreements show' or 'agreements list' prints it (1, 2, ...)"
            )
            self.fail(message, param, ctx)
        return int(text)


def _actor(given: str | None) -> str:
    try:
        return _agreements.actor_of(given)
    except _agreements.NoActor as error:
        raise click.UsageError(str(error), click.get_current_context()) from None


def _show_event(as_json: bool, event: Event, *, store: str, title: str) -> int:
    """Print an event: the agreement as it left it, under ``title`` (``Recorded agreement``)."""
    if as_json:
        _render.print_json(_render.agreement_event_data(event, store=store))
    else:
        _render.print_view(_render.agreement_event_view(event, store=store, title=title, at=_now()))
    return EXIT_OK


def _recorded_event(store: AgreementStore, agreement_id: str, version: int) -> Event:
    """The event that made ``version`` of the agreement (a later change may follow it)."""
    for event in store.history(agreement_id):
        if event.version == version:
            return event
    return store.latest(agreement_id)  # pragma: no cover - the version was just recorded


@click.group(
    "agreements",
    short_help="Record, change, list and verify customers' agreements in the store.",
    no_args_is_help=False,
)
def agreements_group() -> None:
    """Keep the customers' agreements in the agreement store, with their whole history.

    Every write (add, revoke, amend, import) is one event in an append-only, tamper-evident
    history that records who made it (--actor, default the login name) and why (--note).
    A change names the version it changes (--version, as show or list prints it): if the
    agreement changed since, it is refused (AgreementConflict) and nothing is written.
    Reading commands (list, show, history, export, verify) open the store read-only and
    never create one.
    """


@agreements_group.command("add", short_help="Record a new agreement, or those of a file.")
@click.option("--id", "agreement_id", metavar="ID", help="The agreement id, unique in the store.")
@click.option("--account-id", metavar="ID", help="The account the agreement belongs to.")
@click.option(
    "--destination",
    "destinations",
    multiple=True,
    metavar="REGION|DC",
    help="Where the data may go: a region or data center id of the catalog. Repeatable.",
)
@click.option("--valid-from", metavar="TIME", help="The first instant in force (RFC 3339).")
@click.option(
    "--valid-until", metavar="TIME", help="The instant it stops (RFC 3339). Default: no end."
)
@click.option(
    "--basis",
    metavar="BASIS",
    help=f"The legal basis: {', '.join(b.value for b in LegalBasis)}. Default: customer-consent.",
)
@click.option("--reference", metavar="TEXT", help="The contract, ticket or document.")
@click.option(
    "--file", metavar="FILE", help="Record every agreement of an agreements file instead."
)
@_store_option
@_actor_option
@_note_option
@_json_option
@_catalog_option
@click.pass_obj
def agreements_add(  # noqa: PLR0913 - one parameter per option
    session: _Session,
    agreement_id: str | None,
    account_id: str | None,
    destinations: tuple[str, ...],
    valid_from: str | None,
    valid_until: str | None,
    basis: str | None,
    reference: str | None,
    file: str | None,
    store: str | None,
    actor: str | None,
    note: str,
    as_json: bool,
) -> int:
    """Record a new agreement (version 1), given by its fields or by --file.

    The fields are those of agreements files: --id, --account-id, one --destination or
    more, --valid-from, and optionally --valid-until, --basis and --reference; times are
    RFC 3339 with an offset. --file records every agreement of a TOML or JSON agreements
    file (or of another store) at once: all of them, or none. Destinations are checked
    against the catalog in use. A missing store is created (in an existing folder).
    """
    fields = {
        "id": agreement_id,
        "account_id": account_id,
        "destinations": list(destinations) or None,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "basis": basis,
        "reference": reference,
    }
    if file is not None:
        given = [_agreements.OPTIONS[name] for name, value in fields.items() if value is not None]
        if given:
            message = f"--file takes the fields from the file: leave out {', '.join(given)}"
            raise click.UsageError(message, click.get_current_context())
        return _import(session, file, store=store, actor=actor, note=note, as_json=as_json)
    missing = [
        _agreements.OPTIONS[name]
        for name in ("id", "account_id", "destinations", "valid_from")
        if fields[name] is None
    ]
    if missing:
        message = f"Missing option {', '.join(missing)} (or --file)"
        raise click.UsageError(message, click.get_current_context())
    agreement = _agreements.agreement_from_options(
        {name: value for name, value in fields.items() if value is not None}
    )
    session.policy.check_agreements([agreement])  # before a missing store is made for it
    who = _actor(actor)
    with _agreements.open_store(store, session.policy, write=True) as opened:
        event = opened.add(agreement, actor=who, note=note)
        return _show_event(as_json, event, store=opened.location, title="Recorded agreement")


def _import(  # noqa: PLR0913 - the options of add --file and import
    session: _Session,
    source: str,
    *,
    store: str | None,
    actor: str | None,
    note: str,
    as_json: bool,
) -> int:
    agreements = _agreements.read_source(source, session.policy)
    session.policy.check_agreements(agreements, source=source)  # before a store is made
    who = _actor(actor)
    with _agreements.open_store(store, session.policy, write=True) as opened:
        if opened.path is not None and _agreements.same_file(source, opened.path):
            message = f"{source} is the store itself: import from another file or store"
            raise click.UsageError(message, click.get_current_context())
        count = opened.add_many(agreements, actor=who, note=note)
        answer = (_render.recorded_many_data, _render.recorded_many_view)
        return _show(as_json, answer, count, store=opened.location, source=source)


@agreements_group.command(
    "import", short_help="Record every agreement of an agreements file or of another store."
)
@click.argument("file", metavar="FILE")
@_store_option
@_actor_option
@_note_option
@_json_option
@_catalog_option
@click.pass_obj
def agreements_import(  # noqa: PLR0913 - one parameter per option
    session: _Session,
    file: str,
    store: str | None,
    actor: str | None,
    note: str,
    as_json: bool,
) -> int:
    """Record every agreement of FILE in the store, in one transaction: all, or none.

    FILE is a TOML or JSON agreements file, or another agreement store (a file, a
    postgresql:// URL, or a store of an earlier residency), whose agreements are carried
    over as they stand now, each as a new agreement at version 1. An id the store holds
    already is refused (AgreementConflict), and nothing is written.
    """
    return _import(session, file, store=store, actor=actor, note=note, as_json=as_json)


@agreements_group.command("revoke", short_help="Revoke an agreement from an instant on.")
@click.argument("agreement_id", metavar="ID")
@click.option(
    "--at", type=TIME, required=True, metavar="TIME", help="From when on (RFC 3339, exclusive)."
)
@click.option(
    "--version",
    type=VersionType(),
    required=True,
    metavar="N",
    help="The version of the agreement as you read it (agreements show).",
)
@_store_option
@_actor_option
@_note_option
@_json_option
@_catalog_option
@click.pass_obj
def agreements_revoke(  # noqa: PLR0913 - one parameter per option
    session: _Session,
    agreement_id: str,
    at: datetime,
    version: int,
    store: str | None,
    actor: str | None,
    note: str,
    as_json: bool,
) -> int:
    """Record that agreement ID is revoked from --at on; a revocation is final.

    --version is the version you read: if the agreement changed since, nothing is written
    and the error says who changed it, and when (AgreementConflict).
    """
    who = _actor(actor)
    with _agreements.open_store(store, session.policy, write=True, create=False) as opened:
        opened.revoke(agreement_id, version=version, at=at, actor=who, note=note)
        event = _recorded_event(opened, agreement_id, version + 1)
        return _show_event(as_json, event, store=opened.location, title="Revoked agreement")


@agreements_group.command(
    "amend", short_help="Change an agreement's end, destinations or reference."
)
@click.argument("agreement_id", metavar="ID")
@click.option(
    "--version",
    type=VersionType(),
    required=True,
    metavar="N",
    help="The version of the agreement as you read it (agreements show).",
)
@click.option(
    "--valid-until", metavar="TIME|none", help="The new end (RFC 3339), or none for no end."
)
@click.option(
    "--destination",
    "destinations",
    multiple=True,
    metavar="REGION|DC",
    help="The new destinations, all of them. Repeatable.",
)
@click.option("--reference", metavar="TEXT", help="The new reference.")
@_store_option
@_actor_option
@_note_option
@_json_option
@_catalog_option
@click.pass_obj
def agreements_amend(  # noqa: PLR0913 - one parameter per option
    session: _Session,
    agreement_id: str,
    version: int,
    valid_until: str | None,
    destinations: tuple[str, ...],
    reference: str | None,
    store: str | None,
    actor: str | None,
    note: str,
    as_json: bool,
) -> int:
    """Change the end of agreement ID's window, its destinations or its reference.

    The agreement as it was stays in the history; its id, account, start and basis never
    change (record a new agreement instead). --version is the version you read.
    """
    changes: dict[str, Any] = {}
    if valid_until is not None:
        no_end = valid_until.strip().lower() == "none"
        changes["valid_until"] = None if no_end else parse_instant(valid_until, "--valid-until")
    if destinations:
        changes["destinations"] = list(destinations)
    if reference is not None:
        changes["reference"] = reference
    if not changes:
        message = "name what changes: --valid-until, --destination or --reference"
        raise click.UsageError(message, click.get_current_context())
    who = _actor(actor)
    with _agreements.open_store(store, session.policy, write=True, create=False) as opened:
        current = opened.latest(agreement_id).agreement
        if isinstance(current, Agreement):  # what a file could not hold is refused here
            fields = {**current.to_dict(), **changes}
            _agreements.agreement_from_options({k: v for k, v in fields.items() if v is not None})
        opened.amend(agreement_id, version=version, actor=who, note=note, **changes)
        event = _recorded_event(opened, agreement_id, version + 1)
        return _show_event(as_json, event, store=opened.location, title="Amended agreement")


@agreements_group.command("list", short_help="The agreements as they stand, with their versions.")
@_account_option
@click.option(
    "--all",
    "every",
    is_flag=True,
    help="Every account's agreements (the default without --account).",
)
@click.option(
    "--at",
    type=TIME,
    metavar="TIME",
    help="Only those in force at TIME (RFC 3339 with an offset). Default: all of them.",
)
@_store_option
@_json_option
@_catalog_option
@click.pass_obj
def agreements_list(  # noqa: PLR0913 - one parameter per option
    session: _Session,
    account: str | None,
    every: bool,
    at: datetime | None,
    store: str | None,
    as_json: bool,
) -> int:
    """List the agreements as they stand now: of --account, or of every account.

    Each comes with the version a change must name. Agreements that cannot be read are
    listed apart, with why.
    """
    if every and account is not None:
        message = "--all lists every account's agreements: leave out --account, or --all"
        raise click.UsageError(message, click.get_current_context())
    with _agreements.open_store(store, session.policy, write=False) as opened:
        events = _agreements.current_events(opened, account)
        if at is not None:
            events = [
                event
                for event in events
                if isinstance(event.agreement, UnusableAgreement) or event.agreement.in_force(at)
            ]
        answer = (_render.agreements_data, _render.agreements_view)
        return _show(as_json, answer, events, store=opened.location, account=account, at=at)


@agreements_group.command("show", short_help="One agreement, its version and its last event.")
@click.argument("agreement_id", metavar="ID")
@_store_option
@_json_option
@_catalog_option
@click.pass_obj
def agreements_show(session: _Session, agreement_id: str, store: str | None, as_json: bool) -> int:
    """Show agreement ID as it stands, with its version and the event that made it so."""
    with _agreements.open_store(store, session.policy, write=False) as opened:
        event = opened.latest(agreement_id)
        return _show_event(as_json, event, store=opened.location, title="Agreement")


@agreements_group.command("history", short_help="Every event of an agreement, or of the store.")
@click.argument("agreement_id", metavar="[ID]", required=False)
@_store_option
@_json_option
@_catalog_option
@click.pass_obj
def agreements_history(
    session: _Session, agreement_id: str | None, store: str | None, as_json: bool
) -> int:
    """List every event of agreement ID (of the whole store without ID), in order.

    Each event says what happened (add, amend, revoke), the version it made, when it was
    recorded, who made it and why, and what it changed.
    """
    with _agreements.open_store(store, session.policy, write=False) as opened:
        events = opened.history(agreement_id)
        changes = _agreements.history_changes(events)
        answer = (_render.history_data, _render.history_view)
        context = {"store": opened.location, "agreement_id": agreement_id}
        return _show(as_json, answer, events, changes, **context)


@agreements_group.command("export", short_help="The agreements as they stand, as a file.")
@click.option(
    "--output", "-o", metavar="FILE", help="Where to write them. Default: standard output."
)
@click.option(
    "--format",
    "kind",
    type=click.Choice(_agreements.FORMATS),
    help="toml or json. Default: as FILE's name says, else toml.",
)
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@_store_option
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="With -o, print what was written as JSON; else export as JSON (--format json).",
)
@_catalog_option
@click.pass_obj
def agreements_export(  # noqa: PLR0913 - one parameter per option
    session: _Session,
    output: str | None,
    kind: str | None,
    force: bool,
    store: str | None,
    as_json: bool,
) -> int:
    """Write the store's agreements as they stand as an agreements file (TOML or JSON).

    The file reads back as the same agreements (residency.load_agreements, check
    --agreements, agreements import); what a file cannot hold is refused before anything is
    written. FILE is written whole or not at all, never over an existing file without
    --force, and never over the store or the catalog.
    """
    output = None if output == "-" else output
    if output is None and as_json:
        if kind == "toml":
            message = "--json exports JSON to standard output: leave out --format toml"
            raise click.UsageError(message, click.get_current_context())
        kind = "json"
    try:
        kind = _agreements.export_format(kind, output)
    except ValueError as error:
        raise click.UsageError(str(error), click.get_current_context()) from None
    with _agreements.open_store(store, session.policy, write=False) as opened:
        agreements = opened.all()
        text = _agreements.agreements_text(agreements, kind, source=opened.location)
        inputs = [path for path in (opened.path, session.catalog) if path is not None]
        _agreements.write_export(text, output, force=force, inputs=inputs)
        if output is None:
            return EXIT_OK
        answer = (_render.export_data, _render.export_view)
        return _show(
            as_json, answer, len(agreements), store=opened.location, output=output, kind=kind
        )


@agreements_group.command("verify", short_help="Check the store's whole history.")
@click.option(
    "--head",
    metavar="HASH",
    help="A head hash an earlier verify printed: it must still be in the history.",
)
@_store_option
@_json_option
@_catalog_option
@click.pass_obj
def agreements_verify(session: _Session, head: str | None, store: str | None, as_json: bool) -> int:
    """Check the store whole: the file, the schema, every event's hash and rule.

    Prints how many events were checked, the agreements, the head hash (keep it elsewhere:
    --head proves later that nothing before it changed) and every agreement the catalog in
    use cannot interpret, with why. Exit 0 when whole and every agreement can be used, 1
    when some cannot be used, 2 when the store is damaged or was tampered with.
    """
    with _agreements.open_store(store, session.policy, write=False) as opened:
        report = opened.verify(head=head)
    _show(as_json, (_render.verify_data, _render.verify_view), report)
    return EXIT_OK if report.ok else EXIT_DENIED
