"""Regenerate residency's generated data from pycountry, the Unicode CLDR and the curated tables.

Run ``make index`` (or ``python scripts/build_name_index.py``) after upgrading pycountry or
Babel, or editing ``aliases.toml`` or ``territories.toml``; ``--check`` only compares, and
``--explain NAME`` prints every source of a name and how the build decided it. The files land
in ``src/residency/data/``, compact, sorted and deterministic, each with a header naming this
script and the versions it read:

- ``countries.json``: every ISO 3166-1 country plus the curated extra countries (XK), as rows
  ``[alpha-2, alpha-3, numeric, short name, official name, common name]``; the codes in
  common use outside ISO (UK, EL); the abbreviations read in capitals (UAE, DRC); the codes
  that are also names (``code_names``: "nga", so that a code in lower case can tell without
  reading the name index); and the state each dependency belongs to (for qualifiers such as
  "Guam (US)").
- ``names.json``: the name index. Each matching key (:func:`residency._normalize.normalize`)
  maps to one answer: a country or a subdivision (``names``: answer -> its keys joined by
  ``|``), several countries (``ambiguous``) or "not a country" (``not_countries``: what the
  place is -> its keys). Where names that share a key mean different things, ``exact`` holds
  the exact forms (:func:`residency._normalize.exact`) that decide.
- ``subdivisions.json``: every ISO 3166-2 subdivision, grouped by country (code suffix ->
  name), and the territory table (subdivision code -> the country ISO 3166-1 lists for it).
- ``names-conflicts.md`` (beside the data, not shipped): every conflict between names and
  how it was decided, for a reviewer to read.

Sources rank, highest first (:class:`Tier`): the ISO English names of pycountry and the forms
derived from them; the territory names of every locale of the Unicode CLDR, read through
Babel; the curated aliases; the names of subdivisions (ISO 3166-2, curated English names, and
CLDR's names of places that are parts of countries); pycountry's translations. For one exact
form the highest source decides and a lower one that contradicts it is dropped; names that
only share a matching key are told apart by their exact forms; several answers from the same
source make the name ambiguous; a name of a macro-region is never a country. Babel is a build
tool only: the runtime reads the generated files and never imports it.
"""

from __future__ import annotations

import argparse
import enum
import gettext
import itertools
import json
import re
import sys
import tomllib
from collections import defaultdict
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import babel
import pycountry
from babel import localedata

from residency._normalize import exact, normalize
from residency.locations import MAX_INPUT_LENGTH

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

__all__ = ["BuildError", "Entry", "Index", "Tier", "build", "collect", "main"]

GENERATOR = "scripts/build_name_index.py"
DATA_DIR = Path(__file__).resolve().parents[1] / "src" / "residency" / "data"
GENERATED = ("countries.json", "names.json", "subdivisions.json")
REPORT = "names-conflicts.md"

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
    "southern": ("s",),
    "states": ("sts",),
    "territory": ("terr",),
}

# Phrase abbreviations written as initials: "DPR Korea", "Lao PDR", "DR Congo".
PHRASES: dict[str, tuple[str, ...]] = {
    "Democratic People's Republic": ("DPR", "D.P.R."),
    "People's Democratic Republic": ("PDR",),
    "Democratic Republic": ("DR",),
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
_BRACKETS = re.compile(r"\s*\[([^\[\]]*)\]")
_COMMA = re.compile(r"\s*[,،，、]\s*")  # noqa: RUF001 - Arabic and CJK commas occur in translations
_WORD = re.compile(r"(\w+)")
_ARTICLE = re.compile(r"(?<!\w)the(?!\w)\s*", re.IGNORECASE)
_OF = re.compile(r"(?:the )?(.+?) of( the)? (.+)", re.IGNORECASE)
_SUBDIVISION_CODE = re.compile(r"[A-Z]{2}-[A-Z0-9]{1,3}")
_CAPITALS = re.compile(r"[A-Z]{2,3}")
_NOT = "!"  # the target prefix of "not a country: <what it is>"
CURATED_SUBDIVISIONS = "aliases.toml [subdivisions]"


class BuildError(Exception):
    """The curated tables contradict the sources or themselves; the message lists every case."""


class Tier(enum.IntEnum):
    """The sources of names, highest rank first."""

    ISO = 1
    """pycountry's ISO 3166-1 English names, and the forms derived from them."""
    CLDR = 2
    """The territory names of every locale of the Unicode CLDR (countries and macro-regions)."""
    CURATED = 3
    """aliases.toml: exonyms, former names, abbreviations, everyday names; not-countries."""
    SUBDIVISION = 4
    """Names of places inside a country: ISO 3166-2, curated English names, CLDR's parts."""
    TRANSLATION = 5
    """pycountry's translations of the ISO names, the least reliable source."""


@attrs.frozen(order=True)
class Entry:
    """One name of one source, and what it names."""

    key: str
    """The matching key (:func:`normalize`)."""
    form: str
    """The exact form (:func:`exact`)."""
    tier: Tier
    """The source's rank."""
    targets: tuple[str, ...]
    """What it names: alpha-2 codes, subdivision codes, or one ``!what it is``."""
    source: str
    """Where it comes from (``CLDR vi``, ``aliases.toml``, ``ISO 3166-2``)."""
    written: str
    """The name as the source writes it."""
    withhold: bool = False
    """A curated ambiguity: it makes the name ambiguous whatever a higher source says."""


@attrs.define
class Decision:
    """What the build decided for one matching key, and why."""

    key: str
    answer: tuple[str, ...]
    exact: dict[str, tuple[str, ...]]
    entries: list[Entry]
    notes: list[str]


@attrs.define
class Index:
    """The decided name index: one decision per matching key, and the report of conflicts."""

    decisions: dict[str, Decision]
    report: dict[str, list[str]]


# --- building -------------------------------------------------------------------------------


def build() -> dict[str, bytes]:
    """Return the content of every generated file, by file name (the report included)."""
    aliases = _read_toml("aliases.toml")
    territories = _read_toml("territories.toml")
    header = {
        "generator": GENERATOR,
        "pycountry": version("pycountry"),
        "babel": babel.__version__,
        "cldr": _cldr_version(),
    }
    rows = _country_rows(aliases)
    problems: list[str] = []
    index = decide(collect(rows, aliases, territories, problems), rows, aliases, problems)
    subdivisions = _subdivisions()
    _check_territories(territories, {str(row[0]) for row in rows}, subdivisions, index, problems)
    if problems:
        raise BuildError("\n".join(problems))

    codes = {code: entry["country"] for code, entry in aliases["codes"].items()}
    abbreviations = {
        name: entry["country"]
        for name, entry in aliases["aliases"].items()
        if _CAPITALS.fullmatch(name)
    }
    states = {code: entry["state"] for code, entry in territories["dependencies"].items()}
    meanings = _code_meanings(rows, aliases)
    code_names = sorted(
        key
        for key, decision in index.decisions.items()
        if key in meanings and _countries(decision.answer) != (meanings[key],)
    )
    table = {code: entry["country"] for code, entry in territories["territories"].items()}
    countries = {
        **header,
        "abbreviations": abbreviations,
        "code_names": code_names,
        "codes": codes,
        "countries": rows,
        "states": states,
    }
    return {
        "countries.json": _dump(countries),
        "names.json": _dump({**header, **_shaped(index)}),
        "subdivisions.json": _dump(
            {**header, "subdivisions": subdivisions, "territories": dict(sorted(table.items()))}
        ),
        REPORT: _report(index, header).encode("utf-8"),
    }


def collect(
    rows: list[list[str | None]],
    aliases: dict[str, Any],
    territories: dict[str, Any],
    problems: list[str],
) -> list[Entry]:
    """Return every name of every source as entries (the sources, before any decision)."""
    entries: list[Entry] = []
    entries.extend(_iso_entries(rows, problems))
    entries.extend(_cldr_entries({str(row[0]) for row in rows}, territories))
    entries.extend(_curated_entries(aliases, problems))
    entries.extend(_subdivision_entries(aliases, territories))
    entries.extend(_translation_entries(rows))
    return [entry for entry in entries if entry.key and len(entry.key) <= MAX_INPUT_LENGTH]


def decide(
    entries: list[Entry],
    rows: list[list[str | None]],
    aliases: dict[str, Any],
    problems: list[str],
) -> Index:
    """Decide every matching key from its entries, by the ranking rules of the module doc."""
    by_key: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_key[entry.key].append(entry)
    codes = _code_meanings(rows, aliases)
    report: dict[str, list[str]] = defaultdict(list)
    decisions = {}
    for key in sorted(by_key):
        decision = _decide_key(key, sorted(set(by_key[key])), codes.get(key), report, problems)
        if decision is not None:
            decisions[key] = decision
    _check_curated(decisions, problems)
    return Index(decisions, dict(report))


def _decide_key(
    key: str,
    entries: list[Entry],
    code: str | None,
    report: dict[str, list[str]],
    problems: list[str],
) -> Decision | None:
    notes: list[str] = []
    by_form: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_form[entry.form].append(entry)
    answers = {
        form: _decide_form(form_entries, notes, problems) for form, form_entries in by_form.items()
    }
    best = min(entry.tier for entry in entries)
    # The key's own answer: what the highest source says, over all its exact forms.
    top = [entry for entry in entries if entry.tier == best]
    answer = _merge([answers[entry.form] for entry in top], [])  # the forms decided already
    exceptions: dict[str, tuple[str, ...]] = {}
    for form, form_entries in sorted(by_form.items()):
        said = answers[form]
        tier = min(entry.tier for entry in form_entries)
        if said == answer or (_countries(said) == _countries(answer) and not _is_not(said)):
            continue
        if tier < Tier.TRANSLATION or (tier == best and said):
            exceptions[form] = said  # the exact form decides where only the key collides
        else:
            _note(notes, form_entries, f"dropped: {_show(answer)} by a higher source")
    if exceptions:
        listed = "; ".join(f"{form!r} -> {_show(said)}" for form, said in exceptions.items())
        notes.append(f"exact forms decide: {listed}")
    if code is not None and set(_countries(answer)) != {code}:
        answer, exceptions = _reads_as_code(code, answer, exceptions, entries, notes)
    if len(key) == 1 and answer:
        notes.append("a single letter: only its exact forms name a place")
        exceptions = {
            form: said
            for form, said in answers.items()
            if said and min(entry.tier for entry in by_form[form]) < Tier.TRANSLATION
        }
        answer = ()
    if not answer and not exceptions:
        return None
    decision = Decision(key, answer, exceptions, entries, notes)
    for note in notes:
        report[_section(note)].append(f"`{key}` {_show(answer) or '(exact forms only)'}: {note}")
    return decision


def _decide_form(entries: list[Entry], notes: list[str], problems: list[str]) -> tuple[str, ...]:
    """Decide one exact form: the highest source wins, a curated ambiguity withholds.

    Where the highest source itself gives several answers, a curated entry that names one of
    them decides (it chooses among what the source says, and never contradicts it). A name
    that one locale of CLDR gives a country and another a macro-region must be decided so.
    """
    best = min(entry.tier for entry in entries)
    top = [entry for entry in entries if entry.tier == best]
    meanings = {entry.targets for entry in top}
    chosen = [
        entry
        for entry in entries
        if entry.tier == Tier.CURATED and not entry.withhold and entry.targets in meanings
    ]
    if len(meanings) > 1 and chosen:
        notes.append(f"chosen: {top[0].written!r} means {_show(chosen[0].targets)} (aliases.toml)")
        top = [entry for entry in top if entry.targets == chosen[0].targets]
    elif any(_is_not(targets) for targets in meanings) and not all(map(_is_not, meanings)):
        listed = "; ".join(f"{entry.source}: {_show(entry.targets)}" for entry in top)
        problems.append(
            f"{top[0].written!r} names a country and a region ({listed}): decide it in"
            " aliases.toml, under [aliases] or [not_countries]"
        )
    answer = _merge([entry.targets for entry in top], entries)
    refined = (
        [
            entry.targets
            for entry in entries
            if entry.source == CURATED_SUBDIVISIONS and entry.targets[0][:2] == answer[:1][0][:2]
        ]
        if len(answer) == 1
        else []
    )
    if refined and refined[0] != answer:
        notes.append(f"chosen: {entries[0].written!r} means {_show(refined[0])} (aliases.toml)")
        answer = refined[0]  # a curated subdivision name makes a same-country answer precise
    withheld = [entry for entry in entries if entry.withhold]
    if withheld and not _is_not(answer):
        countries = {target for entry in withheld for target in entry.targets}
        widened = tuple(sorted(countries | set(_countries(answer))))
        if widened != answer:
            notes.append(f"withheld: {withheld[0].written!r} is ambiguous (aliases.toml)")
        answer = widened
    for entry in entries:
        if entry.tier > best and not _agrees(entry.targets, answer):
            _note(notes, [entry], f"dropped: contradicts {_show(answer)} of a higher source")
    return answer


def _merge(answers: Iterable[tuple[str, ...]], entries: list[Entry]) -> tuple[str, ...]:
    """Merge answers of one rank: a macro-region wins, then one place, then ambiguity.

    ``entries`` are every source of the name: where one of them names the country itself, a
    subdivision of that country with the same name gives way to it.
    """
    targets = {target for answer in answers for target in answer}
    nots = sorted(target for target in targets if target.startswith(_NOT))
    if nots:
        return (nots[0],)
    places = {target for target in targets if target}
    countries = {place[:2] for place in places}
    if len(countries) == 1:
        country = next(iter(countries))
        if country in places or any(_names_country(entry, country) for entry in entries):
            return (country,)  # a country's name outranks a subdivision of the same name
        return (_subdivision_of(country, places),)
    return tuple(sorted(countries))


def _names_country(entry: Entry, country: str) -> bool:
    return entry.tier != Tier.SUBDIVISION and country in entry.targets


def _subdivision_of(country: str, places: set[str]) -> str:
    """One subdivision among same-named ones of a country: the one that contains the others."""
    if len(places) == 1:
        return next(iter(places))
    for place in sorted(places):
        if all(place == other or _contains(place, other) for other in places):
            return place
    return country  # siblings of one name: the country is certain, the subdivision is not


def _contains(parent: str, child: str) -> bool:
    subdivision = pycountry.subdivisions.get(code=child)
    while subdivision is not None and subdivision.parent_code:
        if subdivision.parent_code == parent:
            return True
        subdivision = pycountry.subdivisions.get(code=subdivision.parent_code)
    return False


def _reads_as_code(
    code: str,
    answer: tuple[str, ...],
    exceptions: dict[str, tuple[str, ...]],
    entries: list[Entry],
    notes: list[str],
) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """A key that is also a code: names of weak sources go; strong ones make it ambiguous."""
    strong = [entry for entry in entries if entry.tier <= Tier.CURATED]
    if not strong:
        notes.append(f"reads as a code: the code of {code}; every name of it is dropped")
        return (), {}
    notes.append(
        f"also the code: of {code}; ambiguous unless written in capitals, which read as the code"
    )
    return answer, exceptions


def _countries(answer: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({target[:2] for target in answer if not target.startswith(_NOT)}))


def _is_not(answer: tuple[str, ...]) -> bool:
    return bool(answer) and answer[0].startswith(_NOT)


def _agrees(targets: tuple[str, ...], answer: tuple[str, ...]) -> bool:
    if _is_not(answer) or _is_not(targets):
        return _is_not(answer) == _is_not(targets)
    return set(_countries(targets)) <= set(_countries(answer))


def _show(answer: tuple[str, ...]) -> str:
    if _is_not(answer):
        return f"not a country ({answer[0][1:]})"
    return "/".join(answer)


def _note(notes: list[str], entries: Iterable[Entry], what: str) -> None:
    kind, _, rest = what.partition(": ")
    notes.extend(
        f"{kind}: {entry.written!r} ({entry.source}, {_show(entry.targets)}) {rest}"
        for entry in entries
    )


SECTIONS = {
    "withheld": "A curated ambiguity withholds an answer",
    "chosen": "A source that gives several answers: aliases.toml chooses one",
    "exact forms decide": "Names that share a key: their exact forms decide",
    "dropped": "A lower source contradicts a higher one: the lower one is dropped",
    "reads as a code": "A name of a weak source that reads as a code: dropped",
    "also the code": "A name that is also a code: ambiguous unless written in capitals",
    "a single letter": "A single letter: only exact forms name a place",
}
"""The sections of the report, by the kind that starts each note."""


def _section(note: str) -> str:
    return SECTIONS[note.partition(":")[0]]


def _check_curated(decisions: dict[str, Decision], problems: list[str]) -> None:
    """A curated alias or not-country may add names, never contradict a higher source."""
    for decision in decisions.values():
        for entry in decision.entries:
            if entry.tier not in {Tier.CURATED, Tier.SUBDIVISION} or entry.withhold:
                continue
            if not entry.source.startswith("aliases.toml"):
                continue
            said = decision.exact.get(entry.form, decision.answer)
            if not _agrees(entry.targets, said):
                problems.append(
                    f"{entry.source} {entry.written!r} -> {_show(entry.targets)} contradicts"
                    f" {_show(said)}; list it under [ambiguous] or drop it"
                )


# --- the sources ----------------------------------------------------------------------------


def _entries(  # noqa: PLR0913 - one source's name, fully described
    names: Iterable[str],
    tier: Tier,
    targets: tuple[str, ...],
    source: str,
    written: str,
    *,
    withhold: bool = False,
) -> Iterator[Entry]:
    for name in names:
        yield Entry(normalize(name), exact(name), tier, targets, source, written, withhold)


def _iso_entries(rows: list[list[str | None]], problems: list[str]) -> Iterator[Entry]:
    fields = ("ISO 3166-1 short name", "ISO 3166-1 official name", "ISO 3166-1 common name")
    for row in rows:
        code = str(row[0])
        for field, name in zip(fields, row[3:], strict=True):
            if name:
                _check_length(name, problems)
                yield from _entries(english_forms(name), Tier.ISO, (code,), field, name)


def _cldr_entries(codes: set[str], territories: dict[str, Any]) -> Iterator[Entry]:
    parts = {code: entry["location"] for code, entry in territories["cldr"].items()}
    regions = {code: entry["means"] for code, entry in territories["cldr_not_countries"].items()}
    english = babel.Locale.parse("en").territories
    seen: dict[tuple[str, str], list[str]] = defaultdict(list)
    for ident in sorted(localedata.locale_identifiers()):
        for code, name in babel.Locale.parse(ident).territories.items():
            seen[code, name].append(ident)
    for (code, name), idents in sorted(seen.items()):
        source = f"CLDR {_languages(idents)}"
        if code in codes:
            yield from _entries([name], Tier.CLDR, (code,), source, name)
        elif code in parts:
            yield from _entries([name], Tier.SUBDIVISION, (parts[code],), source, name)
        elif code.isdigit() or code in regions:
            means = regions.get(code) or f"a region ({english[code]})"
            yield from _entries([name], Tier.CLDR, (_NOT + means,), source, name)


def _languages(idents: list[str]) -> str:
    languages = sorted({ident.split("_")[0] for ident in idents})
    shown = ", ".join(languages[:4])
    return shown + (f" and {len(languages) - 4} more" if len(languages) > 4 else "")


def _curated_entries(aliases: dict[str, Any], problems: list[str]) -> Iterator[Entry]:
    for name, entry in aliases["aliases"].items():
        _check_length(name, problems)
        yield from _entries(
            curated_forms(name), Tier.CURATED, (entry["country"],), "aliases.toml", name
        )
    for name, entry in aliases["ambiguous"].items():
        countries = tuple(sorted(entry["countries"]))
        yield from _entries(
            abbreviated_forms(name),
            Tier.CURATED,
            countries,
            "aliases.toml [ambiguous]",
            name,
            withhold=True,
        )
    for name, entry in aliases["not_countries"].items():
        target = (_NOT + entry["means"],)
        yield from _entries([name], Tier.CURATED, target, "aliases.toml [not_countries]", name)


def _subdivision_entries(aliases: dict[str, Any], territories: dict[str, Any]) -> Iterator[Entry]:
    table = {code: entry["country"] for code, entry in territories["territories"].items()}
    for subdivision in pycountry.subdivisions:
        target = (table.get(subdivision.code, subdivision.code),)
        yield from _entries(
            subdivision_forms(subdivision.name),
            Tier.SUBDIVISION,
            target,
            "ISO 3166-2",
            subdivision.name,
        )
    for name, entry in aliases["subdivisions"].items():
        target = (table.get(entry["subdivision"], entry["subdivision"]),)
        yield from _entries(
            curated_forms(name), Tier.SUBDIVISION, target, CURATED_SUBDIVISIONS, name
        )


def _translation_entries(rows: list[list[str | None]]) -> Iterator[Entry]:
    locales = Path(pycountry.LOCALES_DIR)
    for catalog in sorted(locales.glob("*/LC_MESSAGES/iso3166-1.mo")):
        language = catalog.parent.parent.name
        translation = gettext.translation("iso3166-1", str(locales), languages=[language])
        for row in rows:
            for name in filter(None, row[3:]):
                text = translation.gettext(name)
                if text != name and len(text) <= MAX_INPUT_LENGTH:
                    yield from _entries(
                        structural_forms(text),
                        Tier.TRANSLATION,
                        (str(row[0]),),
                        f"pycountry {language}",
                        text,
                    )


# --- the forms of a name --------------------------------------------------------------------


def english_forms(name: str) -> set[str]:
    """Return ``name`` and the English forms derived from it (structure, then abbreviations).

    >>> sorted(english_forms("Korea, Republic of"))
    ['Korea', 'Korea, Rep. of', 'Korea, Republic of', 'Rep. of Korea', 'Republic of Korea']
    >>> "DPR of Korea" in english_forms("Democratic People's Republic of Korea")
    True
    """
    forms = structural_forms(name)
    forms |= {inverted for form in forms for inverted in inverted_forms(form)}
    forms |= {_ARTICLE.sub(" ", form).strip() for form in forms}
    forms |= {phrase for form in forms for phrase in phrase_forms(form)}
    return {variant for form in forms for variant in abbreviated_forms(form)}


def curated_forms(name: str) -> set[str]:
    """Return a curated name, its list-form inversion and its abbreviations.

    Curated names are taken as written, parentheses and all ("Virgin Islands (U.S.)" does not
    become "Virgin Islands"); only a list form "X, Y" is also read as "Y X".

    >>> sorted(curated_forms("Congo, Rep."))
    ['Congo, Rep.', 'Rep. Congo']
    """
    forms = {name}
    parts = _COMMA.split(name)
    if len(parts) == 2 and all(parts):
        forms.add(f"{parts[1]} {parts[0]}")
    return {variant for form in forms for variant in abbreviated_forms(form)}


def subdivision_forms(name: str) -> set[str]:
    """Return the forms of an ISO 3166-2 name: structure, and each name of a bilingual one.

    >>> sorted(subdivision_forms("Catalunya [Cataluña]"))
    ['Catalunya', 'Cataluña']
    >>> sorted(subdivision_forms("Stockholms län [SE-01]"))
    ['Stockholms län']
    """
    names = {_BRACKETS.sub("", name).strip()}
    for inside in _BRACKETS.findall(name):
        words = [word for word in inside.split() if not _SUBDIVISION_CODE.fullmatch(word)]
        if words:
            names.add(" ".join(words))
    names = {part.strip() for name_ in names for part in name_.split(" / ") if part.strip()}
    return {form for name_ in names for form in structural_forms(name_)}


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


def phrase_forms(name: str) -> set[str]:
    """Return the spellings of ``name`` with a phrase written as its initials.

    >>> sorted(phrase_forms("Lao People's Democratic Republic"))
    ['Lao PDR']
    """
    for phrase, initials in PHRASES.items():  # the longest first: one phrase per name
        if phrase.casefold() in name.casefold():
            pattern = re.compile(re.escape(phrase), re.IGNORECASE)
            return {pattern.sub(short, name) for short in initials}
    return set()


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


# --- the other files ------------------------------------------------------------------------


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


def _code_meanings(rows: list[list[str | None]], aliases: dict[str, Any]) -> dict[str, str]:
    meanings = {code.casefold(): entry["country"] for code, entry in aliases["codes"].items()}
    for row in rows:
        meanings[str(row[0]).casefold()] = str(row[0])
        meanings[str(row[1]).casefold()] = str(row[0])
    return meanings


def _subdivisions() -> dict[str, dict[str, str]]:
    grouped: dict[str, dict[str, str]] = defaultdict(dict)
    for subdivision in pycountry.subdivisions:
        country, suffix = subdivision.code.split("-", 1)
        grouped[country][suffix] = subdivision.name
    return {country: dict(sorted(names.items())) for country, names in sorted(grouped.items())}


def _shaped(index: Index) -> dict[str, Any]:
    """Shape the index to load fast: the keys of each answer joined in one string.

    A key never holds a ``|`` (normalisation drops punctuation), so each answer's keys are
    one JSON string, split once when the index is read: parsing a few thousand strings
    instead of sixty thousand halves the first name lookup.
    """
    names: dict[str, list[str]] = defaultdict(list)
    not_countries: dict[str, list[str]] = defaultdict(list)
    ambiguous: dict[str, list[str]] = {}
    exact_forms: dict[str, dict[str, str | list[str]]] = {}
    for key, decision in sorted(index.decisions.items()):
        answer = decision.answer
        if _is_not(answer):
            not_countries[answer[0][1:]].append(key)
        elif len(answer) == 1:
            names[answer[0]].append(key)
        elif answer:
            ambiguous[key] = list(answer)
        if decision.exact:
            exact_forms[key] = {
                form: said[0] if len(said) == 1 else list(said)
                for form, said in sorted(decision.exact.items())
            }
    return {
        "ambiguous": ambiguous,
        "exact": exact_forms,
        "names": {target: "|".join(keys) for target, keys in sorted(names.items())},
        "not_countries": {means: "|".join(keys) for means, keys in sorted(not_countries.items())},
    }


def _report(index: Index, header: dict[str, str]) -> str:
    lines = [
        "# Name index: every conflict between names, and how it was decided",
        "",
        f"Generated by `{GENERATOR}` from pycountry {header['pycountry']} and the Unicode CLDR"
        f" {header['cldr']} (Babel {header['babel']}), with `aliases.toml` and `territories.toml`.",
        "The ranking rules are in docs/locations.md;"
        " `--explain NAME` shows every source of a name.",
        "",
    ]
    for section, entries in sorted(index.report.items()):
        lines += [f"## {section} ({len(entries):,})", "", *(f"- {entry}" for entry in entries), ""]
    return "\n".join(lines)


def _check_territories(
    territories: dict[str, Any],
    codes: set[str],
    subdivisions: dict[str, dict[str, str]],
    index: Index,
    problems: list[str],
) -> None:
    """Check territories.toml against pycountry: every table, and every subdivision decided."""

    def known(code: str) -> bool:
        country, _, suffix = code.partition("-")
        return suffix in subdivisions.get(country, {})

    _check_territory_table(territories["territories"], codes, known, problems)
    problems.extend(
        f"checked subdivision {code!r} is not a pycountry subdivision"
        for code in sorted(territories["checked"])
        if not known(code)
    )
    problems.extend(
        f"CLDR territory {code!r} names an unknown place {entry['location']!r}"
        for code, entry in territories["cldr"].items()
        if not (entry["location"] in codes or known(entry["location"]))
    )
    problems.extend(
        f"dependency {code!r} -> {entry['state']!r} names an unknown country"
        for code, entry in territories["dependencies"].items()
        if code not in codes or entry["state"] not in codes
    )
    _check_undecided(territories, index, problems)


def _check_territory_table(
    table: dict[str, Any], codes: set[str], known: Callable[[str], bool], problems: list[str]
) -> None:
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


def _check_undecided(territories: dict[str, Any], index: Index, problems: list[str]) -> None:
    """Every subdivision named like another country, or shaped like a territory, is decided."""
    table, checked = territories["territories"], territories["checked"]
    english = {
        key: set(_countries(decision.answer))
        for key, decision in index.decisions.items()
        if any(entry.tier == Tier.ISO for entry in decision.entries)
    }
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


def _read_toml(name: str) -> dict[str, Any]:
    return tomllib.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def _dump(document: dict[str, Any]) -> bytes:
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (text + "\n").encode("utf-8")


def _cldr_version() -> str:
    from babel import core  # noqa: PLC0415 - only where the version is asked for

    return str(core.get_cldr_version())


def _check_length(name: str, problems: list[str]) -> None:
    if len(name) > MAX_INPUT_LENGTH:
        problems.append(f"{name!r} is longer than the input limit {MAX_INPUT_LENGTH}")


# --- the command ----------------------------------------------------------------------------


def explain(name: str) -> str:
    """Return every source of ``name`` and what the build decided for it, as text."""
    aliases = _read_toml("aliases.toml")
    territories = _read_toml("territories.toml")
    rows = _country_rows(aliases)
    problems: list[str] = []
    key = normalize(name)
    entries = [entry for entry in collect(rows, aliases, territories, problems) if entry.key == key]
    index = decide(entries, rows, aliases, problems)
    lines = [f"{name!r}: key {key!r}, exact form {exact(name)!r}"]
    lines += [
        f"  {entry.tier.name:<11} {entry.source:<32} {entry.written!r} -> {_show(entry.targets)}"
        for entry in sorted(entries, key=lambda entry: (entry.tier, entry.source))
    ]
    decision = index.decisions.get(key)
    if decision is None:
        lines.append("  decided: not in the index")
    else:
        lines.append(f"  decided: {_show(decision.answer) or '(exact forms only)'}")
        lines += [f"    exact {form!r} -> {_show(said)}" for form, said in decision.exact.items()]
        lines += [f"    {note}" for note in decision.notes]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Write the generated files, or with ``--check`` report whether they are current."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 if stale")
    parser.add_argument("--explain", metavar="NAME", help="show the sources of NAME and exit")
    arguments = parser.parse_args(argv)
    if arguments.explain is not None:
        print(explain(arguments.explain))
        return 0
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
