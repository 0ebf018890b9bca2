"""Follow recording folders: report files that appear, change and vanish, in batches.

`watch_catalog` turns raw file-system events (watchfiles, one watcher per root) into
`Change` rows against what the caller already lists. The rules are the folder scan's
(`scan.py`): regular `*.json` files and `*.yaml`/`*.yml` cassettes, hidden folders below a
root not entered, a root named as a file always followed whatever its name. Rows are keyed
by their address: a file, or `file#N` for each interaction of a cassette, so one changed
cassette can add, change and remove several rows.

Why it is more than a loop over `awatch`:
  - Latency: watchfiles groups events for up to 1.6 s by default; we ask for 50 ms.
  - New folders: inotify only starts watching a new folder after it appears, so files
    written into it at once are never reported; every new folder is scanned (twice).
  - Roots that appear later, are deleted or replaced: a watcher cannot outlive its
    folder, so each root has a supervisor that polls while the root is missing and
    restarts the watcher (and rescans) when it comes back.
  - Files written in place (open("w") then json.dump) fail to parse while half
    written. Such a file is *pending*, not broken: it is re-read on its next event,
    and shown as an error only when it still fails SETTLE_SECONDS after its last change.
  - Bursts: summaries are computed in a thread, SUMMARY_CHUNK files at a time, and a
    batch is yielded after every chunk, so a caller's event loop never stalls.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui_replay.catalog.scan import Found, is_recording_name, iter_found
from tui_replay.recording.model import Summary

if TYPE_CHECKING:
    from tui_replay.catalog.catalog import Catalog

ADDED = "added"
CHANGED = "changed"
REMOVED = "removed"

DEBOUNCE_MS = 50  # longest time watchfiles groups events before handing them over
STEP_MS = 20  # a quiet gap this long ends a group early
TICK_MS = 250  # watcher wake-up when nothing happens: root still there? stop asked?
ROOT_POLL_SECONDS = 0.25  # how often a missing root is looked for
SETTLE_SECONDS = 2.0  # a file still unreadable this long after its last change is an error
RESCAN_DELAY_SECONDS = 0.5  # second look at a new folder, for files the first scan raced
SUMMARY_CHUNK = 32  # files summarized per thread hop (and at most per yielded batch)
POLL_DELAY_MS = 250  # only when the OS watch limit forces polling
# A walk (a thread) holds the GIL in turn with the caller's event loop: at 100,000 files the
# start-up walk takes seconds of a core, and the UI thread waiting up to the 5 ms switch
# interval each time would double a filter keystroke. For a UI caller (one that hands `quiet`),
# after each WALK_SLICE_SECONDS of work it rests WALK_REST_SECONDS (GIL released), so the event
# loop gets the larger share meanwhile; headless callers (`list --watch`, serve) walk at full speed.
WALK_SLICE_SECONDS = 0.002
WALK_REST_SECONDS = 0.002
WALK_CHECK_EVERY = 64  # files between looks at the clock
# Setting up the OS watch holds the GIL (0.3-0.9 s for the 1,600 folders of 100,000 files): the
# caller's next frame (the last rows of a listing) is drawn first, and a caller's `quiet` (a UI:
# the user has paused typing) is awaited. The start-up walk, after the watch is up, sees what
# changed meanwhile.
START_DELAY_SECONDS = 0.5

# watchfiles' raw change codes
_RAW_ADDED = 1
_RAW_DELETED = 3


@dataclass(slots=True)
class Change:
    """One row to add, update or drop.

    `summary` is the new row for "added"/"changed" and the last known row for "removed"
    (None when the removed path was never listed).
    """

    event: str  # "added" | "changed" | "removed"
    path: str
    summary: Summary | None


async def watch_catalog(
    roots: list[str],
    *,
    known: dict[str, Summary],
    max_size: int,
    stop_event: asyncio.Event | None = None,
    catalog: Catalog | None = None,
    on_settled: Callable[[], None] | None = None,
    quiet: Callable[[], Awaitable[None]] | None = None,
) -> AsyncIterator[list[Change]]:
    """Yield batches of changes under `roots` until `stop_event` is set (or the iterator is closed).

    `known` is what the caller lists already (address -> Summary, paths as the folder scan
    spells them), copied before this first yields or waits (the caller's dict may change
    after). The first event of a known path is "changed", and known paths that are gone or
    differ on disk when watching starts are reported at once.
    With the caller's `catalog` (one with the cache), changed files update the cache and its
    full-text index, and removed files leave them; without it nothing is written.
    `on_settled` is called once the watcher's own state is built (its copy of `known`, the
    cassettes' rows), before any OS watch or walk: that state lives as long as the watcher (a
    caller may `gc.freeze()` it).
    `quiet` is awaited before each OS watch is set up (see START_DELAY_SECONDS): a UI returns
    once the user pauses, so the set-up's stall falls in no keystroke.
    """
    watcher = CatalogWatcher(
        roots, known=known, max_size=max_size, catalog=catalog, on_settled=on_settled, quiet=quiet
    )
    del known  # the watcher has its own copy: the caller's (100,000 rows: ~4 MB) need not live on here
    await watcher.start()
    try:
        while True:
            batch = await watcher.next_batch(stop_event)
            if batch is None:
                return
            yield batch
    finally:
        await watcher.close()


@dataclass(slots=True)
class _Root:
    path: str  # as given (the display prefix)
    abs_path: str
    real_path: str


class CatalogWatcher:
    """The state behind `watch_catalog`: what is listed, what is pending, what to look at next."""

    def __init__(
        self,
        roots: Iterable[str],
        *,
        known: dict[str, Summary],
        max_size: int,
        catalog: Catalog | None = None,
        on_settled: Callable[[], None] | None = None,
        quiet: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.roots = [_Root(r, os.path.abspath(r), os.path.realpath(r)) for r in dict.fromkeys(roots)]
        self.listed: dict[str, Summary] = dict(known)  # by address (`file` or `file#N`)
        self._on_settled = on_settled
        self._quiet = quiet
        self.yields_to_caller = quiet is not None  # a UI's loop: walks rest as they work (WALK_SLICE_SECONDS)
        # file -> the addresses of its rows, only for files whose one row is not the file itself
        # (cassettes): a list per file would cost ~15 MB at 100,000 files (`_addresses`). Filled
        # by `start`, on a thread.
        self._rows: dict[str, list[str]] = {}
        self.max_size = max_size
        self._catalog: Catalog | None = catalog  # else created on first use (imports the parser)
        # Inputs from the root supervisors, drained by the consumer.
        self._inbox: list[tuple[str, _Root, object]] = []
        self._wake = asyncio.Event()
        self._halt = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        # Work for the consumer.
        self._dirty: dict[str, bool] = {}  # display path -> "scan it if it is a folder"
        self._scans: dict[str, None] = {}  # folders (display paths) to walk
        self._rescans: list[tuple[float, str]] = []  # (monotonic due time, folder)
        self._pending: dict[str, float] = {}  # unreadable file -> monotonic deadline
        self._last_change: dict[str, float] = {}  # file -> monotonic time of its last event
        self._ready: list[Change] = []

    # -- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        # A pass over every listed row (~30-60 ms at 100,000): on a thread, so the caller's event
        # loop takes its turns meanwhile (nothing else reads `listed` before the tasks start).
        self._rows = await asyncio.to_thread(_cassette_rows, self.listed)
        if self._on_settled is not None:
            self._on_settled()
        for root in self.roots:
            self._tasks.append(asyncio.create_task(self._follow_root(root), name=f"watch {root.path}"))

    async def close(self) -> None:
        self._halt.set()  # the watcher threads see it within STEP_MS
        if not self._tasks:
            return
        _done, still = await asyncio.wait(self._tasks, timeout=2.0)
        for task in still:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    # -- the root supervisors (producers) ------------------------------------------------

    def _post(self, kind: str, root: _Root, payload: object = None) -> None:
        self._inbox.append((kind, root, payload))
        self._wake.set()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._halt.wait()

    async def _until_quiet(self) -> None:
        """Until the caller's `quiet` returns (or the watcher is closed)."""
        if self._quiet is None:
            return
        waits = [asyncio.ensure_future(self._quiet()), asyncio.ensure_future(self._halt.wait())]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()

    async def _follow_root(self, root: _Root) -> None:
        """Watch one root for as long as it exists; poll for it while it does not."""
        from watchfiles import awatch

        # None: watchfiles decides (WATCHFILES_FORCE_POLLING, WSL); True after the OS watch failed.
        force_polling: bool | None = None
        await self._pause(START_DELAY_SECONDS)
        while not self._halt.is_set():
            identity = _identity(root.abs_path)
            if identity is None:
                await self._pause(ROOT_POLL_SECONDS)
                continue
            await self._until_quiet()  # the OS watch's set-up below holds the GIL (START_DELAY_SECONDS)
            if self._halt.is_set():
                break
            is_dir = identity[2]
            # A root file is followed through its folder: editors replace files, which ends a file watch.
            target = root.abs_path if is_dir else os.path.dirname(root.abs_path)
            self._post("appeared", root, is_dir)
            first = True
            changes = awatch(
                target,
                watch_filter=None,
                debounce=DEBOUNCE_MS,
                step=STEP_MS,
                stop_event=self._halt,
                rust_timeout=TICK_MS,
                yield_on_timeout=True,
                recursive=is_dir,
                force_polling=force_polling,
                poll_delay_ms=POLL_DELAY_MS,
                ignore_permission_denied=True,
            )
            try:
                # aclosing: leaving the loop early closes the OS watch at once, not at garbage collection.
                async with contextlib.aclosing(changes):
                    async for raw in changes:
                        if first:
                            # The watcher surely runs now: a second scan catches what the first one raced.
                            self._post("scan", root)
                            first = False
                        if raw:
                            self._post("events", root, (time.monotonic(), raw))
                        if self._halt.is_set() or _identity(root.abs_path) != identity:
                            break
            except FileNotFoundError:
                pass  # deleted between the check and the watcher's start
            except Exception:
                # e.g. the inotify watch limit (OSError): poll instead rather than stop following.
                if force_polling:
                    await self._pause(ROOT_POLL_SECONDS)
                force_polling = True
            if not self._halt.is_set() and _identity(root.abs_path) != identity:
                self._post("gone", root)

    # -- the consumer ----------------------------------------------------------------------

    async def next_batch(self, stop_event: asyncio.Event | None = None) -> list[Change] | None:
        """The next non-empty list of changes, or None once `stop_event` is set."""
        stopper = None
        if stop_event is not None:
            stopper = asyncio.create_task(self._relay(stop_event))
        try:
            while True:
                if stop_event is not None and stop_event.is_set():
                    return None
                if self._ready:
                    batch, self._ready = self._ready[:SUMMARY_CHUNK], self._ready[SUMMARY_CHUNK:]
                    return batch
                self._drain_inbox()
                self._collect_due()
                if self._scans:
                    folder = next(iter(self._scans))
                    del self._scans[folder]
                    await self._scan(folder)
                    continue
                if self._dirty:
                    await self._examine_some()
                    continue
                await self._sleep_until_work()
        finally:
            if stopper is not None:
                stopper.cancel()

    async def _relay(self, stop_event: asyncio.Event) -> None:
        await stop_event.wait()
        self._wake.set()

    async def _sleep_until_work(self) -> None:
        due = [*self._pending.values(), *(when for when, _ in self._rescans)]
        timeout = max(0.0, min(due) - time.monotonic()) if due else None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._wake.wait()
        self._wake.clear()

    def _collect_due(self) -> None:
        now = time.monotonic()
        for path, deadline in list(self._pending.items()):
            if deadline <= now:
                del self._pending[path]
                self._dirty.setdefault(path, False)
        if self._rescans:
            due = [folder for when, folder in self._rescans if when <= now]
            self._rescans = [(when, folder) for when, folder in self._rescans if when > now]
            for folder in due:
                self._scans[folder] = None

    def _drain_inbox(self) -> None:
        inbox, self._inbox = self._inbox, []
        for kind, root, payload in inbox:
            if kind == "events":
                seen_at, raw = payload  # type: ignore[misc]
                for code, abs_path in raw:
                    path = self._display_path(abs_path)
                    if path is None:
                        continue
                    if is_recording_name(os.path.basename(path)) or self._is_root_file(path):
                        self._last_change[path] = seen_at
                    self._dirty[path] = self._dirty.get(path, False) or code == _RAW_ADDED
            elif kind == "appeared":
                row = self.listed.get(root.path)
                if payload and row is not None and row.status != "ok" and os.access(root.path, os.R_OK):
                    # The "cannot read" row of a root folder that did not exist yet.
                    self._drop(root.path)
                # No walk yet: the one after the watcher's first wake-up ("scan") sees all a walk
                # now would, and at 100,000 files each walk costs seconds of a core.
            elif kind == "scan":
                self._scans[root.path] = None
            elif kind == "gone":
                for path in self._paths_under(root.path):
                    self._dirty.setdefault(path, False)

    def _display_path(self, abs_path: str) -> str | None:
        """The path as the folder scan spells it (first root that holds it), or None to ignore."""
        for root in self.roots:
            for prefix in (root.abs_path, root.real_path):
                if abs_path == prefix:
                    return root.path
                if abs_path.startswith(prefix) and abs_path[len(prefix)] == os.sep:
                    relative = abs_path[len(prefix) + 1 :]
                    folders = relative.split(os.sep)[:-1]
                    if any(name.startswith(".") for name in folders):
                        return None  # inside a hidden folder: the scan never enters those
                    return os.path.join(root.path, relative)
        return None

    def _is_root_file(self, path: str) -> bool:
        return any(root.path == path for root in self.roots)

    def _addresses(self, file: str) -> list[str]:
        """The addresses of a file's rows (a new list: callers edit what it came from)."""
        rows = self._rows.get(file)
        if rows is not None:
            return list(rows)
        return [file] if file in self.listed else []

    def _files(self) -> Iterable[str]:
        """Every listed file once (a cassette's rows share theirs), then the pending ones."""
        yield from dict.fromkeys(summary.file for summary in self.listed.values())
        yield from self._pending

    def _paths_under(self, folder: str) -> list[str]:
        prefix = folder.rstrip(os.sep) + os.sep
        return [p for p in self._files() if p == folder or p.startswith(prefix)]

    async def _scan(self, folder: str) -> None:
        """Walk a folder (new, reappeared, or watched from now on) and queue what differs."""
        # The thread reads `listed` as it is: nothing edits it while this coroutine waits (only
        # the consumer does), and no copy is made (at 100,000 files a copy is ~15 MB).
        found, problems, vanished = await asyncio.to_thread(_walk_folder, folder, self, self._pending)
        now_wall, now = time.time(), time.monotonic()
        for path, mtime in found:
            # Never seen changing: its age counts from its mtime, so old broken files fail at once.
            age = max(0.0, now_wall - mtime)
            self._last_change[path] = max(self._last_change.get(path, float("-inf")), now - age)
            self._dirty.setdefault(path, False)
        for path in vanished:
            self._dirty.setdefault(path, False)
        for problem in problems:
            if problem.path not in self.listed:
                summary = Summary(path=problem.path, status="error", error=problem.problem)
                self.listed[problem.path] = summary
                self._ready.append(Change(ADDED, problem.path, summary))

    async def _examine_some(self) -> None:
        paths = list(self._dirty.items())[:SUMMARY_CHUNK]
        for path, _ in paths:
            del self._dirty[path]
        catalog = self._get_catalog()
        results = await asyncio.to_thread(_examine, paths, catalog, self._is_root_file)
        gone_folders: list[str] = []
        now = time.monotonic()
        for path, state, rows in results:
            if state == "folder":
                if not os.path.basename(path).startswith(".") or self._is_root_file(path):
                    self._scans[path] = None
                    self._rescans.append((now + RESCAN_DELAY_SECONDS, path))
            elif state == "missing":
                self._forget(path)
                gone_folders.append(path)
            elif state == "file" and rows is not None:
                self._settle(path, rows, now)
        if gone_folders:
            prefixes = tuple(folder.rstrip(os.sep) + os.sep for folder in gone_folders)
            for path in self._files():
                if path.startswith(prefixes):
                    self._dirty.setdefault(path, False)

    def _settle(self, path: str, rows: list[Summary], now: float) -> None:
        """The file's new rows replace its old ones: added, changed and removed by address."""
        if len(rows) == 1 and rows[0].status != "ok" and rows[0].interaction is None:  # the file failed
            deadline = self._last_change.get(path, float("-inf")) + SETTLE_SECONDS
            if now < deadline:
                self._pending[path] = deadline  # probably still being written: look again later
                return
        self._pending.pop(path, None)
        fresh = {row.path: row for row in rows}
        for address in self._addresses(path):  # a copy: _drop edits the list
            if address not in fresh:
                self._drop(address)
        for address, summary in fresh.items():
            previous = self.listed.get(address)
            if previous is None:
                self.listed[address] = summary
                self._ready.append(Change(ADDED, address, summary))
            elif previous != summary:
                self.listed[address] = summary
                self._ready.append(Change(CHANGED, address, summary))
        if fresh and list(fresh) != [path]:
            self._rows[path] = list(fresh)
        else:
            self._rows.pop(path, None)

    def _drop(self, address: str) -> None:
        previous = self.listed.pop(address, None)
        if previous is not None:
            rows = self._rows.get(previous.file)
            if rows is not None and address in rows:
                rows.remove(address)
                if not rows:
                    del self._rows[previous.file]
            self._ready.append(Change(REMOVED, address, previous))

    def _forget(self, path: str) -> None:
        self._pending.pop(path, None)
        self._last_change.pop(path, None)
        for address in self._addresses(path):
            self._drop(address)

    def listed_stat(self, file: str) -> tuple[int, int] | None:
        """(size, mtime_ns) of a listed file as it was when listed; None when it is not listed."""
        summary = self.listed.get(file)
        if summary is None:
            rows = self._rows.get(file)
            summary = self.listed.get(rows[0]) if rows else None
        return None if summary is None else (summary.size, summary.mtime_ns)

    def listed_files_under(self, prefix: str) -> Iterator[str]:
        """The listed files whose path starts with `prefix`, each once."""
        rows = self._rows
        for address, summary in self.listed.items():
            if summary.interaction is None and address.startswith(prefix):
                yield address  # (a cassette's rows are `file#N`: their file is in `rows`)
        yield from (file for file in rows if file.startswith(prefix))

    def _get_catalog(self) -> Catalog:
        if self._catalog is None:
            from tui_replay.catalog.catalog import Catalog

            self._catalog = Catalog(max_size=self.max_size, use_cache=False)
        return self._catalog


def _cassette_rows(listed: dict[str, Summary]) -> dict[str, list[str]]:
    """File -> the addresses of its rows, for the files whose rows are not the file itself."""
    rows: dict[str, list[str]] = {}
    for address, summary in listed.items():
        if address != summary.file:
            rows.setdefault(summary.file, []).append(address)
    return rows


def _identity(path: str) -> tuple[int, int, bool] | None:
    """(device, inode, is a folder) of a root, or None when it does not exist."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, stat.S_ISDIR(st.st_mode))


def walk_resting(roots: list[str], rests: bool) -> Iterator[Found]:
    """`iter_found(roots)`; with `rests`, the walk rests WALK_REST_SECONDS (the GIL released)
    after each WALK_SLICE_SECONDS of work: the caller's event loop gets its turn (see there)."""
    slice_start = time.perf_counter()
    for count, found in enumerate(iter_found(roots), 1):
        look = rests and count % WALK_CHECK_EVERY == 0
        if look and time.perf_counter() - slice_start >= WALK_SLICE_SECONDS:
            time.sleep(WALK_REST_SECONDS)
            slice_start = time.perf_counter()
        yield found


def _walk_folder(
    folder: str, watcher: CatalogWatcher, pending: dict[str, float]
) -> tuple[list[tuple[str, float]], list[Found], list[str]]:
    """(files that are new or differ from what is listed, problem rows, listed paths below that are gone).

    No set of the paths seen is kept (100,000 new strings for the root's walk): the listed
    files met are counted, and only when some were not met are the listed ones looked for.
    """
    changed: list[tuple[str, float]] = []
    problems: list[Found] = []
    met = 0
    pending_seen: set[str] = set()
    listed_stat = watcher.listed_stat
    for found in walk_resting([folder], watcher.yields_to_caller):
        if found.stat is None:
            if found.problem is not None and found.path != folder:
                problems.append(found)
            continue
        st = found.stat
        known = listed_stat(found.path)
        if known is not None:
            met += 1
        if found.path in pending:
            pending_seen.add(found.path)
            changed.append((found.path, st.st_mtime))
        elif known != (st.st_size, st.st_mtime_ns):
            changed.append((found.path, st.st_mtime))
    prefix = folder.rstrip(os.sep) + os.sep
    under = list(watcher.listed_files_under(prefix))
    vanished = [path for path in under if not os.path.exists(path)] if met < len(under) else []
    for path in pending:
        if path.startswith(prefix) and path not in pending_seen and not os.path.exists(path):
            vanished.append(path)
    return changed, problems, list(dict.fromkeys(vanished))


def _examine(
    paths: list[tuple[str, bool]], catalog: Catalog, is_root_file: Callable[[str], bool]
) -> list[tuple[str, str, list[Summary] | None]]:
    """Runs in a thread: stat each path, summarize the recording files among them (their rows)."""
    with catalog.lock:  # the app's index pass may be using the catalog
        return _examine_locked(paths, catalog, is_root_file)


def _examine_locked(
    paths: list[tuple[str, bool]], catalog: Catalog, is_root_file: Callable[[str], bool]
) -> list[tuple[str, str, list[Summary] | None]]:
    results: list[tuple[str, str, list[Summary] | None]] = []
    for path, scan_if_folder in paths:
        try:
            st = os.stat(path)
        except OSError:
            results.append((path, "missing", None))
            catalog.forget(path)
            continue
        if stat.S_ISDIR(st.st_mode):
            results.append((path, "folder" if scan_if_folder else "ignored", None))
            continue
        if not stat.S_ISREG(st.st_mode):
            results.append((path, "missing", None))  # a FIFO or socket now: drop any row it had
            catalog.forget(path)
            continue
        if not (is_recording_name(os.path.basename(path)) or is_root_file(path)):
            results.append((path, "ignored", None))
            continue
        try:
            rows = catalog.summarize_found(Found(path, st, explicit=is_root_file(path)))
        except Exception as exc:  # summarize_file never raises; this keeps a parser bug from ending the watch
            rows = [Summary(path=path, status="error", error=f"cannot summarize: {type(exc).__name__}")]
        results.append((path, "file", rows))
    catalog.save()  # what changed reaches the cache and the index now (no-op without a cache)
    return results
