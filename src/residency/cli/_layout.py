"""The parts of what the command line shows people: lines, label-value pairs, listings, notes.

The views of :mod:`residency.cli._render` are built of these parts, and loading them loads no
rich. Each part renders twice: for rich (``__rich_console__``, which imports rich as it
renders and builds the rich tables and texts that lay the part out), and as plain lines
(:meth:`Part.plain`) for output that rich would write without a style: a pipe or a file.
The plain lines are rich's own, character for character, wherever nothing needs folding;
where something would fold (a line wider than the output, a prose column narrowed, a table
broken into blocks), :meth:`Part.plain` says None and rich lays the part out. So
``residency where DE | grep ...`` answers without loading rich, and a narrow terminal still
gets rich's folding.

>>> part = sections(text("DE: region EU", "bold"), Pairs([("Country", "Germany (DE)")]))
>>> part.plain(80)
['DE: region EU', '', 'Country  Germany (DE)']
>>> print(part.plain(10))
None
"""

from __future__ import annotations

import abc
import re
from typing import TYPE_CHECKING, Any, Final

from residency._text import escape

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence

    from rich.console import Console, ConsoleOptions, RenderableType, RenderResult

__all__ = [
    "Column",
    "Line",
    "Listing",
    "Notes",
    "Pairs",
    "Part",
    "Stack",
    "cell_len",
    "clean",
    "sections",
    "text",
]

_GAP: Final = 2
"""The blank columns between two columns of a table."""
_PROSE_MIN: Final = 8
"""The narrowest a prose column folds to before its table gives way to blocks of lines."""
_LONG_WORD: Final = 25
"""The longest word a prose column keeps whole (an RFC 3339 time); longer ones may fold."""
_RULE: Final = "─"
"""The line under the header of a table (that of rich's ``box.SIMPLE``)."""

# Characters one cell wide in rich's table of widths (a test checks each): Latin with its
# accents (Vietnamese too), Greek, Cyrillic, dashes and quotation marks. Text made only of
# these is as wide as it is long, measured without loading rich. Compiled at first use.
_SINGLE_CELLS: Final = (
    "[\x20-\x7e\xa0-\xac\xae-\u02ff\u0370-\u0482\u048a-\u052f\u1e00-\u1fff\u2010-\u2027]*"
)


def cell_len(value: str) -> int:
    """How many cells ``value`` takes on a terminal, as rich counts them."""
    if (value.isascii() and value.isprintable()) or re.fullmatch(_SINGLE_CELLS, value):
        return len(value)
    from rich.cells import cell_len as cells  # noqa: PLC0415 - CJK, emoji, combining marks

    return cells(value)


def _padded(value: str, width: int) -> str:
    """``value`` and the blanks that fill it to ``width`` cells, as rich pads a table cell."""
    return value + " " * (width - cell_len(value))


def clean(value: object) -> str:
    """Text from any source as it may be printed: one line, every control character escaped.

    A line break or tab in a value is written as an escape too, so that no value can start a
    line of its own that would pass for a row of a table.
    """
    return escape(str(value))


class Part(abc.ABC):
    """A part of an answer for people, printed by rich or as plain lines."""

    @abc.abstractmethod
    def plain(self, width: int) -> list[str] | None:
        """The lines rich prints this part as, ``width`` cells wide and without styles.

        Trailing blanks may differ (the output strips them). None where rich would fold
        something to fit ``width``: then only rich can lay the part out.
        """

    @abc.abstractmethod
    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """The rich renderables of this part (rich loads here, as the part is printed)."""


class Line(Part):
    """One line of text: runs of text, each with its rich style (``bold``, ``bold red``)."""

    def __init__(self, value: str = "", style: str = "") -> None:
        self.runs: list[tuple[str, str]] = [(value, style)]

    def append(self, value: str, style: str = "") -> Line:
        """Add a run of text at the end of the line, styled over the line's own style."""
        self.runs.append((value, style))
        return self

    def plain(self, width: int) -> list[str] | None:
        """The line as it is, where it fits ``width`` and holds no control character."""
        joined = "".join(value for value, _ in self.runs)
        if clean(joined) != joined or cell_len(joined) > width:
            return None  # wider than the output, or a tab or line break to expand: rich's
        return [joined]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """The line as a rich Text: its first run's style is the Text's, the others' spans."""
        from rich.text import Text  # noqa: PLC0415 - rich loads only for what it renders

        (first, style), *rest = self.runs
        line = Text(first, style=style)
        for value, run_style in rest:
            line.append(value, style=run_style)
        yield line


def text(value: object, style: str = "") -> Line:
    """A line of text from any source, with every control character escaped."""
    return Line(clean(value), style)


class Stack(Part):
    """Parts one below the other, as rich's ``Group`` shows them."""

    def __init__(self, *parts: Part) -> None:
        self.parts = parts

    def plain(self, width: int) -> list[str] | None:
        """Every part's lines in turn; None where any part needs rich."""
        lines: list[str] = []
        for part in self.parts:
            shown = part.plain(width)
            if shown is None:
                return None
            lines += shown
        return lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """The parts in turn, as ``Group`` renders them."""
        yield from self.parts


def sections(*parts: Part) -> Stack:
    """The parts, one blank line apart."""
    spaced: list[Part] = []
    for part in parts:
        if spaced:
            spaced.append(Line())
        spaced.append(part)
    return Stack(*spaced)


def _grid_plain(rows: Sequence[tuple[str, str]], gap: int, width: int) -> list[str] | None:
    """Rows of two cells as rich lays out ``Table.grid(padding=(0, gap))``; None if they fold.

    The first column is as wide as its widest cell and the gap after it, the second as its
    widest cell (at least one); together they must fit ``width``. A first column no cell
    wide that is not empty (all combining marks) rich renders in a width of nothing.
    """
    first = max((cell_len(label) for label, _ in rows), default=0)
    second = max((cell_len(value) for _, value in rows), default=0)
    if first + gap + max(second, 1) > width or (not first and any(label for label, _ in rows)):
        return None
    return [_padded(label, first + gap) + value for label, value in rows]


class Pairs(Part):
    """A borderless two-column block of labels and values; the values fold."""

    def __init__(self, rows: Iterable[tuple[str, str]]) -> None:
        self.rows = [(clean(label), clean(value)) for label, value in rows]

    def plain(self, width: int) -> list[str] | None:
        """Each label padded to the widest, the gap, then its value; None if a value folds."""
        return _grid_plain(self.rows, _GAP, width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """A rich grid: labels bold and whole, values folding."""
        from rich.table import Table  # noqa: PLC0415 - rich loads only for what it renders
        from rich.text import Text  # noqa: PLC0415 - rich loads only for what it renders

        grid = Table.grid(padding=(0, _GAP))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        for label, value in self.rows:
            grid.add_row(Text(label), Text(value))
        yield grid


class Notes(Part):
    """Numbered statements under a title, each printed once: ``[1] text``, then its originals."""

    def __init__(self, title: str, notes: Mapping[str, list[str]]) -> None:
        self.title = clean(title)
        self.rows: list[tuple[str, str, str]] = []
        for number, (statement, originals) in enumerate(notes.items(), start=1):
            self.rows.append((f"[{number}]", clean(statement), ""))
            self.rows += [("", clean(original), "italic") for original in originals]

    def plain(self, width: int) -> list[str] | None:
        """The title, then the numbers and statements; None if a statement folds."""
        title = Line(self.title).plain(width)
        grid = _grid_plain([(mark, said) for mark, said, _ in self.rows], 1, width)
        return None if title is None or grid is None else title + grid

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """The title in bold, then a rich grid of the numbers and the statements."""
        from rich.table import Table  # noqa: PLC0415 - rich loads only for what it renders
        from rich.text import Text  # noqa: PLC0415 - rich loads only for what it renders

        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        for mark, said, style in self.rows:
            grid.add_row(Text(mark), Text(said, style=style))
        yield Text(self.title, style="bold")
        yield grid


class Column:
    """A column of a :class:`Listing`.

    Attributes:
        header: The column's header.
        prose: Prose folds into the width the other columns leave; anything else (an id, a
            list of ids one per line, a short value) never wraps and is never cut.
        head: Whether the value heads its row's block when the table does not fit.
        ids: Whether the cells are lists of ids, one per line: joined by commas where the
            joined lists fit the width, else one id per line.
    """

    __slots__ = ("head", "header", "ids", "prose")

    def __init__(
        self, header: str, *, prose: bool = False, head: bool = False, ids: bool = False
    ) -> None:
        self.header = header
        self.prose = prose
        self.head = head
        self.ids = ids


class Listing(Part):
    """Rows for people: a table whose id columns stay whole, its prose taking the rest.

    The widths are set here, not left to rich: a column that never wraps gets its widest
    cell, and the prose columns share what is left, the widest folding first but none below
    its longest word (up to :data:`_LONG_WORD`). Lists of ids are joined by commas where that
    fits, else one id per line. Where even that does not fit, each row becomes a block: its
    head values on one line, then a ``header: value`` line for each other column.
    """

    def __init__(self, title: str, *columns: Column, show_header: bool = True) -> None:
        self.title = title
        self.columns = columns
        self.show_header = show_header
        self.rows: list[tuple[str, ...]] = []

    def add(self, *cells: object) -> None:
        """Add a row, one cell per column; a list or tuple is a cell of several lines."""
        self.rows.append(
            tuple(
                "\n".join(map(clean, cell)) if isinstance(cell, list | tuple) else clean(cell)
                for cell in cells
            )
        )

    def plain(self, width: int) -> list[str] | None:
        """The title and the table, where every cell keeps its widest; else None."""
        title = text(self.title).plain(width)
        if title is None:
            return None
        for rows in (self._joined(), self.rows):
            widths = self._widths(rows, width)
            if widths is not None:
                if widths != self._extent(rows)[0] or not self._whole(widths):
                    return None  # a prose column folds: rich's to lay out
                return title + self._table_plain(rows, widths)
        return None  # blocks of lines: rich's to lay out

    def _whole(self, widths: list[int]) -> bool:
        """Whether rich prints every header and cell as it is at ``widths``.

        A header is the command line's own text, but one with a control character would be
        laid out by rich; so would a column no cell wide (empty, or all combining marks),
        which rich renders in a width of nothing.
        """
        headers = [column.header for column in self.columns] if self.show_header else []
        return 0 not in widths and all(clean(header) == header for header in headers)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Any]:
        """The title, then the table, or its rows as blocks where the table does not fit."""
        from rich.text import Text  # noqa: PLC0415 - rich loads only for what it renders

        yield Text(clean(self.title), style="bold")
        joined = self._joined()
        for rows in (joined, self.rows):
            widths = self._widths(rows, options.max_width)
            if widths is not None:
                yield self._table(rows, widths)
                return
        yield from self._blocks(joined)

    @property
    def _padding(self) -> int:
        """A column's right padding: with a header's blank divider after it, the gap."""
        return _GAP - 1 if self.show_header else _GAP

    def _joined(self) -> list[tuple[str, ...]]:
        """The rows with their lists of ids on one line each."""
        return [
            tuple(
                cell.replace("\n", ", ") if column.ids else cell
                for column, cell in zip(self.columns, row, strict=True)
            )
            for row in self.rows
        ]

    def _extent(self, rows: list[tuple[str, ...]]) -> tuple[list[int], list[int]]:
        """Each column's widest line for ``rows``, and the narrowest it may fold to."""
        widest: list[int] = []
        floors: list[int] = []
        for index, column in enumerate(self.columns):
            cells = [row[index] for row in rows] + ([column.header] if self.show_header else [])
            lines = [line for cell in cells for line in cell.split("\n")]
            widest.append(max(map(cell_len, lines), default=0))
            if column.prose:
                word = max((cell_len(word) for line in lines for word in line.split()), default=0)
                floors.append(min(widest[-1], max(_PROSE_MIN, min(word, _LONG_WORD))))
            else:
                floors.append(widest[-1])
        return widest, floors

    def _widths(self, rows: list[tuple[str, ...]], width: int) -> list[int] | None:
        """The width of each column for ``rows`` within ``width``; None if they cannot fit."""
        widest, floors = self._extent(rows)
        # rich counts every column's right padding, the last one's too, which it does not
        # print: that last column's text then gets the padding's width as well
        dividers = len(self.columns) - 1 if self.show_header else 0
        room = width - self._padding * len(self.columns) - dividers
        if sum(floors) > room:
            return None
        # fold the widest prose columns first: every column is cut down to one level, the
        # highest at which they fit, but none below its floor; what is left over widens some
        prose = [column.prose for column in self.columns]

        def at(level: int) -> list[int]:
            return [
                max(floor, min(most, level)) if wraps else most
                for most, floor, wraps in zip(widest, floors, prose, strict=True)
            ]

        low, high = 0, max(widest, default=0)
        while low < high:
            middle = (low + high + 1) // 2
            low, high = (middle, high) if sum(at(middle)) <= room else (low, middle - 1)
        widths = at(low)
        spare = room - sum(widths)
        for index, most in enumerate(widest):
            if spare and prose[index] and widths[index] == low < most:
                widths[index] += 1
                spare -= 1
        return widths

    def _table_plain(self, rows: list[tuple[str, ...]], widths: list[int]) -> list[str]:
        """The lines of :meth:`_table` at ``widths``, where no cell folds.

        Each cell is padded to its column's width and the padding (the last one's too, see
        :meth:`_widths`); with a header, the columns are one blank apart and a rule spans
        them all under the header.
        """
        spans = [width + self._padding for width in widths]
        divider = " " if self.show_header else ""

        def lines_of(cells: Sequence[str]) -> list[str]:
            parts = [cell.split("\n") for cell in cells]
            height = max((len(part) for part in parts), default=1)
            return [
                divider.join(
                    _padded(part[number] if number < len(part) else "", span)
                    for part, span in zip(parts, spans, strict=True)
                )
                for number in range(height)
            ]

        lines: list[str] = []
        if self.show_header:
            lines += lines_of([column.header for column in self.columns])
            lines.append(_RULE * (sum(spans) + len(spans) - 1))
        for row in rows:
            lines += lines_of(row)
        return lines

    def _table(self, rows: list[tuple[str, ...]], widths: list[int]) -> RenderableType:
        from rich import box  # noqa: PLC0415 - rich loads only for what it renders
        from rich.table import Table  # noqa: PLC0415 - rich loads only for what it renders
        from rich.text import Text  # noqa: PLC0415 - rich loads only for what it renders

        table = Table(
            box=box.SIMPLE if self.show_header else None,
            show_header=self.show_header,
            header_style="bold",
            show_edge=False,
            pad_edge=False,
            padding=(0, self._padding, 0, 0),
        )
        for column, width in zip(self.columns, widths, strict=True):
            table.add_column(
                Text(column.header), width=width, no_wrap=not column.prose, overflow="fold"
            )
        for row in rows:
            table.add_row(*(Text(cell) for cell in row))
        return table

    def _blocks(self, rows: list[tuple[str, ...]]) -> Iterator[RenderableType]:
        from rich.padding import Padding  # noqa: PLC0415 - rich loads only for what it renders
        from rich.text import Text  # noqa: PLC0415 - rich loads only for what it renders

        for number, row in enumerate(rows):
            if number:
                yield Text()
            cells = list(zip(self.columns, row, strict=True))
            yield Text("  ".join(cell for column, cell in cells if column.head), style="bold")
            for column, cell in cells:
                if column.head or not cell:
                    continue
                label = f"{column.header}:" if self.show_header and column.header else ""
                if "\n" in cell and label:
                    yield Padding(Text(label), (0, 0, 0, 2))
                    yield Padding(Text(cell), (0, 0, 0, 4))
                else:
                    yield Padding(Text(f"{label} {cell}".lstrip()), (0, 0, 0, 2))
