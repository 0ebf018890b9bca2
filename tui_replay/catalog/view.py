"""What the list of recordings means, apart from how it is drawn (pure Python: no Textual, no Rich).

One registry of columns (`COLUMNS`: key, label, the cell's text, the sort key, widths, the
order in which a narrow terminal drops them) and `ListingView`: summaries -> filter -> sort ->
group -> rows. The app's table and browse screen and `tui-replay list`'s table read from here.

Built for 100,000 rows: the search text of each row is lowercased once; a query that only
grows filters the previous result instead of every row; the sorted order is kept until the
rows or the sort change; recording rows are made once and reused.
"""

from __future__ import annotations

import os
from bisect import bisect_left, insort
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tui_replay.catalog.filters import (
    SORT_COLUMNS,
    KeyStatus,
    Query,
    QueryError,
    TextSearch,
    group_by_test,
    parse_query,
    readable_part,
    search_text,
    sort_summaries,
)
from tui_replay.catalog.testids import NO_TEST_ID, short_file_name, short_test_name, split_test_id
from tui_replay.recording.model import Summary

STREAM_MARKER = "⇶"
SMALL_TEST_GROUP = 3  # tests with this many recordings or fewer start unfolded
SMALL_ORPHAN_GROUP = 20
RECENT_RESULTS = 8  # results of the last queries kept: backspacing is answered from them
TEST_FILES_PREFIX = "tests/integration/"  # every id starts with it: the groups leave it out


def flat(text: str | None) -> str:
    """One line: runs of whitespace (newlines, tabs, form feeds ...) folded to one space."""
    return " ".join(text.split()) if text else ""


def status_text(summary: Summary) -> str:
    if summary.status == "error":
        return f"error: {flat(summary.error)}" if summary.error else "error"
    if summary.exception:
        return "exception"
    return "capture" if summary.capture else "ok"  # a live capture of ours, not a test recording


def _count(value: int) -> str:
    return str(value) if value else ""


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the listing, the same in the app and in `tui-replay list`."""

    key: str  # also the sort key's name in filters.SORT_COLUMNS
    label: str
    value: Callable[[Summary], str]  # the raw one-line text (made safe where it is drawn)
    min_width: int
    max_width: int
    right: bool = False
    soft_width: int = 0  # when the table is too wide, shrink to this first (0 = never shrinks)
    drop_order: int = 0  # on narrow terminals hide columns, lowest first (0 = always shown)
    short_label: str = ""  # the header where room is short ("" = the label)
    sort_label: str = ""  # how the status line names the sort ("" = not sortable)
    numeric: bool = False  # sorts biggest first on the first click

    @property
    def sortable(self) -> bool:
        return bool(self.sort_label)

    @property
    def sort_key(self) -> Callable[[Summary], Any]:
        return SORT_COLUMNS[self.key]


# `file` and `test` take their text from the listing (a file name may need its folder).
COLUMNS: tuple[Column, ...] = (
    Column("file", "File", lambda s: short_file_name(s.file), 8, 18, drop_order=1, sort_label="file name"),
    Column("test", "Test", lambda s: short_test_name(s.test_id), 16, 100, soft_width=50, sort_label="test"),
    Column("kind", "Kind", lambda s: flat(s.kind), 10, 12, soft_width=10, sort_label="kind"),
    Column(
        "endpoint",
        "Endpoint",
        lambda s: flat(s.endpoint),
        8,
        30,
        soft_width=20,
        drop_order=1,
        sort_label="endpoint",
    ),
    Column("model", "Model", lambda s: flat(s.model), 10, 34, soft_width=20, sort_label="model"),
    Column(
        "streaming",
        STREAM_MARKER,
        lambda s: STREAM_MARKER if s.streaming else "",
        1,
        1,
        drop_order=6,
        sort_label="streamed",
    ),
    Column(
        "chunks",
        "Chunks",
        lambda s: str(s.chunks) if s.streaming or s.chunks else "",
        6,
        7,
        right=True,
        drop_order=5,
        short_label="Chk",
        sort_label="chunks",
        numeric=True,
    ),
    Column(
        "tool_calls",
        "Tools",
        lambda s: _count(s.tool_calls),
        5,
        5,
        right=True,
        drop_order=3,
        short_label="Tls",
        sort_label="tool calls",
        numeric=True,
    ),
    Column(
        "citations",
        "Cites",
        lambda s: _count(s.citations),
        5,
        5,
        right=True,
        drop_order=2,
        short_label="Cit",
        sort_label="citations",
        numeric=True,
    ),
    Column(
        "tokens",
        "Tokens",
        Summary.tokens_label,
        6,
        13,
        right=True,
        drop_order=4,
        sort_label="tokens",
        numeric=True,
    ),
    Column("status", "Status", status_text, 6, 40, soft_width=14, sort_label="status"),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
SORTABLE = tuple(column.key for column in COLUMNS if column.sortable)


def column(key: str) -> Column:
    return COLUMN_BY_KEY[key]


def first_descending(key: str) -> bool:
    """The direction a column sorts in when first chosen: numbers biggest first."""
    found = COLUMN_BY_KEY.get(key)
    return found is not None and found.numeric


def display_test_file(file_part: str) -> str:
    """Test files as the user knows them: without the `tests/integration/` every id starts with."""
    return file_part.removeprefix(TEST_FILES_PREFIX)


def _folders_back(file: str) -> list[str]:
    """The folders of a path (`os.path.dirname`'s), nearest first: the order same-named files
    are kept in. Called a few times per row: str methods, not posixpath, where they agree."""
    cut = file.rfind("/")
    head = file[:cut] if cut > 0 else file[: cut + 1]  # no folder: ""; at the root: "/"
    if cut > 0 and head.endswith("/"):  # "a//x.json": dirname strips the repeated slashes
        head = os.path.dirname(file)
    return head.split("/")[::-1]


def _name(file: str) -> str:
    """`os.path.basename`, without its call overhead."""
    return file[file.rfind("/") + 1 :]


def _common_length(a: list[str], b: list[str]) -> int:
    """How many items two lists share from their start."""
    count = 0
    for first, second in zip(a, b, strict=False):
        if first != second:
            break
        count += 1
    return count


def _folder_label(folder: str, depth: int, short: str) -> str:
    """A shared name's label: the nearest folder that differs (`agents/x.json`), with `…` for
    the folders it shares with the others left out (`a/…/x.json`)."""
    return f"{folder}/{short}" if depth == 1 else f"{folder}/…/{short}"


class FileNames:
    """Short file names that tell apart files of the same name in different folders: such a
    name gets the nearest folder that differs (`agents/x.json`, `a/…/x.json` for
    `a/recordings/x.json` beside `b/recordings/x.json`)."""

    # Keyed by the hash of the name, not the name: 100,000 names are not copied again (a hash
    # collision only costs a comparison of the real names in `label`). The files of a shared
    # name are kept sorted by their folders read from the nearest: the folders a file shares
    # most with another are those it shares with a neighbour, so a label looks at two files,
    # not at every file of that name (32 copies of a tree: 31).
    def __init__(self) -> None:
        self._first: dict[int, str] = {}  # hash of a name -> the first file of that name
        self._shared: dict[int, list[str]] = {}  # hash of a name -> files, when several (sorted)
        # hash of a name -> `_folders_back` of the last of its shared files: loading in scan
        # order adds after it, and 32 copies of a tree share every name (one split a row saved).
        self._last_back: dict[int, list[str]] = {}
        self.version = 0  # goes up whenever a label may have changed

    def add(self, file: str) -> None:
        self.add_all((file,))

    def add_all(self, files: Iterable[str]) -> None:
        """`add` each of `files` (a loading batch: one call, not one a row)."""
        first_of = self._first
        shared_of = self._shared
        last_back = self._last_back
        for file in files:
            key = hash(file[file.rfind("/") + 1 :])
            first = first_of.setdefault(key, file)
            if first == file:
                continue
            shared = shared_of.get(key)
            if shared is None:
                shared = shared_of[key] = [first]
            # A walk in scan order mostly adds after the last: one comparison, not a search
            # (and a file after the last is not in the list yet).
            back = _folders_back(file)
            last = last_back.get(key)
            if last is None:
                last = _folders_back(shared[-1])
            if back > last:
                shared.append(file)
                last_back[key] = back
            elif file in shared:
                continue
            else:
                insort(shared, file, key=_folders_back)
            self.version += 1

    def discard(self, file: str) -> None:
        key = hash(_name(file))
        self._last_back.pop(key, None)  # (made again from the list when asked)
        shared = self._shared.get(key)
        if shared is not None:
            self.version += 1
            if file in shared:
                shared.remove(file)
            if self._first.get(key) == file and shared:
                self._first[key] = shared[0]
            if len(shared) < 2:
                del self._shared[key]
        elif self._first.get(key) == file:
            del self._first[key]

    def label(self, file: str) -> str:
        short = short_file_name(file)
        name = _name(file)
        shared = self._shared.get(hash(name))
        if not shared:
            return short
        back = _folders_back(file)
        # (Mostly the one just added, at the end: no search.)
        at = len(shared) - 1 if shared[-1] == file else bisect_left(shared, back, key=_folders_back)
        after = at + 1 if at < len(shared) and shared[at] == file else at
        neighbours = shared[max(at - 1, 0) : at] + shared[after : after + 1]
        if not neighbours:
            return short
        if any(_name(other) != name or other == file for other in neighbours):
            return self._label_by_scan(file, short, name, shared)  # a hash collision
        depth = 1 + max(_common_length(back, _folders_back(other)) for other in neighbours)
        if depth > len(back):
            return file
        return _folder_label(back[depth - 1], depth, short)

    @staticmethod
    def _label_by_scan(file: str, short: str, name: str, shared: list[str]) -> str:
        others = [
            os.path.dirname(other).split("/")
            for other in shared
            if other != file and os.path.basename(other) == name
        ]
        if not others:
            return short
        folders = os.path.dirname(file).split("/")
        for depth in range(1, len(folders) + 1):
            if all(other[-depth:] != folders[-depth:] for other in others):
                return _folder_label(folders[-depth], depth, short)
        return file


@dataclass(slots=True, eq=False)  # compared by identity: finding a row in 100,000 is a C scan
class TableRow:
    """One line of the list: a recording (`summary` set) or a group header."""

    key: str  # the recording's path, or "file:…" / "test:…" for a group
    summary: Summary | None = None
    depth: int = 0
    label: str = ""  # group rows: the file or the test; recordings: "" (the test id is used)
    count: int = 0  # group rows: recordings inside
    detail: str = ""  # group rows: a dim note after the count, e.g. "3 tests"
    expanded: bool = False
    children: Sequence[Summary] = ()  # group rows: the recordings inside

    @property
    def is_group(self) -> bool:
        return self.summary is None


def group_keys(summary: Summary) -> tuple[str, ...]:
    """The keys of the groups a recording sits in (its test file, then its test)."""
    if not summary.test_id:
        return (f"file:{NO_TEST_ID}",)
    file_part, test_part = split_test_id(summary.test_id)
    return (f"file:{file_part}", f"test:{file_part}::{test_part}")


class ListingView:
    """The summaries of a listing and how they are shown: filter, sort, grouping, folds."""

    def __init__(self) -> None:
        self.summaries: dict[str, Summary] = {}  # by path, in scan order
        self.names = FileNames()
        self.errors = 0
        self.query_text = ""  # as typed (the readable part is applied when it is not all readable)
        self.query_error: str | None = None
        self.query: Query | None = None
        self.text_search: TextSearch | None = None  # how `text:` looks inside (None: reads the files)
        self.key_status: KeyStatus | None = None  # a row's status for `key:` (None: read when asked)
        self.sort_column: str | None = None
        self.descending = False
        self.grouped = False
        self.partial = False  # rows are still loading: group counts say so
        self.group_open: dict[str, bool] = {}
        self._order: list[Summary] | None = None  # every summary, sorted
        self._texts: list[str] = []  # search_text of each in _order
        self._matches: list[int] | None = None  # indexes into _order that match self.query
        self._matched: Query | None = None  # the query _matches answers
        self._recent: dict[tuple, list[int]] = {}  # query.key -> its matches, for the last few
        self._order_rows: list[TableRow] = []  # the row of each in _order
        # No map by path of texts or rows (~5 MB each at 100,000 rows): when the order is made
        # again, those of the summaries still listed are taken from the previous order.
        self._previous: tuple[list[Summary], list[str], list[TableRow]] | None = None
        # The last add()'s new summaries and their rows (`rows_for`), and id(summary) -> row
        # for them, made if asked (`row_for`).
        self._added: tuple[list[Summary], list[TableRow]] | None = None
        self._added_rows: dict[int, TableRow] | None = None
        self._row_of: dict[int, TableRow] | None = None  # id(summary) -> row, made if asked

    # -- the summaries ---------------------------------------------------------------------------

    def add(self, summaries: Iterable[Summary]) -> list[Summary] | None:
        """Add or replace rows. Returns the ones the filter shows, when they only go at the end
        of the list (unsorted, ungrouped, all new): the caller can append just those. Otherwise
        None: `rows()` must be asked again."""
        fresh = list(summaries)
        replaced = False
        # (A loading batch is thousands of rows: one pass each, locals, no call per row.)
        listed = self.summaries
        for summary in fresh:
            path = summary.path
            old = listed.get(path)
            if old is not None:
                replaced = True
                self._forget(old)
            listed[path] = summary
        self.names.add_all([summary.file for summary in fresh])
        self.errors += sum(1 for summary in fresh if summary.status == "error")
        self._added = self._added_rows = None
        if replaced or self.sort_column is not None or self._order is None:
            self._drop_order()
            return None
        start = len(self._order)
        self._order.extend(fresh)
        self._texts.extend(map(search_text, fresh))
        rows = [TableRow(summary.path, summary) for summary in fresh]
        self._order_rows.extend(rows)
        self._added = (fresh, rows)
        if self._row_of is not None:
            self._row_of.update((id(row.summary), row) for row in rows)
        self._recent.clear()  # the results of other queries miss the new rows
        if self._matched is None:  # no filter: every new row is shown
            return None if self.grouped else fresh
        if self._matches is None:
            return None
        new = self._matched.select(self._order, self._texts, range(start, start + len(fresh)))
        self._matches.extend(new)
        self._recent[self._matched.key] = self._matches
        return None if self.grouped else [self._order[index] for index in new]

    def remove(self, paths: Iterable[str]) -> None:
        for path in paths:
            summary = self.summaries.pop(path, None)
            if summary is not None:
                self._forget(summary)
                if summary.interaction is None:  # a cassette's other interactions keep its name
                    self.names.discard(summary.file)
        self._drop_order()

    def _forget(self, summary: Summary) -> None:
        self.errors -= summary.status == "error"

    def _drop_order(self) -> None:
        """The sorted order must be made again; its texts and rows are kept to be reused."""
        if self._order is not None and self._previous is None:
            self._previous = (self._order, self._texts, self._order_rows)
        self._order = None
        self._row_of = None

    def file_label(self, summary: Summary) -> str:
        """The file's short name, with the folders that tell it from others of the same name,
        and `#N` for an interaction of a cassette (its rows share the file)."""
        label = self.names.label(summary.file)
        return label if summary.interaction is None else f"{label}#{summary.interaction}"

    # -- filter ----------------------------------------------------------------------------------

    def set_query(self, text: str) -> str | None:
        """Filter with `text`; returns the reason when part of it cannot be read. Then the
        readable words apply (the rows from before the half-typed word), not nothing."""
        self.query_text = text
        hooks = {"text_search": self.text_search, "key_status": self.key_status}
        try:
            self.query = parse_query(text, **hooks) if text.strip() else None
            self.query_error = None
        except QueryError as exc:
            self.query, self.query_error = readable_part(text, **hooks), str(exc)
        return self.query_error

    def matches(self, summary: Summary) -> bool:
        return self.query is None or self.query(summary)

    def forget_results(self) -> None:
        """Drop the filter results kept: the `text:` answers they came from grew (the rows found
        so far while the index is prepared), so the same query must look again."""
        self._recent.clear()
        self._matches = self._matched = None

    def hidden_by_filter(self, path: str) -> bool:
        summary = self.summaries.get(path)
        return summary is not None and not self.matches(summary)

    # -- sort and group --------------------------------------------------------------------------

    def set_sort(self, key: str | None, descending: bool | None = None) -> None:
        """Sort on a column (None: scan order); `descending` None = the column's first direction."""
        if key is not None and key not in SORTABLE:
            raise ValueError(f"not a sortable column: {key}")
        if descending is None:
            descending = first_descending(key) if key else False
        if (key, descending) != (self.sort_column, self.descending):
            self._drop_order()
        self.sort_column = key
        self.descending = bool(descending) if key else False

    def sort_label(self) -> str | None:
        return COLUMN_BY_KEY[self.sort_column].sort_label if self.sort_column else None

    def toggle_group(self, key: str, expand: bool) -> None:
        self.group_open[key] = expand

    def fold_all(self, expand: bool) -> None:
        """Unfold (or fold) every test file and test shown; the view becomes grouped."""
        for summary in self.visible():
            for key in group_keys(summary):
                self.group_open[key] = expand
        self.grouped = True

    def unfold_to(self, path: str) -> None:
        summary = self.summaries.get(path)
        if summary is not None:
            for key in group_keys(summary):
                self.group_open[key] = True

    # -- the pipeline ----------------------------------------------------------------------------

    def _sorted(self) -> list[Summary]:
        if self._order is None:
            everything = list(self.summaries.values())
            if self.sort_column:
                everything = sort_summaries(everything, self.sort_column, descending=self.descending)
            self._order = everything
            self._texts, self._order_rows = self._texts_and_rows(everything)
            self._matches = self._matched = None
            self._recent.clear()
        return self._order

    def _match(self) -> list[int] | None:
        """Indexes into the sorted order of what the filter keeps (None: everything).

        A query that grows filters the previous result; one seen lately (a backspace) is
        answered from RECENT_RESULTS; any other looks at every row once."""
        order = self._sorted()
        query = self.query
        if query is None:
            self._matches = self._matched = None
            return None
        if query is self._matched and self._matches is not None:
            return self._matches
        matches = self._recent.pop(query.key, None)
        if matches is None:
            narrows = self._matches is not None and self._matched is not None and query.narrows(self._matched)
            among = self._matches if narrows and self._matches is not None else range(len(order))
            matches = query.select(order, self._texts, among)
        self._recent[query.key] = matches  # the most recent last
        while len(self._recent) > RECENT_RESULTS:
            del self._recent[next(iter(self._recent))]
        self._matches, self._matched = matches, query
        return matches

    def visible(self) -> list[Summary]:
        """The summaries the filter keeps, in the sorted order."""
        matches = self._match()
        order = self._sorted()
        return list(order) if matches is None else [order[index] for index in matches]

    @property
    def shown(self) -> int:
        """How many recordings the filter keeps."""
        matches = self._match()
        return len(self.summaries) if matches is None else len(matches)

    def rows(self) -> list[TableRow]:
        """The table's rows: recordings, or (grouped) group headers and the recordings unfolded."""
        if not self.grouped:
            matches = self._match()
            rows = self._order_rows
            return list(rows) if matches is None else list(map(rows.__getitem__, matches))
        visible = self.visible()
        rows: list[TableRow] = []
        for file_part, tests in group_by_test(visible).items():
            children = [summary for recordings in tests.values() for summary in recordings]
            file_key = f"file:{file_part}"
            if file_part == NO_TEST_ID:
                is_open = self.group_open.get(file_key, len(children) <= SMALL_ORPHAN_GROUP)
                partial = "so far" if self.partial else ""
                rows.append(
                    TableRow(file_key, None, 0, NO_TEST_ID, len(children), partial, is_open, children)
                )
                if is_open:
                    rows.extend(TableRow(summary.path, summary, 1) for summary in children)
                continue
            detail = f"{len(tests)} test{'' if len(tests) == 1 else 's'}"
            if self.partial:
                detail += " so far"
            is_open = self.group_open.get(file_key, True)
            label = display_test_file(file_part)
            rows.append(TableRow(file_key, None, 0, label, len(children), detail, is_open, children))
            if not is_open:
                continue
            for test_part, recordings in tests.items():
                test_key = f"test:{file_part}::{test_part}"
                test_open = self.group_open.get(test_key, len(recordings) <= SMALL_TEST_GROUP)
                rows.append(
                    TableRow(
                        test_key, None, 1, test_part or label, len(recordings), "", test_open, recordings
                    )
                )
                if test_open:
                    rows.extend(TableRow(summary.path, summary, 2) for summary in recordings)
        return rows

    def _texts_and_rows(self, summaries: list[Summary]) -> tuple[list[str], list[TableRow]]:
        """The search text and row of each summary: those of the previous order where it had
        the very summary (a row is made once: the table finds the highlighted row by identity)."""
        previous, self._previous = self._previous, None
        if previous is None:
            return list(map(search_text, summaries)), [TableRow(s.path, s) for s in summaries]
        old_order, old_texts, old_rows = previous
        where = {id(summary): index for index, summary in enumerate(old_order)}
        texts: list[str] = []
        rows: list[TableRow] = []
        for summary in summaries:
            index = where.get(id(summary))
            if index is None:
                texts.append(search_text(summary))
                rows.append(TableRow(summary.path, summary))
            else:
                texts.append(old_texts[index])
                rows.append(old_rows[index])
        return texts, rows

    def rows_for(self, summaries: list[Summary]) -> list[TableRow]:
        """`row_for` of each: at once for the very list `add` returned (a loading batch)."""
        added = self._added
        if added is not None and summaries is added[0]:
            return list(added[1])
        return [self.row_for(summary) for summary in summaries]

    def row_for(self, summary: Summary) -> TableRow:
        """The ungrouped row of a listed summary (the same object every time)."""
        if self._added_rows is None and self._added is not None:
            self._added_rows = {id(row.summary): row for row in self._added[1]}
        row = self._added_rows.get(id(summary)) if self._added_rows is not None else None
        if row is not None and row.summary is summary:
            return row
        self._sorted()
        if self._row_of is None:
            self._row_of = {id(row.summary): row for row in self._order_rows}
        row = self._row_of.get(id(summary))
        if row is None or row.summary is not summary:  # not listed: a row of its own
            row = TableRow(summary.path, summary)
        return row


# -- the widest file label, for the table's widths ---------------------------------------------------
# (Functions beside FileNames, not methods: `label` is for one file, these for all of one name.)


def shared_name_key(names: FileNames, file: str) -> int | None:
    """The key of the files of `file`'s name when several files have it (None: its own short
    name is its label); `widest_shared_label` takes it."""
    key = hash(os.path.basename(file))
    return key if key in names._shared else None


def widest_shared_label(names: FileNames, key: int, width: Callable[[str], int]) -> int:
    """The widest `names.label` among the files of one shared name, all found at once.

    A file's label goes one folder deeper than the longest run of last folders it shares with
    any other of its name; sorted by their folders read backwards, that other is a neighbour."""
    files = names._shared.get(key)
    if not files:
        first = names._first.get(key)
        return 0 if first is None else width(names.label(first))
    by_name: dict[str, list[tuple[list[str], str]]] = {}
    for file in files:
        by_name.setdefault(_name(file), []).append((_folders_back(file), file))
    widest = 0
    for same_name in by_name.values():
        same_name.sort()
        shared_runs = [0] * len(same_name)
        for index in range(1, len(same_name)):
            run = _common_length(same_name[index - 1][0], same_name[index][0])
            shared_runs[index - 1] = max(shared_runs[index - 1], run)
            shared_runs[index] = max(shared_runs[index], run)
        for (backwards, file), run in zip(same_name, shared_runs, strict=True):
            short = short_file_name(file)
            if len(same_name) == 1:
                label = short
            elif run < len(backwards):
                label = _folder_label(backwards[run], run + 1, short)
            else:
                label = file
            widest = max(widest, width(label))
    return widest
