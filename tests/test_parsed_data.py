"""The bundled TOML files parsed ahead of time: current, exact, and never trusted over the file."""

from __future__ import annotations

import binascii
import datetime
import math
import tomllib
from pathlib import Path
from typing import Any

import pytest
from tests import scripts

from residency import _data
from residency.data import _parsed

ROOT = Path(__file__).resolve().parents[1]


build_parsed_data = scripts.load("build_parsed_data")
SOURCES: tuple[str, ...] = build_parsed_data.SOURCES


def _toml(name: str) -> dict[str, Any]:
    return tomllib.loads(_data.read_bytes(name).decode("utf-8"))


def _edited(name: str, old: bytes, new: bytes) -> bytes:
    data = _data.read_bytes(name)
    assert data.count(old) >= 1
    return data.replace(old, new, 1)


def test_the_generated_module_is_current() -> None:
    """The committed module is what the script renders from the committed TOML files."""
    assert build_parsed_data.render(build_parsed_data.read_sources()) == (
        build_parsed_data.TARGET.read_text(encoding="utf-8")
    )


def test_every_bundled_toml_file_read_at_run_time_is_parsed_ahead() -> None:
    """Each TOML file that the library loads has its parsed document, and no other does."""
    assert set(_parsed.PARSED) == set(SOURCES) == {"catalog.toml", "groups.toml"}


@pytest.mark.parametrize("name", SOURCES)
def test_the_parsed_document_is_the_one_tomllib_reads(name: str) -> None:
    """The document built ahead of time equals tomllib's, value by value and type by type."""
    data = _data.read_bytes(name)
    size, crc, build = _parsed.PARSED[name]
    assert (size, crc) == (len(data), binascii.crc32(data))
    assert build_parsed_data.same(build(), _toml(name))
    assert build_parsed_data.same(_data.parse_toml(name, data), _toml(name))


@pytest.mark.parametrize(
    ("name", "old", "new"),
    [
        pytest.param(
            "catalog.toml",
            b'id = "liveagent-2019-10-28"',
            b'id = "liveagent-2019-10-29"',
            id="catalog-same-size",
        ),
        pytest.param(
            "catalog.toml", b'id = "liveagent-2019-10-28"', b'id = "edited"', id="catalog-shorter"
        ),
        pytest.param(
            "groups.toml",
            b'{ country = "DE", since = 1958-01-01 }',
            b'{ country = "DE", since = 1958-01-02 }',
            id="groups-same-size",
        ),
    ],
)
def test_an_edited_file_is_parsed_from_its_bytes(name: str, old: bytes, new: bytes) -> None:
    """A file that is not the one parsed ahead (size or CRC-32 differ) is read from its bytes."""
    data = _edited(name, old, new)
    document = _data.parse_toml(name, data)
    assert build_parsed_data.same(document, tomllib.loads(data.decode("utf-8")))
    assert not build_parsed_data.same(document, _toml(name))


def test_a_file_without_a_parsed_document_is_parsed() -> None:
    """A TOML data file that has no document parsed ahead is parsed with tomllib."""
    data = _data.read_bytes("territories.toml")
    assert build_parsed_data.same(
        _data.parse_toml("territories.toml", data), _toml("territories.toml")
    )


def test_each_load_builds_a_new_document() -> None:
    """Two loads give equal documents that share nothing a caller could change."""
    data = _data.read_bytes("groups.toml")
    first, second = _data.parse_toml("groups.toml", data), _data.parse_toml("groups.toml", data)
    assert first == second
    first["groups"]["eu-member-states"]["members"].clear()
    assert second["groups"]["eu-member-states"]["members"]
    _data.clear_cache()
    try:
        _data.load_toml("groups.toml")["changed"] = True
        _data.clear_cache()
        assert "changed" not in _data.load_toml("groups.toml")
    finally:
        _data.clear_cache()


UTC_PLUS_2 = datetime.timezone(datetime.timedelta(hours=2))

LITERALS: list[Any] = [
    0,
    -17,
    2**70,
    True,
    False,
    1.5,
    -0.0,
    1e300,
    math.inf,
    -math.inf,
    "",
    'say "hi"',
    "it's",
    "back\\slash",
    "line\nbreak\ttab\r",
    "\x00\x1f\x7f",
    "Cập nhật lần cuối \u2028 “co-location” 🇻🇳",
    datetime.date(1958, 1, 1),
    datetime.datetime(2020, 2, 1, 0, 0, tzinfo=datetime.UTC),
    datetime.datetime(2020, 2, 1, 12, 30, 5, 123000, tzinfo=UTC_PLUS_2),
    datetime.datetime(2020, 2, 1, 12, 30),  # noqa: DTZ001 - a local TOML date-time
    datetime.time(7, 45, 1),
    [],
    {},
    [[1, 2], [], ["a"]],
    {"a": {"b": [{"c": datetime.date(2000, 2, 29)}]}, "": 1, "key with spaces": []},
]


@pytest.mark.parametrize("value", LITERALS, ids=repr)
def test_every_toml_value_is_written_exactly(value: Any) -> None:  # noqa: ANN401 - any TOML value
    """Each kind of TOML value comes back from its literal equal and of the same type."""
    source = build_parsed_data.literal(value)
    assert build_parsed_data.same(eval(source, {"datetime": datetime}), value)  # noqa: S307


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (1, True),
        (1, 1.0),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}),
        ([1], [1, 1]),
        (
            datetime.datetime(2020, 1, 1, 2, tzinfo=UTC_PLUS_2),
            datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
        ),
        (datetime.date(2020, 1, 1), datetime.datetime(2020, 1, 1)),  # noqa: DTZ001 - a local TOML date-time
    ],
)
def test_same_tells_apart_what_equality_does_not(left: object, right: object) -> None:
    """Values of different types, key orders or offsets are not the same document."""
    assert not build_parsed_data.same(left, right)


@pytest.mark.parametrize(
    "value",
    [math.nan, [math.nan], object(), b"bytes"],
    ids=["nan", "nan-in-array", "object", "bytes"],
)
def test_a_value_without_an_exact_literal_stops_the_build(value: object) -> None:
    """A NaN (never equal to itself) or a value no TOML file holds is refused."""
    with pytest.raises(build_parsed_data.BuildError):
        build_parsed_data.literal(value)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data directory holding copies of the bundled TOML files, which the script uses."""
    for name in SOURCES:
        (tmp_path / name).write_bytes(_data.read_bytes(name))
    monkeypatch.setattr(build_parsed_data, "DATA_DIR", tmp_path)
    monkeypatch.setattr(build_parsed_data, "TARGET", tmp_path / "_parsed.py")
    return tmp_path


def test_main_writes_the_module_then_finds_it_current(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The script writes the module once, leaves no temporary file, then says it is current."""
    assert build_parsed_data.main(["--check"]) == 1
    assert "_parsed.py is stale: run make data" in capsys.readouterr().err
    assert build_parsed_data.main([]) == 0
    assert "wrote _parsed.py" in capsys.readouterr().out
    written = (workspace / "_parsed.py").read_text(encoding="utf-8")
    assert written == (ROOT / "src" / "residency" / "data" / "_parsed.py").read_text(
        encoding="utf-8"
    )
    assert sorted(path.name for path in workspace.iterdir()) == sorted([*SOURCES, "_parsed.py"])
    assert build_parsed_data.main([]) == 0
    assert "_parsed.py is current" in capsys.readouterr().out
    assert build_parsed_data.main(["--check"]) == 0


def test_check_mode_names_a_stale_module_and_writes_nothing(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After a TOML file changes, ``--check`` exits 1 and leaves the old module as it was."""
    assert build_parsed_data.main([]) == 0
    before = (workspace / "_parsed.py").read_bytes()
    catalog = workspace / "catalog.toml"
    catalog.write_bytes(catalog.read_bytes() + b"\n# edited\n")
    capsys.readouterr()
    assert build_parsed_data.main(["--check"]) == 1
    assert "_parsed.py is stale" in capsys.readouterr().err
    assert (workspace / "_parsed.py").read_bytes() == before


def test_a_malformed_toml_file_is_one_line_and_no_module(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A source that is no TOML exits 2 with one line naming the error, and writes nothing."""
    (workspace / "groups.toml").write_bytes(b"[groups\n")
    assert build_parsed_data.main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("TOMLDecodeError: ")
    assert len(err.splitlines()) == 1
    assert not (workspace / "_parsed.py").exists()
