"""The support command line: ``residency where | check | access | datacenters | ...``.

It needs the ``cli`` extra (``pip install 'residency[cli]'``: click and rich). This module
imports neither, so that without them :func:`main` says so in one line instead of a
traceback; the commands live in ``residency.cli._app`` (those of the agreement store in
``residency.cli._agreement_commands``, loaded when a command line names them), their output
in ``residency.cli._render``, and importing ``residency`` itself never loads any of them. A
command imports only what it needs: rich loads only where it lays out output for a terminal
or what must fold (see :mod:`residency.cli._layout`), the agreement store only for commands
that open one, the file readers only for commands that read files.

>>> import sys
>>> from residency.cli import main
>>> try:
...     main(["where", "Hoa Kỳ", "--json"])
... except SystemExit as exit:
...     print("exit", exit.code)  # doctest: +ELLIPSIS
{
  "input": "Hoa Kỳ",
  "country": "US",
...
exit 0
"""

from __future__ import annotations

import gc
import importlib.machinery
import importlib.util
import sys

# Not typing.TYPE_CHECKING: the less this module imports, the shorter the moment at the start
# in which a Ctrl-C is Python's traceback rather than main()'s one line.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Final, NoReturn

    import click

__all__ = ["INTERRUPTED", "MISSING_EXTRA", "main"]

MISSING_EXTRA: Final = (
    "MissingExtra: the command line needs the 'cli' extra: pip install 'residency[cli]'"
)
"""The one line :func:`main` prints when click or rich is not installed."""

_EXTRA: Final = frozenset({"click", "rich"})

_RICH_MODULES: Final = (
    "rich.box",
    "rich.cells",
    "rich.console",
    "rich.padding",
    "rich.progress",
    "rich.table",
    "rich.text",
)
"""Every module of rich the command line imports. Most load only as a command needs them, or
never: each is looked for before any command runs, none imported, so that a missing one is
the one line of :data:`MISSING_EXTRA` whatever the command."""


def _extra_missing() -> bool:
    """Whether click, rich or a module of :data:`_RICH_MODULES` cannot be imported.

    Each is looked for as ``import`` looks for it (a module set to None in ``sys.modules``
    cannot be imported either), rich's own modules in rich's folder: nothing is imported,
    not even rich's ``__init__``.
    """
    rich = importlib.util.find_spec("rich")
    if importlib.util.find_spec("click") is None or rich is None:
        return True
    folder = rich.submodule_search_locations
    for name in _RICH_MODULES:
        if name in sys.modules:
            found = sys.modules[name] is not None
        else:
            found = importlib.machinery.PathFinder.find_spec(name, folder) is not None
        if not found:
            return True
    return False


def main(args: Sequence[str] | None = None) -> NoReturn:
    """Run the ``residency`` command with ``args`` (default: ``sys.argv[1:]``) and exit.

    Exits 2 with :data:`MISSING_EXTRA` on stderr when the ``cli`` extra is missing, and 130
    with one line when interrupted (Ctrl-C) while the commands are still loading.
    """
    try:
        if _extra_missing():
            sys.stderr.write(MISSING_EXTRA + "\n")
            raise SystemExit(2)
        cli = _commands()
    except KeyboardInterrupt:
        # The library loads here, not when this package is imported: a Ctrl-C at the start
        # is the one line any other interruption gives, never a traceback.
        sys.stderr.write(INTERRUPTED + "\n")
        raise SystemExit(130) from None  # _app.EXIT_INTERRUPTED, as shells count it
    cli.main(args, prog_name="residency")
    raise SystemExit(0)  # pragma: no cover - cli.main always exits in standalone mode


INTERRUPTED: Final = "Interrupted: stopped before an answer"
"""The line of a command interrupted before it answered (exit code 130)."""


def _commands() -> click.Group:
    """Import the commands (click and the library), the first time without collecting garbage.

    Loading the commands creates tens of thousands of objects, all of them to live as long as
    the process, and the cyclic garbage collector would walk them again and again while they
    load: about 7% of the instructions of a cold ``residency where DE``. So the collector is
    paused while they load, and then every object alive (in the command, what they made) is
    frozen (:func:`gc.freeze`), out of every later collection, the one at exit included; the
    collector then runs as before. A caller that paused the collector itself finds it paused
    and nothing frozen, and later calls in the same process find the commands loaded and
    leave the collector alone.
    """
    loaded = sys.modules.get("residency.cli._app")
    if loaded is not None:
        return loaded.cli  # type: ignore[no-any-return]
    collecting = gc.isenabled()
    gc.disable()
    try:
        cli = _import_commands()
        if collecting:
            gc.freeze()  # only once they loaded: a failed import freezes nothing
    finally:
        if collecting:
            gc.enable()
    return cli


def _import_commands() -> click.Group:
    try:
        from residency.cli._app import cli  # noqa: PLC0415 - click and rich may be missing
    except ModuleNotFoundError as error:
        if (error.name or "").partition(".")[0] not in _EXTRA:
            raise
        sys.stderr.write(MISSING_EXTRA + "\n")
        raise SystemExit(2) from None
    return cli
