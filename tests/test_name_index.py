"""The generated data files: current, complete, and never naming a wrong country."""

from __future__ import annotations

import doctest
import json
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pycountry
import pytest
from tests import scripts
from tests.once import once

from residency import _data
from residency._normalize import normalize

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
GENERATED = ("countries.json", "names.json", "subdivisions.json")


build_name_index = scripts.load("build_name_index")  # pickle finds Entry and Tier by name


def _json(name: str) -> Any:  # noqa: ANN401 - the shape is the file's
    return json.loads(_data.read_bytes(name))


def _toml(name: str) -> dict[str, Any]:
    return tomllib.loads(_data.read_bytes(name).decode("utf-8"))


def _english_names() -> list[object]:
    rows: list[object] = []
    for country in pycountry.countries:
        for attribute in ("name", "official_name", "common_name"):
            name = getattr(country, attribute, None)
            if name:
                rows.append(pytest.param(country.alpha_2, name, id=f"{country.alpha_2}:{name}"))
    return rows


@pytest.fixture(scope="module")
def names() -> dict[str, set[str]]:
    """Map every key of names.json to the set of countries it may mean (exact forms included)."""
    document = _json("names.json")
    keys: dict[str, set[str]] = {
        key: {target[:2]}
        for target, listed in document["names"].items()
        for key in listed.split("|")
    }
    for key, countries in document["ambiguous"].items():
        keys[key] = set(countries)
    for key, forms in document["exact"].items():
        for target in forms.values():
            targets = target if isinstance(target, list) else [target]
            keys.setdefault(key, set()).update(t[:2] for t in targets if not t.startswith("!"))
    return keys


# The sources that read every locale of CLDR and every translation catalog of pycountry, by
# their arguments; what aliases.toml says reaches neither.
Sources = dict[str, tuple[tuple[object, ...], list[Any]]]


def _read_sources() -> Sources:
    aliases = build_name_index._read_toml("aliases.toml")
    territories = build_name_index._read_toml("territories.toml")
    rows = build_name_index._country_rows(aliases)
    arguments: dict[str, tuple[object, ...]] = {
        "_cldr_entries": ({str(row[0]) for row in rows}, territories),
        "_translation_entries": (rows,),
    }
    return {
        name: (given, list(getattr(build_name_index, name)(*given)))
        for name, given in arguments.items()
    }


@pytest.fixture(scope="session")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Sources:
    """The entries of the costly sources, read once per run for the committed tables."""
    return once(tmp_path_factory, "name-index-sources", _read_sources)


def _read_once(monkeypatch: pytest.MonkeyPatch, sources: Sources) -> None:
    """Make the build take the entries of ``sources`` when it reads them with the same arguments.

    A source asked with other arguments is read as the build reads it.
    """
    for name, (given, entries) in sources.items():
        real = getattr(build_name_index, name)

        def read(
            *arguments: object,
            real: Callable[..., Iterator[Any]] = real,
            given: tuple[object, ...] = given,
            entries: list[Any] = entries,
        ) -> Iterator[Any]:
            return iter(entries) if arguments == given else real(*arguments)

        monkeypatch.setattr(build_name_index, name, read)


def _build(sources: Sources) -> dict[str, bytes]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        _read_once(monkeypatch, sources)
        files: dict[str, bytes] = build_name_index.build()
    return files


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, sources: Sources) -> dict[str, bytes]:
    """The files the build produces now (built once per run: a build reads all of CLDR)."""
    return once(tmp_path_factory, "name-index-built", lambda: _build(sources))


@pytest.mark.no_cover  # the build reads all of CLDR: traced, half a minute that covers nothing new
@pytest.mark.slow
def test_generated_files_are_current(built: dict[str, bytes]) -> None:
    """The committed data files and conflict report are exactly what the build produces now."""
    assert set(built) == {"countries.json", "names.json", "subdivisions.json", "names-conflicts.md"}
    stale = [name for name, content in built.items() if _data.read_bytes(name) != content]
    assert not stale, f"stale: {stale}; run make index"


@pytest.mark.parametrize("name", ["countries.json", "names.json", "subdivisions.json"])
def test_headers_name_source_and_generator(name: str) -> None:
    """Each generated file names the pycountry version and the script that wrote it."""
    document = _json(name)
    assert document["pycountry"] == version("pycountry")
    assert document["babel"] == version("babel")
    assert document["cldr"]
    assert document["generator"] == "scripts/build_name_index.py"


@pytest.mark.parametrize("name", ["countries.json", "names.json", "subdivisions.json"])
def test_files_are_compact_and_sorted(name: str) -> None:
    """Each generated file is compact, key-sorted UTF-8 JSON on one line."""
    content = _data.read_bytes(name)
    document = json.loads(content)
    compact = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert content == (compact + "\n").encode("utf-8")


def test_name_data_stays_small() -> None:
    """The name data shipped in the wheel stays under 4 MB, so its first load stays fast."""
    shipped = sum(len(_data.read_bytes(name)) for name in GENERATED)
    assert shipped < 4_000_000
    assert len(_data.read_bytes("names.json")) < 2_500_000


def test_report_is_not_shipped() -> None:
    """The conflict report sits beside the data for reviewers, and the wheel leaves it out."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    excluded = project["tool"]["hatch"]["build"]["targets"]["wheel"]["exclude"]
    assert "src/residency/data/names-conflicts.md" in excluded


def test_every_country_has_its_codes_and_names() -> None:
    """countries.json holds every ISO 3166-1 country plus XK with its codes and names."""
    rows = {row[0]: row for row in _json("countries.json")["countries"]}
    assert set(rows) == {country.alpha_2 for country in pycountry.countries} | {"XK"}
    for country in pycountry.countries:
        assert rows[country.alpha_2] == [
            country.alpha_2,
            country.alpha_3,
            country.numeric,
            country.name,
            getattr(country, "official_name", None),
            getattr(country, "common_name", None),
        ]
    assert rows["XK"][:4] == ["XK", "XKX", None, "Kosovo"]


@pytest.mark.parametrize(("code", "name"), _english_names())
def test_english_names_never_name_another_country(
    code: str, name: str, names: dict[str, set[str]]
) -> None:
    """Every English name of every country maps to that country, or to a list that holds it."""
    assert code in names[normalize(name)]


def test_translation_errors_lose_to_english(names: dict[str, set[str]]) -> None:
    """A translation file that calls Malaysia "Mexico" does not move Mexico."""
    assert names[normalize("Mexico")] == {"MX"}
    assert names[normalize("Malaysia")] == {"MY"}


def test_a_name_that_reads_as_a_code_is_listed(names: dict[str, set[str]]) -> None:
    """Every key that is a code of one country and names another is listed as a code name."""
    document = _json("countries.json")
    meanings = {}
    for row in document["countries"]:
        meanings[row[0].casefold()] = row[0]
        meanings[row[1].casefold()] = row[0]
    meanings |= {code.casefold(): country for code, country in document["codes"].items()}
    clashing = {key for key, countries in names.items() if key in meanings}
    clashing = {key for key in clashing if names[key] != {meanings[key]}}
    assert clashing == set(document["code_names"])
    assert {"nga", "ao", "bi", "my"} <= clashing


def test_not_countries_are_not_names() -> None:
    """The places listed as not countries (continents, unions) are not country keys."""
    document = _json("names.json")
    not_countries = document["not_countries"]
    assert normalize("châu Âu") in not_countries["a region (Europe)"].split("|")
    assert normalize("Amerika") in not_countries["a region (Americas)"].split("|")
    region_keys = {key for listed in not_countries.values() for key in listed.split("|")}
    country_keys = {key for listed in document["names"].values() for key in listed.split("|")}
    assert not region_keys & (country_keys | set(document["ambiguous"]))


def test_every_subdivision_is_listed() -> None:
    """subdivisions.json holds every ISO 3166-2 code pycountry knows, grouped by country."""
    grouped = _json("subdivisions.json")["subdivisions"]
    listed = {f"{country}-{suffix}" for country, suffixes in grouped.items() for suffix in suffixes}
    assert listed == {subdivision.code for subdivision in pycountry.subdivisions}


def test_territory_table_matches_its_source() -> None:
    """The generated territory table is the curated one, each entry naming a known country."""
    curated = _toml("territories.toml")["territories"]
    generated = _json("subdivisions.json")["territories"]
    assert generated == {code: entry["country"] for code, entry in curated.items()}
    codes = {country.alpha_2 for country in pycountry.countries}
    assert set(generated.values()) <= codes


@pytest.mark.parametrize("code", ["US-GA", "IN-TN", "GN-ML", "NG-NI", "BE-WLX", "GB-ENG"])
def test_a_code_suffix_is_not_a_country(code: str) -> None:
    """Subdivisions whose suffix or name is a country code or name are not in the table."""
    assert code not in _json("subdivisions.json")["territories"]


@pytest.mark.parametrize("name", ["aliases.toml", "territories.toml"])
def test_curated_files_say_where_they_come_from(name: str) -> None:
    """Each curated file has a source and a version, and each entry a note."""
    document = _toml(name)
    assert document["meta"]["source"]
    assert document["meta"]["version"]
    sections = [value for key, value in document.items() if key not in {"meta", "countries"}]
    sections += [{"": value} for value in document.get("countries", {}).values()]
    for section in sections:
        for key, entry in section.items():
            assert entry.get("note"), f"{name}: {key!r} has no note"


def test_source_document_names() -> None:
    """The place names of the source document are in the index, and Europe is not a country."""
    document = _json("names.json")
    assert normalize("Hoa Kỳ") in document["names"]["US"].split("|")
    assert normalize("Anh Quốc") in document["names"]["GB"].split("|")
    assert normalize("châu Âu") in document["not_countries"]["a region (Europe)"].split("|")


@pytest.mark.no_cover  # the build reads all of CLDR: traced, half a minute that covers nothing new
def test_build_refuses_a_clashing_alias(monkeypatch: pytest.MonkeyPatch, sources: Sources) -> None:
    """The build stops when a curated alias would pick one country of an ambiguous name."""
    _read_once(monkeypatch, sources)
    real = build_name_index._read_toml

    def patched(name: str) -> dict[str, Any]:
        document: dict[str, Any] = real(name)
        if name == "aliases.toml":
            document["aliases"]["Guinea"] = {"country": "PG", "note": "wrong on purpose"}
        return document

    monkeypatch.setattr(build_name_index, "_read_toml", patched)
    with pytest.raises(build_name_index.BuildError, match="Guinea"):
        build_name_index.build()


@pytest.mark.no_cover  # the build reads all of CLDR: traced, half a minute that covers nothing new
def test_build_refuses_an_undecided_region_name(
    monkeypatch: pytest.MonkeyPatch, sources: Sources
) -> None:
    """A name that CLDR gives a country and a macro-region must be decided in aliases.toml."""
    _read_once(monkeypatch, sources)
    real = build_name_index._read_toml

    def patched(name: str) -> dict[str, Any]:
        document: dict[str, Any] = real(name)
        if name == "aliases.toml":
            del document["not_countries"]["Amerika"]
        return document

    monkeypatch.setattr(build_name_index, "_read_toml", patched)
    with pytest.raises(build_name_index.BuildError, match="'Amerika' names a country and a region"):
        build_name_index.build()


@pytest.mark.no_cover  # the build reads all of CLDR: traced, half a minute that covers nothing new
def test_explain_shows_every_source(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, sources: Sources
) -> None:
    """``--explain`` lists each source of a name and the decision, with its reason."""
    _read_once(monkeypatch, sources)
    assert build_name_index.main(["--explain", "Nga"]) == 0
    out = capsys.readouterr().out
    assert "CLDR vi" in out
    assert "decided: RU" in out
    assert "also the code: of NG" in out


@pytest.mark.slow
def test_runtime_never_imports_babel() -> None:
    """Resolving names reads the generated index only: Babel is a build tool."""
    script = (
        "import sys\n"
        "from residency import resolve_location\n"
        "assert resolve_location('Россия').country == 'RU'\n"
        "assert 'babel' not in sys.modules, 'babel imported'\n"
    )
    completed = subprocess.run(  # noqa: S603 - our own interpreter with a fixed script
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr


@pytest.mark.no_cover  # the build reads all of CLDR: traced, half a minute that covers nothing new
def test_check_mode_reports_current_files(
    built: dict[str, bytes], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--check`` exits 0 when the committed files are current."""
    monkeypatch.setattr(build_name_index, "build", lambda: built)
    assert build_name_index.main(["--check"]) == 0
    assert not capsys.readouterr().err


def test_script_doctests() -> None:
    """The examples in the build script's docstrings hold."""
    failures, tried = doctest.testmod(build_name_index)
    assert tried > 0
    assert failures == 0


@pytest.mark.no_cover  # the build reads all of CLDR: traced, half a minute that covers nothing new
def test_check_mode_reports_a_stale_file(
    built: dict[str, bytes], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--check`` exits 1 and names the file when a committed file differs from the build."""
    monkeypatch.setattr(build_name_index, "build", lambda: {**built, "names.json": b"{}\n"})
    assert build_name_index.main(["--check"]) == 1
    assert "names.json is stale" in capsys.readouterr().err
