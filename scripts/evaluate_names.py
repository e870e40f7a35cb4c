"""Score residency's location resolution on the CLDR territory names and a table of variants.

Two evaluation sets, each read from where it lives and never copied into the repository:

**CLDR.** Every territory name of every locale that Babel ships (``Locale.territories``),
grouped by language (en, en_GB and en_AU are all ``en``; sr_Latn is ``sr``). The unit scored
is a distinct pair (name, expected) per language, where expected is:

- for an ISO 3166-1 code (and XK): that country;
- for the other place codes of CLDR (AC, IC, EA, ...): the location that the ``[cldr]`` table
  of ``territories.toml`` gives, a subdivision (SH-AC) or a country (ES);
- for a numeric code (a UN M49 region such as 150) and the codes of ``[cldr_not_countries]``
  (001, EU, EZ, UN, QO, ZZ): "not a country", since those names never name one country.

XA and XB (pseudo-locales for testing software) are left out. A country or subdivision pair
is ``right`` (the expected location), ``right country`` (a subdivision was expected and the
country is right, the subdivision another or none: right at country level), ``wrong``
(another country), ``ambiguous-right`` or ``ambiguous-wrong`` (AmbiguousLocation whose
candidates hold the expected country, or do not), or ``unknown`` (any other refusal). A region
pair is ``rejected`` (refused; the report also counts the refusals that say "not a country"),
``shared`` (another language of CLDR gives the very same name to a country, and it resolved to
that country: a name cannot be both, and ``aliases.toml`` records which it is) or
``resolved``. The share right of a language is right and right country over its pairs of
places (region names are scored apart). Thresholds: no wrong, no ambiguous-wrong and no region
name resolved over all languages; at least 99% right in each of the 40 most used languages; at
least 97% right over all places of all languages; and every CLDR code has an expectation.

**The variants table.** ``../shared/data/country-name-variants.tsv`` (described in the
``country-name-variants.SOURCE.md`` beside it), scored as that file sets it:

- ``iso3166-1`` rows: resolved to the expected country / unknown or ambiguous / WRONG;
- ``negative`` rows: rejected / named a subdivision ("New Jersey" is US-NJ: a place, and not
  a country) / resolved to a country;
- the other rows (conventions, historic and non-ISO codes) are not scored.

Thresholds: no WRONG row, at least 97% of the ``iso3166-1`` rows resolved, and no negative row
resolved to a country. A missing file is reported and skipped.

The script prints the failures always, the other outcomes on request, and exits 1 when a
threshold is missed. Its functions are importable: :func:`score_cldr` returns a
:class:`CldrScore`, :func:`score_tsv` a :class:`TsvScore`.

Usage: python scripts/evaluate_names.py [--cldr] [--tsv] [--data PATH] [--json FILE]
[--show unknown|ambiguous|all] [--language xx] [--quiet]
"""

from __future__ import annotations

import argparse
import csv
import enum
import functools
import importlib.util
import json
import sys
import time
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import attrs

from residency import _data
from residency._normalize import exact
from residency.errors import AmbiguousLocation, LocationError
from residency.locations import CountryCode, Location, alpha3, countries, resolve_location

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable, Mapping, Sequence

DEFAULT_DATA: Final = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "country-name-variants.tsv"
)

# fmt: off
TOP_LANGUAGES: Final = (
    "en", "zh", "es", "ar", "hi", "bn", "pt", "ru", "ja", "de",
    "fr", "ko", "vi", "tr", "it", "pl", "uk", "nl", "th", "id",
    "ms", "fa", "he", "el", "cs", "sv", "hu", "ro", "da", "fi",
    "nb", "sk", "bg", "hr", "sr", "lt", "lv", "et", "sl", "ca",
)
# fmt: on
"""The 40 most used languages, each held to :data:`TOP_SHARE`."""

TOP_SHARE: Final = 0.99
"""The least share of CLDR pairs right in each of :data:`TOP_LANGUAGES`."""
OVERALL_SHARE: Final = 0.97
"""The least share of CLDR pairs right over all pairs of all languages."""
TSV_SHARE: Final = 0.97
"""The least share of the ``iso3166-1`` rows of the variants table resolved right."""

PSEUDO_CODES: Final = frozenset({"XA", "XB"})
"""CLDR codes of pseudo-locales, which name no place: not scored."""
NOT_A_COUNTRY: Final = "not a country"
"""How an expectation or a refusal says that a name names no country."""


# --- CLDR -----------------------------------------------------------------------------------


class Outcome(enum.StrEnum):
    """What residency made of one CLDR pair (name, expected)."""

    RIGHT = "right"
    RIGHT_COUNTRY = "right country"
    AMBIGUOUS_RIGHT = "ambiguous-right"
    UNKNOWN = "unknown"
    WRONG = "wrong"
    AMBIGUOUS_WRONG = "ambiguous-wrong"
    REJECTED = "rejected"
    SHARED = "shared"
    RESOLVED = "resolved"


FAILURE_OUTCOMES: Final = frozenset({Outcome.WRONG, Outcome.AMBIGUOUS_WRONG, Outcome.RESOLVED})
"""The outcomes that are never acceptable."""


@attrs.frozen
class CldrPair:
    """A territory name of one language and what it must resolve to."""

    language: str
    """The language of the locales that give the name (``en`` for en, en_GB, en_AU)."""
    name: str
    """The name, as CLDR writes it."""
    code: str
    """The CLDR territory code the name is given for (the first, when several give it)."""
    expected: Location | None
    """The location the name must resolve to; None for a place that is not a country."""
    also_names: frozenset[str] = frozenset()
    """For a region name: the countries that other languages give the very same name."""

    def expected_text(self) -> str:
        """The expectation in words: a code, or "not a country"."""
        return NOT_A_COUNTRY if self.expected is None else str(self.expected)


@attrs.frozen
class CldrResult:
    """One pair, scored."""

    pair: CldrPair
    """The pair scored."""
    outcome: Outcome
    """What residency made of it."""
    said: str
    """What residency answered: a location code, or ``ErrorName: message``."""
    not_a_country: bool = False
    """For a rejected region name: whether the refusal says it is not a country."""

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data."""
        return {
            "language": self.pair.language,
            "name": self.pair.name,
            "code": self.pair.code,
            "expected": self.pair.expected_text(),
            "outcome": str(self.outcome),
            "said": self.said,
        }


@attrs.frozen
class CldrCounts:
    """The number of pairs of each outcome, for one language or for all."""

    right: int = 0
    right_country: int = 0
    ambiguous_right: int = 0
    unknown: int = 0
    wrong: int = 0
    ambiguous_wrong: int = 0
    rejected: int = 0
    rejected_not_a_country: int = 0
    """Of the rejected region names, those whose refusal says "not a country"."""
    shared: int = 0
    """Region names that another language gives a country, resolved to that country."""
    resolved: int = 0
    """Region names that resolved: failures."""

    @classmethod
    def of(cls, results: Iterable[CldrResult]) -> CldrCounts:
        """Count ``results`` by outcome."""
        counts = dict.fromkeys(Outcome, 0)
        not_a_country = 0
        for result in results:
            counts[result.outcome] += 1
            not_a_country += result.not_a_country
        return cls(
            **{outcome.name.lower(): count for outcome, count in counts.items()},
            rejected_not_a_country=not_a_country,
        )

    @property
    def pairs(self) -> int:
        """The number of pairs scored."""
        return (
            self.right
            + self.right_country
            + self.ambiguous_right
            + self.unknown
            + self.wrong
            + self.ambiguous_wrong
            + self.rejected
            + self.shared
            + self.resolved
        )

    @property
    def places(self) -> int:
        """The number of pairs whose name names a country or a part of one."""
        return self.pairs - self.rejected - self.shared - self.resolved

    @property
    def correct(self) -> int:
        """The pairs of places resolved right (right, or the right country of a part)."""
        return self.right + self.right_country

    @property
    def share(self) -> float:
        """The share of the places resolved right; 0.0 when there is none.

        Region names are scored apart (they must never resolve), so they neither raise nor
        lower the share.
        """
        return self.correct / self.places if self.places else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The counts, the number of pairs and the share, as JSON-ready data."""
        return {
            **attrs.asdict(self),
            "pairs": self.pairs,
            "correct": self.correct,
            "share": self.share,
        }


@attrs.frozen
class CldrScore:
    """The CLDR territory names of every locale, scored per language."""

    babel: str
    """The version of Babel that supplied the names."""
    cldr: str
    """The version of CLDR that Babel ships."""
    locales: int
    """The number of locales read."""
    languages: Mapping[str, CldrCounts]
    """The counts of each language, by language code, sorted."""
    total: CldrCounts
    """The counts over all pairs of all languages."""
    top40_min_share: float
    """The least share right among :data:`TOP_LANGUAGES` (0.0 for a language CLDR lacks)."""
    top40_min_language: str
    """The language of :attr:`top40_min_share`."""
    overall_share: float
    """The share right over all pairs of all languages."""
    failures: tuple[CldrResult, ...]
    """The pairs that are never acceptable: wrong, ambiguous-wrong, region names resolved."""
    results: tuple[CldrResult, ...]
    """Every pair, scored, by language."""
    unclassified: tuple[str, ...]
    """CLDR codes that the evaluation has no expectation for (their names are not scored)."""
    seconds: float
    """How long the pass took."""

    def problems(self) -> tuple[str, ...]:
        """The thresholds missed, in words; empty when every one is met."""
        problems: list[str] = []
        total = self.total
        for count, what in (
            (total.wrong, "pairs resolved to a wrong country"),
            (total.ambiguous_wrong, "pairs ambiguous without the expected country"),
            (total.resolved, "region names resolved"),
        ):
            if count:
                problems.append(f"{count} {what} (none allowed)")
        below = [
            language
            for language in TOP_LANGUAGES
            if self.languages.get(language, CldrCounts()).share < TOP_SHARE
        ]
        if below:
            problems.append(
                f"{len(below)} of the {len(TOP_LANGUAGES)} most used languages below"
                f" {TOP_SHARE:.0%} right (least: {self.top40_min_language}"
                f" {self.top40_min_share:.1%}): {' '.join(below)}"
            )
        if self.overall_share < OVERALL_SHARE:
            problems.append(
                f"{self.overall_share:.1%} right over all languages (at least"
                f" {OVERALL_SHARE:.0%} needed)"
            )
        if self.unclassified:
            problems.append(
                f"CLDR codes without an expectation in territories.toml:"
                f" {' '.join(self.unclassified)}"
            )
        return tuple(problems)

    @property
    def passed(self) -> bool:
        """Whether every threshold is met."""
        return not self.problems()

    def to_dict(self) -> dict[str, Any]:
        """Every figure and every failure, as JSON-ready data."""
        return {
            "babel": self.babel,
            "cldr": self.cldr,
            "locales": self.locales,
            "total": self.total.to_dict(),
            "top40_languages": list(TOP_LANGUAGES),
            "top40_min_share": self.top40_min_share,
            "top40_min_language": self.top40_min_language,
            "overall_share": self.overall_share,
            "thresholds": {"top40_share": TOP_SHARE, "overall_share": OVERALL_SHARE},
            "languages": {key: counts.to_dict() for key, counts in self.languages.items()},
            "unclassified": list(self.unclassified),
            "failures": [result.to_dict() for result in self.failures],
            "problems": list(self.problems()),
            "passed": self.passed,
            "seconds": self.seconds,
        }


def cldr_expectations() -> dict[str, Location | None]:
    """Map each CLDR code but the region numbers to its location (None: not a country).

    The ISO 3166-1 countries (and XK) are themselves; the other codes come from the ``[cldr]``
    and ``[cldr_not_countries]`` tables of ``territories.toml``.
    """
    tables = tomllib.loads(_data.read_bytes("territories.toml").decode("utf-8"))
    expected: dict[str, Location | None] = {code: Location(country=code) for code in countries()}
    expected.update(dict.fromkeys(tables.get("cldr_not_countries", {})))
    for code, entry in tables.get("cldr", {}).items():
        location = str(entry["location"])
        subdivision = location if "-" in location else None
        country = CountryCode(location.partition("-")[0])
        expected[code] = Location(country=country, subdivision=subdivision)
    return expected


def expectation(code: str, listed: Mapping[str, Location | None]) -> Location | None:
    """Return what the CLDR names of ``code`` must resolve to (None: not a country).

    ``listed`` is what :func:`cldr_expectations` returns; a numeric code is a UN M49 region.

    Raises:
        KeyError: ``code`` is neither a region number nor in ``listed``.
    """
    if code.isdigit():
        return None
    return listed[code]


def cldr_pairs(
    identifiers: Iterable[str] | None = None,
) -> tuple[tuple[CldrPair, ...], int, tuple[str, ...]]:
    """Return the distinct pairs of every language, the number of locales and unscored codes.

    ``identifiers`` are Babel locale identifiers; by default every one Babel ships.
    """
    from babel import Locale  # noqa: PLC0415 - Babel is needed only for this part
    from babel.localedata import locale_identifiers  # noqa: PLC0415

    listed = cldr_expectations()
    chosen = sorted(locale_identifiers() if identifiers is None else identifiers)
    seen: dict[tuple[str, str, Location | None], str] = {}
    named: dict[str, set[str]] = {}  # name -> the countries some language gives it
    unclassified: set[str] = set()
    for identifier in chosen:
        locale = Locale.parse(identifier)
        language = locale.language
        for code, name in sorted(locale.territories.items()):
            if code in PSEUDO_CODES:
                continue
            try:
                expected = expectation(code, listed)
            except KeyError:
                unclassified.add(code)
                continue
            seen.setdefault((language, name, expected), code)
            if expected is not None:
                named.setdefault(exact(name), set()).add(expected.country)
    pairs = [
        CldrPair(
            language,
            name,
            code,
            expected,
            frozenset(named.get(exact(name), ())) if expected is None else frozenset(),
        )
        for (language, name, expected), code in seen.items()
    ]
    pairs.sort(key=lambda pair: pair.language)
    return tuple(pairs), len(chosen), tuple(sorted(unclassified))


@functools.cache
def _country_codes() -> frozenset[str]:
    return frozenset(countries())


def _said(location: Location) -> str:
    """The location as its code; in full when its country is no country code, a wrong answer."""
    return str(location) if location.country in _country_codes() else repr(location)


def _answer(name: str) -> Location | LocationError:
    try:
        return resolve_location(name)
    except LocationError as error:
        return error


def classify(pair: CldrPair, answer: Location | LocationError) -> CldrResult:
    """Score ``pair`` given what residency answered for its name (a location or the error)."""
    expected = pair.expected
    if isinstance(answer, LocationError):
        said = f"{type(answer).__name__}: {answer}"
        if expected is None:
            return CldrResult(pair, Outcome.REJECTED, said, NOT_A_COUNTRY in str(answer))
        if not isinstance(answer, AmbiguousLocation):
            outcome = Outcome.UNKNOWN
        elif expected.country in answer.candidates:
            outcome = Outcome.AMBIGUOUS_RIGHT
        else:
            outcome = Outcome.AMBIGUOUS_WRONG
        return CldrResult(pair, outcome, said)
    if expected is None:
        outcome = Outcome.SHARED if answer.country in pair.also_names else Outcome.RESOLVED
    elif answer.country != expected.country:
        outcome = Outcome.WRONG
    elif expected.subdivision in {None, answer.subdivision}:
        outcome = Outcome.RIGHT
    else:
        outcome = Outcome.RIGHT_COUNTRY
    return CldrResult(pair, outcome, _said(answer))


def score_pair(pair: CldrPair) -> CldrResult:
    """Resolve the name of ``pair`` and score the answer."""
    return classify(pair, _answer(pair.name))


def score_cldr(identifiers: Iterable[str] | None = None) -> CldrScore:
    """Score every CLDR territory name of the locales ``identifiers`` (default: all of them)."""
    from babel import __version__ as babel_version  # noqa: PLC0415 - needed only here
    from babel.core import get_cldr_version  # noqa: PLC0415

    started = time.perf_counter()
    pairs, locales, unclassified = cldr_pairs(identifiers)
    answers: dict[str, Location | LocationError] = {}  # many languages share a name
    results: list[CldrResult] = []
    by_language: dict[str, list[CldrResult]] = {}
    for pair in pairs:
        answer = answers.get(pair.name)
        if answer is None:
            answer = answers[pair.name] = _answer(pair.name)
        result = classify(pair, answer)
        results.append(result)
        by_language.setdefault(pair.language, []).append(result)
    languages = {key: CldrCounts.of(by_language[key]) for key in sorted(by_language)}
    top = [(languages.get(key, CldrCounts()).share, key) for key in TOP_LANGUAGES]
    top40_min_share, top40_min_language = min(top)
    total = CldrCounts.of(results)
    return CldrScore(
        babel=babel_version,
        cldr=str(get_cldr_version()),
        locales=locales,
        languages=languages,
        total=total,
        top40_min_share=top40_min_share,
        top40_min_language=top40_min_language,
        overall_share=total.share,
        failures=tuple(result for result in results if result.outcome in FAILURE_OUTCOMES),
        results=tuple(results),
        unclassified=unclassified,
        seconds=time.perf_counter() - started,
    )


# --- the variants table ---------------------------------------------------------------------


class TsvOutcome(enum.StrEnum):
    """What residency made of one scored row of the variants table."""

    RESOLVED = "resolved"
    UNKNOWN = "unknown"
    AMBIGUOUS = "ambiguous"
    WRONG = "WRONG"
    REJECTED = "rejected"
    SUBDIVISION = "named a subdivision"
    NEGATIVE_RESOLVED = "resolved to a country"


TSV_FAILURES: Final = frozenset({TsvOutcome.WRONG, TsvOutcome.NEGATIVE_RESOLVED})
"""The outcomes that are never acceptable."""


@attrs.frozen
class TsvResult:
    """One scored row of the variants table."""

    text: str
    """The input of the row."""
    expected: str
    """The alpha-3 code the row expects, or NONE for a negative row."""
    status: str
    """The ``iso_status`` of the row: ``iso3166-1`` or ``negative``."""
    outcome: TsvOutcome
    """What residency made of it."""
    said: str
    """What residency answered: the alpha-3 code (and the subdivision), or the error."""

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data."""
        return {
            "input": self.text,
            "expected": self.expected,
            "status": self.status,
            "outcome": str(self.outcome),
            "said": self.said,
        }


@attrs.frozen
class TsvScore:
    """The variants table, scored."""

    path: str
    """The file scored."""
    resolved: int
    """``iso3166-1`` rows resolved to the expected country."""
    unknown: int
    """``iso3166-1`` rows refused as unknown (or invalid)."""
    ambiguous: int
    """``iso3166-1`` rows refused as ambiguous."""
    wrong: int
    """``iso3166-1`` rows resolved to another country: failures."""
    rejected: int
    """Negative rows refused."""
    subdivision: int
    """Negative rows resolved to a subdivision: a place that is not a country."""
    negative_resolved: int
    """Negative rows resolved to a country: failures."""
    not_scored: int
    """Rows of the other statuses."""
    results: tuple[TsvResult, ...]
    """Every scored row, in file order."""
    failures: tuple[TsvResult, ...]
    """The rows that are never acceptable: WRONG, and negative rows resolved to a country."""

    @property
    def scored(self) -> int:
        """The number of ``iso3166-1`` rows."""
        return self.resolved + self.unknown + self.ambiguous + self.wrong

    @property
    def negatives(self) -> int:
        """The number of negative rows."""
        return self.rejected + self.subdivision + self.negative_resolved

    @property
    def share(self) -> float:
        """The share of the ``iso3166-1`` rows resolved right; 0.0 when there is none."""
        return self.resolved / self.scored if self.scored else 0.0

    def problems(self) -> tuple[str, ...]:
        """The thresholds missed, in words; empty when every one is met."""
        problems: list[str] = []
        if self.wrong:
            problems.append(f"{self.wrong} iso3166-1 rows resolved to a wrong country")
        if self.share < TSV_SHARE:
            problems.append(
                f"{self.share:.1%} of the iso3166-1 rows resolved (at least {TSV_SHARE:.0%} needed)"
            )
        if self.negative_resolved:
            problems.append(f"{self.negative_resolved} negative rows resolved to a country")
        return tuple(problems)

    @property
    def passed(self) -> bool:
        """Whether every threshold is met."""
        return not self.problems()

    def to_dict(self) -> dict[str, Any]:
        """Every figure and every failure, as JSON-ready data."""
        return {
            "path": self.path,
            "iso3166-1": {
                "rows": self.scored,
                "resolved": self.resolved,
                "unknown": self.unknown,
                "ambiguous": self.ambiguous,
                "wrong": self.wrong,
                "share": self.share,
            },
            "negative": {
                "rows": self.negatives,
                "rejected": self.rejected,
                "named a subdivision": self.subdivision,
                "resolved to a country": self.negative_resolved,
            },
            "not scored": self.not_scored,
            "threshold": {"share": TSV_SHARE},
            "failures": [result.to_dict() for result in self.failures],
            "problems": list(self.problems()),
            "passed": self.passed,
        }


def _tsv_result(status: str, text: str, expected: str) -> TsvResult:
    try:
        location = resolve_location(text)
    except LocationError as error:
        said = f"{type(error).__name__}: {error}"
        if status == "negative":
            outcome = TsvOutcome.REJECTED
        elif isinstance(error, AmbiguousLocation):
            outcome = TsvOutcome.AMBIGUOUS
        else:
            outcome = TsvOutcome.UNKNOWN
        return TsvResult(text, expected, status, outcome, said)
    code = alpha3(location.country) if location.country in _country_codes() else _said(location)
    said = code if location.subdivision is None else f"{code} ({location.subdivision})"
    if status == "negative":
        named = location.subdivision is not None
        outcome = TsvOutcome.SUBDIVISION if named else TsvOutcome.NEGATIVE_RESOLVED
    elif code == expected:
        outcome = TsvOutcome.RESOLVED
    else:
        outcome = TsvOutcome.WRONG
    return TsvResult(text, expected, status, outcome, said)


def evaluate(rows: Iterable[Mapping[str, str]]) -> tuple[tuple[TsvResult, ...], int]:
    """Score the rows of the variants table; return the scored rows and the number skipped."""
    results: list[TsvResult] = []
    skipped = 0
    for row in rows:
        status = row["iso_status"]
        if status not in {"iso3166-1", "negative"}:
            skipped += 1
            continue
        results.append(_tsv_result(status, row["input"], row["expected_iso3"]))
    return tuple(results), skipped


def score_tsv(path: str | os.PathLike[str] = DEFAULT_DATA) -> TsvScore:
    """Score the variants table at ``path``.

    Raises:
        OSError: the file cannot be read (FileNotFoundError when it is absent).
    """
    with Path(path).open(encoding="utf-8", newline="") as stream:
        results, skipped = evaluate(csv.DictReader(stream, delimiter="\t", quoting=csv.QUOTE_NONE))
    counts = dict.fromkeys(TsvOutcome, 0)
    for result in results:
        counts[result.outcome] += 1
    return TsvScore(
        path=str(path),
        resolved=counts[TsvOutcome.RESOLVED],
        unknown=counts[TsvOutcome.UNKNOWN],
        ambiguous=counts[TsvOutcome.AMBIGUOUS],
        wrong=counts[TsvOutcome.WRONG],
        rejected=counts[TsvOutcome.REJECTED],
        subdivision=counts[TsvOutcome.SUBDIVISION],
        negative_resolved=counts[TsvOutcome.NEGATIVE_RESOLVED],
        not_scored=skipped,
        results=results,
        failures=tuple(result for result in results if result.outcome in TSV_FAILURES),
    )


# --- the report -----------------------------------------------------------------------------

_COLUMNS: Final = (
    ("pairs", "pairs"),
    ("right", "right"),
    ("right_country", "r.country"),
    ("ambiguous_right", "amb.right"),
    ("unknown", "unknown"),
    ("wrong", "wrong"),
    ("ambiguous_wrong", "amb.wrong"),
    ("rejected", "rejected"),
    ("rejected_not_a_country", "(not a c.)"),
    ("shared", "shared"),
    ("resolved", "resolved"),
)

# What each --show choice prints besides the failures, in each set.
SHOW_CLDR: Final[Mapping[str, frozenset[Outcome]]] = {
    "unknown": frozenset({Outcome.UNKNOWN}),
    "ambiguous": frozenset({Outcome.AMBIGUOUS_RIGHT}),
    "all": frozenset(
        {Outcome.UNKNOWN, Outcome.AMBIGUOUS_RIGHT, Outcome.RIGHT_COUNTRY, Outcome.SHARED}
    ),
}
SHOW_TSV: Final[Mapping[str, frozenset[TsvOutcome]]] = {
    "unknown": frozenset({TsvOutcome.UNKNOWN}),
    "ambiguous": frozenset({TsvOutcome.AMBIGUOUS}),
    "all": frozenset({TsvOutcome.UNKNOWN, TsvOutcome.AMBIGUOUS, TsvOutcome.SUBDIVISION}),
}


def _row(label: str, counts: CldrCounts) -> str:
    cells = [f"{getattr(counts, field):>{len(title)}}" for field, title in _COLUMNS]
    return f"  {label:<8} {' '.join(cells)} {counts.share:>7.1%}"


def _table(rows: Iterable[tuple[str, CldrCounts]]) -> list[str]:
    header = " ".join(title for _, title in _COLUMNS)
    return [f"  {'language':<8} {header} {'right':>7}", *(_row(*row) for row in rows)]


def _verdict(name: str, problems: Sequence[str]) -> list[str]:
    if not problems:
        return [f"{name}: every threshold met"]
    return [f"{name}: {len(problems)} threshold(s) MISSED", *(f"  - {text}" for text in problems)]


def report_cldr(
    score: CldrScore, *, show: Iterable[str] = (), language: str | None = None, quiet: bool = False
) -> list[str]:
    """The CLDR part of the report, as lines."""
    total = score.total
    lines = [
        f"CLDR {score.cldr} territory names through Babel {score.babel}: {score.locales} locales,"
        f" {len(score.languages)} languages, {total.pairs} distinct pairs (name, expected)"
        f" scored in {score.seconds:.1f} s",
        f"the {len(TOP_LANGUAGES)} most used languages (each needs {TOP_SHARE:.0%} right):",
        *_table((key, score.languages.get(key, CldrCounts())) for key in TOP_LANGUAGES),
    ]
    if not quiet:
        others = [key for key in score.languages if key not in TOP_LANGUAGES]
        lines.append(f"the other {len(others)} languages:")
        lines.extend(_table((key, score.languages[key]) for key in others))
    if language is not None and language not in score.languages:
        lines.append(f"no pairs for language {language!r}")
    lines.extend(
        [
            f"least share right among the {len(TOP_LANGUAGES)}: {score.top40_min_share:.1%}"
            f" ({score.top40_min_language})",
            *_table([("all", total)]),
            f"over all languages: {total.correct}/{total.places} places right"
            f" ({score.overall_share:.1%}; needs {OVERALL_SHARE:.0%}), wrong {total.wrong},"
            f" ambiguous-wrong {total.ambiguous_wrong}, region names resolved {total.resolved}",
        ]
    )
    shown = set(FAILURE_OUTCOMES)
    if not quiet:
        shown.update(*(SHOW_CLDR[choice] for choice in show))
    for result in score.results:
        pair = result.pair
        if result.outcome in shown and language in {None, pair.language}:
            lines.append(
                f"{result.outcome:>16}  {pair.language:<4} {pair.code:<4} {pair.name!r:<40}"
                f" expected {pair.expected_text()}: {result.said}"
            )
    lines.extend(_verdict("CLDR", score.problems()))
    return lines


def report_tsv(score: TsvScore, *, show: Iterable[str] = (), quiet: bool = False) -> list[str]:
    """The variants-table part of the report, as lines."""
    lines = [
        f"data: {score.path}",
        f"iso3166-1 rows: {score.scored}: resolved to the expected country {score.resolved}"
        f" ({score.share:.1%}; needs {TSV_SHARE:.0%}), unknown or ambiguous"
        f" {score.unknown + score.ambiguous} (unknown {score.unknown}, ambiguous"
        f" {score.ambiguous}), WRONG {score.wrong}",
        f"negative rows:  {score.negatives}: rejected {score.rejected}, named a subdivision"
        f" {score.subdivision}, resolved to a country {score.negative_resolved}",
        f"not scored:     {score.not_scored} rows of other statuses",
    ]
    shown = set(TSV_FAILURES)
    if not quiet:
        shown.update(*(SHOW_TSV[choice] for choice in show))
    lines.extend(
        f"{result.outcome:>21}  {result.text!r:<50} expected {result.expected}: {result.said}"
        for result in score.results
        if result.outcome in shown
    )
    lines.extend(_verdict("country-name-variants.tsv", score.problems()))
    return lines


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
        epilog="With neither --cldr nor --tsv, both parts run. Exit 1 when a threshold is missed.",
    )
    parser.add_argument("--cldr", action="store_true", help="score the CLDR territory names")
    parser.add_argument("--tsv", action="store_true", help="score the variants table")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the variants TSV")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every figure here")
    parser.add_argument(
        "--show",
        action="append",
        choices=sorted(SHOW_CLDR),
        default=[],
        help="also print these outcomes, besides the failures (repeatable)",
    )
    parser.add_argument("--language", metavar="xx", help="print the CLDR detail of one language")
    parser.add_argument(
        "--quiet", action="store_true", help="print the summaries and the failures only"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Score the sets asked for, print the report; return 1 when a threshold is missed."""
    arguments = _parser().parse_args(argv)
    both = not (arguments.cldr or arguments.tsv)
    show: list[str] = arguments.show
    document: dict[str, Any] = {}
    passed = True
    if both or arguments.cldr:
        if importlib.util.find_spec("babel") is None:
            print("CLDR: not scored, Babel is not installed")
            document["cldr"] = {"skipped": "Babel is not installed"}
        else:
            cldr = score_cldr()
            print(
                "\n".join(
                    report_cldr(cldr, show=show, language=arguments.language, quiet=arguments.quiet)
                )
            )
            document["cldr"] = cldr.to_dict()
            passed = passed and cldr.passed
    if both or arguments.tsv:
        if both:
            print()
        if arguments.data.is_file():
            tsv = score_tsv(arguments.data)
            print("\n".join(report_tsv(tsv, show=show, quiet=arguments.quiet)))
            document["tsv"] = tsv.to_dict()
            passed = passed and tsv.passed
        else:
            print(f"country-name-variants.tsv: not scored, {arguments.data} is absent")
            document["tsv"] = {"skipped": f"{arguments.data} is absent"}
    document["passed"] = passed
    if arguments.json:
        text = json.dumps(document, indent=2, ensure_ascii=False)
        arguments.json.write_text(text + "\n", encoding="utf-8")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
