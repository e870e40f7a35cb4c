"""Rendering for the command line: JSON-ready data for scripts, tables for people.

Every answer is rendered twice from the same library values: ``*_data`` functions compose the
values' own wire forms (``to_dict()``, :mod:`residency._wire`) with what the question was
(``--json``), ``*_view`` functions return the parts of :mod:`residency.cli._layout`, which
:func:`print_view` prints through rich, or as the same plain lines without rich where the
output is a pipe or a file and nothing needs folding. Text from catalogs and users is never
parsed as rich markup, so a bracket in a catalog cannot restyle or hide anything, and every
control or format character in it is written as an escape (:func:`residency._text.escape`).

Tables keep every id whole, at any width: id columns (and short values such as a kind) never
wrap, prose columns fold into the width that is left, and where even that does not fit, each
row becomes a block of ``label: value`` lines. Statements quoted from the source, which are
long, are numbered notes below the table, each printed once.

>>> from residency import default_policy
>>> policy = default_policy()
>>> data = data_centers_data(policy.catalog, [policy.catalog.data_center("websupport-eu")])
>>> dc = data["data_centers"][0]
>>> dc["provider"]["legal_name"], dc["location"], dc["serves"]
('Websupport, s.r.o.', None, 'European customers')
"""

from __future__ import annotations

import builtins
import json
import os
import sys
from datetime import UTC
from typing import TYPE_CHECKING, Any, Final

from residency._text import escape, json_escape
from residency.catalog import NOT_STATED, stated
from residency.cli._layout import (
    Column,
    Line,
    Listing,
    Notes,
    Pairs,
    Part,
    Stack,
    sections,
    text,
)
from residency.locations import country_name, subdivision_name

# residency.agreements loads with what holds agreements (a store, a file): the views of
# agreements import its classes themselves, so that `residency where` does not load it.

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from datetime import datetime

    from rich.console import Console

    from residency.access import Access, Party
    from residency.agreements import Agreement
    from residency.catalog import Catalog, DataCenter, Quote
    from residency.placement import Placement
    from residency.policy import Policy
    from residency.store import Event, StoreReport
    from residency.transfers import TransferDecision

__all__ = [
    "access_data",
    "access_view",
    "agreement_event_data",
    "agreement_event_view",
    "agreements_data",
    "agreements_view",
    "check_data",
    "check_view",
    "console",
    "data_centers_data",
    "data_centers_view",
    "export_data",
    "export_view",
    "history_data",
    "history_view",
    "plain_width",
    "print_json",
    "print_lines",
    "print_view",
    "recorded_many_data",
    "recorded_many_view",
    "regions_data",
    "regions_view",
    "subprocessors_data",
    "subprocessors_view",
    "verify_data",
    "verify_view",
    "where_data",
    "where_view",
]

PIPE_WIDTH: Final = 4000
"""The width of output that goes to a pipe or file when ``COLUMNS`` is unset: wide enough that
a table row or a reason stays on one line, for ``grep`` and for pasting into a reply."""

_SIDES: Final = {
    # By the values of residency.access.Side, a StrEnum whose members look these up as they
    # are: the access module loads only for the commands that show access.
    "inside": "inside the region",
    "outside": "outside the region",
    "unknown": "may be outside the region",
}


# --- output -------------------------------------------------------------------------------------


def console() -> Console:
    """Return a console on the current ``sys.stdout`` for readable output.

    A terminal gets its own width; a pipe gets ``COLUMNS``, or :data:`PIPE_WIDTH`. Markup,
    emoji codes and highlighting are off: what the catalog says is printed as it says it.
    """
    from rich.console import Console  # noqa: PLC0415 - rich loads only for what it renders

    width = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else PIPE_WIDTH
    return Console(file=sys.stdout, width=width, markup=False, emoji=False, highlight=False)


def error_console() -> Console:
    """A console on stderr, for progress bars that must not mix with the answer on stdout."""
    from rich.console import Console  # noqa: PLC0415 - rich loads only for what it renders

    return Console(file=sys.stderr, markup=False, emoji=False, highlight=False)


def plain_width() -> int | None:
    """The width :func:`console` lays standard output out at, where it writes no style to it.

    That is a pipe or a file in UTF-8 (rich draws rules in ASCII for other encodings), of
    the width ``COLUMNS`` says, or else :data:`PIPE_WIDTH`. None wherever rich decides more
    than that: a terminal (or what ``TTY_COMPATIBLE`` or ``FORCE_COLOR`` make one, as rich
    reads them), a width rich must ask the terminal for, Jupyter, Windows.
    """
    environ = os.environ
    compatible = environ.get("TTY_COMPATIBLE", "")
    terminal = compatible == "1" or (compatible != "0" and bool(environ.get("FORCE_COLOR")))
    encoding = (getattr(sys.stdout, "encoding", "utf-8") or "utf-8").lower()
    if (
        terminal
        or sys.stdout.isatty()
        or not encoding.startswith("utf")
        or sys.platform == "win32"
        or hasattr(builtins, "get_ipython")
    ):
        return None
    columns = environ.get("COLUMNS")
    if not columns:
        return PIPE_WIDTH
    # rich reads COLUMNS as digits only; anything else leaves it to the terminal's size
    width = int(columns) if columns.isdigit() else 0
    return width or None


def print_view(view: Part) -> None:
    """Print ``view`` for people, without the trailing blanks rich pads table cells with.

    Output that rich would write without styles gets the view's plain lines, which are
    rich's own, without loading rich; the rest (a terminal, or a view that must fold) is
    printed by rich.
    """
    width = plain_width()
    lines = None if width is None else view.plain(width)
    if lines is not None:
        printed = "\n".join(lines) + "\n"
    else:
        out = console()
        with out.capture() as captured:
            out.print(view)
        printed = captured.get()
    sys.stdout.write("\n".join(line.rstrip() for line in printed.split("\n")))


def print_json(data: Mapping[str, Any]) -> None:
    """Print ``data`` as one indented JSON object: UTF-8, control characters as escapes."""
    sys.stdout.write(json_escape(json.dumps(data, ensure_ascii=False, indent=2)) + "\n")


def print_lines(lines: Iterable[str]) -> None:
    """Print plain lines for people, each on its own line, no control character passed."""
    sys.stdout.writelines(escape(line) + "\n" for line in lines)


# --- building blocks ----------------------------------------------------------------------------


def _named(identifier: str, name: str) -> str:
    return f"{identifier}: {name}" if name else identifier


def _country(code: str) -> str:
    return f"{country_name(code)} ({code})"


def _subdivision(code: str) -> str:
    return f"{subdivision_name(code)} ({code})"


def _time(value: datetime | None, missing: str = "") -> str:
    return value.isoformat() if value is not None else missing


class _Footnotes:
    """Collects quoted statements and numbers each distinct one once, in order of first use."""

    def __init__(self) -> None:
        self.notes: dict[str, list[str]] = {}

    def mark(self, statement: str, *originals: str) -> str:
        """The note number of ``statement``, numbered at first use with the source's words."""
        key = statement or NOT_STATED
        if key not in self.notes:
            self.notes[key] = [original for original in originals if original]
        return f"[{list(self.notes).index(key) + 1}]"


def _original(as_written: str, ref: str = "") -> str:
    """The source's own words in quotes, and where they stand; empty when not given."""
    if not as_written:
        return ""
    return f"“{as_written}” ({ref})" if ref else f"“{as_written}”"


def _quote(quote: Quote) -> tuple[str, str]:
    return quote.text or NOT_STATED, _original(quote.as_written, quote.ref)


# --- where --------------------------------------------------------------------------------------


def where_data(
    placement: Placement, catalog: Catalog, *, query: str, account: str | None, at: datetime
) -> dict[str, Any]:
    """Return the answer of ``residency where`` as JSON-ready data: the placement's wire form.

    ``primary`` is the first data center, as ``Placement.primary`` is: the account's own, or
    without ``--account`` the first in catalog order.
    """
    return {
        "input": query,
        **placement.to_dict(),
        "region_name": catalog.region(placement.region).name,
        "rule_title": placement.rule.title or None,
        "account": account,
        "at": at.isoformat(),
        "data_center_details": [dc.to_dict() for dc in placement.data_centers],
    }


def where_view(
    placement: Placement, catalog: Catalog, *, query: str, account: str | None, at: datetime
) -> Part:
    """Return the answer of ``residency where`` for people; the account id is shown once."""
    location = placement.location
    region = catalog.region(placement.region)
    rows = [("Country", _country(location.country))]
    if location.subdivision:
        rows.append(("Subdivision", _subdivision(location.subdivision)))
    rows += [
        ("Region", _named(region.id, region.name)),
        ("Rule", _named(placement.rule.id, placement.rule.title)),
    ]
    primary = placement.primary
    if account is None:
        rows += [
            ("Account", "none given: data centers in catalog order (--account ID)"),
            ("Primary", f"{primary.id} ({primary.provider.legal_name}), first in catalog order"),
        ]
        order = "in catalog order"
    else:
        rows += [
            ("Account", account),
            ("Primary", f"{primary.id} ({primary.provider.legal_name})"),
        ]
        order = "in the account's order"
    rows += [("At", at.isoformat()), ("Catalog", placement.catalog)]
    table = Listing(
        f"Data centers of region {region.id}, {order}",
        Column("#", head=True),
        Column("Data center", head=True),
        Column("Provider", prose=True),
        Column("Location (as the source states it)", prose=True),
    )
    for position, dc in enumerate(placement.data_centers, start=1):
        table.add(position, dc.id, dc.provider.legal_name, stated(dc.location))
    headline = text(f"{query}: region {region.id} ({region.name})", "bold")
    return sections(Stack(headline, Pairs(rows)), table)


# --- check --------------------------------------------------------------------------------------


def check_data(decision: TransferDecision, *, query: str) -> dict[str, Any]:
    """Return the answer of ``residency check`` as JSON-ready data: the decision's wire form."""
    return {"input": query, **decision.to_dict()}


def _terms(agreement: Agreement, at: datetime) -> list[str]:
    """An agreement's status at ``at``, then its basis and reference, then its window."""
    why = agreement.why_not_in_force(at)
    status = f"not in force: {why}" if why else "in force: allows the move"
    reference = f"reference {agreement.reference or NOT_STATED}"
    window = f"from {agreement.valid_from.isoformat()} to {_time(agreement.valid_until, 'no end')}"
    if agreement.revoked_at is not None:
        window += f", revoked at {agreement.revoked_at.isoformat()}"
    return [status, f"{agreement.basis.value}, {reference}", window]


def check_view(decision: TransferDecision, *, agreements: str | None, count: int) -> Part:
    """Return the answer of ``residency check`` for people.

    ``agreements`` names the agreements file or store that was read, which held ``count``.
    """
    source, target = decision.source, decision.target
    verdict = Line(
        "ALLOWED" if decision.allowed else "DENIED",
        "bold green" if decision.allowed else "bold red",
    )
    verdict.append(f"  {source.id} -> {target.id}", style="bold")
    rows = [
        ("Country", _country(decision.location.country)),
        ("Region", f"{decision.region} (rule {_named(decision.rule.id, decision.rule.title)})"),
        ("From", f"{source.id} (region {source.region}, {source.provider.legal_name})"),
        ("To", f"{target.id} (region {target.region}, {target.provider.legal_name})"),
        ("Basis", decision.basis.value),
        ("Account", decision.account_id or "none given"),
    ]
    if decision.location.subdivision:
        rows.insert(1, ("Subdivision", _subdivision(decision.location.subdivision)))
    if agreements is not None:
        noun = "agreement" if count == 1 else "agreements"
        rows.append(("Agreements", f"{agreements} ({count} {noun})"))
    rows += [("At", decision.at.isoformat()), ("Catalog", decision.catalog)]
    parts: list[Part] = [Stack(verdict, Pairs(rows)), text(decision.reason)]
    shown = ([decision.agreement] if decision.agreement else []) + list(decision.lapsed)
    if shown:
        table = Listing(
            "Agreements that cover the move",
            Column("Agreement", head=True),
            Column("Status, basis and reference, window", prose=True),
        )
        for agreement in shown:
            table.add(agreement.id, _terms(agreement, decision.at))
        parts.append(table)
    return sections(*parts)


# --- access -------------------------------------------------------------------------------------


def access_data(access: Access, *, at: datetime) -> dict[str, Any]:
    """Return the answer of ``residency access`` as JSON-ready data: ``Access.to_dict()``."""
    return {**access.to_dict(), "at": at.isoformat()}


def _condition(party: Party, footnotes: _Footnotes) -> str:
    """The party's condition as a note number, and whether its consent is given if needed."""
    mark = footnotes.mark(*_quote(party.condition))
    if not party.consent_required:
        return mark
    return f"{mark} consent given" if party.consent_granted else f"{mark} consent not given"


def access_view(access: Access, *, at: datetime) -> Part:
    """Return the answer of ``residency access`` for people, each condition quoted once."""
    location = access.location
    rows = [("Country", _country(location.country))]
    if location.subdivision:
        rows.append(("Subdivision", _subdivision(location.subdivision)))
    rows += [
        ("Region", f"{access.region} (rule {_named(access.rule.id, access.rule.title)})"),
        ("Consents", ", ".join(access.consents) or "none given"),
        ("At", at.isoformat()),
        ("Catalog", access.catalog),
    ]
    footnotes = _Footnotes()
    headline = text(
        f"Who can access the data of a customer in {_country(location.country)}", "bold"
    )
    parts: list[Part] = [Stack(headline, Pairs(rows))]
    groups = [("Can access the data", access.parties)]
    if access.withheld:
        groups.append(("Only with the customer's consent, which is not given", access.withheld))
    for title, parties in groups:
        table = Listing(
            title,
            Column("Party", head=True),
            Column("Kind"),
            Column("Name", prose=True),
            Column("Where", prose=True),
            Column("Condition", prose=True),
        )
        for party in parties:
            where = f"{party.place} ({_SIDES[party.outside_region]})"
            table.add(party.id, party.kind, party.name, where, _condition(party, footnotes))
        parts.append(table)
    parts.append(Notes("Conditions, as the source states them", footnotes.notes))
    return sections(*parts)


# --- catalog listings ---------------------------------------------------------------------------


def data_centers_data(catalog: Catalog, data_centers: Sequence[DataCenter]) -> dict[str, Any]:
    """Return ``residency datacenters`` as JSON-ready data."""
    return {"catalog": catalog.id, "data_centers": [dc.to_dict() for dc in data_centers]}


def data_centers_view(catalog: Catalog, data_centers: Sequence[DataCenter]) -> Part:
    """Return ``residency datacenters`` for people, each facility statement quoted once."""
    footnotes = _Footnotes()
    table = Listing(
        f"Data centers of catalog {catalog.id}",
        Column("Data center", head=True),
        Column("Region"),
        Column("Provider", prose=True),
        Column("Location", prose=True),
        Column("Serves", prose=True),
        Column("Facility"),
    )
    for dc in data_centers:
        facility = NOT_STATED
        if dc.facility is not None:
            statement = f"{dc.facility.id}: {dc.facility.text}"
            facility = footnotes.mark(statement, _original(dc.facility.as_written))
        table.add(
            dc.id,
            dc.region,
            dc.provider.legal_name,
            stated(dc.location),
            stated(dc.serves),
            facility,
        )
    parts: list[Part] = [table]
    if footnotes.notes:
        parts.append(Notes("Facilities, as the source states them", footnotes.notes))
    return sections(*parts)


def subprocessors_data(catalog: Catalog) -> dict[str, Any]:
    """Return ``residency subprocessors`` as JSON-ready data."""
    return {
        "catalog": catalog.id,
        "subprocessors": [sub.to_dict() for sub in catalog.subprocessors],
    }


def subprocessors_view(catalog: Catalog) -> Part:
    """Return ``residency subprocessors`` for people: a table, then roles and conditions.

    The table names each sub-processor, its kind and whether it needs consent; its role,
    where it sits and whether it is a group company follow, then each condition quoted once.
    """
    from residency.access import NOT_NAMED  # noqa: PLC0415 - see _SIDES

    if not catalog.subprocessors:
        return text(f"Catalog {catalog.id} lists no sub-processors besides its data centers.")
    footnotes = _Footnotes()
    table = Listing(
        f"Sub-processors of catalog {catalog.id}, besides its data centers",
        Column("Sub-processor", head=True),
        Column("Kind"),
        Column("Name", prose=True),
        Column("Consent"),
        Column("Condition"),
    )
    roles = Listing("Roles", Column("", head=True), Column("", prose=True), show_header=False)
    for sub in catalog.subprocessors:
        mark = footnotes.mark(sub.condition, _original(sub.condition_as_written, sub.ref))
        table.add(
            sub.id,
            sub.kind,
            sub.name or NOT_NAMED,
            "required" if sub.consent_required else "not needed",
            mark,
        )
        where = country_name(sub.country) if sub.country else NOT_STATED
        company = "a group company" if sub.group_company else "not a group company"
        roles.add(sub.id, [stated(sub.role), f"Where: {where}; {company}."])
    conditions = Notes("Conditions, as the source states them", footnotes.notes)
    return sections(table, roles, conditions)


def regions_data(policy: Policy, *, at: datetime) -> dict[str, Any]:
    """Return ``residency regions`` as JSON-ready data; rules list their countries at ``at``."""
    catalog = policy.catalog
    by_rule = _countries_by_rule(policy, at)
    return {
        "catalog": catalog.id,
        "at": at.isoformat(),
        "regions": [
            {
                **region.to_dict(),
                "data_centers": [dc.id for dc in catalog.data_centers_in(region.id)],
                "rules": [rule.id for rule in catalog.rules if rule.region == region.id],
            }
            for region in catalog.regions
        ],
        "rules": [
            {**rule.to_dict(), "countries": by_rule.get(rule.id, [])} for rule in catalog.rules
        ],
        "unassigned": [
            {
                "country": entry.country,
                "country_name": country_name(entry.country),
                "reason": entry.reason or None,
            }
            for entry in catalog.unassigned
        ],
    }


def _countries_by_rule(policy: Policy, at: datetime) -> dict[str, list[str]]:
    by_rule: dict[str, list[str]] = {}
    for country, rule in sorted(policy.rules_at(at).items()):
        by_rule.setdefault(rule.id, []).append(country)
    return by_rule


def regions_view(policy: Policy, *, at: datetime) -> Part:
    """Return ``residency regions`` for people: regions, then the rules that assign them."""
    catalog = policy.catalog
    by_rule = _countries_by_rule(policy, at)
    regions = Listing(
        f"Regions of catalog {catalog.id}",
        Column("Region", head=True),
        Column("Name", prose=True),
        Column("As written", prose=True),
        Column("Data centers", ids=True),
    )
    for region in catalog.regions:
        regions.add(
            region.id,
            region.name,
            region.as_written or NOT_STATED,
            [dc.id for dc in catalog.data_centers_in(region.id)],
        )
    rules = Listing(
        f"Rules, first match wins (countries at {at.isoformat()})",
        Column("#", head=True),
        Column("Rule", head=True),
        Column("Region"),
        Column("Title", prose=True),
        Column("Countries"),
    )
    for position, rule in enumerate(catalog.rules, start=1):
        rules.add(position, rule.id, rule.region, rule.title, len(by_rule.get(rule.id, ())))
    unassigned = [
        text(f"Unassigned: {_country(entry.country)}: {stated(entry.reason)}")
        for entry in catalog.unassigned
    ]
    return sections(regions, rules, *([Stack(*unassigned)] if unassigned else []))


# --- agreements ---------------------------------------------------------------------------------


_NONE_GIVEN: Final = "none given"
"""How a table shows the actor or note of a change that was recorded without one."""


def _window(agreement: Agreement) -> tuple[str, str, str]:
    """An agreement's start, end and revocation as a table shows them."""
    return (
        agreement.valid_from.isoformat(),
        _time(agreement.valid_until, "no end"),
        _time(agreement.revoked_at, "not revoked"),
    )


def _recorded(event: Event, *, timespec: str = "seconds") -> str:
    """When an event was recorded, in UTC (``Z``): to the second, or as ``timespec`` says."""
    return event.recorded_at.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def agreement_event_data(event: Event, *, store: str) -> dict[str, Any]:
    """An event of ``agreements add | revoke | amend | show`` as JSON-ready data."""
    return {"store": store, "event": event.to_dict()}


def agreement_event_view(event: Event, *, store: str, title: str, at: datetime) -> Part:
    """An event for people: the agreement as the event left it, then the event itself.

    ``title`` heads it, before the id (``Recorded agreement``); ``at`` is the moment whether
    the agreement is in force is told for (now).
    """
    from residency.agreements import UnusableAgreement  # noqa: PLC0415 - see the imports

    agreement = event.agreement
    rows = [("Account", event.account_id), ("Version", str(event.version))]
    if isinstance(agreement, UnusableAgreement):
        rows.append(("Cannot be used", agreement.reason))
    else:
        start, end, revoked = _window(agreement)
        why = agreement.why_not_in_force(at)
        rows += [
            ("Destinations", ", ".join(sorted(agreement.destinations))),
            ("Valid from", start),
            ("Valid until", end),
            ("Revoked", revoked),
            ("Basis", agreement.basis.value),
            ("Reference", stated(agreement.reference)),
            ("Now", f"not in force: {why}" if why else "in force"),
        ]
    facts = [
        ("Event", f"{event.seq} ({event.kind.value})"),
        ("Recorded at", _recorded(event, timespec="microseconds")),
        ("Actor", event.actor or _NONE_GIVEN),
        ("Note", event.note or _NONE_GIVEN),
        ("Hash", event.hash),
        ("Store", store),
    ]
    headline = text(f"{title} {event.agreement_id}", "bold")
    return sections(Stack(headline, Pairs(rows)), Pairs(facts))


def recorded_many_data(count: int, *, store: str, source: str) -> dict[str, Any]:
    """``agreements add --file | import`` as JSON-ready data: how many, from where, where."""
    return {"store": store, "source": source, "recorded": count}


def recorded_many_view(count: int, *, store: str, source: str) -> Part:
    """``agreements add --file | import`` for people: one line."""
    noun = "agreement" if count == 1 else "agreements"
    return text(f"Recorded {count:,} {noun} of {source} in {store}, each at version 1.")


def agreements_data(
    events: Sequence[Event], *, store: str, account: str | None, at: datetime | None
) -> dict[str, Any]:
    """``agreements list`` as JSON-ready data: each agreement as it stands, with its version.

    Agreements that cannot be read are listed apart, each with why.
    """
    from residency.agreements import Agreement, UnusableAgreement  # noqa: PLC0415 - see the imports

    usable = [
        {**event.agreement.to_dict(), "version": event.version}
        for event in events
        if isinstance(event.agreement, Agreement)
    ]
    unusable = [
        {
            "id": event.agreement_id,
            "account_id": event.account_id,
            "version": event.version,
            "reason": event.agreement.reason,
        }
        for event in events
        if isinstance(event.agreement, UnusableAgreement)
    ]
    return {
        "store": store,
        "account": account,
        "at": at.isoformat() if at is not None else None,
        "agreements": usable,
        "unusable": unusable,
    }


def agreements_view(
    events: Sequence[Event], *, store: str, account: str | None, at: datetime | None
) -> Part:
    """``agreements list`` for people: a table, then those that cannot be read, if any."""
    from residency.agreements import UnusableAgreement  # noqa: PLC0415 - see the imports

    whose = f"account {account}" if account is not None else "every account"
    when = f", in force at {at.isoformat()}" if at is not None else ""
    table = Listing(
        f"Agreements of {whose}{when} in {store}",
        Column("Agreement", head=True),
        Column("Account"),
        Column("Destinations", ids=True),
        Column("Valid from"),
        Column("Valid until"),
        Column("Revoked"),
        Column("Basis"),
        Column("Reference", prose=True),
        Column("Version"),
    )
    unusable = Listing(
        "Agreements that cannot be used",
        Column("Agreement", head=True),
        Column("Account"),
        Column("Version"),
        Column("Why", prose=True),
    )
    for event in events:
        agreement = event.agreement
        if isinstance(agreement, UnusableAgreement):
            unusable.add(event.agreement_id, event.account_id, event.version, agreement.reason)
            continue
        table.add(
            agreement.id,
            agreement.account_id,
            sorted(agreement.destinations),
            *_window(agreement),
            agreement.basis.value,
            stated(agreement.reference),
            event.version,
        )
    parts: list[Part] = [
        table if table.rows else text(f"No agreements of {whose}{when} in {store}.")
    ]
    if unusable.rows:
        parts.append(unusable)
    return sections(*parts)


def _changed(change: Mapping[str, Mapping[str, Any]] | None, event: Event) -> str:
    """What an event changed, in a line: ``field: before -> after; ...``."""
    from residency.agreements import UnusableAgreement  # noqa: PLC0415 - see the imports

    agreement = event.agreement
    if isinstance(agreement, UnusableAgreement):
        return f"cannot be read: {agreement.reason}"
    if change is None:
        start, end, _ = _window(agreement)
        reference = f"reference {stated(agreement.reference)}"
        destinations = ", ".join(sorted(agreement.destinations))
        return f"to {destinations}; from {start} to {end}; {agreement.basis.value}; {reference}"

    def said(value: object) -> str:
        if value is None:
            return "none"
        return ", ".join(value) if isinstance(value, list) else str(value) or '""'

    return "; ".join(
        f"{name}: {said(values['before'])} -> {said(values['after'])}"
        for name, values in change.items()
    )


def history_data(
    events: Sequence[Event],
    changes: Sequence[Mapping[str, Any] | None],
    *,
    store: str,
    agreement_id: str | None,
) -> dict[str, Any]:
    """``agreements history`` as JSON-ready data: every event, and what it changed.

    ``changes`` holds, for each event, the fields it changed (``before`` and ``after``), or
    ``None`` for an ``add`` (and where a version cannot be read).
    """
    return {
        "store": store,
        "agreement_id": agreement_id,
        "events": [
            {**event.to_dict(), "changes": change}
            for event, change in zip(events, changes, strict=True)
        ],
    }


def history_view(
    events: Sequence[Event],
    changes: Sequence[Mapping[str, Any] | None],
    *,
    store: str,
    agreement_id: str | None,
) -> Part:
    """``agreements history`` for people: one row per event, in the order recorded."""
    whole = agreement_id is None
    columns = [
        Column("Seq", head=True),
        *([Column("Agreement", head=True)] if whole else []),
        Column("Kind", head=True),
        Column("Version"),
        Column("Recorded at"),
        Column("Actor"),
        Column("Note", prose=True),
        Column("Changes", prose=True),
    ]
    title = f"History of {store}" if whole else f"History of agreement {agreement_id}"
    table = Listing(title, *columns)
    for event, change in zip(events, changes, strict=True):
        table.add(
            event.seq,
            *([event.agreement_id] if whole else []),
            event.kind.value,
            event.version,
            _recorded(event),
            event.actor or _NONE_GIVEN,
            event.note,
            _changed(change, event),
        )
    return table if table.rows else text(f"No events in {store}.")


def verify_data(report: StoreReport) -> dict[str, Any]:
    """``agreements verify`` as JSON-ready data: the report, and whether all can be used."""
    return {**report.to_dict(), "ok": report.ok}


def verify_view(report: StoreReport) -> Part:
    """``agreements verify`` for people: what was checked, then what cannot be used."""
    verdict = (
        "every agreement can be used"
        if report.ok
        else (f"{len(report.unusable):,} of {report.agreements:,} agreements cannot be used")
    )
    rows = [
        ("Store", report.location),
        ("Events", f"{report.events:,} checked: the history is whole"),
        ("Agreements", f"{report.agreements:,}: {verdict}"),
        ("Head", report.head),
    ]
    headline = text("Whole" if report.ok else "Whole, but not every agreement can be used", "bold")
    parts: list[Part] = [Stack(headline, Pairs(rows))]
    if report.unusable:
        table = Listing(
            "Agreements that cannot be used",
            Column("Agreement", head=True),
            Column("Account"),
            Column("Why", prose=True),
        )
        for item in report.unusable:
            table.add(item.id, item.account_id, item.reason)
        parts.append(table)
    return sections(*parts)


def export_data(count: int, *, store: str, output: str, kind: str) -> dict[str, Any]:
    """``agreements export -o FILE`` as JSON-ready data: what was written where."""
    return {"store": store, "output": output, "format": kind, "agreements": count}


def export_view(count: int, *, store: str, output: str, kind: str) -> Part:
    """``agreements export -o FILE`` for people: one line."""
    noun = "agreement" if count == 1 else "agreements"
    return text(f"Wrote {count:,} {noun} of {store} to {output} ({kind}).")
