"""What every command shares: the console, tables that fit, JSON output, progress bars, the
locale of prose."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.segment import Segment
from rich.table import Column, Table
from rich.text import Text

from arrears.kit.errors import BadInput
from arrears.vocabulary import LOCALES, Locale

console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # error lines stay whole for grep


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot serialise {type(value).__name__}")


def to_json(payload: Any) -> str:
    """JSON with Decimals as strings and dates as ISO 8601."""
    return json.dumps(payload, default=_default, ensure_ascii=False, indent=2)


def print_json(payload: Any) -> None:
    """Plain JSON on stdout (no Rich markup, so machines can parse it)."""
    print(to_json(payload))


@contextmanager
def progress(*, quiet: bool = False) -> Iterator[Progress]:
    """A Rich progress display on stderr; ``quiet`` (e.g. under ``--json``) hides it."""
    bar = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
        disable=quiet,
    )
    with bar:
        try:
            yield bar
        finally:
            if not bar.tasks:  # nothing was shown: leave no blank line above an error
                bar.live.transient = True


LOCALE = typer.Option(None, "--locale", help="en or zh-CN (default: ARREARS_LOCALE).")


def resolve_locale(locale: str | None) -> Locale:
    """The locale of a command's prose: ``--locale`` if given, else ``ARREARS_LOCALE``."""
    from arrears.config import get_settings

    chosen = locale or get_settings().locale
    for known in LOCALES:
        if chosen == known:
            return known
    raise BadInput(f"--locale must be one of {', '.join(LOCALES)}, got {chosen!r}")


def words(locale: Locale) -> Callable[[str], str]:
    """Translate a label through the one Babel catalog (the workbench's; English is the id)."""
    from arrears.web.i18n import translations

    return translations(locale).gettext


class FitTable(Table):
    """A Rich table that never cuts a header or a character, whatever the terminal's width.

    Tried in order, the first that fits: boxed at natural widths; compact (no box, one space
    between columns) at natural widths; boxed with long cells wrapped (a word of Latin letters
    or digits stays whole, Chinese breaks between characters, as it is read); and, when even
    that is too wide, one record per row (``header  value`` lines). Widths are terminal cells,
    so a Chinese character counts two. Cells fold, never end in an ellipsis.
    """

    def add_column(
        self, header: RenderableType = "", footer: RenderableType = "", **options: Any
    ) -> None:
        options.setdefault("overflow", "fold")
        super().add_column(header, footer, **options)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        # Lines end where their text ends: no run of padding a copy-paste or a diff would keep.
        for line in Segment.split_lines(console.render(_Fitted(self), options)):
            while line and not line[-1].text.strip() and not line[-1].control:
                line.pop()
            if line:
                last = line[-1]
                line[-1] = Segment(last.text.rstrip(), last.style, last.control)
            yield from line
            yield Segment.line()

    def _layout(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not self.columns:
            yield from super().__rich_console__(console, options)
            return
        room = min(options.max_width, self.width or options.max_width)
        spans = [_span(console, options, column) for column in self.columns]
        least, most = [s[0] for s in spans], [s[1] for s in spans]
        if sum(most) + self._chrome() <= room:
            yield from super().__rich_console__(console, options)
            return
        saved = (self.box, self.show_edge, self.padding, self.pad_edge, self.columns)
        try:
            self.box, self.show_edge, self.padding, self.pad_edge = box.SIMPLE_HEAD, False, 0, False
            if sum(most) + self._chrome() <= room:
                yield from super().__rich_console__(console, options)
                return
            self.box, self.show_edge, self.padding, self.pad_edge = saved[:4]
            if sum(least) + self._chrome() <= room:
                widths = _share(room - self._chrome(), least, most)
                self.columns = [replace(c, width=w) for c, w in zip(saved[4], widths, strict=True)]
                yield from super().__rich_console__(console, options)
                return
        finally:
            self.box, self.show_edge, self.padding, self.pad_edge, self.columns = saved
        yield from self._records(console, options, room)

    def _chrome(self) -> int:
        """Borders and padding: the width the table adds to its cells."""
        return self._extra_width + sum(map(self._get_padding_width, range(len(self.columns))))

    def _records(self, console: Console, options: ConsoleOptions, room: int) -> RenderResult:
        keys = [_plain(console, column.header) or "" for column in self.columns]
        key_width = max(cell_len(key) for key in keys)
        if self.title:
            yield from console.render(_text(console, self.title, "table.title"), options)
        for row in range(self.row_count):
            record = Table.grid(padding=(0, 1))
            record.add_column(min_width=key_width, no_wrap=True, style="bold")
            record.add_column(max_width=max(room - key_width - 1, 1), overflow="fold")
            for key, column in zip(keys, self.columns, strict=True):
                record.add_row(key, column._cells[row])
            if row:
                yield Segment.line()
            yield from console.render(record, options)
        if self.caption:
            yield from console.render(_text(console, self.caption, "table.caption"), options)


class _Fitted:
    """The table laid out for the width at hand (``FitTable._layout``), before trimming."""

    def __init__(self, table: FitTable) -> None:
        self.table = table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        return self.table._layout(console, options)


def table(*headers: str, **options: Any) -> FitTable:
    """The table every command prints (see ``FitTable``)."""
    return FitTable(*headers, **options)


def _text(console: Console, value: RenderableType, style: str) -> RenderableType:
    return console.render_str(value, style=style) if isinstance(value, str) else value


def _plain(console: Console, cell: RenderableType) -> str | None:
    """The text of a cell (markup read), or None for a renderable that is not text."""
    if isinstance(cell, str):
        return console.render_str(cell).plain
    return cell.plain if isinstance(cell, Text) else None


def _unbreakable(text: str) -> int:
    """The widest piece of ``text`` that must stay on one line: a run of narrow characters
    (a date, an amount, a reference); a line of Chinese may break between any two characters."""
    widest = 0
    for word in text.split():
        if word.isascii():
            widest = max(widest, len(word))
            continue
        run = 0
        for char in word:
            cells = cell_len(char)
            if cells > 1:
                widest, run = max(widest, run, cells), 0
            else:
                run += cells
        widest = max(widest, run)
    return widest


def _span(console: Console, options: ConsoleOptions, column: Column) -> tuple[int, int]:
    """The least and the most width of a column's content; never less than its header."""
    header = _plain(console, column.header) or ""
    least = most = max((cell_len(line) for line in header.splitlines()), default=0)
    for cell in column.cells:
        text = _plain(console, cell)
        if text is None:
            measured = Measurement.get(console, options, cell)
            least, most = max(least, measured.minimum), max(most, measured.maximum)
            continue
        most = max(most, max((cell_len(line) for line in text.splitlines()), default=0))
        least = max(least, _unbreakable(text))
    return (most, most) if column.no_wrap else (least, most)


def _share(room: int, least: list[int], most: list[int]) -> list[int]:
    """Widths between each column's least and most: the room beyond the least goes to the
    columns that need it, in proportion to their need."""
    needs = [m - low for low, m in zip(least, most, strict=True)]
    spare, total = room - sum(least), sum(needs)
    if spare <= 0 or not total:
        return list(least)
    widths = [low + need * spare // total for low, need in zip(least, needs, strict=True)]
    left = room - sum(widths)
    for i in sorted(range(len(widths)), key=lambda i: most[i] - widths[i], reverse=True):
        add = min(left, most[i] - widths[i])
        widths[i] += add
        left -= add
    return widths
