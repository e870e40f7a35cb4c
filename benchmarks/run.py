"""Measure residency side by side with its peers, and check the figures of SPEC section 10.

Usage: python benchmarks/run.py [--quick] [--json FILE] [--only SECTION]...

Warm measurements run in this one process: every time is the median over several repeats of
the time per call of a loop of many calls, for residency, a plain dict (the floor),
``pycountry.countries.lookup`` and country_converter. Cold start runs in fresh interpreters,
and so do the agreement store (``_store.py``: SQLite, and PostgreSQL on a throwaway server),
the catalog-change section (``_changes.py``: plan_migration and audit of a customer base) and
the frames section (``_frames.py``: assign_frame on ten million rows, and on a Dask cluster).
The script prints a table and a summary of every figure, met or missed; it exits 0 either
way, because it is a report (and never part of ``make test``).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import hashlib
import importlib
import importlib.util
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pycountry

import _changes
import _cold
import _frames
import _inputs
import _store
from _floors import BareAssign, BareTransfers, EmptyPolicy, PlainTransfers
from _timing import Contender, Timing, duration, measure, measure_together, rate, ratio
from residency import UnknownLocation, default_policy, resolve_location
from residency.errors import LocationError
from residency.locations import CACHE_SIZE

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from types import ModuleType

    from _inputs import Inputs
    from residency import AgreementIndex, Policy

REPOSITORY = Path(__file__).resolve().parents[1]
SECTIONS = ("resolve", "policy", "bulk", "changes", "frames", "cold", "store", "accuracy")


@dataclass(frozen=True)
class Settings:
    """How much to measure: a full run, or a quick smoke run."""

    repeats: int
    """Repeats of every warm measurement; the table shows their median."""
    calls: int
    """Calls per repeat for residency and the dict floor."""
    pycountry_calls: int
    """Calls per repeat for pycountry, which is slower."""
    coco_calls: int
    """Calls per repeat for country_converter, which takes tens of milliseconds a call."""
    coco_repeats: int
    """Repeats for country_converter."""
    bulk_rows: int
    """Rows of a bulk pass."""
    bulk_repeats: int
    """Repeats of a bulk pass."""
    unknown_calls: int
    """Calls per repeat for the unknown names, each a name never seen before."""
    junk_rows: int
    """Rows of the bulk pass of unknown names, every one new."""
    junk_repeats: int
    """Repeats of the bulk pass of unknown names."""
    cold_runs: int
    """Fresh interpreters per cold-start command."""
    store: _store.Scale
    """The agreement store's size, and the calls of its per-account rows."""
    changes: _changes.Scale
    """The customer base of audit and plan_migration, and the runs of each call."""
    frames: _frames.Scale
    """The rows and accounts of assign_frame (and Dask), and the runs of each call."""


FULL = Settings(
    repeats=9,
    calls=50_000,
    pycountry_calls=10_000,
    coco_calls=5,
    coco_repeats=3,
    bulk_rows=1_000_000,
    bulk_repeats=5,
    unknown_calls=10_000,
    junk_rows=1_000_000,
    junk_repeats=3,
    cold_runs=15,
    store=_store.Scale(agreements=1_000_000, accounts=400_000, calls=1_000, repeats=5),
    changes=_changes.Scale(accounts=1_000_000, repeats=1, warm_up=10_000),
    frames=_frames.Scale(
        rows=10_000_000,
        accounts=1_000_000,
        repeats=1,
        fast_repeats=5,
        list_repeats=1,
        warm_up=10_000,
    ),
)
QUICK = Settings(
    repeats=3,
    calls=10_000,
    pycountry_calls=2_000,
    coco_calls=2,
    coco_repeats=2,
    bulk_rows=200_000,
    bulk_repeats=2,
    unknown_calls=2_000,
    junk_rows=100_000,
    junk_repeats=2,
    cold_runs=4,
    store=_store.Scale(agreements=20_000, accounts=8_000, calls=300, repeats=3),
    changes=_changes.Scale(accounts=10_000, repeats=5, warm_up=1_000),
    frames=_frames.Scale(
        rows=200_000,
        accounts=20_000,
        repeats=3,
        fast_repeats=3,
        list_repeats=3,
        warm_up=1_000,
        partition=20_000,
    ),
)


# --- the report -----------------------------------------------------------------------------


@dataclass
class Row:
    """One line of a section's table, and what it says about a figure of the spec."""

    cells: dict[str, str]
    """The printed text of each column."""
    timings: dict[str, Any] = field(default_factory=dict)
    """The measurements behind the cells, for ``--json``."""
    figure: str = ""
    """The spec figure this row is held to, in words; empty for a reference row."""
    passed: bool | None = None
    """Whether the figure is met; None for a reference row."""
    spec: str | None = None
    """The key of the SPEC section 10 figure this row counts toward."""
    measured: str = ""
    """The measured value the figure is judged on, for the summary."""

    def verdict(self) -> str:
        """PASS, MISS, or nothing for a reference row."""
        if self.passed is None:
            return ""
        return "PASS" if self.passed else "MISS"


@dataclass
class Section:
    """A titled table with its columns, rows and notes."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        """The section as aligned text."""
        columns = (*self.columns, "figure", "")
        table = [list(columns)]
        table.extend(
            [*(row.cells.get(column, "—") for column in self.columns), row.figure, row.verdict()]
            for row in self.rows
        )
        widths = [max(len(line[index]) for line in table) for index in range(len(columns))]
        lines = [f"== {self.title}"]
        for number, line in enumerate(table):
            cells = [
                text.ljust(width) if index == 0 else text.rjust(width)
                for index, (text, width) in enumerate(zip(line, widths, strict=True))
            ]
            cells[-2] = line[-2].ljust(widths[-2])  # the figure reads left to right
            lines.append("  " + "  ".join(cells).rstrip())
            if number == 0:
                lines.append("  " + "  ".join("-" * width for width in widths))
        lines.extend(f"  * {note}" for note in self.notes)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The section as JSON-ready data."""
        return {
            "key": self.key,
            "title": self.title,
            "rows": [
                {
                    **row.cells,
                    "figure": row.figure,
                    "verdict": row.verdict() or None,
                    "spec": row.spec,
                    "timings": row.timings,
                }
                for row in self.rows
            ],
            "notes": self.notes,
        }


SPEC_FIGURES: tuple[tuple[str, str], ...] = (
    ("code", "resolving a code: within 2x of the dict floor"),
    ("code-many", "resolving a code with 20,000 distinct inputs: within 2x of the dict floor"),
    ("name", "resolving a name (English or translated): >= 5x faster than pycountry lookup"),
    ("unknown", "an unknown name on first sight: <= 20 µs"),
    ("assign", "assign without an account: <= 0.5 µs"),
    ("assign-account", "assign with a new account: <= 1 µs"),
    ("assign-repeat", "assign with a repeated account: <= 0.3 µs"),
    (
        "transfer",
        "check_transfer against 100,000 agreements over 40,000 accounts, a different account "
        "each call: <= 2 µs in region and across regions",
    ),
    ("access", "who_can_access, warm: <= 1 µs"),
    ("cold", "cold import residency + first assign: <= 150 ms and <= 40 MB"),
    ("cold-name", "a first name lookup adds <= 100 ms"),
    ("cold-cli", "`residency where DE` cold: <= 100 ms"),
    ("bulk", "assign_many, repeating inputs: >= 10,000,000 per second"),
    (
        "bulk-account",
        "assign_many, an account id per row: >= 2,000,000 rows per second (columnar path)",
    ),
    ("bulk-junk", "assign_many, 1,000,000 unknown rows (errors='return'): <= 15 s"),
    ("store-add", "agreement store at 1,000,000 agreements: add_many >= 50,000 a second"),
    ("store-index", "agreement store at 1,000,000 agreements: the index in <= 3 s, <= 300 MB"),
    ("store-account", "agreement store at 1,000,000: an account's agreements in <= 100 µs"),
    ("names-wrong", "country-name-variants.tsv: no wrong country"),
    ("names-share", "country-name-variants.tsv: >= 97% of the iso3166-1 rows resolved"),
    ("cldr-wrong", "CLDR territory names of every locale: no wrong country"),
    ("cldr-top40", "CLDR territory names: >= 99% right in each of the 40 most used languages"),
    ("cldr-share", "CLDR territory names: >= 97% right over all locales"),
    ("wheel-data", "the name data in the wheel: <= 4 MB"),
)


def summary(sections: Sequence[Section]) -> list[dict[str, Any]]:
    """Every figure of SPEC section 10, with whether this run met it."""
    rows = [row for section in sections for row in section.rows if row.spec]
    results: list[dict[str, Any]] = []
    for key, text in SPEC_FIGURES:
        mine = [row for row in rows if row.spec == key]
        met = all(row.passed for row in mine) if mine else None
        results.append(
            {
                "figure": key,
                "text": text,
                "met": met,
                "measured": "; ".join(f"{_name(row)}: {row.measured}" for row in mine),
            }
        )
    return results


def _name(row: Row) -> str:
    return next(iter(row.cells.values())).strip()


def render_summary(results: Sequence[dict[str, Any]]) -> str:
    """The summary as text: one line per figure, MET or MISSED (or not measured)."""
    lines = ["== SPEC section 10: the figures"]
    for result in results:
        met = result["met"]
        word = "not measured" if met is None else ("MET" if met else "MISSED")
        lines.append(f"  {word:<12}  {result['text']}")
        if result["measured"]:
            lines.append(f"  {'':<12}    {result['measured']}")
    missed = [result["figure"] for result in results if result["met"] is False]
    if missed:
        lines.append(f"  {len(missed)} figure(s) MISSED: {', '.join(missed)}")
    else:
        lines.append("  every figure measured is met")
    return "\n".join(lines)


# --- helpers --------------------------------------------------------------------------------


def _loop(function: Callable[[Any], object], items: Sequence[Any]) -> None:
    for item in items:
        function(item)


def _empty_loop(items: Sequence[Any]) -> None:
    for _ in items:
        pass


def _nothing(item: object) -> object:
    return item


def _calling(
    function: Callable[[Any], object], items: Sequence[Any], *, calls: int, repeats: int
) -> Contender:
    """A contender that calls ``function`` once per item of ``items[:calls]``, every repeat."""
    run = functools.partial(_loop, function, items[:calls])
    return Contender(_always(run), min(calls, len(items)), repeats)


def _timed(
    function: Callable[[Any], object], items: Sequence[Any], *, calls: int, repeats: int
) -> Timing:
    """Time ``function`` alone, called once per item of ``items[:calls]``."""
    contender = _calling(function, items, calls=calls, repeats=repeats)
    return measure_together({"alone": contender})["alone"]


def _always(run: Callable[[], object]) -> Callable[[int], Callable[[], object]]:
    """A maker of runs that gives ``run`` for every repeat: the inputs stay the same."""
    return lambda _repeat: run


def _share(answers: Sequence[str | None], expected: Sequence[str]) -> float:
    right = sum(answer == want for answer, want in zip(answers, expected, strict=True))
    return right / len(expected) if expected else 0.0


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def _load_coco() -> Any:  # noqa: ANN401 - country_converter is untyped
    logging.getLogger("country_converter").setLevel(logging.CRITICAL)  # it warns per miss
    try:
        return importlib.import_module("country_converter")
    except ImportError:
        return None


# --- resolve --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Peer:
    """A peer implementation of resolution: what to call, and how it answers."""

    column: str
    call: Callable[[str], object]
    answer: Callable[[str], str | None]
    calls: int
    repeats: int
    strips: bool = True
    """Whether it strips white space itself; if not, it is given stripped input."""


def _pycountry_answer(lookup: Callable[[str], Any], attribute: str) -> Callable[[str], str | None]:
    def answer(text: str) -> str | None:
        try:
            return str(getattr(lookup(text), attribute))
        except LookupError:
            return None

    return answer


def _peers(settings: Settings, coco: Any, *, subdivision: bool) -> list[_Peer]:  # noqa: ANN401
    if subdivision:
        lookup, attribute = pycountry.subdivisions.lookup, "country_code"
    else:
        lookup, attribute = pycountry.countries.lookup, "alpha_2"
    peers = [
        _Peer(
            "pycountry",
            lookup,
            _pycountry_answer(lookup, attribute),
            settings.pycountry_calls,
            settings.repeats,
            strips=False,
        )
    ]
    if coco is not None:
        converter = coco.CountryConverter()

        def convert(text: str) -> object:
            return coco.convert(names=text, to="ISO2", not_found=None)

        def answer(text: str) -> str | None:
            said = converter.convert(names=text, to="ISO2", not_found=None)
            return said if isinstance(said, str) else None

        peers.append(
            _Peer(
                "coco",
                convert,
                answer,
                settings.coco_calls,
                settings.coco_repeats,
                strips=False,
            )
        )
    return peers


def _resolve_row(  # noqa: PLR0913 - one row's whole setting
    inputs: Inputs,
    settings: Settings,
    peers: Sequence[_Peer],
    floor: Callable[[str], str] | None,
    *,
    spec: str,
    notes: list[str],
    stream: Sequence[str] | None = None,
) -> tuple[Row, dict[str, Timing]]:
    """Time one row; the inputs are drawn from ``inputs``, unless ``stream`` gives them."""
    if stream is None:
        stream = inputs.stream(settings.calls)
    calls = len(stream)
    contenders = {
        "residency": _calling(resolve_location, stream, calls=calls, repeats=settings.repeats)
    }
    cells = {"case": inputs.name, "distinct": f"{len(inputs.distinct):,}"}
    if floor is not None:
        contenders["dict floor"] = _calling(floor, stream, calls=calls, repeats=settings.repeats)
    marks: dict[str, str] = {}
    for peer in peers:
        given = [text.strip() for text in inputs.distinct] if not peer.strips else inputs.distinct
        expected = [inputs.expected[text] for text in inputs.distinct]
        share = _share([peer.answer(text) for text in given], expected)
        if share < 0.5:
            cells[peer.column] = "n/a"
            notes.append(
                f"{peer.column} cannot resolve the {inputs.name} inputs "
                f"(right on {share:.0%} of them): n/a"
            )
            continue
        peer_stream = [text.strip() for text in stream] if not peer.strips else stream
        contenders[peer.column] = _calling(
            peer.call, peer_stream, calls=peer.calls, repeats=peer.repeats
        )
        if share < 1:
            marks[peer.column] = "*"
            notes.append(
                f"{peer.column} gets the right country for {share:.0%} of the {inputs.name} "
                "inputs (timed on all of them)"
            )
    timings = measure_together(contenders)
    for column, timing in timings.items():
        cells[column] = duration(timing.median_ns) + marks.get(column, "")
    return Row(cells, {key: value.to_dict() for key, value in timings.items()}, spec=spec), timings


def resolve_section(settings: Settings) -> Section:
    """Resolving codes, subdivisions and names: residency, the dict floor and the peers."""
    section = Section(
        "resolve",
        "resolve one input (warm, per call)",
        ("case", "distinct", "dict floor", "pycountry", "coco", "residency", "residency vs"),
    )
    coco = _load_coco()
    codes: dict[str, str] = {}
    for country in pycountry.countries:
        for code in (country.alpha_2, country.alpha_3, country.numeric):
            codes[code] = country.alpha_2
    subdivision_codes: dict[str, str] = {
        sub.code.upper(): sub.country_code for sub in pycountry.subdivisions
    }

    def floor(text: str) -> str:
        return codes[text.strip().upper()]

    def subdivision_floor(text: str) -> str:
        return subdivision_codes[text.strip().upper()]

    english_pycountry: Timing | None = None
    for inputs, kind in (
        (_inputs.alpha2(), "code"),
        (_inputs.alpha3(), "code"),
        (_inputs.numeric(), "code"),
        (_inputs.subdivisions(), "subdivision"),
        (_inputs.english_names(), "name"),
        (_inputs.translated_names(), "translated"),
    ):
        peers = _peers(settings, coco, subdivision=kind == "subdivision")
        chosen_floor = {"code": floor, "subdivision": subdivision_floor}.get(kind)
        spec = "code" if kind in {"code", "subdivision"} else "name"
        row, timings = _resolve_row(
            inputs, settings, peers, chosen_floor, spec=spec, notes=section.notes
        )
        mine = timings["residency"].median_ns
        if spec == "code":
            _hold_to_floor(row, timings)
        else:
            if kind == "name":
                english_pycountry = timings.get("pycountry")
            reference = english_pycountry
            if reference is None:
                row.figure, row.passed = ">= 5x pycountry", False
                row.cells["residency vs"] = "no pycountry time"
            else:
                faster = reference.median_ns / mine
                mark = "" if kind == "name" else " †"
                row.cells["residency vs"] = f"{ratio(faster)} faster{mark}"
                row.figure, row.passed = ">= 5x pycountry", faster >= 5
                row.measured = f"{ratio(faster)} faster"
        section.rows.append(row)
        if inputs.left_out:
            named = [text for text in inputs.left_out if text in _inputs.NAMED_TRANSLATIONS]
            first = named + [text for text in inputs.left_out if text not in named]
            shown = ", ".join(repr(text) for text in first[:6])
            more = f" and {len(inputs.left_out) - 6} more" if len(inputs.left_out) > 6 else ""
            section.notes.append(
                f"{inputs.name}: residency does not resolve {len(inputs.left_out)} of the "
                f"{inputs.made} inputs made, left out of the timing: {shown}{more}"
            )
    section.rows.append(_many_codes_row(settings, floor, section.notes))
    section.rows.extend(_unknown_rows(settings, section.notes))
    section.notes.extend(_resolve_notes(settings, coco))
    return section


def _hold_to_floor(row: Row, timings: dict[str, Timing]) -> None:
    """Judge a code row: residency's time within 2x of the dict floor's."""
    held = timings["residency"].median_ns / timings["dict floor"].median_ns
    row.cells["residency vs"] = f"{ratio(held)} floor"
    row.figure, row.passed, row.measured = "<= 2x floor", held <= 2, f"{ratio(held)} floor"


def _many_codes_row(settings: Settings, floor: Callable[[str], str], notes: list[str]) -> Row:
    """Codes with 20,000 distinct inputs: every one asked once per pass, a few passes a repeat."""
    inputs = _inputs.many_codes()
    stream = _inputs.passes(inputs.distinct, settings.calls, salt=4)
    peers = _peers(settings, None, subdivision=False)  # pycountry; coco's time is the same
    row, timings = _resolve_row(
        inputs, settings, peers, floor, spec="code-many", notes=notes, stream=stream
    )
    _hold_to_floor(row, timings)
    if inputs.left_out:
        shown = ", ".join(repr(text) for text in inputs.left_out[:6])
        notes.append(
            f"{inputs.name}: residency does not resolve {len(inputs.left_out)} of the "
            f"{inputs.made:,} inputs made, left out of the timing: {shown}"
        )
    notes.append(
        f"{inputs.name}: {len(inputs.distinct):,} distinct spellings of the alpha-2 and "
        "alpha-3 codes, in every mix of cases with spaces and tabs around them (ao, bi, my "
        "and nga, names in some language in lower case, in capitals only), each asked "
        f"{len(stream) // len(inputs.distinct)} time(s) a repeat, in a new order each pass; "
        f"CACHED: they fit residency's resolution cache (residency.locations.CACHE_SIZE = "
        f"{CACHE_SIZE:,} inputs, least recently used out), which the warm-up fills; the floor "
        "is the dict of codes of the rows above; coco is not timed here (its time per call "
        "does not depend on how many inputs are distinct)"
    )
    return row


def _refused(text: str) -> object:
    try:
        resolve_location(text)
    except UnknownLocation:
        return None
    return text


def _refused_read(text: str) -> object:
    try:
        resolve_location(text)
    except UnknownLocation as error:
        return str(error)
    return text


def _pycountry_refused(text: str) -> object:
    try:
        pycountry.countries.lookup(text)
    except LookupError:
        return None
    return text


def _pycountry_refused_read(text: str) -> object:
    try:
        pycountry.countries.lookup(text)
    except LookupError as error:
        return str(error)
    return text


def _fresh(
    function: Callable[[Any], object],
    batches: Sequence[Sequence[str]],
    *,
    calls: int,
    repeats: int,
) -> Contender:
    """A contender whose every run (the warm-up first) calls ``function`` on a batch of its own."""

    def make_run(repeat: int) -> Callable[[], object]:
        return functools.partial(_loop, function, batches[repeat + 1][:calls])

    return Contender(make_run, calls, repeats)


def _unknown_rows(settings: Settings, notes: list[str]) -> list[Row]:
    """Unknown names on first sight: every call of every run gets a name never seen before."""
    calls, runs = settings.unknown_calls, settings.repeats + 1
    needed = 2 * runs * calls
    junk, dropped = _inputs.unknown_junk(needed, salt=1)
    batches = [junk[start : start + calls] for start in range(0, needed, calls)]
    rows: list[Row] = []
    for label, mine, theirs, held, chosen in (
        ("unknown name, first sight", _refused, _pycountry_refused, True, batches[:runs]),
        (
            "unknown name, message read",
            _refused_read,
            _pycountry_refused_read,
            False,
            batches[runs:],
        ),
    ):
        timings = measure_together(
            {
                "residency": _fresh(mine, chosen, calls=calls, repeats=settings.repeats),
                "pycountry": _fresh(
                    theirs,
                    chosen,
                    calls=min(calls, settings.pycountry_calls),
                    repeats=settings.repeats,
                ),
            }
        )
        own, peer = timings["residency"].median_ns, timings["pycountry"].median_ns
        versus = f"{ratio(peer / own)} faster" if peer >= own else f"{ratio(own / peer)} slower"
        row = Row(
            {
                "case": label,
                "distinct": "new each call",
                "pycountry": duration(peer),
                "residency": duration(own),
                "residency vs": versus,
            },
            {key: value.to_dict() for key, value in timings.items()},
        )
        if held:
            row.figure, row.passed, row.spec = "<= 20 µs", own <= 20_000, "unknown"
            row.measured = duration(own)
        rows.append(row)
    notes.append(
        f"unknown names: {needed:,} distinct junk names of 6 to 14 random letters, "
        f"capitalised, {calls:,} new ones for every run of each row (the warm-up too), so "
        "every call sees its name for the first time; each was checked beforehand, in a "
        "fresh interpreter (this process never saw them), to raise UnknownLocation "
        f"({dropped} made that did not, real names by chance, were dropped); "
        "NOT CACHED: nothing residency remembers can answer them; residency's calls catch "
        "UnknownLocation, pycountry's LookupError (on the same names); 'message read' also "
        "reads str(error), where residency computes its suggestions (lazily, on first read); "
        "coco is not timed on them"
    )
    return rows


def _resolve_notes(settings: Settings, coco: Any) -> list[str]:  # noqa: ANN401
    notes = [
        "pycountry does not strip white space: it and coco are given the alpha-2 inputs "
        "already stripped (the floor and residency strip them themselves)",
        "names: 'faster' is pycountry's time over residency's; pycountry has no translated "
        "names, so † the translated row is compared with pycountry's English-name time, the "
        "nearest thing it does",
        "subdivisions: the pycountry column is pycountry.subdivisions.lookup "
        "(countries.lookup cannot read them); the floor is a dict of every ISO 3166-2 code",
    ]
    if coco is None:
        notes.append("country_converter is not installed: `make bench` installs the bench extra")
        return notes
    converter = coco.CountryConverter()
    names = _inputs.english_names().stream(settings.coco_calls * 4)

    def reused(text: str) -> object:
        return converter.convert(names=text, to="ISO2", not_found=None)

    timing = _timed(reused, names, calls=len(names), repeats=settings.coco_repeats)
    notes.append(
        f"coco is coco.convert(names=x, to='ISO2') per call, which builds a converter each "
        f"time: {settings.coco_calls} calls x {settings.coco_repeats} repeats, not "
        f"{settings.calls:,}; one CountryConverter reused takes {duration(timing.median_ns)} "
        "per English name"
    )
    return notes


# --- policy ---------------------------------------------------------------------------------


def _assignable(policy: Policy) -> Callable[[str], bool]:
    def assignable(text: str) -> bool:
        try:
            policy.assign(text)
        except LocationError:
            return False
        return True

    return assignable


def _assign_with_accounts(assign: Callable[..., object], pairs: Sequence[tuple[str, str]]) -> None:
    for location, account in pairs:
        assign(location, account_id=account)


WIDE_REGION_ACCOUNTS = 300_000
"""Accounts placed in a region of nine data centers (362,880 orders) to bound the caches."""


def _order_cache_row(settings: Settings, notes: list[str]) -> Row:
    """The memory a policy holds after placing many accounts in a region of nine data centers.

    Each account of such a region has one of 362,880 orders, so a cache of placements by
    order that were not bounded would grow with the accounts.
    """
    import gc  # noqa: PLC0415 - this row only
    import tracemalloc  # noqa: PLC0415

    import attrs  # noqa: PLC0415

    from residency.catalog import DataCenter  # noqa: PLC0415
    from residency.policy import ACCOUNT_CACHE_SIZE, ORDER_CACHE_SIZE, Policy  # noqa: PLC0415

    catalog = default_policy().catalog
    provider = catalog.data_centers[0].provider
    nine = tuple(DataCenter(id=f"example-eu-{n}", provider=provider, region="EU") for n in range(9))
    others = tuple(dc for dc in catalog.data_centers if dc.region != "EU")
    policy = Policy(attrs.evolve(catalog, data_centers=nine + others))
    count = WIDE_REGION_ACCOUNTS if settings.calls >= FULL.calls else WIDE_REGION_ACCOUNTS // 10
    accounts = _inputs.fresh_accounts(count, 70)
    policy.assign("DE", account_id="warm-up")
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for account in accounts:
        policy.assign("DE", account_id=account)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    view = policy._view(None)  # noqa: SLF001 - the caches measured
    held = len(view.accounts) + len(view.orders)
    bound = 2 * (ACCOUNT_CACHE_SIZE + ORDER_CACHE_SIZE)
    notes.append(
        f"caches: {count:,} new accounts placed at DE in an example catalog whose EU region has "
        "nine data centers of equal weight (362,880 orders); the memory Python allocated "
        "while they were placed and still holds after gc.collect() (tracemalloc: the policy's "
        "caches and the account ids they keep), and the entries its account and "
        f"order caches hold (at most {bound:,}: two generations of {ACCOUNT_CACHE_SIZE:,} and "
        f"of {ORDER_CACHE_SIZE:,})"
    )
    grown = (after - before) / 1e6
    return Row(
        {
            "case": f"caches after {count:,} accounts, 9 data centers in a region",
            "distinct": f"1, {count:,} acc.",
            "residency": f"+{grown:.1f} MB, {held:,} entries",
            "residency vs": f"bound {bound:,}",
        },
        {"rss_added": after - before, "entries": held, "bound": bound},
        "bounded",
        held <= bound,
        None,
        f"{held:,} entries",
    )


def _check_bare_transfers(  # noqa: PLR0913 - the two deciders and what they decide
    policy: Policy,
    bare: BareTransfers,
    pairs: Sequence[tuple[str, str]],
    target: str,
    index: AgreementIndex,
    notes: list[str],
) -> None:
    """Note any move that the bound decides otherwise than check_transfer does."""
    wrong = 0
    for location, account in pairs:
        mine = policy.check_transfer(
            location, "linode-eu", target, account_id=account, agreements=index
        )
        theirs = bare.check_transfer(location, "linode-eu", target, account_id=account)
        wrong += (mine.allowed, mine.basis, mine.agreement) != (
            theirs.allowed,
            theirs.basis,
            theirs.agreement,
        )
    if wrong:
        notes.append(f"the bound of check_transfer decided {wrong:,} of {len(pairs):,} otherwise")


def _plain_checks(
    decide: Callable[[str, str, str], object], pairs: Sequence[tuple[str, str]], target: str
) -> None:
    for location, account in pairs:
        decide(location, target, account)


def _hash_accounts(accounts: Sequence[str]) -> None:
    """The floor of a new account: its 64-bit BLAKE2b key, as the placement scheme takes it."""
    blake2b = hashlib.blake2b
    for account in accounts:
        int.from_bytes(blake2b(account.encode(), digest_size=8).digest(), "big")


def _check_bare_assign(
    policy: Policy, bare: BareAssign, locations: Sequence[str], notes: list[str]
) -> None:
    """Note any of 2,000 new accounts that the bound places otherwise than assign does."""
    accounts = _inputs.fresh_accounts(2_000, 90)
    wrong = sum(
        bare.assign(location, account_id=account) != policy.assign(location, account_id=account)
        for location, account in zip(locations, accounts, strict=False)
    )
    if wrong:
        notes.append(f"the bound of a new account placed {wrong:,} of 2,000 otherwise")


def _look_up(table: dict[str, object], pairs: Sequence[tuple[str, str]]) -> None:
    """The floor of a repeated account: one dict lookup of the account."""
    get = table.get
    for _, account in pairs:
        get(account)


def _check_transfers(
    check: Callable[..., object],
    pairs: Sequence[tuple[str, str]],
    source: str,
    target: str,
    index: object,
) -> None:
    for location, account in pairs:
        check(location, source, target, account_id=account, agreements=index)


def policy_section(settings: Settings) -> Section:
    """Time assign without and with an account, and check_transfer on 100,000 agreements."""
    section = Section(
        "policy",
        "Policy (warm, per call)",
        ("case", "distinct", "dict floor", "bound", "residency", "residency vs"),
    )
    policy = default_policy()
    pool = _inputs.location_pool(_assignable(policy))
    placed = {text: policy.assign(text) for text in pool}
    stream = _inputs.draw(pool, settings.calls)

    def floor(text: str) -> object:
        return placed[text]

    timings = measure_together(
        {
            "residency": _calling(
                policy.assign, stream, calls=settings.calls, repeats=settings.repeats
            ),
            "dict floor": _calling(floor, stream, calls=settings.calls, repeats=settings.repeats),
        }
    )
    mine, base = timings["residency"], timings["dict floor"]
    section.rows.append(
        Row(
            {
                "case": "assign(x), no account",
                "distinct": f"{len(pool)}",
                "dict floor": duration(base.median_ns),
                "residency": duration(mine.median_ns),
                "residency vs": f"{ratio(mine.median_ns / base.median_ns)} floor",
            },
            {"residency": mine.to_dict(), "dict floor": base.to_dict()},
            "<= 0.5 µs",
            mine.median_ns <= 500,
            "assign",
            duration(mine.median_ns),
        )
    )

    calls = settings.calls // 2

    def with_accounts(repeat: int) -> Callable[[], object]:
        pairs = list(zip(stream[:calls], _inputs.fresh_accounts(calls, repeat), strict=True))
        return functools.partial(_assign_with_accounts, policy.assign, pairs)

    def hashing(repeat: int) -> Callable[[], object]:
        ids = _inputs.fresh_accounts(calls, repeat)
        return functools.partial(_hash_accounts, ids)

    bare = BareAssign(policy, stream[:calls])
    _check_bare_assign(policy, bare, stream[:calls], section.notes)

    def bounded(repeat: int) -> Callable[[], object]:
        pairs = list(zip(stream[:calls], _inputs.fresh_accounts(calls, repeat), strict=True))
        return functools.partial(_assign_with_accounts, bare.assign, pairs)

    timings = measure_together(
        {
            "residency": Contender(with_accounts, calls, settings.repeats),
            "floor": Contender(hashing, calls, settings.repeats),
            "bound": Contender(bounded, calls, settings.repeats),
        }
    )
    mine, base, bound = timings["residency"], timings["floor"], timings["bound"]
    section.rows.append(
        Row(
            {
                "case": "assign(x, account_id=a), new account ids",
                "distinct": f"{len(pool)}, new ids",
                "dict floor": f"{duration(base.median_ns)} (BLAKE2b)",
                "bound": duration(bound.median_ns),
                "residency": duration(mine.median_ns),
                "residency vs": f"{ratio(mine.median_ns / base.median_ns)} BLAKE2b",
            },
            {"residency": mine.to_dict(), "floor": base.to_dict(), "bound": bound.to_dict()},
            "<= 1 µs",
            mine.median_ns <= 1000,
            "assign-account",
            duration(mine.median_ns),
        )
    )
    section.rows.append(_repeated_accounts_row(settings, policy, pool))
    section.notes.append(
        "cached: assign without an account returns the placement remembered for that raw "
        "input; with a new account, every repeat uses account ids never seen before; with a "
        f"repeated account, {REPEATED_ACCOUNTS:,} accounts, each at one location of the "
        "pool, are asked again and again (every one once per pass, in a new order each "
        "pass), after a warm-up that asked each of them"
    )
    section.notes.append(_call_floor_note(settings, stream))
    section.rows.append(_access_row(settings, policy, pool, stream))
    section.notes.append(
        f"who_can_access(x), no consents, {settings.calls // 5:,} calls a repeat: warm (the "
        "warm-up asked the same locations); the floor is a dict of the answers computed "
        "beforehand"
    )
    section.rows.extend(_transfer_rows(settings, policy, pool, section.notes))
    section.notes.append(
        "bound: the same answer, an object of the same kind, with every call inlined, every "
        "check left out and every table built beforehand (BareAssign and BareTransfers in "
        "benchmarks/_floors.py), timed in turn with the row: a new account's BLAKE2b, its pair "
        "hashes and one insert into a bounded memo; a cross-region decision from the clock, the"
        " move and the account's windows for the target, merged beforehand; a figure that the "
        "bound misses cannot be met by this design on this machine"
    )
    section.rows.append(_order_cache_row(settings, section.notes))
    return section


def _call_floor_note(settings: Settings, stream: Sequence[str]) -> str:
    """What the call of assign costs by itself: a method that does nothing, same signature."""
    empty = EmptyPolicy().assign
    accounts = _inputs.fresh_accounts(REPEATED_ACCOUNTS, 40)
    calls = settings.calls // 2
    asked = (accounts * (calls // len(accounts) + 1))[:calls]
    pairs = list(zip(stream[:calls], asked, strict=True))
    timings = measure_together(
        {
            "plain": _calling(empty, stream, calls=settings.calls, repeats=settings.repeats),
            "account": Contender(
                _always(functools.partial(_assign_with_accounts, empty, pairs)),
                len(pairs),
                settings.repeats,
            ),
        }
    )
    return (
        "the call alone: a method that does nothing, with the signature of assign "
        "(keyword-only arguments with defaults, as SPEC section 11 has them), takes "
        f"{duration(timings['plain'].median_ns)} called as assign(x) and "
        f"{duration(timings['account'].median_ns)} as assign(x, account_id=a), in the same "
        "loops as the rows"
    )


REPEATED_ACCOUNTS = 5_000
"""How many accounts the repeated-account row asks about again: a service's active ones."""


def _repeated_accounts_row(settings: Settings, policy: Policy, pool: Sequence[str]) -> Row:
    accounts = _inputs.fresh_accounts(REPEATED_ACCOUNTS, 40)
    home = dict(zip(accounts, _inputs.draw(pool, len(accounts), salt=5), strict=True))
    asked = _inputs.passes(accounts, settings.calls // 2, salt=6)
    pairs = [(home[account], account) for account in asked]
    run = functools.partial(_assign_with_accounts, policy.assign, pairs)
    remembered = {account: policy.assign(home[account], account_id=account) for account in home}
    floor = functools.partial(_look_up, remembered, pairs)
    timings = measure_together(
        {
            "residency": Contender(_always(run), len(pairs), settings.repeats),
            "dict floor": Contender(_always(floor), len(pairs), settings.repeats),
        }
    )
    mine, base = timings["residency"], timings["dict floor"]
    return Row(
        {
            "case": "assign(x, account_id=a), repeated account ids",
            "distinct": f"{len(set(home.values()))}, {len(accounts):,} acc.",
            "dict floor": duration(base.median_ns),
            "residency": duration(mine.median_ns),
            "residency vs": f"{ratio(mine.median_ns / base.median_ns)} floor",
        },
        {"residency": mine.to_dict(), "dict floor": base.to_dict()},
        "<= 0.3 µs",
        mine.median_ns <= 300,
        "assign-repeat",
        duration(mine.median_ns),
    )


def _access_row(
    settings: Settings, policy: Policy, pool: Sequence[str], stream: Sequence[str]
) -> Row:
    answers = {text: policy.who_can_access(text) for text in pool}

    def floor(text: str) -> object:
        return answers[text]

    calls = settings.calls // 5
    timings = measure_together(
        {
            "residency": _calling(
                policy.who_can_access, stream, calls=calls, repeats=settings.repeats
            ),
            "dict floor": _calling(floor, stream, calls=calls, repeats=settings.repeats),
        }
    )
    mine, base = timings["residency"], timings["dict floor"]
    return Row(
        {
            "case": "who_can_access(x), warm",
            "distinct": f"{len(pool)}",
            "dict floor": duration(base.median_ns),
            "residency": duration(mine.median_ns),
            "residency vs": f"{ratio(mine.median_ns / base.median_ns)} floor",
        },
        {"residency": mine.to_dict(), "dict floor": base.to_dict()},
        "<= 1 µs",
        mine.median_ns <= 1000,
        "access",
        duration(mine.median_ns),
    )


def _transfer_rows(
    settings: Settings, policy: Policy, pool: Sequence[str], notes: list[str]
) -> list[Row]:
    started = time.perf_counter()
    agreements = _inputs.agreements()
    index = policy.check_agreements(agreements)
    built = time.perf_counter() - started
    europe = [text for text in pool if policy.assign(text).region == "EU"]
    accounts = [_inputs.account_id(number) for number in range(_inputs.ACCOUNTS)]
    allowed = [
        account
        for account in accounts
        if policy.check_transfer(
            "DE", "linode-eu", "linode-us", account_id=account, agreements=index
        ).allowed
    ]
    denied = sorted(set(accounts) - set(allowed))
    calls = settings.calls // 2
    plain = PlainTransfers(policy, europe, agreements)
    bare = BareTransfers(policy, europe, index)
    rows: list[Row] = []
    for label, target, chosen, basis in (
        ("in region (EU -> EU)", "aws-eu-west-1", accounts, "in-region"),
        ("cross-region, allowed by an agreement", "linode-us", allowed, "agreement"),
        ("cross-region, denied", "linode-us", denied, "denied"),
    ):
        pairs = list(
            zip(
                _inputs.draw(europe, calls, salt=1),
                _inputs.draw(chosen, calls, salt=2),
                strict=True,
            )
        )
        said = {
            policy.check_transfer(
                location, "linode-eu", target, account_id=account, agreements=index
            ).basis.value
            for location, account in pairs[:200]
        }
        if said != {basis}:
            notes.append(f"check_transfer {label}: expected {basis}, got {sorted(said)}")
        floor_said = {plain.decide(location, target, account)[1] for location, account in pairs}
        if floor_said != {basis}:
            notes.append(f"floor {label}: expected {basis}, got {sorted(floor_said)}")
        run = functools.partial(
            _check_transfers, policy.check_transfer, pairs, "linode-eu", target, index
        )
        floor = functools.partial(_plain_checks, plain.decide, pairs, target)
        contenders = {
            "residency": Contender(_always(run), calls, settings.repeats),
            "floor": Contender(_always(floor), calls, settings.repeats),
        }
        if basis != "in-region":  # within the region, no agreement is read: no bound
            _check_bare_transfers(policy, bare, pairs[:200], target, index, notes)
            contenders["bound"] = Contender(
                _always(
                    functools.partial(
                        _check_transfers, bare.check_transfer, pairs, "linode-eu", target, index
                    )
                ),
                calls,
                settings.repeats,
            )
        timings = measure_together(contenders)
        mine, base = timings["residency"], timings["floor"]
        bound = timings.get("bound")
        rows.append(
            Row(
                {
                    "case": f"check_transfer, {label}",
                    "distinct": f"{len(europe)}, {len(chosen):,} acc.",
                    "dict floor": duration(base.median_ns),
                    **({"bound": duration(bound.median_ns)} if bound else {}),
                    "residency": duration(mine.median_ns),
                    "residency vs": f"{ratio(mine.median_ns / base.median_ns)} floor",
                },
                {
                    "residency": mine.to_dict(),
                    "floor": base.to_dict(),
                    **({"bound": bound.to_dict()} if bound else {}),
                },
                "<= 2 µs",
                mine.median_ns <= 2000,
                "transfer",
                duration(mine.median_ns),
            )
        )
    notes.append(
        "check_transfer floor: a plain-dict decision, the same answer with nothing else: "
        "dicts built beforehand of each location's home region, each data center's region, "
        "and each account's agreement windows (exact microseconds) by destination; a check "
        "compares the regions, and across regions reads the clock (time.time_ns) and the "
        "account's windows for the target's region and the target, and returns (allowed, "
        "basis); residency builds a TransferDecision that names the placement, both data "
        "centers, the moment, the agreement and the lapsed and unusable ones"
    )
    notes.append(
        f"check_transfer: an AgreementIndex of {len(index):,} agreements over "
        f"{_inputs.ACCOUNTS:,} accounts, built by policy.check_agreements in {built:.1f} s "
        f"(not timed); {len(allowed):,} accounts may move EU data to linode-us, "
        f"{len(denied):,} may not; locations from the pool that are in the EU; at = now"
    )
    return rows


# --- bulk -----------------------------------------------------------------------------------


def bulk_section(settings: Settings) -> Section:
    """assign_many over a million rows, against a loop of assign and a dict comprehension."""
    rows = settings.bulk_rows
    section = Section(
        "bulk",
        f"bulk: {rows:,} rows (per second, time per row)",
        ("case", "distinct", "assign_many", "loop of assign", "[d[x] for x in ...]"),
    )
    policy = default_policy()
    pool = _inputs.location_pool(_assignable(policy))
    placed = {text: policy.assign(text) for text in pool}
    locations = _inputs.draw(pool, rows, salt=3)
    assign = policy.assign

    def cell(timing: Timing) -> str:
        return f"{rate(timing.per_second)} ({duration(timing.median_ns)})"

    def times(**makers: Callable[[int], Callable[[], object]]) -> dict[str, Timing]:
        # The collector stays on: a batch job runs with it, and a million answers wake it.
        return measure_together(
            {name: Contender(make, rows, settings.bulk_repeats) for name, make in makers.items()},
            collector=True,
        )

    timings = times(
        many=lambda _r: functools.partial(policy.assign_many, locations),
        loop=lambda _r: lambda: [assign(location) for location in locations],
        floor=lambda _r: lambda: [placed[location] for location in locations],
    )
    many, loop, floor = timings["many"], timings["loop"], timings["floor"]
    section.rows.append(
        Row(
            {
                "case": "locations only",
                "distinct": f"{len(pool)}",
                "assign_many": cell(many),
                "loop of assign": cell(loop),
                "[d[x] for x in ...]": cell(floor),
            },
            {"assign_many": many.to_dict(), "loop": loop.to_dict(), "dict": floor.to_dict()},
            ">= 10 M/s",
            many.per_second >= 10_000_000,
            "bulk",
            rate(many.per_second),
        )
    )

    def many_accounts(repeat: int) -> Callable[[], object]:
        accounts = _inputs.fresh_accounts(rows, 50 + repeat)
        return functools.partial(policy.assign_many, locations, account_ids=accounts)

    def loop_accounts(repeat: int) -> Callable[[], object]:
        accounts = _inputs.fresh_accounts(rows, 80 + repeat)
        return lambda: [
            assign(location, account_id=account)
            for location, account in zip(locations, accounts, strict=True)
        ]

    timings = times(many=many_accounts, loop=loop_accounts)
    many, loop = timings["many"], timings["loop"]
    section.rows.append(
        Row(
            {
                "case": "a new account id per row",
                "distinct": f"{len(pool)}, new ids",
                "assign_many": cell(many),
                "loop of assign": cell(loop),
            },
            {"assign_many": many.to_dict(), "loop": loop.to_dict()},
        )
    )
    section.notes.append(
        f"locations drawn with repeats from {len(pool)} distinct codes and names (a country "
        f"column); median of {settings.bulk_repeats} repeats, with the garbage collector ON "
        "(as a batch job runs; the per-call rows above have it off); the dict comprehension "
        "maps each raw input to a placement computed beforehand (the floor); with accounts, "
        f"every repeat uses {rows:,} account ids never seen before; that row is a reference: "
        "SPEC section 10 holds the columnar path (assign_frame, section 13) to 2,000,000 rows "
        "a second with an account per row, and the frames section judges it; a list pays a "
        "BLAKE2b and a Python call per row"
    )
    section.rows.append(_junk_row(settings, policy, section.notes))
    return section


JUNK_SECONDS = 15
"""The figure: a million unknown rows through assign_many in at most this many seconds."""


def _junk_row(settings: Settings, policy: Policy, notes: list[str]) -> Row:
    """assign_many over rows that are all unknown, all distinct, new in every run."""
    rows = settings.junk_rows
    answers: list[Sequence[object]] = []
    kinds: Counter[str] = Counter()
    dropped: dict[int, int] = {}

    def settle() -> None:
        # Outside the timed region: count what the last run answered, then free it.
        for answered in answers:
            kinds.update(type(answer).__name__ for answer in answered)
        answers.clear()

    def make_run(repeat: int) -> Callable[[], object]:
        settle()
        if repeat == 0:
            kinds.clear()  # what the warm-up answered does not count
        size = rows if repeat >= 0 else 1_000  # a small warm-up: the code paths, not the names
        junk, dropped[repeat] = _inputs.unknown_junk(size, salt=10 + repeat + 1)
        return lambda: answers.append(policy.assign_many(junk, errors="return"))

    many = measure(make_run, calls=rows, repeats=settings.junk_repeats, collector=True)
    settle()
    total = many.median_ns * rows / 1e9
    per_row = JUNK_SECONDS * 1e3  # ns per row the figure allows
    figure = f"<= {JUNK_SECONDS} s" if rows == 1_000_000 else f"<= {JUNK_SECONDS} µs/row"
    measured = f"{total:.2f} s for {rows:,} rows ({duration(many.median_ns)}/row)"
    unknown = kinds.get("UnknownLocation", 0)
    notes.append(
        f"unknown rows: assign_many(junk, errors='return') over {rows:,} distinct junk names "
        "(6 to 14 random letters, capitalised), new in every run, so nothing cached can "
        "answer them; each run's names checked beforehand in a fresh interpreter (not timed) "
        f"to raise UnknownLocation ({sum(dropped.values())} made that did not, real names by "
        f"chance, were dropped); median of {settings.junk_repeats} runs (fastest "
        f"{many.best_ns * rows / 1e9:.2f} s) after a warm-up of 1,000 others, garbage "
        f"collector ON; counted after the runs: {unknown:,} of "
        f"{rows * settings.junk_repeats:,} answers are UnknownLocation"
        + "".join(
            f", {count:,} {kind}" for kind, count in kinds.items() if kind != "UnknownLocation"
        )
    )
    return Row(
        {
            "case": "unknown names, errors='return'",
            "distinct": f"{rows:,}, all new",
            "assign_many": f"{total:.2f} s ({duration(many.median_ns)})",
        },
        {"assign_many": many.to_dict(), "answers": dict(kinds)},
        figure,
        many.median_ns <= per_row,
        "bulk-junk",
        measured,
    )


# --- cold start -----------------------------------------------------------------------------

COLD_COMMANDS = (
    _cold.Command("python -c pass (bare interpreter)", "pass"),
    _cold.Command(
        "import residency; default_policy().assign('DE')",
        "import residency; residency.default_policy().assign('DE')",
    ),
    _cold.Command(
        "  + .assign('Deutschland') (a first name lookup)",
        "import residency; p = residency.default_policy(); p.assign('DE'); p.assign('Deutschland')",
    ),
    _cold.Command(
        "import pycountry; countries.lookup('DE') (peer)",
        "import pycountry; pycountry.countries.lookup('DE')",
    ),
)
CONSOLE_SCRIPT = Path(sys.executable).with_name("residency")
"""The ``residency`` command installed beside this interpreter."""
COLD_CLI = _cold.Command(
    "residency where DE (the console script)", "", (str(CONSOLE_SCRIPT), "where", "DE")
)


def cold_section(settings: Settings) -> Section:
    """Cold start in fresh interpreters: wall time from spawn to exit, and peak memory."""
    section = Section(
        "cold",
        f"cold start: a fresh interpreter per run ({settings.cold_runs} runs each)",
        ("command", "median", "min", "peak RSS"),
    )
    commands = list(COLD_COMMANDS)
    if CONSOLE_SCRIPT.exists():
        commands.append(COLD_CLI)
    colds = _cold.measure(commands, runs=settings.cold_runs)
    for cold in colds:
        peak = cold.peak_mb
        section.rows.append(
            Row(
                {
                    "command": cold.command.label,
                    "median": f"{cold.median_ms:.1f} ms",
                    "min": f"{cold.min_ms:.1f} ms",
                    "peak RSS": "—" if peak is None else f"{peak:.1f} MB",
                },
                cold.to_dict(),
            )
        )
    first, named = colds[1], colds[2]
    first_row, named_row = section.rows[1], section.rows[2]
    first_peak = first.peak_mb or 0.0  # a python -c child always reports it
    first_row.figure = "<= 150 ms, <= 40 MB"
    first_row.passed = first.median_ms <= 150 and first_peak <= 40
    first_row.spec = "cold"
    first_row.measured = f"{first.median_ms:.1f} ms, {first_peak:.1f} MB"
    added = named.median_ms - first.median_ms
    named_row.cells["median"] += f" (+{added:.1f})"
    named_row.figure = "adds <= 100 ms"
    named_row.passed = added <= 100
    named_row.spec = "cold-name"
    named_row.measured = f"+{added:.1f} ms"
    section.notes.append(
        f"{sys.executable} -c CODE, timed from spawn to exit, median and fastest run; peak RSS "
        "is the child's VmHWM, printed by a line appended to CODE (MB = 10^6 bytes; ru_maxrss "
        "would count this large parent's memory, which Linux carries across exec); the runs of "
        "the commands take turns; other work on the machine shows in the median first"
    )
    section.notes.append(
        "bytecode caches present: this machine sets PYTHONDONTWRITEBYTECODE=1, so each "
        "command first ran once without it to write the .pyc files, then was measured"
    )
    if CONSOLE_SCRIPT.exists():
        cli, cli_row = colds[-1], section.rows[-1]
        cli_row.figure = "<= 100 ms"
        cli_row.passed = cli.median_ms <= 100
        cli_row.spec = "cold-cli"
        cli_row.measured = f"{cli.median_ms:.1f} ms"
        section.notes.append(
            f"residency where DE: the installed console script ({CONSOLE_SCRIPT}) spawned as "
            "is, its output read and dropped; its peak RSS is not known (—): the script's "
            "code is not ours to append the report to"
        )
    else:
        section.notes.append(
            f"residency where DE not measured: no console script at {CONSOLE_SCRIPT}"
        )
    return section


# --- the agreement store --------------------------------------------------------------------


def store_section(settings: Settings) -> Section:
    """The agreement store on SQLite and PostgreSQL: add_many, open, index, one account's reads."""
    report = _store.measure(settings.store)
    section = Section("store", report.title, report.columns, notes=report.notes)
    section.rows.extend(Row(**row) for row in report.rows)
    return section


# --- a customer base: audit, plan_migration, diff_catalogs ----------------------------------


def changes_section(settings: Settings) -> Section:
    """A customer base: audit and plan_migration beside assign_many, and diff_catalogs."""
    report = _changes.measure(settings.changes)
    section = Section("changes", report.title, report.columns, notes=report.notes)
    section.rows.extend(Row(**row) for row in report.rows)
    return section


# --- whole tables: assign_frame on pyarrow, polars, pandas and Dask -------------------------


def frames_section(settings: Settings) -> Section:
    """assign_frame on ten million rows beside assign_many and a polars join, and on Dask."""
    report = _frames.measure(settings.frames)
    section = Section("frames", report.title, report.columns, notes=report.notes)
    section.rows.extend(Row(**row) for row in report.rows)
    return section


# --- accuracy -------------------------------------------------------------------------------


def _evaluation() -> ModuleType | None:
    script = REPOSITORY / "scripts" / "evaluate_names.py"
    specification = importlib.util.spec_from_file_location("evaluate_names", script)
    if specification is None or specification.loader is None:
        return None
    module = importlib.util.module_from_spec(specification)
    specification.loader.exec_module(module)
    return module


def _cldr_rows(evaluation: ModuleType) -> tuple[list[Row], str]:
    score = evaluation.score_cldr()
    total = score.total
    rows = [
        Row(
            {"measure": f"CLDR {what}", "value": f"{count}"},
            {key: count},
            "none",
            count == 0,
            "cldr-wrong",
            f"{count} {key}",
        )
        for what, key, count in (
            ("pairs resolving to a wrong country", "wrong", total.wrong),
            (
                "pairs ambiguous without the expected country",
                "ambiguous-wrong",
                total.ambiguous_wrong,
            ),
            ("region names resolving to a country", "region names resolved", total.resolved),
        )
    ]
    least, language = score.top40_min_share, score.top40_min_language
    shares = {
        key: score.languages[key].share if key in score.languages else 0.0
        for key in evaluation.TOP_LANGUAGES
    }
    rows.append(
        Row(
            {
                "measure": f"CLDR least share right, {len(shares)} most used languages",
                "value": f"{least:.1%} ({language})",
            },
            {"share": least, "language": language, "shares": shares},
            f">= {evaluation.TOP_SHARE:.0%}",
            least >= evaluation.TOP_SHARE,
            "cldr-top40",
            f"{least:.1%} ({language})",
        )
    )
    share = score.overall_share
    rows.append(
        Row(
            {
                "measure": f"CLDR share right, all {len(score.languages)} languages",
                "value": f"{total.correct:,}/{total.places:,} places ({share:.1%})",
            },
            {"right": total.correct, "places": total.places, "pairs": total.pairs, "share": share},
            f">= {evaluation.OVERALL_SHARE:.0%}",
            share >= evaluation.OVERALL_SHARE,
            "cldr-share",
            f"{share:.1%}",
        )
    )
    note = (
        f"CLDR {score.cldr} through Babel {score.babel}: {score.locales} locales, distinct "
        "(name, expected) pairs per language; right counts a right country or subdivision and "
        "a refused region name"
    )
    return rows, note


def _tsv_rows(evaluation: ModuleType, data: Path) -> list[Row]:
    score = evaluation.score_tsv(data)
    wrong, leaked, share = score.wrong, score.negative_resolved, score.share
    return [
        Row(
            {"measure": "iso3166-1 rows resolving to a wrong country", "value": f"{wrong}"},
            {"wrong": wrong},
            "none",
            wrong == 0,
            "names-wrong",
            f"{wrong} wrong",
        ),
        Row(
            {"measure": "negative rows resolving to a country", "value": f"{leaked}"},
            {"resolved to a country": leaked, "named a subdivision": score.subdivision},
            "none",
            leaked == 0,
            "names-wrong",
            f"{leaked} negative rows resolved",
        ),
        Row(
            {
                "measure": "iso3166-1 rows resolved",
                "value": f"{score.resolved}/{score.scored} ({share:.1%})",
            },
            {"resolved": score.resolved, "scored": score.scored},
            f">= {evaluation.TSV_SHARE:.0%}",
            share >= evaluation.TSV_SHARE,
            "names-share",
            f"{share:.1%}",
        ),
    ]


NAME_DATA = ("names.json", "countries.json", "subdivisions.json")
"""The name data the wheel carries, in residency/data."""
NOT_SHIPPED = "names-conflicts.md"
"""The name index's conflict report: for reviewers of the data, excluded from the wheel."""
WHEEL_MB = 4
"""The figure: the name data in the wheel, in MB (10**6 bytes)."""


def _built_wheel(folder: Path) -> tuple[dict[str, int], list[str]] | str:
    """The name data's sizes in a freshly built wheel, and its files; or why it was not built."""
    arguments = [sys.executable, "-m", "pip", "wheel", str(REPOSITORY), "--no-deps"]
    try:
        built = subprocess.run(
            [*arguments, "-w", str(folder), "-q"],
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
    except subprocess.TimeoutExpired:
        return "pip wheel took more than 600 s"
    wheels = sorted(folder.glob("residency-*.whl"))
    if built.returncode != 0 or not wheels:
        lines = (built.stderr or built.stdout).strip().splitlines()
        return f"pip wheel failed ({lines[-1] if lines else f'exit {built.returncode}'})"
    with zipfile.ZipFile(wheels[0]) as wheel:
        files = wheel.namelist()
        sizes = {
            name: wheel.getinfo(f"residency/data/{name}").file_size
            for name in NAME_DATA
            if f"residency/data/{name}" in files
        }
    return sizes, files


def _wheel_row(notes: list[str]) -> Row:
    """The name data in the wheel: built into a temporary folder, its members' sizes summed."""
    with tempfile.TemporaryDirectory() as folder:
        built = _built_wheel(Path(folder))
    data = REPOSITORY / "src" / "residency" / "data"
    if isinstance(built, str):
        sizes = {name: (data / name).stat().st_size for name in NAME_DATA}
        notes.append(
            f"name data: {built}, so these are the sizes of the files in src/residency/data "
            "instead; whether the wheel leaves out names-conflicts.md is not checked"
        )
    else:
        sizes, files = built
        shipped = f"residency/data/{NOT_SHIPPED}" in files
        missing = [name for name in NAME_DATA if name not in sizes]
        notes.append(
            "name data: uncompressed sizes in a wheel built just now (pip wheel --no-deps "
            "into a temporary folder); "
            + (
                f"WARNING: {NOT_SHIPPED} IS in the wheel, though pyproject.toml excludes it"
                if shipped
                else f"{NOT_SHIPPED} is not in the wheel (pyproject.toml excludes it)"
            )
            + (f"; not in the wheel: {', '.join(missing)}" if missing else "")
        )
    total = sum(sizes.values()) / 1e6
    return Row(
        {
            "measure": "name data in the wheel (" + ", ".join(NAME_DATA) + ")",
            "value": f"{total:.2f} MB",
        },
        {"bytes": sizes},
        f"<= {WHEEL_MB} MB",
        total <= WHEEL_MB,
        "wheel-data",
        f"{total:.2f} MB",
    )


def accuracy_section() -> Section:
    """The name figures of SPEC section 10, and the size of the name data in the wheel."""
    section = Section(
        "accuracy",
        "names: CLDR territory names, country-name-variants.tsv, the name data in the wheel",
        ("measure", "value"),
    )
    evaluation = _evaluation()
    if evaluation is None:
        section.notes.append("not measured: scripts/evaluate_names.py cannot be loaded")
    else:
        _score_names(evaluation, section)
    section.rows.append(_wheel_row(section.notes))
    return section


def _score_names(evaluation: ModuleType, section: Section) -> None:
    """The CLDR and country-name-variants.tsv rows, scored by scripts/evaluate_names.py."""
    if importlib.util.find_spec("babel") is None:
        section.notes.append("CLDR not measured: Babel is not installed")
    else:
        rows, note = _cldr_rows(evaluation)
        section.rows.extend(rows)
        section.notes.append(note)
    data = Path(evaluation.DEFAULT_DATA)
    if data.exists():
        section.rows.extend(_tsv_rows(evaluation, data))
        section.notes.append(f"country-name-variants.tsv read from {data}")
    else:
        section.notes.append(f"country-name-variants.tsv not measured: {data} is absent")
    section.notes.append("scored by scripts/evaluate_names.py")


# --- main -----------------------------------------------------------------------------------


def environment() -> dict[str, str]:
    """What the numbers were measured on."""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
        "cpus": str(os.cpu_count()),
        "residency": _version("residency"),
        "pycountry": _version("pycountry"),
        "country_converter": _version("country_converter"),
        "pandas": _version("pandas"),
        "load average": " ".join(f"{load:.2f}" for load in os.getloadavg()),
    }


def header(settings: Settings, env: dict[str, str], loop_ns: float, call_ns: float) -> str:
    """What was measured and how, printed before the tables."""
    return "\n".join(
        [
            "residency benchmark: " + ", ".join(f"{key} {value}" for key, value in env.items()),
            f"Warm rows: one process; each time is the MEDIAN of {settings.repeats} repeats of "
            "the time per call over a loop of many calls (gc off while timing, as timeit does).",
            f"Every per-call time includes the loop step ({loop_ns:.0f} ns here) and one Python "
            f"call (a call that does nothing: {call_ns:.0f} ns in all).",
            "Inputs repeat as in real traffic (a few hundred distinct values). CACHED: residency "
            "remembers successful resolutions and placements by raw input (as in production), "
            "and every case is warmed once before timing; pycountry caches nothing; the floor "
            "is a plain dict built beforehand. Rows that differ say so: 20,000 distinct codes "
            "(they fit residency's cache), unknown names new to every call (NOT cached).",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Run the sections asked for, print the tables and the summary; exit 0 (a report)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer repeats: a smoke run")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results here")
    parser.add_argument(
        "--only", action="append", choices=SECTIONS, help="run only this section (repeatable)"
    )
    arguments = parser.parse_args(argv)
    settings = QUICK if arguments.quick else FULL
    chosen = arguments.only or list(SECTIONS)
    env = environment()
    items = list(range(settings.calls))
    loop_ns = measure(
        lambda _r: functools.partial(_empty_loop, items), calls=len(items), repeats=settings.repeats
    ).median_ns
    call_ns = _timed(_nothing, items, calls=len(items), repeats=settings.repeats).median_ns
    print(header(settings, env, loop_ns, call_ns), flush=True)
    if logging.getLogger("residency.decisions").isEnabledFor(logging.INFO):
        print("WARNING: residency.decisions logs at INFO here: transfer times include logging")
    builders: dict[str, Callable[[], Section]] = {
        "resolve": lambda: resolve_section(settings),
        "policy": lambda: policy_section(settings),
        "bulk": lambda: bulk_section(settings),
        "changes": lambda: changes_section(settings),
        "frames": lambda: frames_section(settings),
        "cold": lambda: cold_section(settings),
        "store": lambda: store_section(settings),
        "accuracy": accuracy_section,
    }
    sections: list[Section] = []
    started = time.perf_counter()
    for key in SECTIONS:
        if key in chosen:
            section = builders[key]()
            sections.append(section)
            print(f"\n{section.render()}", flush=True)
    results = summary(sections)
    print(f"\n{render_summary(results)}")
    print(f"\n(measured in {time.perf_counter() - started:.0f} s)")
    if arguments.json:
        document = {
            "environment": env,
            "settings": dataclasses.asdict(settings),
            "loop_step_ns": loop_ns,
            "empty_call_ns": call_ns,
            "sections": [section.to_dict() for section in sections],
            "summary": results,
        }
        arguments.json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        print(f"results written to {arguments.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
