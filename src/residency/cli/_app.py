"""The commands of ``residency``, and how every outcome becomes an exit code.

A thin layer: each command parses its options, asks the library one question and hands the
answer to :mod:`residency.cli._render`. The group's ``main`` runs click with
``standalone_mode=False`` and maps what comes back:

====  ==============================================================================
code  meaning
====  ==============================================================================
0     answered (and, for ``check``, the move is allowed)
1     ``check``: the move is denied
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
import os
import pathlib
import re
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, TextIO

import click

from residency.agreements import load_agreements
from residency.catalog import catalog_json_schema
from residency.cli import _bulk, _render
from residency.errors import CatalogError, InvalidAgreement, InvalidTime, ResidencyError, StoreError
from residency.policy import default_policy, load_policy

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from residency.agreements import Agreement
    from residency.catalog import Catalog
    from residency.policy import Policy

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_DENIED",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "cli",
    "parse_time",
]

EXIT_OK: Final = 0
"""The question was answered (and, for ``check``, the move is allowed)."""
EXIT_DENIED: Final = 1
"""``check``: the move is denied."""
EXIT_BAD_INPUT: Final = 2
"""Bad input of any kind: location, data center, file, time, consent or usage."""
EXIT_INTERNAL: Final = 3
"""A bug in residency: an exception it did not raise on purpose."""
EXIT_INTERRUPTED: Final = 130
"""Interrupted (Ctrl-C) before an answer, as shells count it (128 + SIGINT)."""

SQLITE_HEADER: Final = b"SQLite format 3\x00"
"""The first 16 bytes of every SQLite database file: how an agreement store is recognised."""

_STORE_SUFFIXES: Final = frozenset({".sqlite3", ".sqlite", ".db"})

# RFC 3339: a full date and time, seconds included, and an offset (Z or +hh:mm).
_RFC3339: Final = re.compile(
    r"(?P<time>\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)"
    r"(?P<offset>[Zz]|[+-]\d{2}:\d{2})?"
)


def _fail(name: str, message: str, code: int = EXIT_BAD_INPUT) -> int:
    """Write one line ``name: message`` to stderr, whatever line breaks ``message`` holds."""
    sys.stderr.write(f"{name}: {' '.join(message.split())}\n")
    return code


class ResidencyGroup(click.Group):
    """The ``residency`` group: its ``main`` turns every outcome into an exit code."""

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
            code = _fail(type(error).__name__, str(error))
        except click.UsageError as error:
            hint = f" (see '{error.ctx.command_path} --help')" if error.ctx is not None else ""
            code = _fail("UsageError", error.format_message() + hint)
        except click.ClickException as error:
            code = _fail(type(error).__name__, error.format_message())
        except click.Abort:
            code = _fail("Interrupted", "stopped before an answer", EXIT_INTERRUPTED)
        except Exception as error:  # noqa: BLE001 - a bug must surface, as one line and exit 3
            message = f"{type(error).__name__}: {error} (a bug in residency: please report it)"
            code = _fail("InternalError", message, EXIT_INTERNAL)
        if standalone_mode:
            sys.exit(code)
        return code


class _Session:
    """What the group's options set up for its commands: the catalog, read when first needed."""

    def __init__(self, catalog: str | None) -> None:
        self.catalog = catalog

    @functools.cached_property
    def policy(self) -> Policy:
        """The policy over ``--catalog``, or over the bundled catalog."""
        return default_policy() if self.catalog is None else load_policy(self.catalog)


def parse_time(text: str | None) -> datetime:
    """Read ``--at``: RFC 3339 with an offset; ``None`` is now. Anything else is ``InvalidTime``.

    >>> parse_time("2026-01-01T00:00:00Z").isoformat()
    '2026-01-01T00:00:00+00:00'
    >>> parse_time("2026-01-01T09:30:00+02:00").isoformat()
    '2026-01-01T09:30:00+02:00'
    >>> parse_time("2026-01-01T00:00:00")
    Traceback (most recent call last):
    ...
    residency.errors.InvalidTime: '2026-01-01T00:00:00' has no offset, ...
    """
    if text is None:  # to the second: an answer for "now" need not name a microsecond
        return datetime.now(UTC).replace(microsecond=0)
    example = "write it like 2026-01-01T00:00:00Z or 2026-01-01T02:00:00+02:00"
    match = _RFC3339.fullmatch(text.strip())
    if match is None:
        message = f"{text!r:.80} is not an RFC 3339 time: {example}"
        raise InvalidTime(message, value=text)
    if match["offset"] is None:
        message = f"{text!r} has no offset, so it names no single instant: {example}"
        raise InvalidTime(message, value=text)
    offset = match["offset"].upper().replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(match["time"].upper() + offset)
    except ValueError as error:
        message = f"{text!r} is not a valid time ({error}): {example}"
        raise InvalidTime(message, value=text) from None


def read_agreements(path: str) -> tuple[Agreement, ...]:
    """Read ``--agreements``: an SQLite agreement store, or a TOML or JSON agreements file.

    A store is recognised by its first bytes, whatever its name; a name that promises a store
    (``.sqlite3``, ``.sqlite``, ``.db``) without those bytes is refused. A store is never
    created: a check only reads.
    """
    try:
        with pathlib.Path(path).open("rb") as file:
            header = file.read(100)
    except OSError:
        header = b""  # unreadable: the agreements file reader says why
    if header.startswith(SQLITE_HEADER):
        # sqlite3 is imported only when a store is given.
        from residency.store import AgreementStore  # noqa: PLC0415

        with AgreementStore(path, create=False) as store:
            return tuple(store.index())
    if pathlib.PurePath(path).suffix.lower() in _STORE_SUFFIXES:
        if not os.path.lexists(path):
            message = "no such file (residency creates no agreement store to answer a check)"
        else:
            message = "not an SQLite database, so not an agreement store"
        raise StoreError(message, path=path)
    return load_agreements(path)


def _region(catalog: Catalog, value: str) -> str:
    """The catalog's region id that ``value`` names, in any case; else ``UnknownRegion``."""
    ids = [region.id for region in catalog.regions]
    found = [region for region in ids if region.casefold() == value.strip().casefold()]
    return catalog.region(found[0] if len(found) == 1 else value).id


# --- the commands -------------------------------------------------------------------------------

_json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object instead of tables."
)
_at_option = click.option(
    "--at",
    "at_text",
    metavar="TIME",
    help="The moment the answer is for, RFC 3339 with an offset (2026-01-01T00:00:00Z). "
    "Default: now.",
)
_account_option = click.option("--account", metavar="ID", help="The customer's account id.")


def _show(as_json: bool, data: Callable[[], dict[str, Any]], view: Callable[[], Any]) -> None:
    if as_json:
        _render.print_json(data())
    else:
        _render.print_view(view())


_HELP: Final = """Answer support questions: where a customer's data lives, whether it may move,
and who can access it.

Tables for people by default; --json prints one JSON object for scripts. Every command
answers from the bundled catalog, or from the catalog file given with --catalog.

\b
Exit codes:
  0  answered (check: the move is allowed)
  1  check: the move is denied
  2  bad input; one line 'ErrorName: message' on stderr
  3  a bug in residency; one line 'InternalError: ...' on stderr
"""


@click.group("residency", cls=ResidencyGroup, help=_HELP, no_args_is_help=False)
@click.option(
    "--catalog",
    metavar="FILE",
    help="A catalog file (TOML or JSON) to answer from. Default: the bundled catalog.",
)
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
@click.pass_obj
def where(
    session: _Session, location: str, account: str | None, at_text: str | None, as_json: bool
) -> int:
    """Where does the data of a customer at LOCATION live?

    LOCATION is a country code (DE, DEU, 276, UK), a subdivision code (US-GA) or a country
    name in any common spelling or language ("Hoa Kỳ"). With --account, the data centers
    come in that account's stable order and the first is its primary.
    """
    at = parse_time(at_text)
    policy = session.policy
    placement = policy.assign(location, account_id=account, at=at)
    catalog = policy.catalog
    _show(
        as_json,
        lambda: _render.where_data(placement, catalog, query=location, account=account, at=at),
        lambda: _render.where_view(placement, catalog, query=location, account=account, at=at),
    )
    return EXIT_OK


@cli.command(short_help="May a customer's data move from one data center to another?")
@click.argument("location")
@click.option("--from", "source", required=True, metavar="DC", help="Where the data is now.")
@click.option("--to", "target", required=True, metavar="DC", help="Where it would move.")
@_account_option
@click.option(
    "--agreements",
    "agreements_path",
    metavar="FILE",
    help="The customers' agreements: a TOML or JSON agreements file, or an SQLite store.",
)
@_at_option
@_json_option
@click.pass_obj
def check(  # noqa: PLR0913 - one parameter per option
    session: _Session,
    location: str,
    source: str,
    target: str,
    account: str | None,
    agreements_path: str | None,
    at_text: str | None,
    as_json: bool,
) -> int:
    """May the data of a customer at LOCATION move from one data center to another?

    Within the customer's region, yes; elsewhere only under an agreement of the account
    (--account) that covers the target and is in force at --at. Exit 0 allowed, 1 denied.
    """
    at = parse_time(at_text)
    policy = session.policy
    agreements: tuple[Agreement, ...] = ()
    if agreements_path is not None:
        try:
            agreements = tuple(policy.check_agreements(read_agreements(agreements_path)))
        except InvalidAgreement as error:
            if error.source is not None:
                raise
            raise InvalidAgreement(
                error.problems, agreement=error.agreement, source=agreements_path
            ) from None
    decision = policy.check_transfer(
        location, source, target, account_id=account, agreements=agreements, at=at
    )
    _show(
        as_json,
        lambda: _render.check_data(decision, query=location),
        lambda: _render.check_view(decision, agreements=agreements_path, count=len(agreements)),
    )
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
@click.pass_obj
def access(
    session: _Session,
    location: str,
    consents: tuple[str, ...],
    at_text: str | None,
    as_json: bool,
) -> int:
    """Who can access the data of a customer at LOCATION, where, and on what condition?

    Support sub-processors may access data only with the customer's consent (--consent
    support); without it they are listed as withheld.
    """
    at = parse_time(at_text)
    answer = session.policy.who_can_access(location, consents=consents, at=at)
    _show(
        as_json,
        lambda: _render.access_data(answer, at=at),
        lambda: _render.access_view(answer, at=at),
    )
    return EXIT_OK


@cli.command(short_help="The data centers: provider, region, location, facility.")
@click.option("--region", metavar="R", help="Only the data centers of region R.")
@_json_option
@click.pass_obj
def datacenters(session: _Session, region: str | None, as_json: bool) -> int:
    """List the data centers: provider, region, location as the source states it, facility."""
    catalog = session.policy.catalog
    chosen = catalog.data_centers
    if region is not None:
        chosen = catalog.data_centers_in(_region(catalog, region))
    _show(
        as_json,
        lambda: _render.data_centers_data(catalog, chosen),
        lambda: _render.data_centers_view(catalog, chosen),
    )
    return EXIT_OK


@cli.command(short_help="The sub-processors, and on what condition they may access data.")
@_json_option
@click.pass_obj
def subprocessors(session: _Session, as_json: bool) -> int:
    """List the sub-processors besides the hosting data centers, and their conditions."""
    catalog = session.policy.catalog
    _show(
        as_json,
        lambda: _render.subprocessors_data(catalog),
        lambda: _render.subprocessors_view(catalog),
    )
    return EXIT_OK


@cli.command(short_help="The regions, their data centers, and the rules that assign them.")
@_at_option
@_json_option
@click.pass_obj
def regions(session: _Session, at_text: str | None, as_json: bool) -> int:
    """List the regions with their data centers, and the rules that assign them."""
    at = parse_time(at_text)
    policy = session.policy
    _show(
        as_json,
        lambda: _render.regions_data(policy, at=at),
        lambda: _render.regions_view(policy, at=at),
    )
    return EXIT_OK


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
@_at_option
@click.pass_obj
def assign(  # noqa: PLR0913 - one parameter per option
    session: _Session,
    file: str,
    column: str,
    account_column: str | None,
    output: str,
    at_text: str | None,
) -> int:
    """Place every row of FILE.csv: its columns, then region, primary, rule and error.

    FILE.csv has a header row; "-" reads standard input. A bad row (unknown location, empty
    cell, ...) gets its error in the error column and does not stop the run; if any row was
    bad, the command ends with one line on stderr and exit code 2. Long files show a
    progress bar when stderr is a terminal.
    """
    at = parse_time(at_text)
    policy = session.policy
    source = _open_csv(file)
    try:
        sink = sys.stdout if output == "-" else _create(output)
        try:
            with _bulk_progress(file) as advance:
                report = _bulk.assign_csv(
                    policy,
                    source,
                    sink,
                    column=column,
                    account_column=account_column,
                    at=at,
                    advance=advance,
                )
        except _bulk.MissingColumn as error:
            raise click.UsageError(str(error)) from None
        finally:
            if sink is not sys.stdout:
                sink.close()
    finally:
        if source is not sys.stdin:
            source.close()
    if report.bad:
        line, first = report.examples[0]
        noun = "row" if report.bad == 1 else "rows"
        message = (
            f"{report.bad:,} of {report.rows:,} {noun} could not be placed (see the error "
            f"column); the first, line {line}: {first}"
        )
        return _fail("BadRows", message)
    return EXIT_OK


def _open_csv(file: str) -> TextIO:
    if file == "-":
        return sys.stdin
    try:
        return pathlib.Path(file).open(encoding="utf-8-sig", newline="")
    except OSError as error:
        message = f"cannot read {file!r}: {error.strerror}"
        raise click.BadParameter(message, param_hint="'FILE.csv'") from None


def _create(output: str) -> TextIO:
    try:
        return pathlib.Path(output).open("w", encoding="utf-8", newline="")
    except OSError as error:
        message = f"cannot write {output!r}: {error.strerror}"
        raise click.BadParameter(message, param_hint="'--output'") from None


@contextlib.contextmanager
def _bulk_progress(file: str) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr for a long file, when stderr is a terminal; else nothing."""
    if file == "-" or not sys.stderr.isatty():
        yield None
        return
    total = _count_lines(file) - 1
    if total < _PROGRESS_FROM_ROWS:
        yield None
        return
    from rich.progress import Progress  # noqa: PLC0415 - only long files on a terminal

    with Progress(console=_render.error_console(), transient=True) as progress:
        task = progress.add_task("Placing rows", total=total)
        yield lambda done: progress.advance(task, done)


_PROGRESS_FROM_ROWS: Final = 100_000


def _count_lines(file: str) -> int:
    with pathlib.Path(file).open("rb") as binary:
        return sum(block.count(b"\n") for block in iter(lambda: binary.read(1 << 20), b""))


@cli.group(
    "catalog",
    short_help="Validate a catalog file, or print the JSON Schema of catalog files.",
    no_args_is_help=False,
)
def catalog_group() -> None:
    """Check a catalog file, or print the JSON Schema of catalog files."""


@catalog_group.command(short_help="Check a catalog file and list every problem in it.")
@click.argument("path", metavar="FILE")
@_json_option
def validate(path: str, as_json: bool) -> int:
    """Check the catalog FILE (TOML or JSON) and list every problem, one per line.

    A valid file prints one summary line; an invalid one prints each problem on stdout, then
    one line 'CatalogError: ...' on stderr, and exits 2.
    """
    try:
        checked = load_policy(path).catalog
    except CatalogError as error:
        if as_json:
            problems = [{"path": p.path, "message": p.message} for p in error.problems]
            _render.print_json({"valid": False, "file": path, "problems": problems})
        else:
            sys.stdout.writelines(f"{problem}\n" for problem in error.problems)
        raise
    counts = {
        "regions": len(checked.regions),
        "data_centers": len(checked.data_centers),
        "rules": len(checked.rules),
    }
    if as_json:
        _render.print_json({"valid": True, "file": path, "catalog": checked.id, **counts})
    else:
        summary = ", ".join(_count(count, name.replace("_", " ")) for name, count in counts.items())
        sys.stdout.write(f"valid: {checked.id}, {summary}\n")
    return EXIT_OK


def _count(count: int, plural: str) -> str:
    return f"{count} {plural.removesuffix('s') if count == 1 else plural}"


@catalog_group.command()
@_json_option
def schema(as_json: bool) -> int:  # noqa: ARG001 - accepted like everywhere; the schema is JSON
    """Print the JSON Schema (draft 2020-12) of catalog files."""
    _render.print_json(catalog_json_schema())
    return EXIT_OK
