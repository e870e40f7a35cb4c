"""The support command line: ``residency where | check | access | datacenters | ...``.

It needs the ``cli`` extra (``pip install 'residency[cli]'``: click and rich). This module
imports neither, so that without them :func:`main` says so in one line instead of a
traceback; the commands live in ``residency.cli._app``, their output in
``residency.cli._render``, and importing ``residency`` itself never loads any of them. A
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

import importlib.machinery
import importlib.util
import sys
from typing import TYPE_CHECKING, Final, NoReturn

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["MISSING_EXTRA", "main"]

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

    Exits 2 with :data:`MISSING_EXTRA` on stderr when the ``cli`` extra is missing.
    """
    if _extra_missing():
        sys.stderr.write(MISSING_EXTRA + "\n")
        raise SystemExit(2)
    try:
        from residency.cli._app import cli  # noqa: PLC0415 - click and rich may be missing
    except ModuleNotFoundError as error:
        if (error.name or "").partition(".")[0] not in _EXTRA:
            raise
        sys.stderr.write(MISSING_EXTRA + "\n")
        raise SystemExit(2) from None
    cli.main(args, prog_name="residency")
    raise SystemExit(0)  # pragma: no cover - cli.main always exits in standalone mode
