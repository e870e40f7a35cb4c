"""The support command line: ``residency where | check | access | datacenters | ...``.

It needs the ``cli`` extra (``pip install 'residency[cli]'``: click and rich). This module
imports neither, so that without them :func:`main` says so in one line instead of a
traceback; the commands live in ``residency.cli._app``, their output in
``residency.cli._render``, and importing ``residency`` itself never loads any of them.

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


def main(args: Sequence[str] | None = None) -> NoReturn:
    """Run the ``residency`` command with ``args`` (default: ``sys.argv[1:]``) and exit.

    Exits 2 with :data:`MISSING_EXTRA` on stderr when the ``cli`` extra is missing.
    """
    try:
        from residency.cli._app import cli  # noqa: PLC0415 - click and rich may be missing
    except ModuleNotFoundError as error:
        if (error.name or "").partition(".")[0] not in _EXTRA:
            raise
        sys.stderr.write(MISSING_EXTRA + "\n")
        raise SystemExit(2) from None
    cli.main(args, prog_name="residency")
    raise SystemExit(0)  # pragma: no cover - cli.main always exits in standalone mode
