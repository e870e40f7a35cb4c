"""The commands of ``residency``, and how every outcome becomes an exit code.

A thin layer: each command parses its options (click types read times), asks the library one
question and hands the answer to :mod:`residency.cli._render`. The group's ``main`` runs click
with ``standalone_mode=False`` and maps what comes back:

====  ==============================================================================
code  meaning
====  ==============================================================================
0     answered (and, for ``check``, the move is allowed)
1     ``check``: the move is denied; ``audit``: an account is misplaced or unresolvable
2     bad input of any kind; one line ``ErrorName: message`` on stderr
3     a bug in residency; one line ``InternalError: ...`` on stderr
130   interrupted (Ctrl-C) before an answer
====  ==============================================================================

>>> from click.testing import CliRunner
>>> result = CliRunner().invoke(cli, ["check", "GB", "--from", "linode-uk", "--to", "linode-eu"])
>>> result.exit_code, result.stdout.split()[0]
(1, 'DENIED')
>>> result = CliRunner().invoke(cli, ["where", "Korea"])
>>> result.exit_code, result.stderr.split(":")[0]
(2, 'AmbiguousLocation')
"""

from __future__ import annotations

import contextlib
import functools
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, cast

import click

from residency._text import one_line, quoted
from residency._time import parse_instant
from residency.agreements import Agreement, LegalBasis, UnusableAgreement
from residency.catalog import catalog_json_schema
from residency.cli import INTERRUPTED, _agreements, _render
from residency.errors import CatalogError, ResidencyError
from residency.policy import default_policy, load_policy

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from residency.agreements import AgreementIndex
    from residency.cli._layout import Part
    from residency.policy import Policy
    from residency.store import AgreementStore, Event

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_DENIED",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "cli",
]

EXIT_OK: Final = 0
"""The question was answered (and, for ``check``, the move is allowed)."""
EXIT_DENIED: Final = 1
"""``check``: the move is denied; ``audit``: an account is misplaced or unresolvable."""
EXIT_BAD_INPUT: Final = 2
"""Bad input of any kind: location, data center, file, time, consent or usage."""
EXIT_INTERNAL: Final = 3
"""A bug in residency: an exception it did not raise on purpose."""
EXIT_INTERRUPTED: Final = 130
"""Interrupted (Ctrl-C) before an answer, as shells count it (128 + SIGINT)."""

_SHOWN_PROBLEMS: Final = 3
"""How many problems of a file one error line names; ``catalog validate`` lists them all."""


def _fail(name: str, message: str, code: int = EXIT_BAD_INPUT) -> int:
    """Write one line ``name: message`` to stderr: one line, no control character."""
    sys.stderr.write(f"{name}: {one_line(message)}\n")
    return code


def _message(error: ResidencyError) -> str:
    """An error's message for one line: a file's many problems summed up, the first named."""
    problems = getattr(error, "problems", ())
    if len(problems) <= _SHOWN_PROBLEMS:
        return str(error)
    source = getattr(error, "source", None)
    where = f"{source}: " if source else ""
    shown = "; ".join(str(problem) for problem in problems[:_SHOWN_PROBLEMS])
    rest = len(problems) - _SHOWN_PROBLEMS
    hint = f" (residency catalog validate {source} lists them all)" if source else ""
    return f"{where}{len(problems)} problems: {shown}; and {rest} more{hint}"


class ResidencyGroup(click.Group):
    """The ``residency`` group: ``--catalog`` anywhere, and every outcome an exit code."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,  # noqa: FBT002 - click's own signature
        **extra: Any,  # noqa: ANN401 - passed on to click untouched
    ) -> Any:  # noqa: ANN401 - click's own signature: the exit code, or no return at all
        """Run the command line; exit with its code, or return it when not standalone.

        Errors residency raises on purpose and click's usage errors are bad input (exit 2);
        anything else is a bug (exit 3). Either way stderr gets one line and no traceback.
        """
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = EXIT_OK if result is None else int(result)
        except ResidencyError as error:
            code = _fail(type(error).__name__, _message(error))
        except click.UsageError as error:
            hint = f" (see '{error.ctx.command_path} --help')" if error.ctx is not None else ""
            code = _fail("UsageError", error.format_message() + hint)
        except click.ClickException as error:
            code = _fail(type(error).__name__, error.format_message())
        except (_Interrupted, click.Abort, KeyboardInterrupt) as error:
            if isinstance(error, _Interrupted) and sys.stderr.isatty():
                sys.stderr.write("\n")  # end the terminal's "^C" line first
            sys.stderr.write(INTERRUPTED + "\n")
            code = EXIT_INTERRUPTED
        except Exception as error:  # noqa: BLE001 - a bug must surface, as one line and exit 3
            message = f"{type(error).__name__}: {error} (a bug in residency: please report it)"
            code = _fail("InternalError", message, EXIT_INTERNAL)
        if standalone_mode:
            sys.exit(code)
        return code

    def invoke(self, ctx: click.Context) -> Any:  # noqa: ANN401 - click's own signature
        """Run the command; an interruption passes click by, which would print a blank line."""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise _Interrupted from None


class _Interrupted(Exception):
    """Ctrl-C while a command ran, on its way to exit code 130."""


class _Session:
    """What the group's options set up for its commands: the catalog, read when first needed."""

    def __init__(self, catalog: str | None) -> None:
        self.catalog = catalog

    @functools.cached_property
    def policy(self) -> Policy:
        """The policy over ``--catalog``, or over the bundled catalog."""
        return default_policy() if self.catalog is None else load_policy(self.catalog)


class TimeType(click.ParamType):
    """An RFC 3339 time with an offset; anything else is ``InvalidTime`` (exit 2)."""

    name = "time"

    def convert(
        self,
        value: Any,  # noqa: ANN401 - click's own signature: text, or a default already read
        param: click.Parameter | None,  # noqa: ARG002 - click's own signature
        ctx: click.Context | None,  # noqa: ARG002 - click's own signature
    ) -> datetime:
        """Read ``value`` as an instant."""
        return value if isinstance(value, datetime) else parse_instant(value, "--at")


TIME: Final = TimeType()


def _now() -> datetime:
    # To the second: an answer for "now" need not name a microsecond.
    return datetime.now(UTC).replace(microsecond=0)


# --- the commands -------------------------------------------------------------------------------

_json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object instead of tables."
)
_at_option = click.option(
    "--at",
    type=TIME,
    metavar="TIME",
    help="The moment the answer is for, RFC 3339 with an offset (2026-01-01T00:00:00Z). "
    "Default: now.",
)
_account_option = click.option("--account", metavar="ID", help="The customer's account id.")
_CATALOG_HELP: Final = "A catalog file (TOML or JSON) to answer from. Default: the bundled catalog."


def _set_catalog(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """Take ``--catalog`` after the command as before it; given both ways, it must agree."""
    session = ctx.find_object(_Session)
    if value is None or session is None:
        return
    if session.catalog not in (None, value):
        message = f"given twice, as {session.catalog} and as {value}"
        raise click.BadParameter(message, ctx=ctx, param=param)
    session.catalog = value


_catalog_option = click.option(
    "--catalog", metavar="FILE", expose_value=False, callback=_set_catalog, help=_CATALOG_HELP
)


def _show(
    as_json: bool,
    answer: tuple[Callable[..., dict[str, Any]], Callable[..., Part]],
    *args: object,
    **kwargs: object,
) -> int:
    """Print an answer: ``answer`` is its pair of renderers, data then view, for ``args``."""
    data, view = answer
    if as_json:
        _render.print_json(data(*args, **kwargs))
    else:
        _render.print_view(view(*args, **kwargs))
    return EXIT_OK


_HELP: Final = """Answer support questions: where a customer's data lives, whether it may move,
and who can access it.

Tables for people by default; --json prints one JSON object for scripts. Every command
answers from the bundled catalog, or from the catalog file given with --catalog (before or
after the command).

\b
Exit codes:
  0  answered (check: the move is allowed)
  1  check: the move is denied; audit: an account misplaced or unresolvable
  2  bad input; one line 'ErrorName: message' on stderr
  3  a bug in residency; one line 'InternalError: ...' on stderr
"""


@click.group("residency", cls=ResidencyGroup, help=_HELP, no_args_is_help=False)
@click.option("--catalog", metavar="FILE", help=_CATALOG_HELP)
@click.version_option(package_name="residency", prog_name="residency")
@click.pass_context
def cli(ctx: click.Context, catalog: str | None) -> None:
    """The ``residency`` command; its help is ``_HELP``."""
    ctx.obj = _Session(catalog)


@cli.command(short_help="Where a customer's data lives: region, data centers, primary.")
@click.argument("location")
@_account_option
@_at_option
@_json_option
@_catalog_option
@click.pass_obj
def where(
    session: _Session, location: str, account: str | None, at: datetime | None, as_json: bool
) -> int:
    """Where does the data of a customer at LOCATION live?

    LOCATION is a country code (DE, DEU, 276, UK), a subdivision code (US-GA) or the name of
    a country or subdivision in any common spelling or language ("Hoa Kỳ", Bavaria). With
    --account, the data centers come in that account's stable order and the first is its
    primary.
    """
    at = at or _now()
    placement = session.policy.assign(location, account_id=account, at=at)
    answer = (_render.where_data, _render.where_view)
    context = {"query": location, "account": account, "at": at}
    return _show(as_json, answer, placement, session.policy.catalog, **context)


@cli.command(short_help="May a customer's data move from one data center to another?")
@click.argument("location")
@click.option("--from", "source", required=True, metavar="DC", help="Where the data is now.")
@click.option("--to", "target", required=True, metavar="DC", help="Where it would move.")
@_account_option
@click.option(
    "--agreements",
    "agreements_path",
    metavar="FILE|STORE",
    help="The customers' agreements: a TOML or JSON agreements file, or an agreement store "
    "(a file or a postgresql:// URL), which is only read.",
)
@_at_option
@_json_option
@_catalog_option
@click.pass_obj
def check(  # noqa: PLR0913 - one parameter per option
    session: _Session,
    location: str,
    source: str,
    target: str,
    account: str | None,
    agreements_path: str | None,
    at: datetime | None,
    as_json: bool,
) -> int:
    """May the data of a customer at LOCATION move from one data center to another?

    Within the customer's region, yes; elsewhere only under an agreement of the account
    (--account) that covers the target and is in force at --at. Exit 0 allowed, 1 denied.
    """
    at = at or _now()
    policy = session.policy
    with contextlib.ExitStack() as stack:
        agreements: AgreementStore | AgreementIndex | tuple[()] = ()
        if agreements_path:
            from residency.store import AgreementStore  # noqa: PLC0415 - only for --agreements

            agreements = _agreements.check_source(agreements_path, policy)
            if isinstance(agreements, AgreementStore):
                stack.enter_context(agreements)
        # check_transfer takes a store as it takes an index (its annotation does not say so yet)
        given = cast("AgreementIndex", agreements)
        decision = policy.check_transfer(
            location, source, target, account_id=account, agreements=given, at=at
        )
        if as_json:
            _render.print_json(_render.check_data(decision, query=location))
        else:
            view = _render.check_view(decision, agreements=agreements_path, count=len(agreements))
            _render.print_view(view)
    return EXIT_OK if decision.allowed else EXIT_DENIED


@cli.command(short_help="Who can access a customer's data, and on what condition.")
@click.argument("location")
@click.option(
    "--consent",
    "consents",
    multiple=True,
    metavar="NAME",
    help="What the customer has consented to: a sub-processor id or kind (support). Repeatable.",
)
@_at_option
@_json_option
@_catalog_option
@click.pass_obj
def access(
    session: _Session,
    location: str,
    consents: tuple[str, ...],
    at: datetime | None,
    as_json: bool,
) -> int:
    """Who can access the data of a customer at LOCATION, where, and on what condition?

    Support sub-processors may access data only with the customer's consent (--consent
    support); without it they are listed as withheld.
    """
    at = at or _now()
    answer = session.policy.who_can_access(location, consents=consents, at=at)
    return _show(as_json, (_render.access_data, _render.access_view), answer, at=at)


@cli.command(short_help="The data centers: provider, region, location, facility.")
@click.option("--region", metavar="R", help="Only the data centers of region R.")
@_json_option
@_catalog_option
@click.pass_obj
def datacenters(session: _Session, region: str | None, as_json: bool) -> int:
    """List the data centers: provider, region, location as the source states it, facility."""
    catalog = session.policy.catalog
    chosen = catalog.data_centers
    if region is not None:
        chosen = catalog.data_centers_in(catalog.region(region).id)
    return _show(as_json, (_render.data_centers_data, _render.data_centers_view), catalog, chosen)


@cli.command(short_help="The sub-processors, and on what condition they may access data.")
@_json_option
@_catalog_option
@click.pass_obj
def subprocessors(session: _Session, as_json: bool) -> int:
    """List the sub-processors besides the hosting data centers, and their conditions."""
    catalog = session.policy.catalog
    return _show(as_json, (_render.subprocessors_data, _render.subprocessors_view), catalog)


@cli.command(short_help="The regions, their data centers, and the rules that assign them.")
@_at_option
@_json_option
@_catalog_option
@click.pass_obj
def regions(session: _Session, at: datetime | None, as_json: bool) -> int:
    """List the regions with their data centers, and the rules that assign them."""
    at = at or _now()
    policy = session.policy
    return _show(as_json, (_render.regions_data, _render.regions_view), policy, at=at)


@cli.command(short_help="A region and primary data center for every row of a CSV file.")
@click.argument("file", metavar="FILE.csv")
@click.option(
    "--column", default="country", show_default=True, help="The column that holds the location."
)
@click.option(
    "--account-column",
    metavar="NAME",
    help="The column that holds the account id; its order decides each row's primary.",
)
@click.option(
    "--output", "-o", default="-", metavar="FILE", help="Where to write the rows. Default: stdout."
)
@click.option(
    "--encoding",
    default="utf-8-sig",
    show_default=True,
    help="The text encoding of FILE.csv (a byte order mark is skipped).",
)
@_at_option
@click.option(
    "--json", "as_json", is_flag=True, help="Write one JSON object per row instead of CSV."
)
@_catalog_option
@click.pass_obj
def assign(  # noqa: PLR0913 - one parameter per option
    session: _Session,
    file: str,
    column: str,
    account_column: str | None,
    output: str,
    encoding: str,
    at: datetime | None,
    as_json: bool,
) -> int:
    """Place every row of FILE.csv: its columns, then region, primary, rule and error.

    FILE.csv has a header row; "-" reads standard input. A bad row (unknown location, empty
    cell, ...) gets its error in the error column and does not stop the run; if any row was
    bad, the command ends with one line on stderr and exit code 2. The output is written
    whole or not at all, and never over FILE.csv itself. Long files show a progress bar when
    stderr is a terminal.
    """
    from residency.cli import _bulk  # noqa: PLC0415 - the file machinery loads only for files

    report = _bulk.assign_file(
        session.policy,
        file,
        output,
        column=column,
        account_column=account_column,
        encoding=encoding,
        at=at or _now(),
        as_json=as_json,
        inputs=[session.catalog] if session.catalog else [],
    )
    if report.bad:
        line, first = report.examples[0]
        noun = "row" if report.rows == 1 else "rows"  # "1 of 2 rows", "1 of 1 row"
        message = (
            f"{report.bad:,} of {report.rows:,} {noun} could not be placed (see the error "
            f"column); the first, line {line}: {first}"
        )
        return _fail("BadRows", message)
    return EXIT_OK


_agreements_option = click.option(
    "--agreements",
    "agreements_path",
    metavar="FILE|STORE",
    help="The customers' agreements: a TOML or JSON agreements file, or an agreement store "
    "(a file or a postgresql:// URL), which is only read.",
)
_encoding_option = click.option(
    "--encoding",
    default="utf-8-sig",
    metavar="NAME",
    show_default=True,
    help="The text encoding of ACCOUNTS.csv (a byte order mark is skipped).",
)
_account_column_option = click.option(
    "--account-column",
    default="account_id",
    show_default=True,
    metavar="NAME",
    help="The account id column.",
)
_location_column_option = click.option(
    "--location-column",
    default="country",
    show_default=True,
    metavar="NAME",
    help="The location column.",
)


@cli.command(short_help="Which accounts a new catalog moves, and whether each move may be made.")
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@click.argument("file", metavar="ACCOUNTS.csv")
@_agreements_option
@_at_option
@_json_option
@click.option("--output", "-o", metavar="FILE", help="Write every move to FILE as CSV.")
@_account_column_option
@_location_column_option
@click.option(
    "--data-center-column",
    metavar="NAME",
    help="The column of the data center each account is on now. Default: data_center, if "
    "the file has it; else each account is on its primary of OLD.",
)
@_encoding_option
@click.pass_obj
def plan(  # noqa: PLR0913 - one parameter per option
    session: _Session,
    old: str,
    new: str,
    file: str,
    agreements_path: str | None,
    at: datetime | None,
    as_json: bool,
    output: str | None,
    account_column: str,
    location_column: str,
    data_center_column: str | None,
    encoding: str,
) -> int:
    """Plan the move of every account of ACCOUNTS.csv from catalog OLD to catalog NEW.

    OLD and NEW are catalog files (TOML or JSON). ACCOUNTS.csv has a header row ("-" reads
    standard input) with the account id, the location and, optionally, the data center each
    account is on now. Every account whose region or primary changes is a move: allowed
    within its home region, under an agreement (--agreements, checked against NEW) out of
    it, else blocked. Prints the counts, the blocked moves and the notices customers are
    owed; -o FILE writes every move as CSV, whole or not at all, never over an input. A plan
    is an answer: exit 0, blocked moves or not.
    """
    from residency.cli import _changes  # noqa: PLC0415 - the file machinery loads only for files

    columns = _changes.Columns(account_column, location_column, data_center_column, needed=False)
    _changes.plan(
        load_policy(old),
        load_policy(new),
        file,
        columns=columns,
        encoding=encoding,
        agreements=agreements_path,
        at=at or _now(),
        as_json=as_json,
        output=output,
        inputs=[old, new, *([session.catalog] if session.catalog else [])],
    )
    return EXIT_OK


@cli.command(short_help="Where accounts are now: in place, in region, misplaced, unresolvable.")
@click.argument("file", metavar="ACCOUNTS.csv")
@_agreements_option
@_at_option
@_json_option
@click.option(
    "--output", "-o", metavar="FILE", help="Write every account with its status to FILE as CSV."
)
@_account_column_option
@_location_column_option
@click.option(
    "--data-center-column",
    default="data_center",
    show_default=True,
    metavar="NAME",
    help="The column of the data center each account is on now.",
)
@_encoding_option
@_catalog_option
@click.pass_obj
def audit(  # noqa: PLR0913 - one parameter per option
    session: _Session,
    file: str,
    agreements_path: str | None,
    at: datetime | None,
    as_json: bool,
    output: str | None,
    account_column: str,
    location_column: str,
    data_center_column: str,
    encoding: str,
) -> int:
    """Check where every account of ACCOUNTS.csv is now against the catalog in use.

    ACCOUNTS.csv has a header row ("-" reads standard input) with the account id, the
    location and the data center each account is on now. Each is in place (on its primary),
    in region (on another data center of its region: allowed), under an agreement
    (--agreements), misplaced (outside its region without one) or unresolvable (its
    location or data center is unknown). -o FILE writes every account with its status as
    CSV. Exit 1 when any account is misplaced or unresolvable (an account not known to be
    in place is not in place), 0 when every one is where it may be, 2 on bad input.
    """
    from residency.cli import _changes  # noqa: PLC0415 - the file machinery loads only for files

    columns = _changes.Columns(account_column, location_column, data_center_column, needed=True)
    report = _changes.audit_accounts(
        session.policy,
        file,
        columns=columns,
        encoding=encoding,
        agreements=agreements_path,
        at=at or _now(),
        as_json=as_json,
        output=output,
        inputs=[session.catalog] if session.catalog else [],
    )
    return EXIT_OK if report.clean else EXIT_DENIED


@cli.group(
    "catalog",
    short_help="Validate or compare catalog files, or print the JSON Schema of catalog files.",
    no_args_is_help=False,
)
def catalog_group() -> None:
    """Check a catalog file, compare two, or print the JSON Schema of catalog files."""


@catalog_group.command(short_help="Check a catalog file and list every problem in it.")
@click.argument("path", metavar="FILE")
@_json_option
def validate(path: str, as_json: bool) -> int:
    """Check the catalog FILE (TOML or JSON) and list every problem, one per line.

    Its shape, what refers to what, and what its rules leave uncovered are checked in one
    pass. A valid file prints one summary line; an invalid one prints each problem on
    stdout, then one line 'CatalogError: ...' on stderr, and exits 2.
    """
    try:
        checked = load_policy(path).catalog
    except CatalogError as error:
        if as_json:
            problems = [{"path": p.path, "message": p.message} for p in error.problems]
            _render.print_json({"valid": False, "file": path, "problems": problems})
        else:
            _render.print_lines(str(problem) for problem in error.problems)
        noun = "problem" if len(error.problems) == 1 else "problems"
        return _fail("CatalogError", f"{path}: {len(error.problems)} {noun}, listed above")
    counts = {
        "regions": len(checked.regions),
        "data_centers": len(checked.data_centers),
        "rules": len(checked.rules),
    }
    if as_json:
        _render.print_json({"valid": True, "file": path, "catalog": checked.id, **counts})
    else:
        summary = ", ".join(_count(count, name.replace("_", " ")) for name, count in counts.items())
        _render.print_lines([f"valid: {checked.id}, {summary}"])
    return EXIT_OK


def _count(count: int, plural: str) -> str:
    return f"{count} {plural.removesuffix('s') if count == 1 else plural}"


@catalog_group.command("diff", short_help="Every change from one catalog file to another.")
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@_at_option
@_json_option
def diff(old: str, new: str, at: datetime | None, as_json: bool) -> int:
    """List every change from catalog OLD to catalog NEW, and the notices they call for.

    OLD and NEW are catalog files (TOML or JSON). Regions, providers, data centers and
    sub-processors are compared by id, field by field; countries by the region and rule
    each catalog gives them at --at. A new or replaced sub-processor gives a notice: whom
    to tell, the objection window NEW states, the catalog's own words.
    """
    from residency.cli import _changes  # noqa: PLC0415 - loads only for the commands of changes

    _changes.diff(load_policy(old), load_policy(new), at=at or _now(), as_json=as_json)
    return EXIT_OK


@catalog_group.command()
@_json_option
def schema(as_json: bool) -> int:  # noqa: ARG001 - accepted like everywhere; the schema is JSON
    """Print the JSON Schema (draft 2020-12) of catalog files."""
    _render.print_json(catalog_json_schema())
    return EXIT_OK


# --- agreements -----------------------------------------------------------------------------------

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


@cli.group(
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
