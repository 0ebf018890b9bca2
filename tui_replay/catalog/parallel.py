"""Read and summarize files in worker processes: a cold listing of a big tree.

Parsing JSON and building rows is Python work, so one process uses one core. A listing that
meets many files the cache does not know hands them in batches to a pool of worker processes
(one per core); the catalog keeps the scan order and does the cache writes itself. A small
listing never starts a pool (it costs ~0.2 s to start), and when a pool cannot start or a
worker dies, the files are read in the listing's own process instead: a pool is only ever
faster, never a new way to fail.

Workers come from a `forkserver` (a fresh interpreter that forks them), not a `fork` of the
listing: the app lists from a thread, and forking a process with threads is unsafe. A process
that runs no other thread (a headless `list`, before its cache writer starts) forks them
itself: milliseconds instead of ~0.25 s, so they can take over after a few files.
"""

from __future__ import annotations

import contextlib
import dataclasses
import operator
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from tui_replay.recording.model import RecordingError, Summary

if TYPE_CHECKING:
    from concurrent.futures import Future

# Starting workers costs ~0.25 s (a fresh interpreter that imports the parser, then forks), more
# than the real 3,000-file tree saves. So: after PREPARE_FROM files read in-process the server
# that forks the workers is started in the background (the listing reads on meanwhile); after
# PARALLEL_FROM, when it has imported the parser, the workers take over. A smaller listing
# never waits for any of it.
PREPARE_FROM = 500
PARALLEL_FROM = 1000
# ... unless this process has no other thread (a headless `list` before its cache writer starts):
# then the workers are forked from it, which costs milliseconds, and they take over early.
FORK_FROM = 32
BATCH_FILES = 256  # files per task: a task's overhead (two pickles, two queue hops) is paid per task
FORKED_BATCH_FILES = 64  # smaller tasks once workers start early: the last ones finish together
IN_FLIGHT_PER_WORKER = 4  # tasks queued per worker: bounds the rows held out of order

Task = Sequence[tuple[str, bool]]  # (path, named on the command line) of each file
# recording.cassette.CASSETTE_SUFFIXES, named here so that a listing of JSON files does not import
# the cassette reader and its YAML parser (a tenth of a cold `list` on the real tree).
CASSETTE_SUFFIXES = (".yaml", ".yml")


def _is_cassette(path: str) -> bool:
    """`recording.cassette.is_cassette_name`, without importing it."""
    return path.lower().endswith(CASSETTE_SUFFIXES)


def default_jobs() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def summarize_one(path: str, explicit: bool, max_size: int, texts: list[str] | None = None) -> list[Summary]:
    """The rows of one file: one for a recording, one per interaction of a cassette (none for a
    YAML file met in a folder that is not a cassette: it may be any config file)."""
    if _is_cassette(path):
        from tui_replay.recording.summary import summarize_cassette_file

        return summarize_cassette_file(path, max_size, skip_other_yaml=not explicit, texts=texts)
    from tui_replay.recording.summary import summarize_file

    summary = summarize_file(path, max_size=max_size, texts=texts)
    summary.path = path
    return [summary]


# A row crosses from a worker as the tuple of its field values: pickling a slotted dataclass
# builds a dict of its slots and sets them back one by one (measured on the real tree: 33 ms for
# the rows of 3,162 files, 14 ms as tuples).
_row_values = operator.attrgetter(*(field.name for field in dataclasses.fields(Summary)))
TaskRows = list[list[tuple[Any, ...]]]  # each file's rows, as _row_values tuples


def _summarize_task(task: Task, max_size: int) -> TaskRows:
    """In a worker: the rows of each file of the task."""
    return [[_row_values(row) for row in summarize_one(path, explicit, max_size)] for path, explicit in task]


def task_rows(result: TaskRows, index: int) -> list[Summary]:
    """The rows of the `index`th file of a task's result."""
    return [Summary(*values) for values in result[index]]


def index_one(
    path: str, explicit: bool, with_rows: bool, max_size: int
) -> tuple[list[Summary] | None, list[str], int, int]:
    """For the full-text index: what each row of a file says, in row order, as stored
    (`searchable`), with the size and mtime_ns of the version read ((0, 0): unreadable), and
    its rows when `with_rows` (the cache does not hold that version: summarized, from the same
    read)."""
    if with_rows:
        texts: list[str] = []
        rows = summarize_one(path, explicit, max_size, texts)
        size, mtime_ns = (rows[0].size, rows[0].mtime_ns) if rows else (0, 0)
        return rows, searchable(texts), size, mtime_ns
    texts, size, mtime_ns = file_texts(path, max_size)
    return None, searchable(texts), size, mtime_ns


def searchable(texts: list[str]) -> list[str]:
    """Texts as the index stores them: lowercased, and UTF-8 (a lone surrogate replaced: SQLite
    text cannot hold it). Done where the file was read (a worker), not in the listing's process,
    whose core the workers need."""
    prepared = []
    for text in texts:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = text.encode("utf-8", "replace").decode()
        prepared.append(text.lower())
    return prepared


def file_texts(file: str, max_size: int) -> tuple[list[str], int, int]:
    """What each row of a file says, in row order (a cassette: one per interaction), with the
    size and mtime_ns of the version read ((0, 0): unreadable, no text).

    A JSON recording is read and parsed, never summarized: the text of a row that is not an
    ok recording is never asked for (the searches check the status)."""
    from tui_replay.recording.load import pause_gc, read_bytes_stat, resume_gc

    texts: list[str] = []
    if _is_cassette(file):
        from tui_replay.recording.summary import summarize_cassette_file

        rows = summarize_cassette_file(file, max_size, texts=texts)
        return texts, rows[0].size if rows else 0, rows[0].mtime_ns if rows else 0
    try:
        data, info = read_bytes_stat(file, max_size)
    except RecordingError:
        return [""], 0, 0
    pause_gc()
    try:
        return [json_text(data)], info.st_size, info.st_mtime_ns
    finally:
        resume_gc()


def json_text(data: bytes) -> str:
    """What a JSON recording's bytes say (`summary.summarize_json_texts`), without its check of
    how deep the values nest (`limits.nests_too_deep`: a whole `orjson.dumps` of the recording,
    an eighth of this work on the real tree). A file nested past that limit is an error row,
    whose text no search asks for (they test the row's status first); one nested past Python's
    recursion limit says nothing."""
    import orjson

    from tui_replay.recording.limits import too_many_values
    from tui_replay.recording.summary import summarize_json_texts
    from tui_replay.recording.text import recording_text

    if too_many_values(data):
        return ""  # (refused before parsing: tiny values cost ~100 bytes each parsed)
    try:
        obj = orjson.loads(data)
    except (orjson.JSONDecodeError, RecursionError):
        return summarize_json_texts(data)  # the reader's own way (a lone surrogate is read)
    try:
        return recording_text(obj)
    except RecursionError:
        return ""


def _index_task(task: Sequence[tuple[str, bool, bool]], max_size: int) -> list:
    """In a worker: `index_one` of each (path, explicit, with_rows) of the task."""
    return [index_one(path, explicit, with_rows, max_size) for path, explicit, with_rows in task]


def _key_task(paths: Sequence[str], max_size: int) -> list[str | None]:
    """In a worker: the key status of each file (see summary.file_key_status)."""
    from tui_replay.recording.summary import file_key_status

    return [file_key_status(path, max_size) for path in paths]


def _in_worker() -> None:
    # Ctrl-C is the listing's to handle (it stops the pool): no traceback from each worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def can_fork() -> bool:
    """Whether workers may be forked from this process: it runs no other thread (forking a
    process with threads can leave the child a lock held by a thread that is not there)."""
    import threading

    if threading.active_count() != 1 or threading.current_thread() is not threading.main_thread():
        return False
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


class SummaryPool:
    """Worker processes that summarize batches of files: forked from this process when `fork`
    (see can_fork), else from a forkserver."""

    def __init__(self, jobs: int, max_size: int, *, fork: bool = False) -> None:
        import multiprocessing  # (only a listing that reads many files needs them)
        from concurrent.futures import ProcessPoolExecutor

        if fork:
            context = multiprocessing.get_context("fork")
        else:
            context = multiprocessing.get_context("forkserver")
            _preload(context)
            if not prepare_workers():  # (running already, unless no `prepare_workers` came first)
                raise OSError("no forkserver")
        self.forked = fork
        self.jobs = jobs
        self.max_size = max_size
        self._executor = ProcessPoolExecutor(jobs, mp_context=context, initializer=_in_worker)
        self.in_flight: set[Future] = set()
        if fork:
            # With `fork` the executor forks every worker in the first submit, before it starts
            # its own threads: submit now, while this process still has no other thread.
            self._executor.submit(int)

    def submit(self, task: Task) -> Future[TaskRows]:
        """The rows of each (path, explicit) file, read by a worker (`task_rows` reads the result)."""
        return self._submit(_summarize_task, list(task))

    def submit_index(self, task: Sequence[tuple[str, bool, bool]]) -> Future[list]:
        """`index_one` of each (path, explicit, with_rows), by a worker."""
        return self._submit(_index_task, list(task))

    def submit_keys(self, paths: Sequence[str]) -> Future[list[str | None]]:
        """The key status of each file (`summary.file_key_status`), read by a worker."""
        return self._submit(_key_task, list(paths))

    def _submit(self, function, argument) -> Future:
        future = self._executor.submit(function, argument, self.max_size)
        self.in_flight.add(future)
        future.add_done_callback(self.in_flight.discard)
        return future

    @property
    def full(self) -> bool:
        return len(self.in_flight) >= self.jobs * IN_FLIGHT_PER_WORKER

    def close(self) -> None:
        """Stop the workers; tasks not started are dropped (a listing stopped early)."""
        self._executor.shutdown(wait=True, cancel_futures=True)


def _preload(context) -> None:
    # Imported once in the server, not in every worker.
    context.set_forkserver_preload(["tui_replay.recording.summary", "tui_replay.recording.cassette"])


def prepare_workers() -> bool:
    """Start the server that forks workers, without waiting for it (it imports the parser in its
    own process); False when this system cannot run one."""
    try:
        import multiprocessing
        from multiprocessing import forkserver

        _preload(multiprocessing.get_context("forkserver"))
        with _stderr_with_fileno():
            forkserver.ensure_running()
    except (OSError, ImportError, ValueError, NotImplementedError):
        return False
    return True


class _StderrWithFileno:
    """`sys.stderr` while the forkserver starts: writes go to the stream in place, and its file
    descriptor is the process's real standard error. Multiprocessing's resource tracker, started
    first, hands `sys.stderr.fileno()` to its process, and Textual's print capture says -1: the
    start failed ("bad value(s) in fds_to_keep"), so the app read every file in one process."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(text)

    def flush(self) -> None:
        self._stream.flush()

    def fileno(self) -> int:
        return 2

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


@contextlib.contextmanager
def _stderr_with_fileno() -> Iterator[None]:
    stream = sys.stderr
    try:
        usable = stream.fileno() >= 0
    except (AttributeError, OSError, ValueError):
        usable = stream is None
    if usable:
        yield
        return
    sys.stderr = _StderrWithFileno(stream)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stderr = stream


def start_pool(jobs: int, max_size: int) -> SummaryPool | None:
    """A pool of `jobs` workers from the forkserver, or None when this system cannot give one."""
    try:
        return SummaryPool(jobs, max_size)
    except (OSError, ImportError, ValueError, NotImplementedError):
        return None


def start_forked_pool(jobs: int, max_size: int) -> SummaryPool | None:
    """A pool of `jobs` workers forked from this process, or None when it runs other threads
    (see can_fork) or this system cannot give one."""
    if not can_fork():
        return None
    try:
        return SummaryPool(jobs, max_size, fork=True)
    except (OSError, ImportError, ValueError, NotImplementedError):
        return None
