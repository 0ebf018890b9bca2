"""The list of recordings: a Line API table that stays fast with thousands of rows.

Only the visible lines are rendered, so filtering or sorting 3,000 rows costs a list
rebuild, not a widget rebuild (a DataTable needs ~0.4 s to re-add 3,000 rows). Rows are
either recordings or, in grouped mode, group headers (test file, test) that fold.
Every cell is built with `safe_text`: recorded text is shown literally, never as markup.
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from tui_replay.catalog import view as listing
from tui_replay.catalog.testids import CommonParams, fit_test_name, short_test_name
from tui_replay.catalog.view import (
    STREAM_MARKER,
    Column,
    ListingView,
    TableRow,
    flat,
    shared_name_key,
    widest_shared_label,
)
from tui_replay.recording.model import Summary
from tui_replay.textsafe import printable, safe_text

NO_STYLE = Style.null()

__all__ = ["NEW_MARKER", "STREAM_MARKER", "RecordingTable", "TableRow", "flat"]

NEW_MARKER = "●"
MARK_MARKER = "◆"  # the row marked with `m` for a diff

# The table's columns: the "new since launch" marker, then the listing's columns (the file
# name is in the Test column when there is no test id, and in the grouped view).
COLUMNS: tuple[Column, ...] = (
    Column("", "", lambda summary: "", 1, 1),
    *(column for column in listing.COLUMNS if column.key != "file"),
)
_INDEX = {column.key: index for index, column in enumerate(COLUMNS)}
# Which columns give up width first when the terminal is narrow.
SHRINK_ORDER = tuple(_INDEX[key] for key in ("model", "endpoint", "test", "status", "kind"))
NAME_ROOM = 64  # the Test column keeps test names whole up to this width before others shrink
DROP_ORDER = sorted((c.drop_order, i) for i, c in enumerate(COLUMNS) if c.drop_order)
ROOM_FOR_TEST = 30  # columns are hidden before the test column gets narrower than this
SORTABLE = tuple(column.key for column in COLUMNS if column.sortable)
# The columns after Test whose width depends on what they show: a column as wide at least as
# it may be (the marker, tool calls, citations) is never measured.
MEASURED = tuple(
    index for index in range(2, len(COLUMNS)) if COLUMNS[index].min_width < COLUMNS[index].max_width
)
GAP = 1  # cells between columns
CELL_CACHE = 4_000  # rows whose cells are kept (those on screen and around them)
VIRTUAL_SIZE_DELAY = 0.4  # seconds a scrollbar update for rows appended off screen may wait
LINE_CACHE = 1_000  # drawn recording lines kept: a filter or scroll that shows them again reuses them


def display_width(value: str) -> int:
    """Cells `value` takes once made safe for one line (plain ASCII: its length)."""
    if value.isascii() and value.isprintable():
        return len(value)
    return cell_len(printable(value, single_line=True))


def widest(values: set[str]) -> int:
    """The most cells any of `values` takes (0 for none): in one pass in C when all are plain ASCII."""
    if not values:
        return 0
    joined = "".join(values)
    if joined.isascii() and joined.isprintable():
        return max(map(len, values))
    return max(map(display_width, values))


def _total(widths: list[int]) -> int:
    """The table's width: the shown columns and one gap between each two."""
    shown = [width for width in widths if width]
    return sum(shown) + GAP * (len(shown) - 1)


class RecordingTable(ScrollView, can_focus=True):
    """Recordings in rows, a fixed header line, one highlighted row."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "recording-table--header",
        "recording-table--header-sorted",
        "recording-table--cursor",
        "recording-table--error",
        "recording-table--exception",
        "recording-table--new",
        "recording-table--mark",
        "recording-table--group",
        "recording-table--dim",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False, id="table.up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="table.down"),
        Binding("pageup", "page_up", "Page up", show=False, id="table.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="table.page_down"),
        Binding("home", "first", "First row", show=False, id="table.first"),
        Binding("end", "last", "Last row", show=False, id="table.last"),
        Binding("enter", "select", "Open", id="table.open"),
        Binding("right,l", "expand", "Expand group / scroll right", show=False, id="table.expand"),
        Binding("left,h", "collapse", "Fold group / scroll left", show=False, id="table.collapse"),
        Binding("space", "toggle", "Fold or unfold group", show=False, id="table.toggle"),
    ]

    # repaint=False: watch_cursor_row repaints just the two lines that change.
    cursor_row: reactive[int] = reactive(0, always_update=True, init=False, repaint=False)

    class Highlighted(Message):
        """The highlighted row changed (or its content did)."""

        def __init__(self, table: RecordingTable, row: TableRow | None) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> RecordingTable:
            return self.table

    class Selected(Message):
        """Enter or a double click on a row."""

        def __init__(self, table: RecordingTable, row: TableRow) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> RecordingTable:
            return self.table

    class GroupToggled(Message):
        """A group row asks to fold (expand=False) or unfold."""

        def __init__(self, table: RecordingTable, row: TableRow, expand: bool) -> None:
            super().__init__()
            self.table = table
            self.row = row
            self.expand = expand

    class HeaderClicked(Message):
        def __init__(self, table: RecordingTable, column: str) -> None:
            super().__init__()
            self.table = table
            self.column = column

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.rows: list[TableRow] = []
        self._index: dict[str, int] | None = {}  # row key -> index, made when first asked
        # What the rows mean (sort, grouping, file names) is the listing's; the browse screen
        # hands its own down.
        self.view = ListingView()
        self.new_paths: set[str] = set()
        self.marked_path: str | None = None  # shown with MARK_MARKER (the browse screen's `m`)
        self.empty_message = ""  # shown in place of rows when there are none
        self._widths: list[int] = [column.min_width for column in COLUMNS]
        self._natural: list[int] = [column.min_width for column in COLUMNS]
        # Natural widths over every summary measured (not just the rows shown: the columns do
        # not jump while a filter is typed, and a filter costs no measuring).
        self._measured: list[int] = [0 for _ in COLUMNS]
        self._test_width = 0  # the Test column of recordings with a test id
        self._name_width = 0  # their test names, with "[…]" for the parameters
        self._file_width = 0  # file names, as the grouped view shows them
        # The grouped view's file names are measured when it is first shown (`_file_widths`),
        # not while 100,000 rows load; after that with each batch. Names several files share
        # wait until then too: each label needs the others', so they are measured a name at once.
        self._files_measured = False
        self._shared_names: set[int] = set()
        self._orphan_width = 0  # file names in the Test column (no test id)
        self._test_ids_measured: set[str] = set()  # a few thousand at 100,000 rows
        self._cells: dict[int, tuple[Summary, tuple[str, ...]]] = {}
        # What the parametrized ids of each test share: a narrow Test column shows what differs.
        self.common_params = CommonParams()
        # Drawn recording lines by (row, highlighted, new, marked, file names' version for the rows
        # that show one); valid while _lines_drawn_for (widths, grouping, scroll, focus, theme)
        # stays the same.
        self._lines: dict[tuple[TableRow, bool, bool, bool, int], Strip] = {}
        self._lines_drawn_for: tuple = ()
        self._last_highlight: tuple[str, int] | None = None
        self._virtual_size_timer: Timer | None = None  # a virtual size update put off

    # -- what the listing says -----------------------------------------------------------------------

    @property
    def sort_column(self) -> str | None:
        return self.view.sort_column

    @property
    def descending(self) -> bool:
        return self.view.descending

    @property
    def grouped(self) -> bool:
        return self.view.grouped

    # -- data --------------------------------------------------------------------------------------

    def _values(self, summary: Summary) -> tuple[str, ...]:
        """Cell values of the columns after Test, cached for the rows drawn lately."""
        cached = self._cells.get(id(summary))
        if cached is not None and cached[0] is summary:
            return cached[1]
        values = tuple(column.value(summary) for column in COLUMNS[2:])
        if len(self._cells) >= CELL_CACHE:
            self._cells.clear()
        self._cells[id(summary)] = (summary, values)
        return values

    def set_rows(self, rows: list[TableRow], *, keep: str = "row") -> None:
        """Replace the rows.

        keep="row": the highlighted row stays highlighted and at the same place on screen
        (if it is gone, the cursor stays at the same index). keep="top": cursor and scroll go
        to the first row (a new sort).
        """
        previous = self.highlighted_row
        offset = self.cursor_row - round(self.scroll_y)
        old_index = self.cursor_row
        self.rows = rows
        self._index = None  # 100,000 keys are not indexed on every keystroke of a filter
        self._fit_natural()
        self._update_virtual_size()
        found = None if keep == "top" or previous is None else self._find(previous)
        if keep == "top" or not rows:
            new_index = 0
            new_scroll = 0
        elif found is not None:
            new_index = found
            new_scroll = max(0, new_index - offset)
        else:
            new_index = min(old_index, len(rows) - 1)
            new_scroll = max(0, new_index - offset)
        self.set_reactive(RecordingTable.cursor_row, new_index)
        self.scroll_to(y=new_scroll, animate=False, immediate=True)
        self._scroll_cursor_into_view()
        self.refresh()
        self._post_highlight()

    @property
    def highlighted_row(self) -> TableRow | None:
        if 0 <= self.cursor_row < len(self.rows):
            return self.rows[self.cursor_row]
        return None

    def _find(self, row: TableRow) -> int | None:
        """Where `row` is now: the same object (recording rows are made once), else by key."""
        try:
            return self.rows.index(row)  # TableRow compares by identity: a scan in C
        except ValueError:
            return self.index_of(row.key) if row.is_group or row.depth else None

    def index_of(self, key: str) -> int | None:
        if self._index is None:
            self._index = {row.key: index for index, row in enumerate(self.rows)}
        return self._index.get(key)

    def highlight_key(self, key: str) -> bool:
        index = self.index_of(key)
        if index is None:
            return False
        self.cursor_row = index
        return True

    # -- layout ------------------------------------------------------------------------------------

    def measure(self, summaries: list[Summary]) -> None:
        """Widen the natural column widths for these summaries (new or changed ones).

        Called with every batch while 100,000 rows load: what repeats (a test id, a model's
        name) is measured once per batch, a test id once."""
        measured = self._measured
        view = self.view
        seen = self._test_ids_measured
        # (The copies of a tree repeat their test ids: each is measured once.)
        test_ids = {summary.test_id: None for summary in summaries if summary.test_id not in seen}
        test_ids.pop(None, None)
        test_ids.pop("", None)
        seen.update(test_ids)
        labels = set()
        names = set()
        bracketed = set()  # names with parameters: shown with "[…]"
        for test_id in test_ids:
            self.common_params.add(test_id)
            label = short_test_name(test_id)
            labels.add(label)
            name, bracket, _ = label.partition("[")
            (bracketed if bracket else names).add(name)
        self._test_width = max(self._test_width, widest(labels))
        self._name_width = max(self._name_width, widest(names), widest(bracketed) + 3 if bracketed else 0)
        for summary in summaries:
            if summary.interaction is not None and summary.test_id:  # the test name with its ` #N`
                label = short_test_name(summary.test_id) + interaction_suffix(summary)
                self._test_width = max(self._test_width, display_width(label))
            if not summary.test_id:  # its file name is in the Test column
                file_width = display_width(view.file_label(summary))
                self._orphan_width = max(self._orphan_width, file_width)
                self._file_width = max(self._file_width, file_width)
            elif self._files_measured:
                self._measure_file(summary)
        for offset in MEASURED:
            column = COLUMNS[offset]
            if measured[offset] >= column.max_width:
                continue  # as wide as it may get: nothing to measure
            measured[offset] = max(measured[offset], widest(set(map(column.value, summaries))))
        self._fit_natural()

    def _measure_file(self, summary: Summary) -> None:
        shared = shared_name_key(self.view.names, summary.file)
        if shared is not None and summary.interaction is None:
            self._shared_names.add(shared)
        else:
            self._file_width = max(self._file_width, display_width(self.view.file_label(summary)))

    def _file_widths(self) -> int:
        """The widest file name of the grouped view, measuring what was not measured yet."""
        if not self._files_measured:
            self._files_measured = True
            for summary in self.view.summaries.values():
                if summary.test_id:  # (the others were measured with their batch)
                    self._measure_file(summary)
        if self._shared_names:
            names = self.view.names
            widest = max(widest_shared_label(names, key, display_width) for key in self._shared_names)
            self._file_width = max(self._file_width, widest)
            self._shared_names.clear()
        return self._file_width

    def _fit_natural(self) -> None:
        """The natural widths: headers (with room for the sort arrow), then what was measured."""
        natural = [
            max(cell_len(column.label) + (2 if column.key == self.sort_column else 0), width)
            for column, width in zip(COLUMNS, self._measured, strict=True)
        ]
        natural[0] = 1
        # Grouped, every recording shows its file name, two levels deep.
        first = self._file_widths() + 4 if self.grouped else max(self._test_width, self._orphan_width)
        natural[1] = max(natural[1], first)
        self._natural = [
            max(column.min_width, min(column.max_width, width))
            for column, width in zip(COLUMNS, natural, strict=True)
        ]
        self._fit()

    def append_rows(self, rows: list[TableRow]) -> None:
        """Add rows at the end: cost in the new rows only (the loader's batches while unsorted)."""
        if not rows:
            return
        start = len(self.rows)
        self.rows.extend(rows)
        if self._index is not None:
            for offset, row in enumerate(rows):
                self._index[row.key] = start + offset
        self._fit()  # the rows may now overflow: the scrollbar's room is kept from here on
        # Rows appended below the screen change only the scrollbar (a widget of its own); the
        # lines are drawn again when new rows show (or the columns moved: `_fit`).
        if start <= round(self.scroll_y) + self.size.height:
            self._update_virtual_size()
            self.refresh()
        else:
            # A new virtual size lays out (and draws) the whole screen again: while rows load
            # below the screen, the scrollbar follows a few times a second, not every batch.
            self._virtual_size_later()
        if start == 0:
            self._post_highlight()

    def _fit(self) -> None:
        """Fit the width: hide droppable columns if the test column would be cramped, then
        shrink columns to their soft width (in SHRINK_ORDER), then to their minimum."""
        widths = list(self._natural)
        available = max(self._available_width(), 1)

        def needed(widths: list[int]) -> int:
            shown = [index for index, width in enumerate(widths) if width]
            floor = sum(COLUMNS[index].min_width for index in shown) - COLUMNS[1].min_width
            return floor + ROOM_FOR_TEST + GAP * (len(shown) - 1)

        for _, index in DROP_ORDER:
            if needed(widths) <= available:
                break
            widths[index] = 0
        excess = _total(widths) - available
        # The Test column gives way down to its longest test name (up to NAME_ROOM; the
        # parameters are cut in the middle), then to its minimum like the others.
        soft = [column.soft_width for column in COLUMNS]
        if not self.grouped:
            soft[1] = max(soft[1], min(self._name_width, NAME_ROOM))
        minimum = [column.min_width for column in COLUMNS]
        for floors in (soft, minimum):
            for index in SHRINK_ORDER:
                if excess <= 0:
                    break
                if not widths[index]:
                    continue
                cut = min(max(0, widths[index] - floors[index]), excess)
                widths[index] -= cut
                excess -= cut
        if widths != self._widths:
            self.refresh()  # e.g. a batch of rows measured wider: every line moves
        self._widths = widths

    def _available_width(self) -> int:
        """The width for columns; the vertical scrollbar's room is kept when rows overflow, so
        the layout does not depend on whether the scrollbar happened to exist already."""
        width = self.size.width
        if len(self.rows) + 1 > self.size.height:
            width -= self.styles.scrollbar_size_vertical
        return width

    @property
    def total_width(self) -> int:
        return _total(self._widths)

    def _update_virtual_size(self) -> None:
        if self._virtual_size_timer is not None:
            self._virtual_size_timer.stop()
            self._virtual_size_timer = None
        size = Size(self.total_width, len(self.rows) + 1)
        if size == self.virtual_size:
            return
        if self._scrollbar_stays(size):
            # Only the scrollbar's thumb changes (a filter typed at 100,000 rows: 99,264 rows
            # -> 53,408). Setting `virtual_size` would lay out the whole screen, a frame of its
            # own on every keystroke; the thumb and the table's lines are repainted instead.
            self.set_reactive(RecordingTable.virtual_size, size)
            scrollbar = self.vertical_scrollbar
            scrollbar.window_virtual_size = size.height
            scrollbar.refresh()
            self.scroll_y = self.validate_scroll_y(self.scroll_y)  # fewer rows: not past the end
            self.refresh()
            return
        self.virtual_size = size

    def _scrollbar_stays(self, size: Size) -> bool:
        """The new virtual size changes no layout: the width is the same, and the rows overflow
        the table before and after (the vertical scrollbar is shown and stays)."""
        return (
            self.is_mounted
            and size.width == self.virtual_size.width
            and self.show_vertical_scrollbar
            and size.height > self.size.height
            and self.virtual_size.height > self.size.height
        )

    def _virtual_size_later(self) -> None:
        if self._virtual_size_timer is None:
            self._virtual_size_timer = self.set_timer(VIRTUAL_SIZE_DELAY, self._update_virtual_size)

    def _sync_virtual_size(self) -> None:
        """The virtual size now, if a later update is pending and the cursor is near its end
        (scrolling to it would stop short). Not for every arrow key pressed while loading: each
        update lays out the screen."""
        if (
            self._virtual_size_timer is not None
            and self.cursor_row + self.size.height >= self.virtual_size.height
        ):
            self._update_virtual_size()

    def on_resize(self, event: events.Resize) -> None:
        self._fit()
        self._update_virtual_size()
        self.refresh()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # -- rendering ---------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            return self._crop(
                self._header(), width, base + self.get_component_rich_style("recording-table--header")
            )
        index = round(self.scroll_y) + y - 1
        if index >= len(self.rows):
            if index == 0 and self.empty_message:
                message = Text(" " * (1 + GAP), end="")
                message.append_text(safe_text(self.empty_message, single_line=True))
                dim = self.get_component_rich_style("recording-table--dim", partial=True)
                return self._crop(message, width, base + dim)
            return Strip.blank(width, base)
        row = self.rows[index]
        summary = row.summary
        if summary is None:
            return self._draw_line(row, index, width, base)
        # A filter typed or a page scrolled mostly shows rows drawn a moment ago.
        drawn_for = (
            tuple(self._widths),
            self.grouped,
            round(self.scroll_x),
            width,
            base,
            self.has_focus,
            self.app.theme,
            self.common_params.version,
        )
        if drawn_for != self._lines_drawn_for:
            self._lines.clear()
            self._lines_drawn_for = drawn_for
        path = summary.path
        # A file name added elsewhere can change the labels of file names (`FileNames.version`),
        # which only the rows that show one depend on: while 100,000 rows load, names shared by
        # the copies of a tree keep coming, and the test-name rows on screen stay drawn.
        names = self.view.names.version if self.grouped or not summary.test_id else 0
        key = (row, index == self.cursor_row, path in self.new_paths, path == self.marked_path, names)
        strip = self._lines.get(key)
        if strip is None:
            if len(self._lines) >= LINE_CACHE:
                self._lines.clear()
            strip = self._lines[key] = self._draw_line(row, index, width, base)
        return strip

    def _draw_line(self, row: TableRow, index: int, width: int, base: Style) -> Strip:
        text = self._group_line(row) if row.is_group else self._recording_line(row)
        style = base
        if row.summary is not None and row.summary.status == "error":
            style += self.get_component_rich_style("recording-table--error")
        if index == self.cursor_row:
            style += self.get_component_rich_style("recording-table--cursor")
        text.stylize_before(style)
        return self._crop(text, width, style)

    def _crop(self, text: Text, width: int, style: Style) -> Strip:
        scroll_x = round(self.scroll_x)
        cells = text.cell_len
        # Rich renders a Text without spans as one segment of style None, which Textual's NO_COLOR
        # filter cannot take: it gets the null style, which draws the same.
        strip = Strip(
            [
                segment if segment.style is not None else Segment(segment.text, NO_STYLE, segment.control)
                for segment in text.render(self.app.console)
            ],
            cells,
        )
        if scroll_x or cells > width:  # (each Strip made costs: only crop when needed)
            strip = strip.crop(scroll_x, scroll_x + width)
        return strip.extend_cell_length(width, style)

    def _header(self) -> Text:
        text = Text(end="", no_wrap=True)
        sorted_style = self.get_component_rich_style("recording-table--header-sorted", partial=True)
        for position, (column, width) in enumerate(zip(COLUMNS, self._widths, strict=True)):
            if not width:
                continue
            if position:
                text.append(" " * GAP)
            cell = Text(column.label, end="")
            if column.key and column.key == self.sort_column:
                # The direction always shows: the label gives way to the arrow.
                arrow = "▼" if self.descending else "▲"
                cell.truncate(max(0, width - 2), overflow="ellipsis")
                cell = Text.assemble(cell, " " if width > 1 else "", arrow, style=sorted_style, end="")
            cell.truncate(width, overflow="ellipsis")
            cell.align("right" if column.right else "left", width)
            text.append_text(cell)
        return text

    def _recording_line(self, row: TableRow) -> Text:
        summary = row.summary
        assert summary is not None
        values = self._values(summary)
        dim = self.get_component_rich_style("recording-table--dim", partial=True)
        text = Text(end="", no_wrap=True)
        if summary.path == self.marked_path:
            text.append(MARK_MARKER, self.get_component_rich_style("recording-table--mark", partial=True))
        else:
            is_new = summary.path in self.new_paths
            text.append(
                NEW_MARKER if is_new else " ",
                self.get_component_rich_style("recording-table--new", partial=True),
            )
        text.append(" " * GAP)
        first_width = self._widths[1]
        indent = "  " * row.depth
        if self.grouped or not summary.test_id:
            first_value, first_style = self.view.file_label(summary), dim
            suffix = f"#{summary.interaction}" if summary.interaction is not None else ""
            room = max(first_width - len(indent), len(suffix) + 2)
            if suffix and cell_len(first_value) > room:  # cut the name, keep the interaction's number
                name = first_value[: -len(suffix)]
                while name and cell_len(name) > room - len(suffix) - 1:
                    name = name[:-1]
                first_value = f"{name}…{suffix}"
        else:
            # The test name, and of its parametrization what tells it from the test's other ids;
            # `#N` of a cassette's interaction kept (a test's interactions would read alike).
            suffix = interaction_suffix(summary)
            room = max(first_width - len(indent) - len(suffix), 12)
            common = self.common_params.common(summary.test_id)
            first_value = flat(fit_test_name(summary.test_id, room, common)) + suffix
            first_style = ""
        first = Text(indent, end="")
        first.append_text(safe_text(first_value, first_style, single_line=True))
        first.truncate(first_width, overflow="ellipsis", pad=True)
        text.append_text(first)
        status_style = ""
        if summary.status == "ok" and summary.exception:
            status_style = self.get_component_rich_style("recording-table--exception", partial=True)
        for offset, value in enumerate(values, start=2):
            width = self._widths[offset]
            if not width:
                continue
            column = COLUMNS[offset]
            text.append(" " * GAP)
            cell = safe_text(value, status_style if column.key == "status" else "", single_line=True)
            if column.right:
                cell.truncate(width, overflow="ellipsis")
                cell.align("right", width)
            else:
                cell.truncate(width, overflow="ellipsis", pad=True)
            text.append_text(cell)
        return text

    def _group_line(self, row: TableRow) -> Text:
        group_style = self.get_component_rich_style("recording-table--group", partial=True)
        dim = self.get_component_rich_style("recording-table--dim", partial=True)
        text = Text(end="", no_wrap=True)
        text.append(" " * (1 + GAP))
        text.append("  " * row.depth)
        text.append("▾ " if row.expanded else "▸ ", group_style)
        text.append_text(safe_text(flat(row.label), group_style, single_line=True))
        text.append(f"  {row.count} recording{'' if row.count == 1 else 's'}", dim)
        if row.detail:
            text.append(f", {row.detail}", dim)
        if any(summary.path in self.new_paths for summary in row.children):
            text.append(f" {NEW_MARKER}", self.get_component_rich_style("recording-table--new", partial=True))
        if text.cell_len < self.total_width:
            text.pad_right(self.total_width - text.cell_len)
        return text

    # -- cursor --------------------------------------------------------------------------------------

    def validate_cursor_row(self, value: int) -> int:
        return max(0, min(value, len(self.rows) - 1))

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._scroll_cursor_into_view()  # a scroll repaints everything by itself
        self._refresh_row(old)
        self._refresh_row(new)
        self._post_highlight()

    def _refresh_row(self, index: int) -> None:
        """Repaint one row's line only (moving the cursor touches two lines, not the screen)."""
        y = index - round(self.scroll_y) + 1
        if 1 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def _post_highlight(self) -> None:
        row = self.highlighted_row
        marker = None if row is None else (row.key, id(row.summary) if row.summary else row.count)
        if marker != self._last_highlight:
            self._last_highlight = marker
            self.post_message(self.Highlighted(self, row))

    @property
    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_cursor_into_view(self) -> None:
        self._sync_virtual_size()
        top = round(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + self._page:
            self.scroll_to(y=self.cursor_row - self._page + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self.cursor_row -= 1

    def action_cursor_down(self) -> None:
        self.cursor_row += 1

    def action_page_up(self) -> None:
        self.cursor_row -= self._page

    def action_page_down(self) -> None:
        self.cursor_row += self._page

    def action_first(self) -> None:
        self.cursor_row = 0

    def action_last(self) -> None:
        self.cursor_row = len(self.rows) - 1

    def action_select(self) -> None:
        row = self.highlighted_row
        if row is not None:
            self.post_message(self.Selected(self, row))

    def action_expand(self) -> None:
        row = self.highlighted_row
        if row is not None and row.is_group and not row.expanded:
            self.post_message(self.GroupToggled(self, row, True))
        elif row is None or not row.is_group:
            self.scroll_right(animate=False)

    def action_collapse(self) -> None:
        row = self.highlighted_row
        if row is not None and row.is_group and row.expanded:
            self.post_message(self.GroupToggled(self, row, False))
        elif row is not None and self.grouped and row.depth > 0:
            # Step out to the enclosing group, like a file tree.
            for index in range(self.cursor_row - 1, -1, -1):
                if self.rows[index].is_group and self.rows[index].depth < row.depth:
                    self.cursor_row = index
                    break
        else:
            self.scroll_left(animate=False)

    def action_toggle(self) -> None:
        row = self.highlighted_row
        if row is not None and row.is_group:
            self.post_message(self.GroupToggled(self, row, not row.expanded))

    # -- mouse ---------------------------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            column = self._column_at(offset.x + round(self.scroll_x))
            if column:
                self.post_message(self.HeaderClicked(self, column))
            return
        index = round(self.scroll_y) + offset.y - 1
        if 0 <= index < len(self.rows):
            self.cursor_row = index
            if event.chain >= 2:
                self.action_select()

    def column_offset(self, key: str) -> int | None:
        """Where a column starts on the table's lines (None when it is hidden or unknown)."""
        start = 0
        for column, width in zip(COLUMNS, self._widths, strict=True):
            if not width:
                continue
            if column.key == key:
                return start
            start += width + GAP
        return None

    def _column_at(self, x: int) -> str | None:
        start = 0
        for column, width in zip(COLUMNS, self._widths, strict=True):
            if not width:
                continue
            if start <= x < start + width + GAP:
                return column.key or None
            start += width + GAP
        return None


def interaction_suffix(summary: Summary) -> str:
    """` #N` after the test name of a cassette interaction's row, "" for any other row."""
    return "" if summary.interaction is None else f" #{summary.interaction}"
