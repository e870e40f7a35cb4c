"""Reading and writing files: every hostile file fails closed, with a typed, safe error."""

from __future__ import annotations

import builtins
import csv
import io
import os
import socket
import stat
import threading
import time
import tracemalloc
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.hostile import hostile_files

from residency import _files
from residency._files import (
    MAX_DEPTH,
    MAX_FIELD,
    FileError,
    FileTooLarge,
    NotARegularFile,
    atomic_output,
    atomic_write_bytes,
    open_csv,
    parse_document,
    parse_json,
    parse_toml,
    read_bytes,
    read_document,
)
from residency.errors import ResidencyError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import BinaryIO


def _returns_within(call: Callable[[], object], seconds: float = 2.0) -> BaseException | None:
    """Run ``call`` in a thread; fail unless it returns in time; return what it raised."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
        except BaseException as error:  # noqa: BLE001 - handed back to the test to judge
            outcome.append(error)
        else:
            outcome.append(None)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"the call did not return within {seconds} s")
    return outcome[0]


def _assert_safe(error: BaseException) -> None:
    """The message holds no control character and no more than a short prefix of any input."""
    text = str(error)
    assert text.isprintable(), text
    assert len(text) < 300, text


def _refusal(
    call: Callable[[], object], kind: type[FileError] = FileError, *, seconds: float = 2.0
) -> FileError:
    error = _returns_within(call, seconds)
    assert isinstance(error, kind), repr(error)
    _assert_safe(error)
    return error


def _read_csv(
    path: Path | None, *, encoding: str = "utf-8-sig", stdin: BinaryIO | None = None
) -> list[tuple[int, list[str]]]:
    with open_csv(path, encoding=encoding, stdin=stdin) as reader:
        return [(1, reader.header), *((reader.line, row) for row in reader)]


# --- the errors -----------------------------------------------------------------------------


def test_a_file_error_names_the_file_and_the_line() -> None:
    """A FileError reads "path, line N: message", and is an OSError and a ResidencyError."""
    error = FileError("is not valid", path="catalog.json", line=3)
    assert str(error) == "catalog.json, line 3: is not valid"
    assert (error.path, error.line) == ("catalog.json", 3)
    assert str(FileError("is gone", path="a.json")) == "a.json: is gone"
    assert isinstance(error, OSError)
    assert isinstance(error, ResidencyError)
    assert issubclass(NotARegularFile, FileError)
    assert issubclass(FileTooLarge, FileError)


def test_a_hostile_path_is_quoted_short_and_escaped() -> None:
    """A path holding terminal controls and thousands of characters is shown escaped and cut."""
    path = "\x1b[2J\x9b" + "x" * 5_000 + ".json"
    error = FileError("is gone", path=path)
    _assert_safe(error)
    assert error.path == path


# --- read_bytes -----------------------------------------------------------------------------


def test_a_regular_file_is_read_whole(tmp_path: Path) -> None:
    """A regular file's bytes come back as they are."""
    path = tmp_path / "catalog.json"
    path.write_bytes(b"\x00\xff{}" * 1000)
    assert read_bytes(path) == b"\x00\xff{}" * 1000
    assert read_bytes(str(path)) == b"\x00\xff{}" * 1000


READERS = [
    pytest.param(read_bytes, id="read_bytes"),
    pytest.param(read_document, id="read_document"),
    pytest.param(lambda path: open_csv(path).close(), id="open_csv"),
]


@pytest.mark.parametrize("reader", READERS)
def test_a_fifo_is_refused_at_once(tmp_path: Path, reader: Callable[[Path], object]) -> None:
    """A FIFO that no one writes to is refused at once, never waited on."""
    fifo = tmp_path / "catalog.json"
    os.mkfifo(fifo)
    error = _refusal(lambda: reader(fifo), NotARegularFile)
    assert "a FIFO" in str(error)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
@pytest.mark.parametrize("reader", READERS)
def test_a_character_device_is_refused(
    tmp_path: Path, reader: Callable[[Path], object], device: str
) -> None:
    """A character device is refused without reading from it, even behind a link."""
    link = tmp_path / "device.json"
    link.symlink_to(device)
    error = _refusal(lambda: reader(link), NotARegularFile)
    assert "a character device" in str(error)


def test_a_device_is_refused_by_its_own_name() -> None:
    """/dev/zero named directly is refused, not read until memory runs out."""
    error = _refusal(lambda: read_bytes("/dev/zero"), NotARegularFile)
    assert "a character device" in str(error)


@pytest.mark.parametrize("reader", READERS)
def test_a_directory_is_refused(tmp_path: Path, reader: Callable[[Path], object]) -> None:
    """A directory is no file to read."""
    folder = tmp_path / "catalog.json"
    folder.mkdir()
    error = _refusal(lambda: reader(folder), NotARegularFile)
    assert "a directory" in str(error)


def test_a_socket_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Unix socket is refused."""
    monkeypatch.chdir(tmp_path)  # a short relative name: socket paths are limited in length
    with socket.socket(socket.AF_UNIX) as server:
        server.bind("s.json")
        error = _refusal(lambda: read_bytes("s.json"), NotARegularFile)
    assert "a socket" in str(error)


@pytest.mark.parametrize("reader", READERS)
def test_a_missing_file_is_refused_with_the_reason(
    tmp_path: Path, reader: Callable[[Path], object]
) -> None:
    """A missing file is a NotARegularFile that gives the system's reason."""
    error = _refusal(lambda: reader(tmp_path / "missing.json"), NotARegularFile)
    assert "No such file or directory" in str(error)
    assert error.path == str(tmp_path / "missing.json")


@pytest.mark.parametrize("name", ["catalog", "catalog.yaml"])
def test_a_missing_file_is_missing_whatever_its_suffix(tmp_path: Path, name: str) -> None:
    """A missing document is reported missing, not as a kind of file residency cannot read."""
    error = _refusal(lambda: read_document(tmp_path / name), NotARegularFile)
    assert "No such file or directory" in str(error)


def test_a_dangling_link_is_a_missing_file(tmp_path: Path) -> None:
    """A symbolic link to nothing is refused as missing."""
    link = tmp_path / "catalog.json"
    link.symlink_to(tmp_path / "nowhere.json")
    _refusal(lambda: read_bytes(link), NotARegularFile)


def test_a_link_to_a_regular_file_is_followed(tmp_path: Path) -> None:
    """A symbolic link to a regular file reads that file."""
    (tmp_path / "real.json").write_bytes(b"{}")
    link = tmp_path / "catalog.json"
    link.symlink_to(tmp_path / "real.json")
    assert read_bytes(link) == b"{}"


def test_a_file_over_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    """A file larger than the limit is FileTooLarge; one at the limit is read."""
    path = tmp_path / "catalog.json"
    path.write_bytes(b"x" * 101)
    error = _refusal(lambda: read_bytes(path, limit=100), FileTooLarge)
    assert "larger than 100 bytes" in str(error)
    assert read_bytes(path, limit=101) == b"x" * 101


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_a_file_larger_than_its_size_says_is_refused() -> None:
    """A file whose size says 0 but that holds more than the limit is refused after the limit."""
    assert Path("/proc/self/status").stat().st_size == 0
    _refusal(lambda: read_bytes("/proc/self/status", limit=10), FileTooLarge)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_a_file_error(tmp_path: Path) -> None:
    """A file without read permission is a FileError that gives the system's reason."""
    path = tmp_path / "catalog.json"
    path.write_bytes(b"{}")
    path.chmod(0)
    error = _refusal(lambda: read_bytes(path))
    assert "Permission denied" in str(error)


def _link_loop(folder: Path) -> Path:
    (folder / "loop.json").symlink_to(folder / "loop.json")
    return folder / "loop.json"


def _overlong_name(folder: Path) -> Path:
    return folder / ("x" * 300 + ".json")


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        pytest.param(_link_loop, "Too many levels of symbolic links", id="link-loop"),
        pytest.param(_overlong_name, "File name too long", id="name-too-long"),
    ],
)
def test_a_path_the_system_refuses_is_a_file_error(
    tmp_path: Path, make: Callable[[Path], Path], reason: str
) -> None:
    """A path the system cannot open gives its reason in a FileError, not an OSError."""
    path = make(tmp_path)
    error = _refusal(lambda: read_bytes(path))
    assert not isinstance(error, NotARegularFile)
    assert reason in str(error)


def test_a_path_through_a_file_is_a_missing_file(tmp_path: Path) -> None:
    """A path that goes through a regular file as if it were a directory names no file."""
    (tmp_path / "catalog.json").write_bytes(b"{}")
    _refusal(lambda: read_bytes(tmp_path / "catalog.json" / "child.json"), NotARegularFile)


def test_a_path_with_a_nul_character_is_refused() -> None:
    """A path holding a NUL character is a FileError, not a ValueError."""
    error = _refusal(lambda: read_bytes("cata\x00log.json"))
    assert "NUL" in str(error)


def test_the_message_says_what_the_file_is_for(tmp_path: Path) -> None:
    """The ``what`` argument names the file in the message."""
    error = _refusal(lambda: read_bytes(tmp_path, what="catalog"), NotARegularFile)
    assert "the catalog is a directory" in str(error)


# --- JSON -----------------------------------------------------------------------------------

DEEP = 100_000

REFUSED_JSON = [
    pytest.param(b'{"id": 1,\n "id": 2}', "the key 'id' appears twice", 2, id="duplicate-key"),
    pytest.param(
        b'{"id": "agr-1",\n "revoked_at": "2024-06-01T00:00:00Z",\n "revoked_at": null}',
        "the key 'revoked_at' appears twice",
        3,
        id="duplicate-revoked-at",
    ),
    pytest.param(
        b'{"a": {"b": 1},\n "c": [{"d": 1, "e": 2},\n {"d": 1, "d": 2}]}',
        "the key 'd' appears twice",
        3,
        id="duplicate-key-nested",
    ),
    pytest.param(
        b'{"a": 1, "\\u0061": 2}', "the key 'a' appears twice", 1, id="duplicate-key-escaped"
    ),
    pytest.param(
        b'{"\\u001b[2J": 1,\n "\\u001b[2J": 2}',
        "the key '\\x1b[2J' appears twice",
        2,
        id="duplicate-key-control-characters",
    ),
    pytest.param(b"[" * DEEP + b"]" * DEEP, "nested deeper than 64 levels", 1, id="deep-arrays"),
    pytest.param(b'{"a":' * DEEP + b"1" + b"}" * DEEP, "nested deeper", 1, id="deep-objects"),
    pytest.param(b"[" * DEEP, "nested deeper", 1, id="deep-unclosed"),
    pytest.param(b'{\n"a":\n' + b"[" * 65 + b"]" * 65 + b"}", "nested deeper", 3, id="deep-line-3"),
    pytest.param(b'{"a": ' + b"9" * 5000 + b"}", "an integer has 5,000 digits", 1, id="huge-int"),
    pytest.param(b'{"a": -' + b"9" * 21 + b"}", "an integer has 21 digits", 1, id="negative-int"),
    pytest.param(b'{"a": 1,\n"b": NaN}', "'NaN' is not a finite number", 2, id="nan"),
    pytest.param(b'{"a": Infinity}', "'Infinity' is not a finite", 1, id="infinity"),
    pytest.param(b'{"a": -Infinity}', "'-Infinity' is not a finite", 1, id="minus-infinity"),
    pytest.param(b'{"a": 1e999}', "'1e999' is not a finite number", 1, id="float-overflow"),
    pytest.param(b'{"a": ' + b"9" * 5000 + b".0}", "is not a finite", 1, id="huge-float"),
    pytest.param(b'{\n"a": 1,\n"b": "caf\xe9"}', "is not UTF-8 text", 3, id="non-utf8"),
    pytest.param(b"\xff\xfe{\x00}\x00", "is not UTF-8 text", 1, id="utf16"),
    pytest.param(b'{"a": "\\ud800"}', "a lone surrogate", 1, id="lone-surrogate"),
    pytest.param(b'{"a": 1,\n"\\udfff": 2}', "a lone surrogate", 2, id="lone-surrogate-key"),
    pytest.param(b'{"a": 1,}', "is not valid JSON", 1, id="trailing-comma"),
    pytest.param(b'{"a": 1,\n"b": }', "is not valid JSON: Expecting value", 2, id="no-value"),
    pytest.param(b'{"a": "x', "is not valid JSON", 1, id="unterminated-string"),
    pytest.param(b'{"a": "\x1b[2J"}', "Invalid control character", 1, id="raw-control"),
    pytest.param(b"", "is not valid JSON", 1, id="empty"),
]


@pytest.mark.parametrize(("data", "fragment", "line"), REFUSED_JSON)
def test_a_hostile_json_document_is_refused(data: bytes, fragment: str, line: int) -> None:
    """Each hostile JSON document is a FileError whose message says why and where."""
    error = _refusal(lambda: parse_json(data, source="catalog.json"))
    assert fragment in str(error)
    assert error.line == line
    assert error.path == "catalog.json"


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        pytest.param(b"[1, 2]", "list", id="array"),
        pytest.param(b'"catalog"', "str", id="string"),
        pytest.param(b"null", "NoneType", id="null"),
    ],
)
def test_the_top_level_of_json_must_be_an_object(data: bytes, kind: str) -> None:
    """A JSON document whose top level is no object is refused, naming what it is."""
    error = _refusal(lambda: parse_json(data, source="catalog.json"))
    assert f"the top level must be an object, not {kind}" in str(error)


ACCEPTED_JSON = [
    pytest.param(b'\xef\xbb\xbf{"a": 1}', {"a": 1}, id="bom"),
    pytest.param(b'{"a": ' + b"[" * 63 + b"]" * 63 + b"}", None, id="depth-64"),
    pytest.param(b'{"a": "[[[[' + b"[" * 100 + b'"}', None, id="brackets-in-a-string"),
    pytest.param(b'{"a": "\\"[[[[' + b"[" * 100 + b'"}', None, id="brackets-after-an-escape"),
    pytest.param(b'{"\\\\": [' + b"[" * 62 + b"]" * 63 + b"}", None, id="escaped-backslash-key"),
    pytest.param(b'{"a": "\\ud83d\\ude00"}', {"a": "\U0001f600"}, id="surrogate-pair"),
    pytest.param(b'{"a": 99999999999999999999}', {"a": 10**20 - 1}, id="twenty-digits"),
    pytest.param(b'{"a": -1.5e300}', {"a": -1.5e300}, id="large-float"),
    pytest.param(b'{"a": "\\u001b[2J\xc2\x9b"}', {"a": "\x1b[2J\x9b"}, id="control-characters"),
]


@pytest.mark.parametrize(("data", "expected"), ACCEPTED_JSON)
def test_a_sound_json_document_is_read(data: bytes, expected: object) -> None:
    """JSON within every bound is read as it is, whatever its strings hold."""
    document = parse_json(data, source="catalog.json")
    if expected is not None:
        assert document == expected


def test_json_nesting_stops_exactly_past_the_limit() -> None:
    """Sixty-four levels, the top object included, are read; sixty-five are refused."""
    levels = MAX_DEPTH - 1
    assert parse_json(b"{" + b'"a":{' * levels + b"}" * (levels + 1), source="x.json")
    with pytest.raises(FileError, match="nested deeper"):
        parse_json(b"{" + b'"a":{' * (levels + 1) + b"}" * (levels + 2), source="x.json")


# --- TOML -----------------------------------------------------------------------------------

REFUSED_TOML = [
    pytest.param(b"a = 1\na = 2", "is not valid TOML: Cannot overwrite a value", 2, id="dup"),
    pytest.param(b"[t]\na = 1\n[t]\nb = 2", "is not valid TOML", 3, id="duplicate-table"),
    pytest.param(b"x = " + b"[" * DEEP + b"]" * DEEP, "nested deeper", 1, id="deep-arrays"),
    pytest.param(b"x = " + b"{a = " * DEEP, "nested deeper", 1, id="deep-inline-tables"),
    pytest.param(b"a = 1\n\nx = [\n" + b"[" * 64, "nested deeper", 4, id="deep-line-4"),
    pytest.param(b"a" + b".a" * DEEP + b" = 1", "more than 64 parts", 1, id="long-dotted-key"),
    pytest.param(b"[" + b".".join([b"a"] * DEEP) + b"]", "64 parts", 1, id="long-table-name"),
    pytest.param(b"a = 1\n" + b"a . " * 70 + b"= 1", "64 parts", 2, id="spaced-dotted-key"),
    pytest.param(b"'q'" + b'."q"' * 70 + b" = 1", "64 parts", 1, id="quoted-dotted-key"),
    pytest.param(
        b"[" + b".".join([b"t"] * 40) + b"]\n" + b".".join([b"k"] * 40) + b" = 1",
        "nested deeper",
        None,
        id="deep-tables-by-keys",
    ),
    pytest.param(b"x = " + b"9" * 5000, "an integer has 5,000 digits", 1, id="huge-int"),
    pytest.param(b"a = 1\nx = -" + b"9" * 30, "an integer has 30 digits", 2, id="30-digits"),
    pytest.param(b"x = 0x" + b"f" * 30, "digits, more than 20", 1, id="huge-hex"),
    pytest.param(
        b"x = 1234567890123456789012.5\ny = 1234567890123456789012",
        "an integer has 22 digits",
        2,
        id="long-float-then-long-int",
    ),
    pytest.param(b"x = 1_000_000_000_000_000_000_000", "22 digits", 1, id="underscores"),
    pytest.param(b"x = nan", "'nan' is not a finite number", 1, id="nan"),
    pytest.param(b"x = -inf", "'-inf' is not a finite number", 1, id="infinity"),
    pytest.param(b"a = 2\nx = 1e999", "'1e999' is not a finite", 2, id="float-overflow"),
    pytest.param(b'a = 1\nb = "caf\xe9"', "is not UTF-8 text", 2, id="non-utf8"),
    pytest.param(b"x = ", "is not valid TOML: Invalid value", 1, id="no-value"),
    pytest.param(b'x = "\x1b[2J"', "is not valid TOML: Illegal character", 1, id="raw-control"),
    pytest.param(b"a = [1,\n2", "is not valid TOML", 2, id="unclosed-array"),
]


@pytest.mark.parametrize(("data", "fragment", "line"), REFUSED_TOML)
def test_a_hostile_toml_document_is_refused(data: bytes, fragment: str, line: int | None) -> None:
    """Each hostile TOML document is a FileError whose message says why and where."""
    error = _refusal(lambda: parse_toml(data, source="catalog.toml"))
    assert fragment in str(error)
    assert error.line == line


ACCEPTED_TOML = [
    pytest.param(b"\xef\xbb\xbfa = 1", {"a": 1}, id="bom"),
    pytest.param(b"x = " + b"[" * 63 + b"]" * 63, None, id="depth-64"),
    pytest.param(b"a" + b".a" * 63 + b" = 1", None, id="key-of-64-parts"),
    pytest.param(b"x = [" + b"1.5, " * 1000 + b"]", None, id="many-floats"),
    pytest.param(b'x = "[[[[' + b"[" * 100 + b'"', None, id="brackets-in-a-string"),
    pytest.param(b"x = 1 # [[[[" + b"[" * 100, {"x": 1}, id="brackets-in-a-comment"),
    pytest.param(b'x = """\n' + b"[" * 100 + b'\n"""', None, id="brackets-in-a-long-string"),
    pytest.param(b"x = '''\n" + b"[" * 100 + b"\n'''", None, id="brackets-in-a-literal"),
    pytest.param(b'x = "a.b.' + b"a." * 100 + b'"', None, id="dots-in-a-string"),
    pytest.param(b'x = "#"\ny = [' + b"[" * 62 + b"]" * 63, None, id="hash-in-a-string"),
    pytest.param(b"[[a]]\n[[a]]\n[b.c]\nd = 1", None, id="table-headers"),
    pytest.param(b"x = 99999999999999999999", {"x": 10**20 - 1}, id="twenty-digits"),
    pytest.param(b'x = "\\u001b[2J\xc2\x9b"', {"x": "\x1b[2J\x9b"}, id="control-characters"),
    pytest.param(b"d = 1979-05-27T07:32:00.999Z", None, id="date-time"),
]


@pytest.mark.parametrize(("data", "expected"), ACCEPTED_TOML)
def test_a_sound_toml_document_is_read(data: bytes, expected: object) -> None:
    """TOML within every bound is read as it is."""
    document = parse_toml(data, source="catalog.toml")
    if expected is not None:
        assert document == expected


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"x = " + b"[" * 10_000_000, id="ten-million-brackets"),
        pytest.param(b"a" + b".a" * 1_000_000 + b" = 1", id="million-part-key"),
    ],
)
def test_a_huge_hostile_toml_document_fails_fast(data: bytes) -> None:
    """Megabytes of nesting or of dotted key are refused in well under a second each."""
    start = time.perf_counter()
    _refusal(lambda: parse_toml(data, source="x.toml"))
    assert time.perf_counter() - start < 1.5


def test_a_huge_hostile_json_document_fails_fast() -> None:
    """Ten million opening brackets are refused in well under a second."""
    start = time.perf_counter()
    _refusal(lambda: parse_json(b"[" * 10_000_000, source="x.json"))
    assert time.perf_counter() - start < 1.5


# --- the depth scans ------------------------------------------------------------------------


def _plain_depth(brackets: bytes, limit: int) -> int | None:
    depth = 0
    for index, byte in enumerate(brackets):
        if byte == ord("("):
            depth += 1
            if depth > limit:
                return index
        elif byte == ord(")"):
            depth -= 1
    return None


@given(
    text=st.text(alphabet="[]{}\n(", max_size=400),
    limit=st.integers(0, 12),
    chunk=st.sampled_from([1, 2, 3, 7, 64, 65_536]),
)
def test_the_depth_scan_agrees_with_a_plain_count(text: str, limit: int, chunk: int) -> None:
    """The chunked depth scan finds the same first bracket too deep as a walk one by one."""
    brackets = _files._brackets(text)
    assert set(brackets) <= set(b"()\n")
    assert _files._too_deep(brackets, limit, chunk=chunk) == _plain_depth(brackets, limit)


@given(st.binary().map(lambda data: bytes(b"()\n"[byte % 3] for byte in data)))
def test_the_peak_bound_is_never_below_the_peak(chunk: bytes) -> None:
    """The bound a chunk is skipped by is never below how deep it really goes."""
    depth = peak = 0
    for byte in chunk.replace(b"\n", b""):
        depth += 1 if byte == ord("(") else -1
        peak = max(peak, depth)
    assert _files._peak_bound(chunk, chunk.count(b"(")) >= peak


def test_the_depth_scan_sees_no_brackets_in_strings() -> None:
    """Brackets inside JSON strings, escaped quotes and all, are not nesting."""
    text = '{"a": "[[\\"[[", "b\\\\": [["x"]]}'
    assert _files._brackets(_files._JSON_STRINGS.sub("", text)) == b"((()))"


TOML_PIECES = [
    "a",
    "b1",
    ".",
    " . ",
    "\t.",
    "[",
    "]",
    "{",
    "}",
    "=",
    ",",
    " ",
    "\n",
    '"x.y"',
    "'[.'",
    "# [.\n",
    '"""\n[.\n"""',
    "'''[\n'''",
    "[" * 20,
    "]" * 20,
    "a." * 20,
    ".a" * 20,
    '"',
    "'",
    "#",
    "\u3000",
]


@given(st.lists(st.sampled_from(TOML_PIECES), max_size=40).map("".join))
def test_the_toml_scans_agree(text: str) -> None:
    """The fast TOML scan flags a document exactly when the token scan finds where."""
    assert _files._toml_structure_problem(text) == (_files._toml_structure_at(text) is not None)


# --- read_document --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        pytest.param("catalog.json", b'{"a": 1}', id="json"),
        pytest.param("catalog.toml", b"a = 1", id="toml"),
        pytest.param("CATALOG.JSON", b'{"a": 1}', id="upper-case"),
    ],
)
def test_the_suffix_chooses_the_parser(tmp_path: Path, name: str, data: bytes) -> None:
    """read_document parses a .json file as JSON and a .toml file as TOML, in any case."""
    path = tmp_path / name
    path.write_bytes(data)
    assert read_document(path) == {"a": 1}


def test_a_given_suffix_overrides_the_name(tmp_path: Path) -> None:
    """An explicit suffix chooses the parser whatever the name."""
    path = tmp_path / "catalog.txt"
    path.write_bytes(b"a = 1")
    assert read_document(path, suffix=".toml") == {"a": 1}


def test_an_unsupported_suffix_is_refused_before_reading(tmp_path: Path) -> None:
    """A .yaml name is refused before the file is even opened."""
    fifo = tmp_path / "catalog.yaml"
    os.mkfifo(fifo)
    error = _refusal(lambda: read_document(fifo))
    assert not isinstance(error, NotARegularFile)
    assert "unsupported file type '.yaml': use .toml or .json" in str(error)
    error = _refusal(lambda: parse_document(b"", source="catalog", suffix=""))
    assert "unsupported file type (none)" in str(error)


def test_read_document_keeps_the_limit(tmp_path: Path) -> None:
    """read_document refuses a document over its limit."""
    path = tmp_path / "catalog.json"
    path.write_bytes(b'{"a": "' + b"x" * 100 + b'"}')
    _refusal(lambda: read_document(path, limit=50), FileTooLarge)


# --- CSV ------------------------------------------------------------------------------------


def test_csv_rows_come_with_the_line_they_start_on(tmp_path: Path) -> None:
    """Rows carry their first physical line: the header is 1, quoted line breaks count."""
    path = tmp_path / "accounts.csv"
    path.write_bytes(b'id,country\r\nacc-1,DE\n"acc\n2",FR\r\rlast,JP')
    assert _read_csv(path) == [
        (1, ["id", "country"]),
        (2, ["acc-1", "DE"]),
        (3, ["acc\n2", "FR"]),
        (5, []),
        (6, ["last", "JP"]),
    ]


def test_only_cr_and_lf_end_a_csv_line(tmp_path: Path) -> None:
    """Form feeds, NEL and the Unicode separators are data in a CSV field, not line ends."""
    path = tmp_path / "accounts.csv"
    path.write_text("id,name\nacc-1,a\u2028b\x0cc\x85d\x1ee\nacc-2,f\n", encoding="utf-8")
    assert _read_csv(path) == [
        (1, ["id", "name"]),
        (2, ["acc-1", "a\u2028b\x0cc\x85d\x1ee"]),
        (3, ["acc-2", "f"]),
    ]


@given(st.text(alphabet="a\r\n\x0b\u2028"))
def test_lines_split_only_after_cr_and_lf(text: str) -> None:
    """The fast line split agrees with splitting after each LF, CR LF and lone CR."""
    assert _files._split_lines(text) == _files._LINE_ENDS.split(text)
    assert "".join(_files._split_lines(text)) == text


def test_latin_1_bytes_in_a_utf8_csv_are_refused_at_their_line(tmp_path: Path) -> None:
    """A Latin-1 byte in line 3 of a UTF-8 file is a FileError naming line 3."""
    path = tmp_path / "accounts.csv"
    path.write_bytes(b"id,country\nacc-1,DE\nacc-2,R\xe9union\nacc-3,FR\n")
    error = _refusal(lambda: _read_csv(path))
    assert error.line == 3
    assert "is not UTF-8 text: cannot decode byte 0xe9" in str(error)


def test_the_same_csv_reads_as_latin_1(tmp_path: Path) -> None:
    """Given encoding="latin-1", the same file reads, accents and all."""
    path = tmp_path / "accounts.csv"
    path.write_bytes(b"id,country\nacc-1,DE\nacc-2,R\xe9union\nacc-3,FR\n")
    assert _read_csv(path, encoding="latin-1")[2] == (3, ["acc-2", "Réunion"])


def test_a_bad_byte_far_into_the_file_names_its_line(tmp_path: Path) -> None:
    """A bad byte after many chunks of good lines is found at its own line."""
    path = tmp_path / "accounts.csv"
    path.write_bytes(b"id,country\n" + b"acc,D\xc3\x89\n" * 100_000 + b"acc,\xc3\n")
    # A hundred thousand rows read under coverage beside other tests: the guard is against a
    # hang, not a measure of speed (the benchmark measures the readers).
    assert _refusal(lambda: _read_csv(path), seconds=30.0).line == 100_002


def test_a_bad_byte_in_utf16_names_its_line(tmp_path: Path) -> None:
    """In UTF-16 too, the line of a bad code unit is found."""
    path = tmp_path / "accounts.csv"
    good = 'id,country\nacc-1,DE\n"multi\nline",FR\n'.encode("utf-16")
    path.write_bytes(good + b"\x00\xd8" + "x\n".encode("utf-16-le"))
    error = _refusal(lambda: _read_csv(path, encoding="utf-16"))
    assert error.line == 5
    assert "is not utf-16 text" in str(error)


@pytest.mark.parametrize(
    ("after", "lines"),
    [
        pytest.param(b"\nnext\r\n", [1, 2, 3], id="cr-lf"),
        pytest.param(b"next\r\n", [1, 2, 3], id="cr"),
        pytest.param(b"", [1, 2], id="cr-at-the-end"),
    ],
)
def test_a_line_end_split_across_chunks_is_one_line_end(
    tmp_path: Path, after: bytes, lines: list[int]
) -> None:
    """A CR that ends a chunk ends one line, whether an LF starts the next chunk or not."""
    path = tmp_path / "accounts.csv"
    first = b"id\r\n" + b"x" * (_files._CHUNK - 5) + b"\r"
    path.write_bytes(first + after)
    rows = _read_csv(path)
    assert [line for line, _ in rows] == lines
    assert rows[1][1] == ["x" * (_files._CHUNK - 5)]


def test_a_character_cut_by_the_end_of_the_file_is_refused(tmp_path: Path) -> None:
    """A multi-byte character cut short by the end of the file is refused at its line."""
    path = tmp_path / "accounts.csv"
    path.write_bytes(b"id,country\nacc-1,\xe2\x82")
    error = _refusal(lambda: _read_csv(path))
    assert error.line == 2
    assert "cannot decode bytes 0xe2 0x82" in str(error)


def test_a_utf8_bom_is_skipped(tmp_path: Path) -> None:
    """The default encoding skips a UTF-8 byte order mark."""
    path = tmp_path / "accounts.csv"
    path.write_bytes(b"\xef\xbb\xbfid,country\n")
    assert _read_csv(path) == [(1, ["id", "country"])]


@pytest.mark.parametrize(
    ("encoding", "fragment"),
    [
        pytest.param("klingon", "unknown encoding 'klingon'", id="unknown"),
        pytest.param("utf\x00-8", "unknown encoding", id="nul"),
        pytest.param("base64", "'base64' is not a text encoding", id="bytes-codec"),
        pytest.param("rot13", "'rot13' is not a text encoding", id="text-transform"),
    ],
)
def test_an_unusable_encoding_is_refused(tmp_path: Path, encoding: str, fragment: str) -> None:
    """An encoding Python does not know, or that is no text encoding, is a FileError."""
    path = tmp_path / "accounts.csv"
    path.write_bytes(b"id\n")
    error = _refusal(lambda: open_csv(path, encoding=encoding))
    assert fragment in str(error)


def test_a_huge_field_on_one_line_is_refused_at_its_line(tmp_path: Path) -> None:
    """A 2,000,000-character field is a FileError naming its line, not a csv.Error."""
    path = tmp_path / "accounts.csv"
    path.write_bytes(b'id,name\nacc-1,"' + b"x" * 2_000_000 + b'"\nacc-2,y\n')
    error = _refusal(lambda: _read_csv(path))
    assert error.line == 2
    assert "longer than 1,000,000 characters" in str(error)


def test_a_huge_field_over_many_lines_is_refused_at_its_row(tmp_path: Path) -> None:
    """A quote left open swallows lines only up to the field limit, then names its row."""
    path = tmp_path / "accounts.csv"
    path.write_bytes(b'id,name\nacc-1,ok\nacc-2,"open\n' + b"x,y\n" * 300_000)
    error = _refusal(lambda: _read_csv(path))
    assert error.line == 3
    assert "a field of the row is longer than 1,000,000 characters" in str(error)


def test_a_field_at_the_limit_is_read(tmp_path: Path) -> None:
    """A field of exactly the limit is read whole."""
    path = tmp_path / "accounts.csv"
    path.write_bytes(b"id\n" + b"x" * MAX_FIELD + b"\n")
    assert _read_csv(path)[1] == (2, ["x" * MAX_FIELD])


def test_a_fifty_megabyte_line_fails_fast_in_little_memory(tmp_path: Path) -> None:
    """A 50 MB file of one line is refused in under a second, holding a few megabytes at most."""
    path = tmp_path / "accounts.csv"
    path.write_bytes(b"x" * 50_000_000)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        error = _refusal(lambda: _read_csv(path))
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.line == 1
    assert elapsed < 1
    assert peak < 16_000_000


def test_a_large_file_is_streamed(tmp_path: Path) -> None:
    """A file of many lines is read one line at a time, in bounded memory."""
    path = tmp_path / "accounts.csv"
    path.write_bytes(b"id,country\n" + b"acc-1,DE\n" * 200_000)
    tracemalloc.start()
    try:
        with open_csv(path) as reader:
            count = sum(1 for _ in reader)
            line = reader.line
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (count, line) == (200_000, 200_001)
    assert peak < 4_000_000


def test_standard_input_is_read_when_no_path_is_given() -> None:
    """With no path, the rows come from the bytes of standard input, left open after."""
    stdin = io.BytesIO(b"id,country\r\nacc-1,DE")
    assert _read_csv(None, stdin=stdin) == [(1, ["id", "country"]), (2, ["acc-1", "DE"])]
    assert not stdin.closed
    error = _refusal(lambda: _read_csv(None, stdin=io.BytesIO(b"id\n\xff\n")))
    assert (error.path, error.line) == ("<stdin>", 2)


def test_no_path_and_no_standard_input_is_refused() -> None:
    """Asking for standard input without giving it is a FileError."""
    _refusal(lambda: open_csv(None))


def test_an_empty_csv_has_an_empty_header(tmp_path: Path) -> None:
    """An empty file has an empty header and no rows."""
    path = tmp_path / "accounts.csv"
    path.write_bytes(b"")
    with open_csv(path) as reader:
        assert (reader.header, list(reader), reader.line) == ([], [], 0)


def test_the_csv_field_limit_is_left_as_it_was(tmp_path: Path) -> None:
    """Reading leaves the process-wide csv field size limit as it found it."""
    path = tmp_path / "accounts.csv"
    path.write_bytes(b"id\nacc-1\n")
    before = csv.field_size_limit()
    _read_csv(path)
    assert csv.field_size_limit() == before


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_the_reader_closes_its_file(tmp_path: Path) -> None:
    """The file is closed when the block ends and when the header cannot be read."""
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(b"id\nacc-1\n")
    bad.write_bytes(b"\xff\n")
    before = len(list(Path("/proc/self/fd").iterdir()))
    _read_csv(good)
    with pytest.raises(FileError):
        open_csv(bad)
    assert len(list(Path("/proc/self/fd").iterdir())) == before


# --- atomic output --------------------------------------------------------------------------


def _temporaries(folder: Path) -> list[Path]:
    return [path for path in folder.iterdir() if path.name.endswith(".tmp")]


def _spellings(tmp_path: Path) -> Iterator[tuple[str, str]]:
    yield "same", str(tmp_path / "in.csv")
    yield "relative", os.path.relpath(tmp_path / "in.csv")
    yield "dotted", str(tmp_path / "." / "sub" / ".." / "in.csv")
    yield "symlink", str(tmp_path / "link.csv")
    yield "hard-link", str(tmp_path / "hard.csv")


@pytest.mark.parametrize("spelling", ["same", "relative", "dotted", "symlink", "hard-link"])
def test_an_output_that_is_an_input_is_refused(tmp_path: Path, spelling: str) -> None:
    """An output that is an input, however spelled, is refused before anything is written."""
    source = tmp_path / "in.csv"
    source.write_text("id\nacc-1\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.csv").symlink_to(source)
    (tmp_path / "hard.csv").hardlink_to(source)
    output = dict(_spellings(tmp_path))[spelling]

    def overwrite() -> None:
        with atomic_output(output, inputs=[source]) as file:
            file.write("overwritten")

    with pytest.raises(FileError, match="the output is the same file as the input") as caught:
        overwrite()
    _assert_safe(caught.value)
    assert source.read_text() == "id\nacc-1\n"
    assert _temporaries(tmp_path) == []
    with pytest.raises(FileError, match="the same file"):
        atomic_write_bytes(output, b"", inputs=[str(source)])


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        pytest.param("fifo", "a FIFO", id="fifo"),
        pytest.param("folder", "a directory", id="directory"),
        pytest.param("/dev/null", "a character device", id="device"),
    ],
)
def test_an_output_that_is_no_regular_file_is_refused(tmp_path: Path, name: str, kind: str) -> None:
    """An output that exists and is not a regular file is refused, and never opened."""
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "folder").mkdir()
    error = _refusal(lambda: atomic_write_bytes(tmp_path / name, b"x"), NotARegularFile)
    assert f"the output is {kind}" in str(error)
    assert _temporaries(tmp_path) == []


def test_an_output_in_a_missing_directory_is_refused(tmp_path: Path) -> None:
    """An output whose directory does not exist is refused, and nothing is created."""
    error = _refusal(lambda: atomic_write_bytes(tmp_path / "nowhere" / "out.csv", b"x"))
    assert "does not exist" in str(error)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "exception", [ValueError, KeyboardInterrupt], ids=lambda kind: kind.__name__
)
def test_an_exception_in_the_block_leaves_the_target_as_it_was(
    tmp_path: Path, exception: type[BaseException]
) -> None:
    """An exception or Ctrl-C inside the block leaves the old file whole and no temporary."""
    target = tmp_path / "out.csv"
    target.write_text("old\n")

    def interrupted() -> None:
        with atomic_output(target) as file:
            file.write("partial\n" * 10_000)
            raise exception

    with pytest.raises(exception):
        interrupted()
    assert target.read_text() == "old\n"
    assert _temporaries(tmp_path) == []


def test_an_exception_leaves_no_new_file(tmp_path: Path) -> None:
    """An interrupted write to a new file leaves no file at all."""

    def interrupted() -> None:
        with atomic_output(tmp_path / "out.csv") as file:
            file.write("partial")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("step", ["as-the-file-is-created", "as-it-is-opened"])
def test_ctrl_c_as_the_temporary_appears_leaves_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    """Ctrl-C the moment the temporary file exists (the call returned, nothing else ran)."""
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    real_open, real_fdopen = os.open, builtins.open

    def created_then_interrupted(path: str, flags: int, mode: int = 0o777) -> int:
        real_open(path, flags, mode)
        raise KeyboardInterrupt

    def opened_then_interrupted(
        descriptor: int, mode: str, *, encoding: str | None = None, newline: str | None = None
    ) -> object:
        real_fdopen(descriptor, mode, encoding=encoding, newline=newline).close()
        raise KeyboardInterrupt

    if step == "as-the-file-is-created":
        monkeypatch.setattr(os, "open", created_then_interrupted)
    else:
        monkeypatch.setattr(_files, "open", opened_then_interrupted, raising=False)
    with pytest.raises(KeyboardInterrupt), atomic_output(target) as file:
        file.write("never\n")
    monkeypatch.undo()
    assert target.read_text() == "old\n"
    assert _temporaries(tmp_path) == []


def test_a_temporary_name_already_taken_is_passed_over_never_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that holds the name drawn stays as it is; the write takes the next name."""
    drawn = iter([b"\x00" * 6, b"\x00" * 6, b"\x01" * 6])
    monkeypatch.setattr(os, "urandom", lambda _: next(drawn))
    someone_elses = tmp_path / f".out.csv.{'00' * 6}.tmp"
    someone_elses.write_text("not yours\n")
    with atomic_output(tmp_path / "out.csv") as file:
        file.write("new\n")
    assert (tmp_path / "out.csv").read_text() == "new\n"
    assert someone_elses.read_text() == "not yours\n"
    assert _temporaries(tmp_path) == [someone_elses]
    monkeypatch.setattr(os, "urandom", lambda size: b"\x00" * size)
    with pytest.raises(FileError, match="no free name"), atomic_output(tmp_path / "out.csv"):
        pass
    assert someone_elses.read_text() == "not yours\n"
    assert (tmp_path / "out.csv").read_text() == "new\n"


def test_success_replaces_the_target(tmp_path: Path) -> None:
    """A block that ends well replaces the target with what was written, and leaves no temporary."""
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    with atomic_output(target, inputs=[tmp_path / "in.csv"]) as file:
        file.write("id\r\nacc-1\n")
        assert target.read_text() == "old\n"  # nothing shows until the block ends
    assert target.read_bytes() == b"id\r\nacc-1\n"
    assert _temporaries(tmp_path) == []


def test_a_new_file_gets_the_umask_permissions(tmp_path: Path) -> None:
    """A new file is created 0666 less the umask, not the temporary file's 0600."""
    mask = os.umask(0o027)
    try:
        atomic_write_bytes(tmp_path / "out.csv", b"x")
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "out.csv").stat().st_mode) == 0o640


def test_a_replaced_file_keeps_its_permissions(tmp_path: Path) -> None:
    """A file that is replaced keeps its own permissions."""
    target = tmp_path / "out.csv"
    target.write_bytes(b"old")
    target.chmod(0o604)
    atomic_write_bytes(target, b"new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o604
    assert target.read_bytes() == b"new"


def test_writing_through_a_link_updates_the_file_it_names(tmp_path: Path) -> None:
    """An output that is a symbolic link writes the file the link names, keeping the link."""
    real = tmp_path / "real.csv"
    real.write_bytes(b"old")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    atomic_write_bytes(link, b"new")
    assert link.is_symlink()
    assert real.read_bytes() == b"new"


def test_the_output_encoding_is_used(tmp_path: Path) -> None:
    """The text is written in the encoding asked for; an unknown one is refused."""
    with atomic_output(tmp_path / "out.csv", encoding="latin-1") as file:
        file.write("Réunion")
    assert (tmp_path / "out.csv").read_bytes() == b"R\xe9union"
    _refusal(lambda: atomic_output(tmp_path / "x.csv", encoding="klingon"))


# --- the hostile corpus ---------------------------------------------------------------------

# What read_document and open_csv make of each file: the error class, or None when it reads.
CORPUS: dict[str, tuple[type[FileError] | None, type[FileError] | None]] = {
    "fifo": (NotARegularFile, NotARegularFile),
    "dev-zero": (NotARegularFile, NotARegularFile),
    "directory": (NotARegularFile, NotARegularFile),
    "missing": (NotARegularFile, NotARegularFile),
    "deep-json": (FileError, None),
    "deep-toml": (FileError, None),
    "huge-int-json": (FileError, None),
    "huge-int-toml": (FileError, None),
    "duplicate-key-json": (FileError, None),
    "non-utf8": (FileError, FileError),
    "bom": (None, None),
    "control-characters-in-values": (None, None),
    "one-megabyte-id": (None, FileError),  # one line of a million characters and more
    "huge-field-csv": (FileError, FileError),  # a document reader refuses the suffix
    "binary-garbage": (FileError, FileError),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The hostile corpus, written once for this module."""
    return hostile_files(tmp_path_factory.mktemp("hostile"))


def test_the_corpus_holds_every_kind(corpus: dict[str, Path]) -> None:
    """The corpus holds exactly the files this module expects outcomes for."""
    assert set(corpus) == set(CORPUS)


def _outcome(call: Callable[[], object], expected: type[FileError] | None) -> None:
    error = _returns_within(call)
    if expected is None:
        assert error is None, repr(error)
        return
    assert type(error) is expected, repr(error)
    _assert_safe(error)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_read_document_fails_closed_on_the_corpus(corpus: dict[str, Path], name: str) -> None:
    """read_document refuses each hostile file with its FileError, or reads it safely."""
    _outcome(lambda: read_document(corpus[name]), CORPUS[name][0])


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_open_csv_fails_closed_on_the_corpus(corpus: dict[str, Path], name: str) -> None:
    """open_csv refuses each hostile file with its FileError, or reads it safely."""
    _outcome(lambda: _read_csv(corpus[name]), CORPUS[name][1])


def test_the_corpus_is_written_anew_in_any_folder(tmp_path: Path) -> None:
    """hostile_files writes the whole corpus into the folder it is given."""
    files = hostile_files(tmp_path)
    assert all(path.parent == tmp_path for path in files.values())
    assert not files["missing"].exists()
    assert stat.S_ISFIFO(files["fifo"].stat().st_mode)
