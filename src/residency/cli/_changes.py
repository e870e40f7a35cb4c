"""``residency catalog diff | plan | audit``: what a new catalog changes, and where accounts stand.

Each command asks the library one question (:func:`residency.diff_catalogs`,
:meth:`Policy.plan_migration <residency.Policy.plan_migration>`, :meth:`Policy.audit
<residency.Policy.audit>`) and prints the answer: its ``to_dict()`` with ``--json``, tables
for people otherwise. Accounts are read from a CSV file through the one file reader that
``assign`` uses (a regular file or standard input, each line's encoding checked, every
refusal naming its line), and ``-o FILE`` writes every row of the answer as CSV, whole or not
at all, never over an input.

>>> from residency import default_policy
>>> policy = default_policy()
>>> plan = policy.plan_migration(policy, [("acct-1", "DE")])
>>> [row for row in _move_rows(plan)], plan.summary()["staying"]
([], 1)
"""

from __future__ import annotations

import contextlib
import csv
import sys
from typing import TYPE_CHECKING, Any, Final

import attrs

from residency import _bulk, _files
from residency.catalog import NOT_STATED
from residency.changes import ChangeKind, diff_catalogs
from residency.cli import _agreements
from residency.cli import _bulk as _cli_bulk
from residency.cli._layout import Column, Line, Listing, Pairs, Part, Stack, sections, text
from residency.cli._render import print_json, print_view
from residency.locations import country_name

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence
    from datetime import datetime

    from residency.agreements import AgreementIndex
    from residency.changes import CatalogDiff, Change, Notice
    from residency.migration import AuditReport, MigrationPlan
    from residency.policy import Policy
    from residency.store import AgreementStore

__all__ = [
    "AUDIT_COLUMNS",
    "MOVE_COLUMNS",
    "Columns",
    "audit_accounts",
    "diff",
    "plan",
]

MOVE_COLUMNS: Final = (
    "account_id",
    "from_region",
    "to_region",
    "from_primary",
    "to_primary",
    "verdict",
    "reason",
    "agreement",
)
"""The columns ``plan -o FILE`` writes, one row per move."""

AUDIT_COLUMNS: Final = (
    "account_id",
    "location",
    "data_center",
    "status",
    "region",
    "primary",
    "reason",
    "agreement",
    "error",
)
"""The columns ``audit -o FILE`` writes, one row per account."""

_UNKNOWN_REGION: Final = "-"
"""How :meth:`AuditReport.by_region` files the accounts without a home region."""


@attrs.frozen
class Columns:
    """The columns of an accounts file: the account id, the location, the data center."""

    account: str
    """The account id column."""
    location: str
    """The location column."""
    data_center: str | None
    """The data center column; ``None``: ``data_center`` where the file has one."""
    needed: bool = attrs.field(kw_only=True)
    """Whether every account must say its data center (an audit's)."""


# --- reading ------------------------------------------------------------------------------------


def _names(header: list[str], columns: Columns) -> list[str]:
    """The columns of ``header`` to read: the account, the location, and the data center.

    Raises:
        MissingColumn: the header lacks a column that is needed.
    """
    names = [columns.account, columns.location]
    options = ["--account-column", "--location-column"]
    if columns.data_center is not None:
        names.append(columns.data_center)
    elif columns.needed or "data_center" in header:
        names.append("data_center")
    options.append("--data-center-column")
    for name, option in zip(names, options, strict=False):
        _bulk.column(header, name, option)
    return names


def _accounts(file: str, columns: Columns, encoding: str) -> tuple[int, list[tuple[str, ...]]]:
    """The accounts of ``file`` ("-": standard input), read as ``assign`` reads rows.

    ``file`` is CSV, or Parquet (known by its content) when pyarrow is installed; either
    way each account is a tuple of text cells, an empty or null cell ``""``; returned with
    how many columns were read (3 with a data center, else 2).

    Raises:
        FileError: ``file`` cannot be read.
        MissingColumn: the header lacks a column that is needed.
        MissingDependency: ``file`` is Parquet and pyarrow is not installed.
    """
    if file != "-" and _cli_bulk.is_parquet(file):
        with _files.open_parquet(file) as parquet:
            names = _names(parquet.header, columns)
            return len(names), [tuple(row) for row in parquet.rows(names)]
    path = None if file == "-" else file
    with _files.open_csv(path, encoding=encoding, stdin=sys.stdin.buffer) as reader:
        header = reader.header
        positions = [header.index(name) for name in _names(header, columns)]
        rows = [tuple(row[at] if len(row) > at else "" for at in positions) for row in reader]
        return len(positions), rows


ACCOUNT_COLUMNS: Final = ("account_id", "country", "data_center")
"""The columns of the accounts table the library is given, whatever the file calls them."""


def accounts_table(accounts: list[tuple[str, ...]], width: int) -> Any:  # noqa: ANN401 - a pyarrow Table
    """The accounts as a pyarrow Table of the first ``width`` of :data:`ACCOUNT_COLUMNS`.

    Every column is of strings; an empty data center is null, as the library reads an
    empty data center of a row as none given.
    """
    import pyarrow as pa  # noqa: PLC0415 - only where pyarrow is installed

    cells: list[list[str | None]] = [[row[at] for row in accounts] for at in range(width)]
    if width == len(ACCOUNT_COLUMNS):
        cells[-1] = [cell or None for cell in cells[-1]]
    arrays = [pa.array(column, type=pa.string()) for column in cells]
    return pa.table(arrays, names=list(ACCOUNT_COLUMNS[:width]))


def _for_library(read: tuple[int, list[tuple[str, ...]]]) -> Any:  # noqa: ANN401 - a Table, or rows
    """The accounts as the library takes them: a pyarrow Table, or else rows of tuples.

    The Table where numpy and pyarrow are installed: the library then places it on the
    columnar path.
    """
    width, accounts = read
    if not _cli_bulk.columnar_installed():
        return accounts
    try:
        return accounts_table(accounts, width)
    except (UnicodeError, ValueError):  # a lone surrogate is no UTF-8: the rows then
        return accounts


def _agreements_of(
    source: str | None, policy: Policy, stack: contextlib.ExitStack
) -> AgreementStore | AgreementIndex | tuple[()]:
    """The agreements ``--agreements`` names, read as ``check --agreements`` reads them."""
    if not source:
        return ()
    from residency.store import AgreementStore  # noqa: PLC0415 - the store only for --agreements

    agreements = _agreements.check_source(source, policy)
    if isinstance(agreements, AgreementStore):
        stack.enter_context(agreements)
    return agreements


def _inputs(*paths: str | None) -> list[str]:
    """The files a command reads, which its output must never replace."""
    from residency.store import is_url  # noqa: PLC0415 - the store loads only for stores

    return [path for path in paths if path and path != "-" and not is_url(path)]


@contextlib.contextmanager
def _csv_sink(
    output: str | None, header: Sequence[str], *, inputs: Iterable[str]
) -> Iterator[Callable[[Iterable[Sequence[str]]], None] | None]:
    """Where the rows go: ``output`` as CSV under ``header``, written whole when the block ends.

    ``output`` is opened first, so that an output that is an input is refused before any
    work; without one, nothing.
    """
    if output is None:
        yield None
        return
    with _files.atomic_output(output, inputs=inputs) as sink:
        writer = csv.writer(sink, lineterminator="\n")
        writer.writerow(header)
        yield writer.writerows


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def _move_rows(plan: MigrationPlan) -> Iterator[list[str]]:
    for move in plan.moves:
        data = move.to_dict()
        yield [_cell(data[name]) for name in MOVE_COLUMNS]


def _audit_rows(report: AuditReport) -> Iterator[list[str]]:
    for row in report.rows:
        data = row.to_dict()
        yield [_cell(data[name]) for name in AUDIT_COLUMNS]


# --- the commands -------------------------------------------------------------------------------


def diff(old: Policy, new: Policy, *, at: datetime, as_json: bool) -> CatalogDiff:
    """``catalog diff OLD NEW``: print every change and every notice; return the diff."""
    found = diff_catalogs(old, new, at=at)
    if as_json:
        print_json(found.to_dict())
    else:
        print_view(_diff_view(found))
    return found


def plan(  # noqa: PLR0913 - the options of the command, all keyword-only
    old: Policy,
    new: Policy,
    file: str,
    *,
    columns: Columns,
    encoding: str,
    agreements: str | None,
    at: datetime,
    as_json: bool,
    output: str | None,
    inputs: Sequence[str],
) -> MigrationPlan:
    """``plan OLD NEW ACCOUNTS.csv``: print the plan and the diff's notices; return the plan.

    ``inputs`` are the catalog files, which ``output`` must not replace either.
    """
    accounts = _for_library(_accounts(file, columns, encoding))
    with contextlib.ExitStack() as stack:
        given = _agreements_of(agreements, new, stack)
        read = _inputs(file, agreements, *inputs)
        with _csv_sink(output, MOVE_COLUMNS, inputs=read) as write:
            answer = old.plan_migration(new, accounts, agreements=given, at=at)
            if write is not None:
                write(_move_rows(answer))
        count = len(given)
    found = diff_catalogs(old, new, at=at)
    if as_json:
        data = answer.to_dict()
        unresolvable = data.pop("unresolvable")
        data["notices"] = [notice.to_dict() for notice in found.notices]
        data["unresolvable"] = unresolvable
        print_json(data)
    else:
        shown = (agreements, count) if agreements else None
        print_view(_plan_view(answer, found, agreements=shown, output=output))
    return answer


def audit_accounts(  # noqa: PLR0913 - the options of the command, all keyword-only
    policy: Policy,
    file: str,
    *,
    columns: Columns,
    encoding: str,
    agreements: str | None,
    at: datetime,
    as_json: bool,
    output: str | None,
    inputs: Sequence[str],
) -> AuditReport:
    """``audit ACCOUNTS.csv``: print where each account stands; return the report."""
    accounts = _for_library(_accounts(file, columns, encoding))
    with contextlib.ExitStack() as stack:
        given = _agreements_of(agreements, policy, stack)
        read = _inputs(file, agreements, *inputs)
        with _csv_sink(output, AUDIT_COLUMNS, inputs=read) as write:
            report = policy.audit(accounts, agreements=given, at=at)
            if write is not None:
                write(_audit_rows(report))
        count = len(given)
    if as_json:
        print_json(report.to_dict())
    else:
        shown = (agreements, count) if agreements else None
        print_view(_audit_view(report, agreements=shown, output=output))
    return report


# --- for people ---------------------------------------------------------------------------------


def _said(value: object) -> str:
    """A changed value in a line: an item's id, a list joined, ``none`` for nothing."""
    if value is None:
        return "none"
    if isinstance(value, dict):
        return str(value.get("id", ", ".join(f"{k}: {_said(v)}" for k, v in value.items())))
    if isinstance(value, list):
        return ", ".join(map(_said, value)) or "none"
    return str(value) or '""'


def _placed(value: dict[str, Any]) -> str:
    region, rule = value.get("region"), value.get("rule")
    return "no region" if region is None else f"{region} (rule {rule})"


def _change_line(change: Change) -> str:
    """What a change changed, in a line: ``old -> new``."""
    if change.kind in {ChangeKind.COUNTRY_REGION_CHANGED, ChangeKind.COUNTRY_RULE_CHANGED}:
        code = change.path.partition(".")[2]
        return f"{country_name(code)}: {_placed(change.old)} -> {_placed(change.new)}"
    if change.kind is ChangeKind.NOTICE_DAYS_CHANGED:
        days = [
            NOT_STATED if value is None else f"{value} days" for value in (change.old, change.new)
        ]
        return " -> ".join(days)
    return f"{_said(change.old)} -> {_said(change.new)}"


def _warning(found: CatalogDiff) -> list[Part]:
    """A loud line first when the placement scheme changed: every account may move."""
    if not found.placement_changed:
        return []
    (change,) = found.of_kind(ChangeKind.PLACEMENT_CHANGED)
    line = (
        f"WARNING: the placement scheme changes ({_said(change.old)} -> {_said(change.new)}): "
        "every account's order of data centers may change, its primary too"
    )
    return [text(line, "bold red")]


def _notices_view(notices: Sequence[Notice]) -> Part:
    """Each notice: whom to tell of which sub-processor, the window, the catalog's words."""
    if not notices:
        return text("No notices: no sub-processor is added or replaced.")
    parts: list[Part] = [
        text("Notices to customers of new or replaced sub-processors (GDPR Art. 28(2))", "bold")
    ]
    for notice in notices:
        rows = [
            ("Name", notice.name or NOT_STATED),
            ("Function", notice.function or NOT_STATED),
            ("Tell", notice.customers),
            ("Window", notice.window),
            ("Change", notice.path),
        ]
        rows += [
            ("Quoted" if number == 0 else "", quote) for number, quote in enumerate(notice.quotes)
        ]
        parts += [Line(), text(f"{notice.subprocessor} ({notice.change})", "bold"), Pairs(rows)]
    return Stack(*parts)


def _diff_view(found: CatalogDiff) -> Part:
    noun = "change" if len(found.changes) == 1 else "changes"
    headline = text(f"Catalog {found.old} -> {found.new}: {len(found.changes)} {noun}", "bold")
    facts = Pairs(
        [
            ("From", found.old),
            ("To", found.new),
            ("Countries", f"compared at {found.at.isoformat()}"),
        ]
    )
    parts: list[Part] = [*_warning(found), Stack(headline, facts)]
    if not found.changes:
        parts.append(text(f"No changes: {found.new} places every account as {found.old} does."))
        return sections(*parts)
    table = Listing(
        "Changes",
        Column("Change", head=True),
        Column("Path", head=True),
        Column("Old -> new", prose=True),
    )
    for change in found.changes:
        table.add(change.kind.value, change.path, _change_line(change))
    return sections(*parts, table, _notices_view(found.notices))


def _counts(title: str, header: str, counts: dict[str, Any]) -> Listing:
    table = Listing(
        title,
        Column(header, head=True),
        Column("Moving out"),
        Column("Moving in"),
        Column("Staying"),
    )
    for key, value in counts.items():
        table.add(key, value["moving_out"], value["moving_in"], value["staying"])
    return table


def _plan_view(
    answer: MigrationPlan,
    found: CatalogDiff,
    *,
    agreements: tuple[str, int] | None,
    output: str | None,
) -> Part:
    summary = answer.summary()
    headline = text(f"Migration plan from {answer.from_catalog} to {answer.to_catalog}", "bold")
    rows = [
        ("Accounts", f"{summary['accounts']:,}"),
        ("Staying", f"{summary['staying']:,} (region and primary stay)"),
        ("Reordered", f"{summary['reordered']:,} of those staying (other data centers reordered)"),
        ("Moving", f"{summary['moving']:,} (region or primary changes)"),
        ("Allowed", f"{summary['allowed']:,} (within the home region)"),
        ("Agreement", f"{summary['agreement']:,} (out of the home region, under an agreement)"),
        ("Blocked", f"{summary['blocked']:,} (out of the home region, no agreement in force)"),
        ("Unresolvable", f"{summary['unresolvable']:,} (could not be placed)"),
    ]
    if agreements is not None:
        source, count = agreements
        rows.append(("Agreements", f"{source} ({count} agreement{'' if count == 1 else 's'})"))
    rows.append(("At", answer.at.isoformat()))
    parts: list[Part] = [*_warning(found), Stack(headline, Pairs(rows))]
    if answer.regions:
        parts.append(_counts("Accounts per region", "Region", summary["regions"]))
    if answer.data_centers:
        parts.append(_counts("Accounts per data center", "Data center", summary["data_centers"]))
    if answer.blocked:
        blocked = Listing(
            "Blocked moves: no agreement in force allows them",
            Column("Account", head=True),
            Column("From"),
            Column("To"),
            Column("Reason", prose=True),
        )
        for move in answer.blocked:
            source = f"{move.from_primary} ({move.from_region})"
            target = f"{move.to_primary} ({move.to_region})"
            blocked.add(move.account_id, source, target, move.reason)
        parts.append(blocked)
    if answer.unresolved:
        parts.append(
            _errors(
                "Accounts that could not be planned",
                [
                    (item.account_id, type(item.error).__name__, str(item.error))
                    for item in answer.unresolved
                ],
            )
        )
    parts.append(_notices_view(found.notices))
    if output is not None:
        noun = "move" if len(answer.moves) == 1 else "moves"
        parts.append(text(f"Wrote {len(answer.moves):,} {noun} to {output}."))
    return sections(*parts)


def _errors(title: str, rows: Iterable[tuple[str, str, str]]) -> Listing:
    table = Listing(title, Column("Account", head=True), Column("Error", prose=True))
    for account, name, message in rows:
        table.add(account, f"{name}: {message}")
    return table


_STATUS_HEADERS: Final = (
    ("in_place", "In place"),
    ("in_region", "In region"),
    ("under_agreement", "Under agreement"),
    ("misplaced", "Misplaced"),
    ("unresolvable", "Unresolvable"),
)


def _audit_view(
    report: AuditReport, *, agreements: tuple[str, int] | None, output: str | None
) -> Part:
    counts = report.counts()
    accounts = len(report.rows)
    if report.clean:
        verdict = Line("CLEAN", "bold green")
        where = (
            "the account is where it may be"
            if accounts == 1
            else f"all {accounts:,} accounts are where they may be"
        )
        verdict.append(f"  {where}", style="bold")
    else:
        verdict = Line("NOT CLEAN", "bold red")
        verdict.append(
            f"  {counts['misplaced']:,} misplaced, {counts['unresolvable']:,} unresolvable "
            f"of {accounts:,} accounts",
            style="bold",
        )
    rows = [("Catalog", report.catalog)]
    if agreements is not None:
        source, count = agreements
        rows.append(("Agreements", f"{source} ({count} agreement{'' if count == 1 else 's'})"))
    rows.append(("At", report.at.isoformat()))
    table = Listing(
        "Accounts per home region",
        Column("Region", head=True),
        *(Column(header) for _, header in _STATUS_HEADERS),
    )
    regions = report.by_region()
    unknown = regions.pop(_UNKNOWN_REGION, None)
    for region, found in [*regions.items(), *([("unknown", unknown)] if unknown else [])]:
        table.add(region, *(f"{found[key]:,}" for key, _ in _STATUS_HEADERS))
    table.add("Total", *(f"{counts[key]:,}" for key, _ in _STATUS_HEADERS))
    parts: list[Part] = [Stack(verdict, Pairs(rows)), table]
    if report.misplaced:
        misplaced = Listing(
            "Misplaced: outside the home region, no agreement in force",
            Column("Account", head=True),
            Column("Data center"),
            Column("Region"),
            Column("Reason", prose=True),
        )
        for row in report.misplaced:
            misplaced.add(row.account_id, row.data_center, row.region, row.reason)
        parts.append(misplaced)
    if report.unresolvable:
        parts.append(
            _errors(
                "Unresolvable: where the account belongs, or where it is, is unknown",
                [(row.account_id, row.error or "", row.reason) for row in report.unresolvable],
            )
        )
    if output is not None:
        noun = "account" if accounts == 1 else "accounts"
        parts.append(text(f"Wrote {accounts:,} {noun} to {output}."))
    return sections(*parts)
