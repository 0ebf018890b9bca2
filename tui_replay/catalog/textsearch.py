"""The two ways a `text:` filter looks inside recordings: the full-text index, or the files.

Both match the same text (`recording/text.py`, taken from the parsed file), case-insensitively,
as a substring; `parse_query(..., text_search=...)` takes either.
"""

from __future__ import annotations

import array
import collections
import dataclasses
import itertools
import os
import stat as stat_module
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

from tui_replay.catalog.cache import SummaryCache
from tui_replay.catalog.parallel import file_texts
from tui_replay.catalog.predicate import Predicate, TextSearch
from tui_replay.catalog.scan import Found
from tui_replay.recording.model import Summary


class Catalog(Protocol):
    """What the index upkeep needs of a `catalog.Catalog` (named so, not imported: the catalog
    imports this module)."""

    cache: SummaryCache | None
    max_size: int
    jobs: int
    unindexed: int

    def store_rows(self, found: Found, rows: list[Summary], texts: list[str] | None) -> list[Summary]: ...

    def summarize_path(self, path: str) -> list[Summary]: ...


def row_texts(file: str, max_size: int) -> list[str]:
    """What each row of a file says, in row order (a cassette: one per interaction)."""
    return file_texts(file, max_size)[0]


def search_files_text(max_size: int) -> TextSearch:
    """`text:` by reading each row's file (no index, or one that misses rows)."""
    last: dict[str, list[str]] = {}  # one file: a cassette's rows come one after the other

    def texts_of(file: str) -> list[str]:
        texts = last.get(file)
        if texts is None:
            last.clear()
            texts = last[file] = [text.lower() for text in row_texts(file, max_size)]
        return texts

    def search(needle: str) -> Predicate:
        needle = needle.lower()

        def matches(summary: Summary) -> bool:
            if summary.status != "ok":
                return False
            texts = texts_of(summary.file)
            index = summary.interaction or 0
            return index < len(texts) and needle in texts[index]

        return matches

    return search


def search_index_text(
    cache: SummaryCache, roots: list[str], max_size: int, prepare: Callable[[], bool] = lambda: True
) -> TextSearch:
    """`text:` through the full-text index, for rows listed (and saved) under `roots`.

    `prepare` brings the index up to date for those rows before a query (False: it could not,
    the files are read instead)."""
    fallback = search_files_text(max_size)
    absolute = [os.path.abspath(root) for root in roots]

    def search(needle: str) -> Predicate:
        if not prepare():
            return fallback(needle)
        found = cache.search(needle, absolute)
        if found is None:  # the index failed on the way
            return fallback(needle)
        return _FoundRows(found)

    return search


class _FoundRows:
    """A predicate true for the rows in `found` ((absolute file, row index) each). Most rows are
    told apart by the end of their path alone (`name`, or `name#N` for a cassette's interaction
    N): only a row whose end matches has its path made absolute. `name_hints` lets a listing
    narrow to those ends first (`Query.select`: 100,000 calls of this took ~80 ms a keystroke)."""

    __slots__ = ("_absolute_folders", "_found", "_tails", "name_hints")

    def __init__(self, found: set[tuple[str, int]]) -> None:
        tails = set()
        parts = set()  # (absolute folder, name, row): no path joined per row tested
        for path, row in found:
            folder, _, name = path.rpartition(os.sep)
            parts.add((folder or os.sep, name, row))
            tails.add(f"{name}#{row}")
            if row == 0:
                tails.add(name)
        self._found = parts
        self._tails = tails
        self._absolute_folders: dict[str, str] = {}
        # (A name holding a line break would not be the search text's last line: no narrowing.)
        self.name_hints = None if any("\n" in tail for tail in tails) else frozenset(t.lower() for t in tails)

    def __call__(self, summary: Summary) -> bool:
        path = summary.path
        if path[path.rfind(os.sep) + 1 :] not in self._tails or summary.status != "ok":
            return False
        folder, _, name = summary.file.rpartition(os.sep)
        absolute_folder = self._absolute_folders.get(folder)
        if absolute_folder is None:
            absolute_folder = self._absolute_folders[folder] = os.path.abspath(folder or os.curdir)
        return (absolute_folder, name, summary.interaction or 0) in self._found


def indexed_rows(
    catalog: Catalog, roots: list[str], state: IndexState, needle: str
) -> tuple[Iterator[Summary], TextSearch] | None:
    """The rows under `roots` whose text holds `needle`, in listing order (each file's rows from
    the cache), and a `text:` hook for the other words of the filter, both answered by the index
    `state` vouches for. None: the index could not be asked."""
    cache = catalog.cache
    assert cache is not None
    absolute = [os.path.abspath(root) for root in roots]
    first = state.searched.pop(needle, None)  # (once: the index may change after)
    if first is None:
        first = cache.search(needle, absolute)
    if first is None:
        return None
    files = {path for path, _ in first}
    candidates = state.listed(files)
    searched = {needle: first}

    def text_search(other: str) -> Predicate:
        found = searched.get(other)
        if found is None:
            found = searched[other] = cache.search(other, absolute)
        return _FoundRows(found) if found is not None else search_files_text(catalog.max_size)(other)

    def rows() -> Iterator[Summary]:
        matches = _FoundRows(first)
        for path, abs_path, size, mtime_ns in candidates:
            stored = cache.get_rows(abs_path, size, mtime_ns, path)
            if stored is None:  # (gone from the cache since: another process rebuilt it)
                stored = catalog.summarize_path(path)
            for row in stored:
                if matches(row):
                    yield row
        cache.close()

    return rows(), text_search


# -- keeping the index up to date ------------------------------------------------------------
#
# A `text:` query may only ask the index once it holds the text of every file under its roots as
# the files are now. The proof, cheapest first:
#   - in the app the watcher tells the catalog what changed: after the first pass, none (the
#     caller says so with `assume_fresh`);
#   - headless, the snapshot the last complete pass kept (`text_snapshots`): the stat of every
#     folder under the root (a file added, removed or renamed changes its folder's mtime and
#     ctime) and of every file (a rewrite in place changes the file's ctime, whatever it does to
#     its mtime; so does a chmod). One stat per file, no listing of folders, no row decoded;
#     files changed in place are read again on their own;
#   - else a pass over the tree (the scan, and the files the index does not hold read for their
#     text by worker processes), which keeps a new snapshot.

RECENT_NS = 2_000_000_000  # a stat this close to the pass is not kept: a change within the same
# clock tick would leave it as it was
MAX_CHANGED = 256  # files changed in place read again on their own (more: a pass)
SNAPSHOT_VERSION = 3
PROGRESS_FILES = 64  # files read in this process between two progress reports


@dataclasses.dataclass(slots=True)
class Group:
    """A run of files of one folder in listing order, as a snapshot keeps them: their names and
    the size, mtime_ns and ctime_ns of each (-1: a ctime too recent to trust). Columns, not a
    list per file: the snapshot of 100,000 files loads in ~20 ms instead of ~230 ms."""

    folder: str  # relative to the snapshot's root ("" for the root itself)
    names: list[str]
    sizes: array.array
    mtimes: array.array
    ctimes: array.array


@dataclasses.dataclass(slots=True)
class IndexState:
    """What a pass (or a snapshot check) found: whether the index holds every row's text, and
    the regular files under the roots in listing order: (display path, absolute path, size,
    mtime_ns) each from a pass; from a snapshot, its groups (a display path is only made for
    the files a query lists)."""

    complete: bool
    files: list
    root: str | None = None  # the snapshot's root, as given, and its absolute path
    abs_root: str | None = None
    # Needles asked while the snapshot was checked (`update_index(needle=...)`): what the
    # index answered, valid since nothing changed.
    searched: dict[str, set[tuple[str, int]]] = dataclasses.field(default_factory=dict)
    listing_dropped: bool = False  # `files` was let go (`Catalog.forget_index_listing`)

    def listed(self, wanted: set[str]) -> list[tuple[str, str, int, int]]:
        """(display path, absolute path, size, mtime_ns) of the files among `wanted` (absolute
        paths), in listing order."""
        if self.root is None or self.abs_root is None:
            return [item for item in self.files if item[1] in wanted]
        prefix = _with_sep(self.abs_root)
        relative: dict[str, set[str]] = {}
        for path in wanted:
            if path.startswith(prefix):
                folder, _, name = path[len(prefix) :].rpartition(os.sep)
                relative.setdefault(folder, set()).add(name)
        listed = []
        for group in self.files:
            names = relative.get(group.folder)
            if not names:
                continue
            for index, name in enumerate(group.names):
                if name in names:
                    rel = os.path.join(group.folder, name)
                    listed.append(
                        (os.path.join(self.root, rel), prefix + rel, group.sizes[index], group.mtimes[index])
                    )
        return listed


def update_index(
    catalog: Catalog,
    roots: list[str],
    needle: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    read: Callable[[str, list[str]], None] | None = None,
) -> IndexState:
    """Bring the full-text index up to date with the files under `roots` (see above).
    `needle`: asked of the index while the snapshot is checked (`IndexState.searched`);
    `progress(done, total)`: the files read for their text so far, of those to read;
    `read(path, texts)`: each file read, with its texts as stored (the app's rows so far)."""
    cache = catalog.cache
    assert cache is not None
    root = roots[0] if len(roots) == 1 else None
    abs_root = os.path.abspath(root) if root is not None and os.path.isdir(root) else None
    if abs_root is not None:
        state = _from_snapshot(catalog, root, abs_root, needle)
        if state is not None:
            return state
    return _index_pass(catalog, roots, root if abs_root is not None else None, progress, read)


class _Asked:
    """`cache.search(needle, roots)` on a thread: SQLite's search runs beside the stat check,
    on the other core (both leave the GIL). The cache's connection is this thread's alone until
    `result`."""

    def __init__(self, cache: SummaryCache, needle: str, roots: list[str]) -> None:
        import threading

        self.found: set[tuple[str, int]] | None = None
        self._thread = threading.Thread(target=self._run, args=(cache, needle, roots), daemon=True)
        self._thread.start()

    def _run(self, cache: SummaryCache, needle: str, roots: list[str]) -> None:
        self.found = cache.search(needle, roots)

    def result(self) -> set[tuple[str, int]] | None:
        self._thread.join()
        return self.found


def _from_snapshot(
    catalog: Catalog, root: str, abs_root: str, needle: str | None = None
) -> IndexState | None:
    """The state the snapshot of `root` vouches for (the files changed in place read again), or
    None when it cannot (none kept, a folder changed, too many files changed)."""
    cache = catalog.cache
    assert cache is not None
    snapshot = _load_snapshot(cache.text_snapshot(abs_root, catalog.max_size))
    if snapshot is None:
        return None
    folders, groups = snapshot
    asked = _Asked(cache, needle, [abs_root]) if needle else None
    try:
        changed = _changed_files(abs_root, folders, groups)
    finally:
        found = asked.result() if asked is not None else None
    if changed is None:
        return None
    if changed and not _read_changed(catalog, root, abs_root, folders, groups, changed):
        return None
    state = IndexState(True, groups, root, abs_root)
    if needle and found is not None and not changed:  # (else asked again: the answer may differ)
        state.searched[needle] = found
    return state


def _changed_files(
    abs_root: str, folders: list, groups: list[Group]
) -> list[tuple[int, int, os.stat_result]] | None:
    """(group, index, stat) of the snapshot's files changed in place; None when a pass is needed
    (a folder changed, a file is gone, too many changed, a damaged snapshot)."""
    stat = os.stat
    changed = []
    try:
        for folder, dev, ino, mtime_ns, ctime_ns in folders:
            st = stat(folder)
            if (st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_dev) != (ino, mtime_ns, ctime_ns, dev):
                return None
        prefix = _with_sep(abs_root)
        for number, group in enumerate(groups):
            # Each name looked up in its folder (opened once): the kernel resolves one name per
            # file, not the whole path (a fifth less system time on the 100,000-file tree).
            folder = os.open(prefix + group.folder if group.folder else prefix, os.O_RDONLY | os.O_DIRECTORY)
            try:
                sizes, ctimes = group.sizes, group.ctimes
                for index, name in enumerate(group.names):
                    st = stat(name, dir_fd=folder)
                    if st.st_ctime_ns != ctimes[index] or st.st_size != sizes[index]:
                        changed.append((number, index, st))
                        if len(changed) > MAX_CHANGED:
                            return None
            finally:
                os.close(folder)
    except (
        OSError,
        ValueError,
        TypeError,
        IndexError,
    ):  # gone (its folder changed too), or a damaged snapshot
        return None
    return changed


def _load_snapshot(blob: bytes | None) -> tuple[list, list[Group]] | None:
    """(folders, groups) of a kept snapshot: [folder, st_dev, st_ino, mtime_ns, ctime_ns] of
    each folder; the runs of files of one folder, in listing order (`Group`). None: none kept,
    or not of this version, or damaged."""
    import orjson

    if blob is None:
        return None
    try:
        version, folders, stored = orjson.loads(blob)
        if version != SNAPSHOT_VERSION:
            return None
        groups = []
        for folder, names, sizes, mtimes, ctimes in stored:
            group = Group(folder, names.split("\0"), _numbers(sizes), _numbers(mtimes), _numbers(ctimes))
            if not (len(group.names) == len(group.sizes) == len(group.mtimes) == len(group.ctimes)):
                return None
            groups.append(group)
    except (orjson.JSONDecodeError, ValueError, TypeError, AttributeError):
        return None
    return folders, groups


def _numbers(hex_text: str) -> array.array:
    numbers = array.array("q")
    numbers.frombytes(bytes.fromhex(hex_text))
    return numbers


def _dump_snapshot(folders: list, groups: list[Group]) -> bytes:
    import orjson

    # The numbers as the hex of their bytes, the names in one string per folder: parsed as a few
    # long strings, not 400,000 values (not compressed: inflating cost more than reading).
    stored = [
        [
            group.folder,
            "\0".join(group.names),
            group.sizes.tobytes().hex(),
            group.mtimes.tobytes().hex(),
            group.ctimes.tobytes().hex(),
        ]
        for group in groups
    ]
    return orjson.dumps([SNAPSHOT_VERSION, folders, stored])


def _read_changed(
    catalog: Catalog,
    root: str,
    abs_root: str,
    folders: list,
    groups: list[Group],
    changed: list[tuple[int, int, os.stat_result]],
) -> bool:
    """Index again the files of the snapshot rewritten in place, and keep the snapshot with their
    new stat; False when one cannot be (then a pass is made)."""
    from tui_replay.catalog.parallel import index_one

    cache = catalog.cache
    assert cache is not None
    prefix = _with_sep(abs_root)
    now = time.time_ns()
    catalog.unindexed = 0
    for number, index, st in changed:
        group = groups[number]
        rel = os.path.join(group.folder, group.names[index])
        if st.st_size > catalog.max_size or not stat_module.S_ISREG(st.st_mode):
            return False
        found = Found(os.path.join(root, rel), st, None, False, prefix + rel, root)
        rows, texts, size, mtime_ns = index_one(found.path, False, True, catalog.max_size)
        if (size, mtime_ns) != (st.st_size, st.st_mtime_ns) and rows:
            return False  # changed again while read
        catalog.store_rows(found, rows, texts)
        group.sizes[index], group.mtimes[index] = st.st_size, st.st_mtime_ns
        group.ctimes[index] = _kept_ctime(st, now)
    if catalog.unindexed:
        return False
    cache.put_text_snapshot(abs_root, catalog.max_size, _dump_snapshot(folders, groups))
    cache.save()
    return not cache.write_failed


def _kept_ctime(st: os.stat_result, now: int) -> int:
    return st.st_ctime_ns if st.st_ctime_ns < now - RECENT_NS else -1


def _with_sep(folder: str) -> str:
    return folder if folder.endswith(os.sep) else folder + os.sep


def _index_pass(
    catalog: Catalog,
    roots: list[str],
    snapshot_root: str | None,
    progress: Callable[[int, int], None] | None = None,
    read: Callable[[str, list[str]], None] | None = None,
) -> IndexState:
    """Scan `roots`, read for their text the files the index does not hold (and summarize those
    the cache does not know either), drop the files gone; keep a snapshot of `snapshot_root`
    (a folder, the only root) when the index then holds everything."""

    from tui_replay.catalog.scan import iter_found

    cache = catalog.cache
    assert cache is not None
    started = time.time_ns()
    abs_root = os.path.abspath(snapshot_root) if snapshot_root is not None else None
    # The folders first: a change made during the pass shows as a changed folder next time.
    folders = _folder_stats(abs_root, started) if abs_root is not None else None
    stored: dict[str, tuple[int, int, bool]] = {}
    for root in roots:
        stored.update(cache.stored_files(os.path.abspath(root)) or {})
    listed: list[tuple[str, str, int, int]] = []
    ctimes: list[int] = []
    todo: list[tuple[Found, bool]] = []
    whole = True  # every folder could be read
    for found in iter_found(roots):
        st = found.stat
        if found.problem is not None or st is None:
            whole = whole and found.explicit  # (a path given that is not a file: nothing below it)
            continue
        abs_path = found.abs_path or os.path.abspath(found.path)
        listed.append((found.path, abs_path, st.st_size, st.st_mtime_ns))
        ctimes.append(_kept_ctime(st, started))
        known = stored.pop(abs_path, None)
        if st.st_size > catalog.max_size:  # an error row: no text
            continue
        if known is None or known[0] != st.st_size or known[1] != st.st_mtime_ns:
            todo.append((found, True))
        elif not known[2]:
            todo.append((found, False))
    if whole:
        for gone in stored:
            cache.forget(gone)
    catalog.unindexed = 0
    _read_for_index(catalog, todo, progress, read)
    complete = not catalog.unindexed
    if complete and whole and folders is not None and abs_root is not None:
        prefix = _with_sep(abs_root)
        groups: list[Group] = []
        kept = 0
        for (_, abs_path, size, mtime_ns), ctime in zip(listed, ctimes, strict=True):
            if not abs_path.startswith(prefix):
                break
            folder, _, name = abs_path[len(prefix) :].rpartition(os.sep)
            if not groups or groups[-1].folder != folder:
                groups.append(Group(folder, [], array.array("q"), array.array("q"), array.array("q")))
            group = groups[-1]
            group.names.append(name)
            group.sizes.append(size)
            group.mtimes.append(mtime_ns)
            group.ctimes.append(ctime)
            kept += 1
        if kept == len(listed):
            cache.put_text_snapshot(abs_root, catalog.max_size, _dump_snapshot(folders, groups))
    cache.save()
    return IndexState(complete and not cache.write_failed, listed)


def _folder_stats(abs_root: str, started: int) -> list[list] | None:
    """[folder, st_dev, st_ino, mtime_ns, ctime_ns] of every folder the scan would enter under
    `abs_root` (not hidden ones; links followed, each folder once); None when one cannot be
    read or a link points nowhere (it could start pointing somewhere without any folder
    changing)."""
    folders: list[list] = []
    seen: set[tuple[int, int]] = set()
    stack = [abs_root]
    try:
        while stack:
            folder = stack.pop()
            st = os.stat(folder)
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            if st.st_ctime_ns >= started - RECENT_NS:
                return None  # changed a moment ago: it may change again within the same tick
            folders.append([folder, st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns])
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_symlink() and not os.path.exists(entry.path):
                        return None
                    if entry.is_dir() and not entry.name.startswith("."):
                        stack.append(entry.path)
    except OSError:
        return None
    return folders


def _read_for_index(
    catalog: Catalog,
    todo: list[tuple[Found, bool]],
    progress: Callable[[int, int], None] | None = None,
    read: Callable[[str, list[str]], None] | None = None,
) -> None:
    """Read each file of `todo` for its text (with_rows: summarize it too) and hand both to the
    cache, by worker processes when there are many; `catalog.unindexed` counts the rows whose
    text could not be kept; `progress(done, total)` after each batch of files kept, after
    `read(path, texts)` of each of its files."""
    from tui_replay.catalog.parallel import (
        BATCH_FILES,
        PARALLEL_FROM,
        index_one,
        start_forked_pool,
        start_pool,
    )

    max_size = catalog.max_size
    total = len(todo)
    done = 0

    def kept(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total)

    def keep(found: Found, with_rows: bool, result: tuple) -> None:
        _keep(catalog, found, with_rows, result)
        if read is not None:
            read(found.path, result[1])

    def keep_batch(batch: list[tuple[Found, bool]], future) -> None:
        _keep_batch(catalog, batch, future, keep)
        kept(len(batch))

    def keep_here(items: Iterable[tuple[Found, bool]]) -> None:
        unreported = 0
        for found, with_rows in items:
            keep(found, with_rows, index_one(found.path, found.explicit, with_rows, max_size))
            unreported += 1
            if unreported == PROGRESS_FILES:
                kept(unreported)
                unreported = 0
        if unreported:
            kept(unreported)

    pool = None
    if total >= PARALLEL_FROM and catalog.jobs > 1:
        # Forked from this process when it runs no other thread (a headless query: milliseconds),
        # else from the forkserver (the app: ~0.25 s to start).
        pool = start_forked_pool(catalog.jobs, max_size) or start_pool(catalog.jobs, max_size)
    try:
        if pool is None:
            keep_here(todo)
            return
        batches = [todo[start : start + BATCH_FILES] for start in range(0, total, BATCH_FILES)]
        waiting: collections.deque = collections.deque()
        for number, batch in enumerate(batches):
            task = [(found.path, found.explicit, with_rows) for found, with_rows in batch]
            try:
                waiting.append((batch, pool.submit_index(task)))
            except RuntimeError:  # the pool broke (a worker died): the rest read here
                while waiting:
                    keep_batch(*waiting.popleft())
                keep_here(itertools.chain.from_iterable(batches[number:]))
                return
            while waiting and (pool.full or waiting[0][1].done()):
                keep_batch(*waiting.popleft())
        while waiting:
            keep_batch(*waiting.popleft())
    finally:
        if pool is not None:
            pool.close()


def _keep_batch(
    catalog: Catalog, batch: list[tuple[Found, bool]], future, keep: Callable[[Found, bool, tuple], None]
) -> None:
    from tui_replay.catalog.parallel import index_one

    try:
        results = future.result()
    except Exception:  # a worker died: this batch read here
        results = [
            index_one(found.path, found.explicit, with_rows, catalog.max_size) for found, with_rows in batch
        ]
    for (found, with_rows), result in zip(batch, results, strict=True):
        keep(found, with_rows, result)


def _abs(found: Found) -> str:
    return found.abs_path or os.path.abspath(found.path)


def _keep(catalog: Catalog, found: Found, with_rows: bool, result: tuple) -> None:
    """Hand a file's rows (when read) and texts to the cache."""
    rows, texts, size, mtime_ns = result
    cache = catalog.cache
    assert cache is not None and found.stat is not None
    if with_rows:
        catalog.store_rows(found, rows, texts)
        return
    st = found.stat
    if (size, mtime_ns) != (st.st_size, st.st_mtime_ns):
        catalog.unindexed += 1  # changed since the scan: the files are read
    elif not cache.put_texts(_abs(found), size, mtime_ns, texts, prepared=True):
        catalog.unindexed += 1  # not storable: the files are read
