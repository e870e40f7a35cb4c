"""Rendering for the command line: JSON-ready data for scripts, rich tables for people.

Every answer is rendered twice from the same library values: ``*_data`` functions return plain
JSON-ready data (``--json``), ``*_view`` functions return rich renderables. Text from catalogs
and users is always wrapped in :class:`rich.text.Text`, never parsed as rich markup, so a
bracket in a catalog cannot restyle or hide anything.

>>> from residency import default_policy
>>> policy = default_policy()
>>> data = data_center_data(policy.catalog.data_center("websupport-eu"))
>>> data["provider"]["legal_name"], data["location"], data["serves"]
('Websupport, s.r.o.', 'not stated in source', 'European customers')
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any, Final

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from residency.access import NOT_NAMED, Side
from residency.catalog import NOT_STATED, stated
from residency.locations import country_name, subdivision_name

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from datetime import datetime

    from rich.console import RenderableType

    from residency.access import Access, Party
    from residency.agreements import Agreement
    from residency.catalog import Catalog, DataCenter, Facility, Quote, SubProcessor
    from residency.placement import Placement
    from residency.policy import Policy
    from residency.transfers import TransferDecision

__all__ = [
    "access_data",
    "access_view",
    "check_data",
    "check_view",
    "console",
    "data_center_data",
    "data_centers_data",
    "data_centers_view",
    "print_json",
    "print_view",
    "regions_data",
    "regions_view",
    "subprocessors_data",
    "subprocessors_view",
    "where_data",
    "where_view",
]

PIPE_WIDTH: Final = 4000
"""The width of output that goes to a pipe or file when ``COLUMNS`` is unset: wide enough that
a table row or a reason stays on one line, for ``grep`` and for pasting into a reply."""

_SIDES: Final = {Side.INSIDE: "inside", Side.OUTSIDE: "outside", Side.UNKNOWN: "may be outside"}


# --- output -------------------------------------------------------------------------------------


def console() -> Console:
    """Return a console on the current ``sys.stdout`` for readable output.

    A terminal gets its own width; a pipe gets ``COLUMNS``, or :data:`PIPE_WIDTH`. Markup,
    emoji codes and highlighting are off: what the catalog says is printed as it says it.
    """
    width = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else PIPE_WIDTH
    return Console(file=sys.stdout, width=width, markup=False, emoji=False, highlight=False)


def error_console() -> Console:
    """A console on stderr, for progress bars that must not mix with the answer on stdout."""
    return Console(file=sys.stderr, markup=False, emoji=False, highlight=False)


def print_view(renderable: RenderableType) -> None:
    """Print ``renderable`` for people, without the trailing blanks rich pads table cells with."""
    out = console()
    with out.capture() as captured:
        out.print(renderable)
    sys.stdout.write("\n".join(line.rstrip() for line in captured.get().split("\n")))


def print_json(data: Mapping[str, Any]) -> None:
    """Print ``data`` as one indented JSON object; non-ASCII text is kept as it is."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _sections(*parts: RenderableType) -> Group:
    """The parts, one blank line apart."""
    spaced: list[RenderableType] = []
    for part in parts:
        if spaced:
            spaced.append(Text())
        spaced.append(part)
    return Group(*spaced)


def _text(value: object, style: str = "") -> Text:
    return Text(str(value), style=style)


def _pairs(rows: Iterable[tuple[str, str]]) -> Table:
    """A borderless two-column block of labels and values."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for label, value in rows:
        grid.add_row(_text(label), _text(value))
    return grid


def _table(*headers: str, title: str = "") -> Table:
    table = Table(
        box=box.SIMPLE,
        title=_text(title, "bold") if title else None,
        title_justify="left",
        header_style="bold",
        show_edge=False,
    )
    for header in headers:
        table.add_column(_text(header), overflow="fold")
    return table


def _row(table: Table, *cells: object) -> None:
    table.add_row(*(_text(cell) for cell in cells))


def _named(identifier: str, name: str) -> str:
    return f"{identifier}: {name}" if name else identifier


def _country(code: str) -> str:
    return f"{country_name(code)} ({code})"


def _subdivision(code: str) -> str:
    return f"{subdivision_name(code)} ({code})"


def _time(value: datetime | None, missing: str = "") -> str:
    return value.isoformat() if value is not None else missing


def _notes(title: str, notes: Mapping[str, list[str]]) -> RenderableType:
    """Numbered quotes, each printed once: ``[1] text`` then its original words."""
    lines = [_text(title, "bold")]
    for number, (text, originals) in enumerate(notes.items(), start=1):
        lines.append(Text(f"[{number}] {text}"))
        lines.extend(Text(f"    {original}", style="italic") for original in originals if original)
    return Group(*lines)


class _Footnotes:
    """Collects quoted statements and numbers each distinct one once, in order of first use."""

    def __init__(self) -> None:
        self.notes: dict[str, list[str]] = {}

    def mark(self, text: str, *originals: str) -> str:
        key = text or NOT_STATED
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


# --- catalog values -----------------------------------------------------------------------------


def _facility_data(facility: Facility | None) -> dict[str, Any] | None:
    if facility is None:
        return None
    return {
        "id": facility.id,
        "text": facility.text,
        "as_written": facility.as_written,
        "standards": list(facility.standards),
        "power": stated(facility.power),
        "backup": list(facility.backup),
    }


def data_center_data(dc: DataCenter) -> dict[str, Any]:
    """Return a data center as JSON-ready data; what the source leaves unsaid reads NOT_STATED.

    Codes the source does not state (``country``, the provider's ``jurisdiction``) are null.
    """
    return {
        "id": dc.id,
        "region": dc.region,
        "provider": {
            "id": dc.provider.id,
            "legal_name": dc.provider.legal_name,
            "jurisdiction": dc.provider.jurisdiction or None,
        },
        "location": stated(dc.location),
        "serves": stated(dc.serves),
        "country": dc.country or None,
        "city": stated(dc.city),
        "as_written": dc.as_written,
        "facility": _facility_data(dc.facility),
        "certifications": sorted(dc.certifications),
        "weight": dc.weight,
        "ref": dc.ref,
    }


def _subprocessor_data(sub: SubProcessor) -> dict[str, Any]:
    return {
        "id": sub.id,
        "name": sub.name or NOT_NAMED,
        "named": bool(sub.name),
        "kind": sub.kind,
        "role": sub.role,
        "as_written": sub.as_written,
        "group_company": sub.group_company,
        "place": country_name(sub.country) if sub.country else NOT_STATED,
        "country": sub.country or None,
        "consent_required": sub.consent_required,
        "condition": {
            "text": stated(sub.condition),
            "as_written": stated(sub.condition_as_written),
            "ref": sub.ref,
        },
    }


# --- where --------------------------------------------------------------------------------------


def where_data(
    placement: Placement, catalog: Catalog, *, query: str, account: str | None, at: datetime
) -> dict[str, Any]:
    """Return the answer of ``residency where`` as JSON-ready data.

    ``primary`` is the first data center, as ``Placement.primary`` is: the account's own
    without ``--account`` given, the first in catalog order.
    """
    location = placement.location
    subdivision = location.subdivision
    return {
        "input": query,
        "country": location.country,
        "country_name": country_name(location.country),
        "subdivision": subdivision,
        "subdivision_name": subdivision_name(subdivision) if subdivision else None,
        "region": placement.region,
        "region_name": catalog.region(placement.region).name,
        "rule": placement.rule.id,
        "rule_title": placement.rule.title,
        "data_centers": [dc.id for dc in placement.data_centers],
        "primary": placement.primary.id,
        "account": account,
        "at": at.isoformat(),
        "catalog": placement.catalog,
        "data_center_details": [data_center_data(dc) for dc in placement.data_centers],
    }


def where_view(
    placement: Placement, catalog: Catalog, *, query: str, account: str | None, at: datetime
) -> RenderableType:
    """Return the answer of ``residency where`` for people."""
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
        order = f"in the order of account {account}"
    rows += [("At", at.isoformat()), ("Catalog", placement.catalog)]
    table = _table(
        "#",
        "Data center",
        "Provider",
        "Location (as the source states it)",
        title=f"Data centers of region {region.id}, {order}",
    )
    for position, dc in enumerate(placement.data_centers, start=1):
        _row(table, position, dc.id, dc.provider.legal_name, stated(dc.location))
    headline = _text(f"{query}: region {region.id} ({region.name})", "bold")
    return _sections(Group(headline, _pairs(rows)), table)


# --- check --------------------------------------------------------------------------------------


def _agreement_data(agreement: Agreement, at: datetime) -> dict[str, Any]:
    return {**agreement.to_dict(), "not_in_force": agreement.why_not_in_force(at) or None}


def check_data(decision: TransferDecision, *, query: str) -> dict[str, Any]:
    """Return the answer of ``residency check`` as JSON-ready data.

    ``agreement`` is the agreement that allows the move, in the field names of agreements files,
    or null; ``lapsed`` lists those that would cover it but are not in force, and why.
    """
    location = decision.location
    return {
        "input": query,
        "allowed": decision.allowed,
        "basis": decision.basis.value,
        "reason": decision.reason,
        "source": decision.source.id,
        "source_region": decision.source.region,
        "target": decision.target.id,
        "target_region": decision.target.region,
        "country": location.country,
        "subdivision": location.subdivision,
        "region": decision.region,
        "rule": decision.rule.id,
        "account": decision.account_id,
        "agreement": decision.agreement.to_dict() if decision.agreement else None,
        "lapsed": [_agreement_data(agreement, decision.at) for agreement in decision.lapsed],
        "misplaced": decision.misplaced,
        "at": decision.at.isoformat(),
        "catalog": decision.catalog,
    }


def _window(agreement: Agreement) -> str:
    return f"{agreement.valid_from.isoformat()} to {_time(agreement.valid_until, 'no end')}"


def check_view(decision: TransferDecision, *, agreements: str | None, count: int) -> RenderableType:
    """Return the answer of ``residency check`` for people.

    ``agreements`` names the agreements file or store that was read, which held ``count``.
    """
    source, target = decision.source, decision.target
    verdict = Text(
        "ALLOWED" if decision.allowed else "DENIED",
        style="bold green" if decision.allowed else "bold red",
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
    parts: list[RenderableType] = [Group(verdict, _pairs(rows)), Text(decision.reason)]
    shown = ([decision.agreement] if decision.agreement else []) + list(decision.lapsed)
    if shown:
        table = _table(
            "Agreement",
            "Basis",
            "Reference",
            "Window",
            "Revoked",
            "Status",
            title="Agreements that cover the move",
        )
        for agreement in shown:
            why = agreement.why_not_in_force(decision.at)
            status = f"not in force: {why}" if why else "in force: allows the move"
            _row(
                table,
                agreement.id,
                agreement.basis.value,
                agreement.reference or NOT_STATED,
                _window(agreement),
                _time(agreement.revoked_at, "no"),
                status,
            )
        parts.append(table)
    return _sections(*parts)


# --- access -------------------------------------------------------------------------------------


def access_data(access: Access, *, at: datetime) -> dict[str, Any]:
    """Return the answer of ``residency access`` as JSON-ready data: ``Access.to_dict()``."""
    return {**access.to_dict(), "at": at.isoformat()}


def _consent(party: Party) -> str:
    if not party.consent_required:
        return "not needed"
    return "given" if party.consent_granted else "not given"


def access_view(access: Access, *, at: datetime) -> RenderableType:
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
    headline = _text(
        f"Who can access the data of a customer in {_country(location.country)}", "bold"
    )
    parts: list[RenderableType] = [Group(headline, _pairs(rows))]
    groups = [("Can access the data", access.parties)]
    if access.withheld:
        groups.append(("Only with the customer's consent, which is not given", access.withheld))
    for title, parties in groups:
        table = _table("Kind", "Party", "Name", "Where", "Region", "Consent", "Condition")
        table.title = _text(title, "bold")
        for party in parties:
            note = footnotes.mark(*_quote(party.condition))
            _row(
                table,
                party.kind,
                party.id,
                party.name,
                party.place,
                _SIDES[party.outside_region],
                _consent(party),
                note,
            )
        parts.append(table)
    parts.append(_notes("Conditions, as the source states them", footnotes.notes))
    return _sections(*parts)


# --- catalog listings ---------------------------------------------------------------------------


def data_centers_data(catalog: Catalog, data_centers: Sequence[DataCenter]) -> dict[str, Any]:
    """Return ``residency datacenters`` as JSON-ready data."""
    return {
        "catalog": catalog.id,
        "data_centers": [data_center_data(dc) for dc in data_centers],
    }


def data_centers_view(catalog: Catalog, data_centers: Sequence[DataCenter]) -> RenderableType:
    """Return ``residency datacenters`` for people, each facility statement quoted once."""
    footnotes = _Footnotes()
    table = _table(
        "Data center",
        "Region",
        "Provider",
        "Location (as the source states it)",
        "Serves",
        "Facility",
        title=f"Data centers of catalog {catalog.id}",
    )
    for dc in data_centers:
        facility = NOT_STATED
        if dc.facility is not None:
            mark = footnotes.mark(dc.facility.text, _original(dc.facility.as_written))
            facility = f"{mark} {dc.facility.id}"
        _row(
            table,
            dc.id,
            dc.region,
            dc.provider.legal_name,
            stated(dc.location),
            stated(dc.serves),
            facility,
        )
    parts: list[RenderableType] = [table]
    if footnotes.notes:
        parts.append(_notes("Facilities, as the source states them", footnotes.notes))
    return _sections(*parts)


def subprocessors_data(catalog: Catalog) -> dict[str, Any]:
    """Return ``residency subprocessors`` as JSON-ready data."""
    return {
        "catalog": catalog.id,
        "subprocessors": [_subprocessor_data(sub) for sub in catalog.subprocessors],
    }


def subprocessors_view(catalog: Catalog) -> RenderableType:
    """Return ``residency subprocessors`` for people, each condition quoted once."""
    if not catalog.subprocessors:
        return Text(f"Catalog {catalog.id} lists no sub-processors besides its data centers.")
    footnotes = _Footnotes()
    table = _table(
        "Sub-processor",
        "Name",
        "Kind",
        "Role",
        "Where",
        "Group company",
        "Consent",
        "Condition",
        title=f"Sub-processors of catalog {catalog.id} (besides the hosting data centers)",
    )
    for sub in catalog.subprocessors:
        mark = footnotes.mark(sub.condition, _original(sub.condition_as_written, sub.ref))
        _row(
            table,
            sub.id,
            sub.name or NOT_NAMED,
            sub.kind,
            stated(sub.role),
            country_name(sub.country) if sub.country else NOT_STATED,
            "yes" if sub.group_company else "no",
            "required" if sub.consent_required else "not needed",
            mark,
        )
    return _sections(table, _notes("Conditions, as the source states them", footnotes.notes))


def regions_data(policy: Policy, *, at: datetime) -> dict[str, Any]:
    """Return ``residency regions`` as JSON-ready data; rules list their countries at ``at``."""
    catalog = policy.catalog
    by_rule = _countries_by_rule(policy, at)
    return {
        "catalog": catalog.id,
        "at": at.isoformat(),
        "regions": [
            {
                "id": region.id,
                "name": region.name,
                "as_written": region.as_written,
                "data_centers": [dc.id for dc in catalog.data_centers_in(region.id)],
                "rules": [rule.id for rule in catalog.rules if rule.region == region.id],
            }
            for region in catalog.regions
        ],
        "rules": [
            {
                "id": rule.id,
                "region": rule.region,
                "title": rule.title,
                "groups": list(rule.groups),
                "countries": by_rule.get(rule.id, []),
            }
            for rule in catalog.rules
        ],
        "unassigned": [
            {"country": entry.country, "name": country_name(entry.country), "reason": entry.reason}
            for entry in catalog.unassigned
        ],
    }


def _countries_by_rule(policy: Policy, at: datetime) -> dict[str, list[str]]:
    by_rule: dict[str, list[str]] = {}
    for country, rule in sorted(policy.assignment.segment_at(at).rules.items()):
        by_rule.setdefault(rule.id, []).append(country)
    return by_rule


def regions_view(policy: Policy, *, at: datetime) -> RenderableType:
    """Return ``residency regions`` for people: regions, then the rules that assign them."""
    catalog = policy.catalog
    by_rule = _countries_by_rule(policy, at)
    regions = _table(
        "Region",
        "Name",
        "As written",
        "Data centers",
        "Assigned by rules",
        title=f"Regions of catalog {catalog.id}",
    )
    for region in catalog.regions:
        _row(
            regions,
            region.id,
            region.name,
            region.as_written or NOT_STATED,
            ", ".join(dc.id for dc in catalog.data_centers_in(region.id)),
            ", ".join(rule.id for rule in catalog.rules if rule.region == region.id),
        )
    rules = _table(
        "#",
        "Rule",
        "Region",
        "Title",
        "Countries",
        title=f"Rules, first match wins (countries at {at.isoformat()})",
    )
    for position, rule in enumerate(catalog.rules, start=1):
        _row(rules, position, rule.id, rule.region, rule.title, len(by_rule.get(rule.id, ())))
    unassigned = [
        Text(f"Unassigned: {_country(entry.country)}: {stated(entry.reason)}")
        for entry in catalog.unassigned
    ]
    return _sections(regions, rules, *([Group(*unassigned)] if unassigned else []))
