"""The plain lines of every part of the command line's output are rich's own, at any width."""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

from hypothesis import example, given
from hypothesis import strategies as st
from rich.cells import cell_len as rich_cell_len
from rich.cells import get_character_cell_size
from rich.console import Console

from residency.cli._layout import (
    _SINGLE_CELLS,
    Column,
    Line,
    Listing,
    Notes,
    Pairs,
    cell_len,
    clean,
    sections,
    text,
)

if TYPE_CHECKING:
    from residency.cli._layout import Part

# Text as catalogs and users give it: words and runs of blanks, accented Latin, wide CJK,
# combining marks, emoji, and the controls and format characters that are written escaped.
ALPHABET = st.sampled_from(
    [
        *"abcXYZ019-.,:()[]",
        *(" ", "  ", "Å", "é", "ß", "ỳ", "Ω", "Ж", "账", "户", "\uff46", "\u0301", "🇩🇪", "😀"),
        *("\u00ad", "\u200b", "\u202e", "\t", "\n", "\x1b"),
    ]
)
VALUES = st.lists(ALPHABET, max_size=12).map("".join)
# Text that takes a cell or more: no control character, no mark without a letter.
WORDS = st.lists(
    st.sampled_from([*"abcXYZ019-.,:()", " ", "Å", "账", "😀"]), min_size=1, max_size=12
).map("".join)
WIDTHS = st.integers(min_value=1, max_value=90)


def rich_lines(part: Part, width: int) -> list[str]:
    """The lines rich prints ``part`` as, on a pipe ``width`` cells wide, trailing blanks cut."""
    out = Console(
        file=io.StringIO(),
        width=width,
        markup=False,
        emoji=False,
        highlight=False,
        color_system=None,
        force_terminal=False,
        force_jupyter=False,
        legacy_windows=False,
    )
    with out.capture() as captured:
        out.print(part)
    return [line.rstrip() for line in captured.get().split("\n")][:-1]


def assert_plain_is_rich(part: Part, width: int) -> None:
    """Check that ``part``'s plain lines, if it gives them, are those rich prints."""
    plain = part.plain(width)
    if plain is not None:
        assert [line.rstrip() for line in plain] == rich_lines(part, width)


@st.composite
def lines(draw: st.DrawFn) -> Line:
    """A line of one to three runs of text, each with a style."""
    styles = st.sampled_from(["", "bold", "bold red"])
    line = text(draw(VALUES), draw(styles))
    for value in draw(st.lists(VALUES, max_size=2)):
        line.append(value, draw(styles))
    return line


@st.composite
def listings(
    draw: st.DrawFn, values: st.SearchStrategy[str] = VALUES, *, filled: bool = False
) -> Listing:
    """A listing of one to four columns of any kind, its cells values or lists of values.

    The headers are the command line's own words: text without a control character.
    ``filled``: a row at least, and no cell an empty list.
    """
    columns = draw(
        st.lists(
            st.builds(
                Column,
                values.map(clean),
                prose=st.booleans(),
                head=st.booleans(),
                ids=st.booleans(),
            ),
            min_size=1,
            max_size=4,
        )
    )
    listing = Listing(draw(values), *columns, show_header=draw(st.booleans()))
    cell = st.one_of(values, st.lists(values, min_size=int(filled), max_size=3))
    for _ in range(draw(st.integers(min_value=int(filled), max_value=4))):
        listing.add(*(draw(cell) for _ in columns))
    return listing


PAIRS = st.lists(st.tuples(VALUES, VALUES), max_size=4).map(Pairs)
NOTES = st.builds(Notes, VALUES, st.dictionaries(VALUES, st.lists(VALUES, max_size=2), max_size=3))
PARTS = st.one_of(lines(), PAIRS, NOTES, listings())


@given(PARTS, WIDTHS)
@example(text("DE: region EU (Europe)", "bold"), 22)
@example(text("DE: region EU (Europe)"), 21)
def test_a_part_is_printed_as_rich_prints_it(part: Part, width: int) -> None:
    """Each part's plain lines at a width, where it gives them, are rich's at that width."""
    assert_plain_is_rich(part, width)


@given(st.lists(PARTS, min_size=1, max_size=4), WIDTHS)
def test_sections_are_printed_as_rich_prints_them(parts: list[Part], width: int) -> None:
    """Parts a blank line apart print plain as rich prints them."""
    assert_plain_is_rich(sections(*parts), width)


@given(listings(WORDS, filled=True))
def test_a_listing_that_fits_is_printed_plain(listing: Listing) -> None:
    """A listing of words is printed plain where it fits whole, and as rich prints it."""
    plain = listing.plain(4000)
    assert plain is not None
    assert [line.rstrip() for line in plain] == rich_lines(listing, 4000)


def test_the_single_cells_are_single_for_rich() -> None:
    """Every character that cell_len counts without rich's table is one cell wide for rich."""
    single = [
        character
        for character in map(chr, range(0x3000))  # the ranges counted end well below
        if (character.isascii() and character.isprintable())
        or re.fullmatch(_SINGLE_CELLS, character)
    ]
    assert "a" in single
    assert "Å" in single
    assert "\u00ad" not in single  # the soft hyphen, which rich counts as no cell
    assert {get_character_cell_size(character) for character in single} == {1}


@given(VALUES)
def test_cell_len_is_rich_cell_len(value: str) -> None:
    """cell_len counts any text as rich counts it."""
    assert cell_len(value) == rich_cell_len(value)
