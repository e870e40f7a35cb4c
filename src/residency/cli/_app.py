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
import importlib
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, cast

import click

from residency._text import one_line
from residency._time import parse_instant
from residency.catalog import catalog_json_schema
from residency.cli import INTERRUPTED, _render
from residency.errors import CatalogError, ResidencyError
from residency.policy import default_policy, load_policy

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from residency.agreements import AgreementIndex
    from residency.cli._layout import Part
    from residency.policy import Policy
    from residency.store import AgreementStore

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


_LAZY_GROUPS: Final = {"agreements": ("residency.cli._agreement_commands", "agreements_group")}
"""The command groups that load when first named: the module and the name of each."""


class ResidencyGroup(click.Group):
    """The ``residency`` group: ``--catalog`` anywhere, and every outcome an exit code.

    The groups of :data:`_LAZY_GROUPS` are listed by name and imported when a command line
    names them (or the help lists them): ``residency where`` loads none of the agreement
    store's commands.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command's name, in order, the groups not yet loaded included."""
        return sorted({*super().list_commands(ctx), *_LAZY_GROUPS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command named ``cmd_name``, loading its group first if it is a lazy one."""
        if cmd_name in _LAZY_GROUPS and cmd_name not in self.commands:
            module, name = _LAZY_GROUPS[cmd_name]
            self.add_command(getattr(importlib.import_module(module), name), cmd_name)
        return super().get_command(ctx, cmd_name)

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
            from residency.cli import _agreements  # noqa: PLC0415 - only for --agreements
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
