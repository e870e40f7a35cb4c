"""Score residency's location resolution on the external country-name variants file.

The file (../shared/data/country-name-variants.tsv, described in its SOURCE.md) is read from
where it lives, never copied into the repository. Scoring, as SOURCE.md sets it:

- ``iso3166-1`` rows: resolved to the expected country / unknown or ambiguous / WRONG;
- ``negative`` rows: rejected / resolved (every resolution of a negative row is wrong);
- the other rows (conventions, historic and non-ISO codes) are not scored.

A wrong country is never acceptable: the script exits 1 when it finds one, or when fewer than
95% of the ``iso3166-1`` rows resolve.

Usage: python scripts/evaluate_names.py [--data PATH] [--quiet]
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from residency.errors import LocationError
from residency.locations import alpha3, resolve_location

if TYPE_CHECKING:
    from collections.abc import Iterable

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "country-name-variants.tsv"
TARGET = 0.95


def evaluate(rows: Iterable[dict[str, str]]) -> dict[str, list[tuple[str, str, str]]]:
    """Sort the rows into outcomes; each entry is (input, expected, what residency said)."""
    outcomes: dict[str, list[tuple[str, str, str]]] = {
        "resolved": [],
        "unresolved": [],
        "wrong": [],
        "rejected": [],
        "negative resolved": [],
    }
    for row in rows:
        status, text, expected = row["iso_status"], row["input"], row["expected_iso3"]
        if status not in {"iso3166-1", "negative"}:
            continue
        try:
            said = alpha3(resolve_location(text).country)
        except LocationError as error:
            said = f"{type(error).__name__}: {error}"
            outcome = "unresolved" if status == "iso3166-1" else "rejected"
        else:
            if status == "negative":
                outcome = "negative resolved"
            else:
                outcome = "resolved" if said == expected else "wrong"
        outcomes[outcome].append((text, expected, said))
    return outcomes


def main(argv: list[str] | None = None) -> int:
    """Print the scores and the rows that went wrong or stayed unresolved."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the variants TSV")
    parser.add_argument("--quiet", action="store_true", help="print only the scores")
    arguments = parser.parse_args(argv)
    with arguments.data.open(encoding="utf-8", newline="") as stream:
        outcomes = evaluate(csv.DictReader(stream, delimiter="\t", quoting=csv.QUOTE_NONE))

    resolved, unresolved, wrong = (
        len(outcomes[name]) for name in ("resolved", "unresolved", "wrong")
    )
    scored = resolved + unresolved + wrong
    share = resolved / scored if scored else 0.0
    rejected, leaked = len(outcomes["rejected"]), len(outcomes["negative resolved"])
    print(f"data: {arguments.data}")
    print(
        f"iso3166-1 rows: {scored}: resolved to the expected country {resolved} ({share:.1%}),"
        f" unknown or ambiguous {unresolved}, WRONG {wrong}"
    )
    print(f"negative rows:  {rejected + leaked}: rejected {rejected}, resolved {leaked}")
    failures = [("WRONG", outcomes["wrong"]), ("NEGATIVE RESOLVED", outcomes["negative resolved"])]
    if not arguments.quiet:
        failures.append(("unresolved", outcomes["unresolved"]))
    for title, entries in failures:
        for text, expected, said in entries:
            print(f"{title:>18}  {text!r:<50} expected {expected}: {said}")
    return 0 if wrong == 0 and leaked == 0 and share >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
