"""Regenerate the generated data files of residency from pycountry and the curated tables.

Run ``make index`` (or ``python scripts/build_name_index.py``) after upgrading pycountry or
editing ``aliases.toml`` or ``territories.toml``; ``--check`` only compares. The files land
in ``src/residency/data/``, compact, sorted and deterministic, each with a header naming this
script and the pycountry version:

- ``countries.json``: every ISO 3166-1 country plus the curated extra countries (XK), as rows
  ``[alpha-2, alpha-3, numeric, short name, official name, common name]``, and the codes in
  common use outside ISO (UK, EL).
- ``names.json``: the normalised names of each country (alpha-2 -> sorted names), the
  normalised names that fit several countries (name -> sorted alpha-2 codes), and the
  normalised names of places that are not countries (name -> what they are).
- ``subdivisions.json``: every ISO 3166-2 subdivision, grouped by country (code suffix ->
  name), and the territory table (subdivision code -> the country ISO 3166-1 lists for it).

Names come in two tiers. English: pycountry's short, official and common names, the forms
derived from them (comma inversions, the part before a comma, the name without a
parenthesis, the usual abbreviations), and the curated aliases. Translations: every
language pycountry ships, read with gettext. A key with an English meaning ignores the
translations, and a key that fits several countries within its tier is ambiguous, never a
pick. The build refuses a curated entry that contradicts pycountry instead of guessing.
"""

from __future__ import annotations

import argparse
import gettext
import itertools
import json
import re
import sys
import tomllib
from collections import defaultdict
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pycountry

from residency._normalize import normalize
from residency.locations import MAX_INPUT_LENGTH

__all__ = ["BuildError", "build", "main"]

GENERATOR = "scripts/build_name_index.py"
DATA_DIR = Path(__file__).resolve().parents[1] / "src" / "residency" / "data"
GENERATED = ("countries.json", "names.json", "subdivisions.json")

# Word abbreviations of the English names, as people and statistical tables (UN Comtrade,
# World Bank) write them: "St. Lucia", "Central African Rep.", "Cayman Isds",
# "Micronesia, Fed. Sts.", "Br. Indian Ocean Terr.".
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "british": ("br",),
    "democratic": ("dem",),
    "federated": ("fed",),
    "island": ("is", "isds"),
    "islands": ("is", "isds"),
    "north": ("n",),
    "northern": ("n",),
    "occupied": ("occ",),
    "republic": ("rep",),
    "saint": ("st",),
    "sainte": ("ste",),
    "south": ("s",),
    "states": ("sts",),
    "territory": ("terr",),
}

# Subdivision statuses that can make a subdivision a country of its own in ISO 3166-1: each
# subdivision with one of them must be decided in territories.toml, one way or the other.
TERRITORIAL_TYPES = frozenset(
    {
        "Arctic region",
        "Country",
        "Dependency",
        "Outlying area",
        "Overseas collectivity",
        "Overseas collectivity with special status",
        "Overseas departmental collectivity",
        "Overseas territory",
        "Overseas unique territorial collectivity",
        "Special administrative region",
    }
)

_PARENTHESIS = re.compile(r"\s*\([^()]*\)")
_COMMA = re.compile(r"\s*[,،，、]\s*")  # noqa: RUF001 - Arabic and CJK commas occur in translations
_WORD = re.compile(r"(\w+)")
_ARTICLE = re.compile(r"(?<!\w)the(?!\w)\s*", re.IGNORECASE)
_OF = re.compile(r"(?:the )?(.+?) of( the)? (.+)", re.IGNORECASE)
_SUBDIVISION_CODE = re.compile(r"[A-Z]{2}-[A-Z0-9]{1,3}")

Candidates = dict[str, set[str]]


class BuildError(Exception):
    """The curated tables contradict pycountry or themselves; the message lists every case."""


def build() -> dict[str, bytes]:
    """Return the content of every generated data file, by file name."""
    aliases = _read_toml("aliases.toml")
    territories = _read_toml("territories.toml")
    header = {"generator": GENERATOR, "pycountry": version("pycountry")}
    problems: list[str] = []

    rows = _country_rows(aliases)
    codes = {str(row[0]) for row in rows}
    table = {code: entry["country"] for code, entry in territories["territories"].items()}
    english = _english_tier(rows, aliases, problems)
    index, not_countries = _name_index(rows, aliases, english, _subdivision_tier(table), problems)
    subdivisions = _subdivisions()
    _check_territories(territories, codes, subdivisions, english, problems)
    if problems:
        raise BuildError("\n".join(problems))

    code_aliases = {code: entry["country"] for code, entry in aliases["codes"].items()}
    return {
        "countries.json": _dump({**header, "codes": code_aliases, "countries": rows}),
        "names.json": _dump({**header, **_grouped(index), "not_countries": not_countries}),
        "subdivisions.json": _dump(
            {**header, "subdivisions": subdivisions, "territories": dict(sorted(table.items()))}
        ),
    }


def english_forms(name: str) -> set[str]:
    """Return ``name`` and the English forms derived from it (structure, then abbreviations).

    >>> sorted(english_forms("Korea, Republic of"))
    ['Korea', 'Korea, Rep. of', 'Korea, Republic of', 'Rep. of Korea', 'Republic of Korea']
    """
    forms = structural_forms(name)
    forms |= {inverted for form in forms for inverted in inverted_forms(form)}
    forms |= {_ARTICLE.sub(" ", form).strip() for form in forms}
    return {variant for form in forms for variant in abbreviated_forms(form)}


def inverted_forms(name: str) -> set[str]:
    """Return the list form of an official name "X of Y": "Y, X of", as ISO and the UN list them.

    >>> sorted(inverted_forms("Democratic Republic of the Congo"))
    ['Congo, Democratic Republic of the']
    >>> inverted_forms("Korea, Republic of")
    set()
    """
    match = _OF.fullmatch(name)
    if match is None or _COMMA.search(name):
        return set()
    head, article, country = match.groups()
    return {f"{country}, {head} of{article or ''}"}


def structural_forms(name: str) -> set[str]:
    """Return ``name``, without its parenthesis, and its comma inversion and head.

    >>> sorted(structural_forms("Virgin Islands, U.S."))
    ['U.S. Virgin Islands', 'Virgin Islands', 'Virgin Islands, U.S.']
    >>> sorted(structural_forms("Cocos (Keeling) Islands"))
    ['Cocos (Keeling) Islands', 'Cocos Islands']
    """
    bare = " ".join(_PARENTHESIS.sub(" ", name).split())
    bases = {name, bare} if bare else {name}
    forms = set(bases)
    for form in bases:
        parts = _COMMA.split(form)
        if len(parts) == 2 and all(parts):
            head, tail = parts
            forms.update({head, f"{tail} {head}"})
    return forms


def abbreviated_forms(name: str) -> set[str]:
    """Return ``name`` and every spelling with some of its words abbreviated.

    >>> sorted(abbreviated_forms("Saint Lucia"))
    ['Saint Lucia', 'St. Lucia']
    """
    pieces = _WORD.split(name)
    choices = [(piece, *_abbreviations(piece)) for piece in pieces]
    return {"".join(choice) for choice in itertools.product(*choices)}


def _abbreviations(word: str) -> tuple[str, ...]:
    shorts = ABBREVIATIONS.get(word.casefold(), ())
    if word[:1].isupper():
        shorts = tuple(short.capitalize() for short in shorts)
    return tuple(f"{short}." for short in shorts)


def _read_toml(name: str) -> dict[str, Any]:
    return tomllib.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def _dump(document: dict[str, Any]) -> bytes:
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (text + "\n").encode("utf-8")


def _country_rows(aliases: dict[str, Any]) -> list[list[str | None]]:
    rows: list[list[str | None]] = [
        [
            country.alpha_2,
            country.alpha_3,
            country.numeric,
            country.name,
            getattr(country, "official_name", None),
            getattr(country, "common_name", None),
        ]
        for country in pycountry.countries
    ]
    rows.extend(
        [
            code,
            extra["alpha_3"],
            extra.get("numeric"),
            extra["name"],
            extra.get("official_name"),
            extra.get("common_name"),
        ]
        for code, extra in aliases["countries"].items()
    )
    return sorted(rows, key=lambda row: str(row[0]))


def _name_index(
    rows: list[list[str | None]],
    aliases: dict[str, Any],
    english: Candidates,
    subdivision_names: Candidates,
    problems: list[str],
) -> tuple[Candidates, dict[str, str]]:
    ambiguous = _ambiguous(aliases, english, problems)
    not_countries: dict[str, str] = {}
    for name, entry in aliases["not_countries"].items():
        key = normalize(name)
        if key in english:
            problems.append(f"not a country {name!r} is a name of {sorted(english[key])}")
        not_countries[key] = entry["means"]

    merged: Candidates = {**english, **ambiguous}
    for key, countries in _translation_tier(rows).items():
        if key in merged or key in not_countries:
            continue  # English outranks translations
        if subdivision_names.get(key, countries) != countries:
            continue  # a place of another country by its ISO 3166-2 name ("Norfolk", "Male")
        merged[key] = countries
    code_meanings = _code_meanings(rows, aliases)
    index: Candidates = {}
    for key, countries in merged.items():
        meaning = code_meanings.get(key)
        if meaning is not None and countries != {meaning}:
            if key in english:
                problems.append(f"English name {key!r} of {sorted(countries)} is {meaning}'s code")
            continue  # a translation that reads like another country's code: codes win
        index[key] = countries
    return index, dict(sorted(not_countries.items()))


def _ambiguous(aliases: dict[str, Any], english: Candidates, problems: list[str]) -> Candidates:
    ambiguous: Candidates = {}
    for name, entry in aliases["ambiguous"].items():
        countries = set(entry["countries"])
        for form in abbreviated_forms(name):
            key = normalize(form)
            if not english.get(key, set()) <= countries:
                problems.append(f"ambiguous {name!r} leaves out {sorted(english[key] - countries)}")
            ambiguous[key] = countries
    return ambiguous


def _grouped(index: Candidates) -> dict[str, Any]:
    """Shape the index compactly: the keys of each country together, the ambiguous apart."""
    names: dict[str, list[str]] = defaultdict(list)
    ambiguous: dict[str, list[str]] = {}
    for key, countries in sorted(index.items()):
        if len(countries) == 1:
            names[next(iter(countries))].append(key)
        else:
            ambiguous[key] = sorted(countries)
    return {"ambiguous": ambiguous, "names": dict(sorted(names.items()))}


def _subdivision_tier(table: dict[str, str]) -> Candidates:
    """Map the normalised ISO 3166-2 names to the countries they lie in (territories: their own)."""
    places: Candidates = defaultdict(set)
    for subdivision in pycountry.subdivisions:
        country = table.get(subdivision.code, subdivision.code[:2])
        for form in structural_forms(subdivision.name):
            places[normalize(form)].add(country)
    return dict(places)


def _english_tier(
    rows: list[list[str | None]], aliases: dict[str, Any], problems: list[str]
) -> Candidates:
    english: Candidates = defaultdict(set)
    for row in rows:
        code = str(row[0])
        for name in filter(None, row[3:]):
            _check_length(name, problems)
            for form in english_forms(name):
                english[normalize(form)].add(code)
    curated: dict[str, tuple[str, str]] = {}
    for name, entry in aliases["aliases"].items():
        _check_length(name, problems)
        country = entry["country"]
        for form in abbreviated_forms(name):
            key = normalize(form)
            if key in curated and curated[key][1] != country:
                problems.append(f"alias {name!r} clashes with alias {curated[key][0]!r}")
            curated[key] = (name, country)
    for key, (name, country) in curated.items():
        if key in english and english[key] != {country}:
            problems.append(
                f"alias {name!r} -> {country} clashes with ISO names of {sorted(english[key])};"
                " list it under [ambiguous] or drop it"
            )
        english[key].add(country)
    return dict(english)


def _translation_tier(rows: list[list[str | None]]) -> Candidates:
    translated: Candidates = defaultdict(set)
    locales = Path(pycountry.LOCALES_DIR)
    for catalog in sorted(locales.glob("*/LC_MESSAGES/iso3166-1.mo")):
        language = catalog.parent.parent.name
        translation = gettext.translation("iso3166-1", str(locales), languages=[language])
        for row in rows:
            for name in filter(None, row[3:]):
                text = translation.gettext(name)
                if text == name or len(text) > MAX_INPUT_LENGTH:
                    continue
                for form in structural_forms(text):
                    key = normalize(form)
                    if len(key) > 1:  # Vietnamese "Ý" (Italy) would make "Y" a country
                        translated[key].add(str(row[0]))
    return dict(translated)


def _code_meanings(rows: list[list[str | None]], aliases: dict[str, Any]) -> dict[str, str]:
    meanings = {code.casefold(): entry["country"] for code, entry in aliases["codes"].items()}
    for row in rows:
        meanings[str(row[0]).casefold()] = str(row[0])
        meanings[str(row[1]).casefold()] = str(row[0])
    return meanings


def _check_length(name: str, problems: list[str]) -> None:
    if len(name) > MAX_INPUT_LENGTH:
        problems.append(f"{name!r} is longer than the input limit {MAX_INPUT_LENGTH}")


def _subdivisions() -> dict[str, dict[str, str]]:
    grouped: dict[str, dict[str, str]] = defaultdict(dict)
    for subdivision in pycountry.subdivisions:
        country, suffix = subdivision.code.split("-", 1)
        grouped[country][suffix] = subdivision.name
    return {country: dict(sorted(names.items())) for country, names in sorted(grouped.items())}


def _check_territories(
    territories: dict[str, Any],
    codes: set[str],
    subdivisions: dict[str, dict[str, str]],
    english: Candidates,
    problems: list[str],
) -> None:
    def known(code: str) -> bool:
        country, _, suffix = code.partition("-")
        return suffix in subdivisions.get(country, {})

    table = territories["territories"]
    for code, entry in table.items():
        country = entry["country"]
        retired = entry.get("retired", False)
        if not _SUBDIVISION_CODE.fullmatch(code) or code[:2] not in codes:
            problems.append(f"territory {code!r} is not a subdivision code of a known country")
        if country not in codes:
            problems.append(f"territory {code!r} names an unknown country {country!r}")
        if known(code) == retired:
            state = "is" if retired else "is not"
            problems.append(f"territory {code!r} {state} a current pycountry subdivision")
    checked = territories["checked"]
    problems.extend(
        f"checked subdivision {code!r} is not a pycountry subdivision"
        for code in sorted(checked)
        if not known(code)
    )
    for subdivision in pycountry.subdivisions:
        code = subdivision.code
        if code in table or code in checked:
            continue
        others = {
            country
            for form in structural_forms(subdivision.name)
            for country in english.get(normalize(form), set())
        } - {code[:2]}
        if others or subdivision.type in TERRITORIAL_TYPES:
            problems.append(
                f"subdivision {code} {subdivision.name!r} ({subdivision.type}) looks like"
                f" {sorted(others) or 'a territory'}: decide it in territories.toml"
            )


def main(argv: list[str] | None = None) -> int:
    """Write the generated files, or with ``--check`` report whether they are current."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 if stale")
    arguments = parser.parse_args(argv)
    try:
        files = build()
    except BuildError as error:
        print(f"BuildError: {error}", file=sys.stderr)
        return 2
    stale = [name for name, content in files.items() if _read(name) != content]
    if arguments.check:
        for name in stale:
            print(f"{name} is stale: run make index", file=sys.stderr)
        return 1 if stale else 0
    for name, content in files.items():
        (DATA_DIR / name).write_bytes(content)
        print(f"wrote {name} ({len(content):,} bytes)")
    return 0


def _read(name: str) -> bytes | None:
    path = DATA_DIR / name
    return path.read_bytes() if path.exists() else None


if __name__ == "__main__":
    sys.exit(main())
