"""The command-line examples of the README and docs/*.md run, and print what they show.

An example is a ```` ```console ```` block of ``$ residency ...`` lines, each followed by the
output it prints (stdout and stderr as a terminal shows them, at 80 columns); a command may
go on over lines that end in a backslash, each next one starting with ``> ``. A line ``...``
in the output stands for any lines. Every example runs in-process from the repository root.
The Python examples are doctests already (``--doctest-glob=*.md``).
"""

from __future__ import annotations

import difflib
import functools
import re
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import pytest
from click.testing import CliRunner

from residency.cli._app import cli

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```console\n(.*?)^```$", re.MULTILINE | re.DOTALL)
ANY_LINES = "..."


@attrs.frozen
class Example:
    """One command of a page and the output it shows."""

    page: Path
    line: int
    """The line of the page the command starts on, counting from 1."""
    command: str
    output: tuple[str, ...]

    @property
    def name(self) -> str:
        """Where the example is, for the test's id."""
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def examples(page: Path) -> Iterator[Example]:
    """The examples of ``page``, in order; a console block without a ``$`` line has none."""
    text = page.read_text(encoding="utf-8")
    for block in FENCE.finditer(text):
        first = text.count("\n", 0, block.start(1)) + 1
        command: list[str] = []
        start = 0
        output: list[str] = []
        for number, line in enumerate(block[1].splitlines(), start=first):
            if line.startswith("$ "):
                if command:
                    yield Example(page, start, " ".join(command), tuple(output))
                command, start, output = [line[2:]], number, []
            elif line.startswith("> ") and command and command[-1].endswith("\\"):
                command[-1] = command[-1].removesuffix("\\").rstrip()
                command.append(line[2:].strip())
            elif command:
                output.append(line)
        if command:
            yield Example(page, start, " ".join(command), tuple(output))


EXAMPLES = [example for page in PAGES for example in examples(page)]


def matches(expected: tuple[str, ...], actual: tuple[str, ...]) -> bool:
    """Whether ``actual`` is ``expected``, each ``...`` line standing for any lines."""

    @functools.cache
    def match(wanted: int, got: int) -> bool:
        if wanted == len(expected):
            return got == len(actual)
        if expected[wanted] == ANY_LINES:
            return any(match(wanted + 1, later) for later in range(got, len(actual) + 1))
        return got < len(actual) and actual[got] == expected[wanted] and match(wanted + 1, got + 1)

    return match(0, 0)


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.name for example in EXAMPLES])
def test_the_example_prints_what_the_page_shows(
    example: Example, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A documented command prints, at 80 columns, exactly the output its page shows."""
    words = shlex.split(example.command)
    assert words[0] == "residency", f"{example.name}: not a residency command"
    monkeypatch.chdir(ROOT)
    runner = CliRunner(env={"COLUMNS": "80", "FORCE_COLOR": None, "NO_COLOR": "1"})
    result = runner.invoke(cli, words[1:])
    actual = tuple(result.output.splitlines())
    if not matches(example.output, actual):
        diff = "\n".join(
            difflib.unified_diff(example.output, actual, "page", "printed", lineterm="")
        )
        pytest.fail(f"{example.name}: $ {example.command}\n{diff}")


@pytest.mark.parametrize("page", ["README.md", "docs/cli.md"])
def test_the_pages_of_the_command_line_have_examples(page: str) -> None:
    """The README and the command-line page both hold examples that run."""
    assert [example for example in EXAMPLES if example.page == ROOT / page]


def test_the_readme_starts_with_make_demo_and_make_test() -> None:
    """The README's first commands are `make demo` and `make test`."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert lines[:3] == ["# residency", "", "```sh"]
    assert lines[3].startswith("make demo ")
    assert lines[4].startswith("make test ")


@pytest.mark.parametrize(
    ("expected", "actual", "result"),
    [
        (("a", "b"), ("a", "b"), True),
        (("a", "b"), ("a", "b", "c"), False),
        (("a", "..."), ("a", "b", "c"), True),
        (("...", "c"), ("a", "b", "c"), True),
        (("a", "...", "c"), ("a", "c"), True),
        (("a", "...", "c", "...", "e"), ("a", "b", "c", "d", "e"), True),
        (("a", "...", "d"), ("a", "b", "c"), False),
        ((), (), True),
    ],
)
def test_three_dots_stand_for_any_lines(
    expected: tuple[str, ...], actual: tuple[str, ...], result: bool
) -> None:
    """A ``...`` line of an example's output matches any lines, none included."""
    assert matches(expected, actual) is result


def test_a_command_may_go_on_over_lines(tmp_path: Path) -> None:
    """A command whose line ends in a backslash goes on after the ``> `` of the next line."""
    page = tmp_path / "page.md"
    page.write_text(
        "Text\n\n```console\n$ residency where DE \\\n>     --json\n{\n...\n$ residency regions\n"
        "...\n```\n\n```console\npip install residency\n```\n",
        encoding="utf-8",
    )
    found = [(example.line, example.command, example.output) for example in examples(page)]
    assert found == [
        (4, "residency where DE --json", ("{", "...")),
        (8, "residency regions", ("...",)),
    ]
