"""Files read in worker processes (a cold listing of many files): the same rows, in the same
order, in the cache and the full-text index, and every way out of the pool ends cleanly."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

import pytest
from badinputs import ERROR_CASES, make_bad_inputs
from support import CORPUS, REPO, record_calls, require_corpus

from tui_replay.catalog import catalog as catalog_module
from tui_replay.catalog import parallel
from tui_replay.catalog.catalog import Catalog, compute_keys
from tui_replay.catalog.session import ListingSession


@pytest.fixture
def tree(tmp_path):
    """The vendored corpus (recordings and cassettes) and the hostile files, in one folder."""
    require_corpus()
    root = tmp_path / "tree"
    shutil.copytree(CORPUS, root / "corpus")
    make_bad_inputs(root / "bad")
    return str(root)


def _count_tasks(monkeypatch, method: str) -> list[int]:
    """The sizes of the tasks `SummaryPool.<method>` hands to real workers from now on."""
    return record_calls(monkeypatch, parallel.SummaryPool, method, lambda pool, task: len(task))


@pytest.fixture
def small_batches(monkeypatch):
    """A pool from the second file read, tasks of three files: many tasks on a small tree."""
    monkeypatch.setattr(catalog_module, "PREPARE_FROM", 1)
    monkeypatch.setattr(catalog_module, "PARALLEL_FROM", 2)
    monkeypatch.setattr(catalog_module, "BATCH_FILES", 3)
    return _count_tasks(monkeypatch, "submit")


def _rows(tree: str, cache_dir, jobs: int):
    return Catalog(cache_dir=str(cache_dir), jobs=jobs).scan([tree])


def test_rows_read_by_workers_are_the_rows_read_in_process(tree, tmp_path, small_batches):
    alone = _rows(tree, tmp_path / "c1", jobs=1)
    assert not small_batches  # one job: no pool
    helped = _rows(tree, tmp_path / "c2", jobs=2)
    assert sum(small_batches) > len(alone) // 2  # most files went to the workers
    assert helped == alone  # every field, in the same order
    errors = {row.path.rsplit("/", 1)[-1] for row in helped if row.status == "error"}
    assert set(ERROR_CASES) <= errors


def test_rows_read_by_workers_fill_the_cache(tree, tmp_path, small_batches, monkeypatch):
    cold = _rows(tree, tmp_path / "cache", jobs=2)
    assert small_batches

    def no_reading(*args, **kwargs):
        raise AssertionError("a file was read again")

    monkeypatch.setattr(catalog_module, "summarize_one", no_reading)
    warm = Catalog(cache_dir=str(tmp_path / "cache"), jobs=1).scan([tree])
    # Every readable file comes from the cache; unreadable ones are not stored (read again).
    assert [row.path for row in warm] == [row.path for row in cold]


def test_while_the_full_text_index_fills_files_are_read_in_this_process(tree, tmp_path, small_batches):
    """The index writer (SQLite FTS5, a thread of this process) is the slow part then: no pool."""
    found = {}
    for jobs in (1, 2):
        session = ListingSession([tree], cache_dir=str(tmp_path / f"cache{jobs}"), jobs=jobs)
        found[jobs] = [row.path for row in session.iter_matching("text:experts")]
        assert session.catalog.index_is_complete()
    assert not small_batches
    assert found[2] == found[1] and len(found[1]) > 5
    # Once the index is built, a listing that reads files uses the pool again.
    (tmp_path / "more").mkdir()
    for source in sorted(CORPUS.glob("llama-stack/*/recordings/*.json"))[:10]:
        shutil.copy(source, tmp_path / "more" / source.name)
    Catalog(cache_dir=str(tmp_path / "cache-other"), jobs=2).scan([str(tmp_path / "more")])
    assert small_batches


class _DyingPool:
    """A pool whose worker died: every task fails (a real one cannot be made to on demand)."""

    jobs = 2
    full = False

    def __init__(self) -> None:
        self.closed = False
        self.tasks = 0

    def submit(self, task):
        self.tasks += 1
        future: Future = Future()
        future.set_exception(BrokenProcessPool("a child process terminated abruptly"))
        return future

    def close(self) -> None:
        self.closed = True


def test_a_dead_worker_leaves_its_files_to_this_process(tree, tmp_path, monkeypatch):
    alone = _rows(tree, tmp_path / "c1", jobs=1)
    pool = _DyingPool()
    monkeypatch.setattr(catalog_module, "PARALLEL_FROM", 2)
    monkeypatch.setattr(catalog_module, "start_pool", lambda jobs, max_size: pool)
    assert _rows(tree, tmp_path / "c2", jobs=2) == alone
    assert pool.tasks and pool.closed


def test_no_pool_to_be_had_reads_in_this_process(tree, tmp_path, monkeypatch):
    alone = _rows(tree, tmp_path / "c1", jobs=1)
    monkeypatch.setattr(catalog_module, "PARALLEL_FROM", 2)
    monkeypatch.setattr(catalog_module, "start_pool", lambda jobs, max_size: None)
    assert _rows(tree, tmp_path / "c2", jobs=2) == alone


def test_a_listing_stopped_early_stops_its_workers(tree, tmp_path, small_batches, monkeypatch):
    closed: list[bool] = []
    close = parallel.SummaryPool.close

    def recording_close(self):
        workers = list(self._executor._processes.values())
        close(self)
        closed.append(bool(workers) and not any(worker.is_alive() for worker in workers))

    monkeypatch.setattr(parallel.SummaryPool, "close", recording_close)
    rows = Catalog(cache_dir=str(tmp_path / "cache"), jobs=2).iter_summaries([tree])
    for _ in range(20):
        next(rows)
    rows.close()
    assert closed == [True]


COUNTING_LIST = """
import sys
from tui_replay.catalog import parallel
submit = parallel.SummaryPool.submit
tasks = []

def counting(self, task):
    tasks.append(len(task))
    return submit(self, task)

parallel.SummaryPool.submit = counting
from tui_replay.cli import main
status = main(sys.argv[1:])
print(f"files sent to workers: {sum(tasks)}", file=sys.stderr)
sys.exit(status)
"""


def test_list_with_helpers_prints_what_one_process_prints(tree, tmp_path):
    """Whole processes on four copies of the corpus (over PARALLEL_FROM files to read): with
    `--jobs 2` real workers read the files past PARALLEL_FROM, and the output is the same."""
    for copy in range(1, 4):
        shutil.copytree(CORPUS, os.path.join(tree, f"copy{copy}"))
    env = dict(os.environ, TUI_REPLAY_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(REPO))
    outputs, sent = [], []
    for jobs in ("1", "2"):
        command = [sys.executable, "-c", COUNTING_LIST, "list", "--json", "--no-cache", "--jobs", jobs, tree]
        result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, result.stderr
        *others, count = result.stderr.splitlines()
        assert others == []
        sent.append(int(count.rsplit(" ", 1)[1]))
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    rows = outputs[0].splitlines()
    assert len(rows) > parallel.PARALLEL_FROM + 100
    # (Files, not rows: a cassette gives a row per interaction.)
    assert sent[0] == 0 and sent[1] >= 100
    assert all(json.loads(line)["path"] for line in rows)


def test_key_status_read_by_workers_is_the_key_status_read_here(tree, tmp_path, monkeypatch):
    from tui_replay.recording.summary import key_pending

    monkeypatch.setattr(catalog_module, "PARALLEL_FROM", 2)
    monkeypatch.setattr(catalog_module, "BATCH_FILES", 7)
    keys_sent = _count_tasks(monkeypatch, "submit_keys")
    alone = _rows(tree, tmp_path / "c1", jobs=1)
    helped = _rows(tree, tmp_path / "c2", jobs=1)
    pending = [row for row in alone if key_pending(row)]
    assert len(pending) > 100
    progress: list[tuple[int, int]] = []
    assert compute_keys(alone, jobs=1) == len(pending)
    assert not keys_sent
    assert compute_keys(helped, jobs=2, progress=lambda done, total: progress.append((done, total))) == len(
        pending
    )
    assert sum(keys_sent) == len(pending)
    assert progress[-1] == (len(pending), len(pending))
    assert [row.key for row in helped] == [row.key for row in alone]
    assert {row.key.split(" ", 1)[0] for row in alone if row.key} >= {"current", "mis-keyed"}
    assert compute_keys(helped, jobs=2) == 0  # read once: kept on the rows


def test_a_headless_key_filter_reads_the_status_through_workers(tree, tmp_path, monkeypatch):
    from tui_replay.catalog.filters import filter_summaries

    expected = filter_summaries(_rows(tree, tmp_path / "c1", jobs=1), "key:mis-keyed")
    assert expected
    monkeypatch.setattr(catalog_module, "PARALLEL_FROM", 2)
    monkeypatch.setattr(catalog_module, "BATCH_FILES", 5)
    monkeypatch.setattr(catalog_module, "KEY_CHUNK", 40)
    keys_sent = _count_tasks(monkeypatch, "submit_keys")
    found = list(
        ListingSession([tree], cache_dir=str(tmp_path / "c2"), jobs=2).iter_matching("key:mis-keyed")
    )
    assert [row.path for row in found] == [row.path for row in expected]
    assert sum(keys_sent) > 100


def test_key_status_with_a_broken_pool_is_read_here(tree, tmp_path):
    """A pool whose worker died refuses new tasks: the status is read in this process."""
    from tui_replay.recording.summary import key_pending

    class BrokenPool(_DyingPool):
        def submit_keys(self, paths):
            raise BrokenProcessPool("A process in the process pool was terminated abruptly")

    rows = _rows(tree, tmp_path / "c1", jobs=1)
    pending = [row for row in rows if key_pending(row)]
    assert compute_keys(rows, jobs=2, pool=BrokenPool()) == len(pending)
    assert all(row.key for row in pending)
    dying = _rows(tree, tmp_path / "c2", jobs=1)

    class DyingKeys(_DyingPool):
        def submit_keys(self, paths):
            return self.submit(paths)

    assert compute_keys(dying, jobs=2, pool=DyingKeys()) == len(pending)
    assert [row.key for row in dying] == [row.key for row in rows]


def test_a_headless_key_filter_keeps_every_row_in_the_cache(tree, tmp_path, monkeypatch):
    """The status is stored chunk by chunk while the listing still streams the cache: the rows
    of the files listed before a chunk must stay stored (a later listing reads no file)."""
    monkeypatch.setattr(catalog_module, "KEY_CHUNK", 40)
    cache_dir = str(tmp_path / "cache")
    Catalog(cache_dir=cache_dir, jobs=1).scan([tree])
    list(ListingSession([tree], cache_dir=cache_dir, jobs=1).iter_matching("key:mis-keyed"))
    readable = [row.path for row in _rows(tree, tmp_path / "other", jobs=1) if row.mtime_ns]

    def no_reading(*args, **kwargs):
        raise AssertionError("a file was read again")

    monkeypatch.setattr(catalog_module, "summarize_one", no_reading)
    assert [row.path for row in Catalog(cache_dir=cache_dir, jobs=1).scan([tree]) if row.mtime_ns] == readable


FORK_RECORDING_LIST = """
import sys
from tui_replay.catalog import parallel
made = []
init = parallel.SummaryPool.__init__

def recording_init(self, jobs, max_size, *, fork=False):
    made.append(fork)
    init(self, jobs, max_size, fork=fork)

parallel.SummaryPool.__init__ = recording_init
from tui_replay.cli import main
status = main(sys.argv[1:])
print(f"pools made (forked?): {made}", file=sys.stderr)
sys.exit(status)
"""


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "table"])
def test_a_headless_list_forks_its_workers_and_prints_what_one_process_prints(tree, tmp_path, as_json):
    """No other thread in a headless `list`: the workers are forked from it after FORK_FROM files
    (not from a forkserver), and nothing it buffered before the fork is printed twice."""
    env = dict(os.environ, TUI_REPLAY_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(REPO))
    outputs, pools = [], []
    for jobs in ("1", "2"):
        shutil.rmtree(tmp_path / "cache", ignore_errors=True)
        command = [sys.executable, "-c", FORK_RECORDING_LIST, "list", "--jobs", jobs, tree]
        if as_json:
            command.insert(4, "--json")
        result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, result.stderr
        *others, made = result.stderr.splitlines()
        assert others == []
        pools.append(made)
        outputs.append(result.stdout)
    assert pools == ["pools made (forked?): []", "pools made (forked?): [True]"]
    # (The table's column widths come from the rows of its first quarter second: the cells
    # are compared, not the padding.)
    lines = [[" ".join(line.split()) for line in output.splitlines()] for output in outputs]
    assert lines[0] == lines[1]
    assert len(lines[0]) > parallel.FORK_FROM + 100


def test_with_another_thread_running_the_workers_come_from_the_forkserver(tree, tmp_path, monkeypatch):
    """The app lists from a thread: forking then could leave a worker a lock held by a thread
    it does not have, so the pool comes from the forkserver (later, after PARALLEL_FROM)."""
    import threading

    monkeypatch.setattr(catalog_module, "FORK_FROM", 2)
    monkeypatch.setattr(catalog_module, "PREPARE_FROM", 3)
    monkeypatch.setattr(catalog_module, "PARALLEL_FROM", 4)
    made: list[bool] = []
    init = parallel.SummaryPool.__init__

    def recording_init(self, jobs, max_size, *, fork=False):
        made.append(fork)
        init(self, jobs, max_size, fork=fork)

    monkeypatch.setattr(parallel.SummaryPool, "__init__", recording_init)
    alone = _rows(tree, tmp_path / "c1", jobs=1)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not parallel.can_fork()
        helped = _rows(tree, tmp_path / "c2", jobs=2)
    finally:
        stop.set()
        other.join()
    assert made == [False]
    assert helped == alone


def test_a_forked_pool_reads_the_same_rows(tree, tmp_path, monkeypatch):
    """In this process (when it runs no other thread): workers forked after two files, tasks of
    three files; the rows are those one process reads."""
    import threading

    if threading.active_count() != 1:
        pytest.fail(f"the test process runs other threads: {threading.enumerate()}")
    monkeypatch.setattr(catalog_module, "FORK_FROM", 2)
    monkeypatch.setattr(catalog_module, "FORKED_BATCH_FILES", 3)
    tasks = _count_tasks(monkeypatch, "submit")
    alone = _rows(tree, tmp_path / "c1", jobs=1)
    assert not tasks
    helped = _rows(tree, tmp_path / "c2", jobs=2)
    assert helped == alone
    assert max(tasks) == 3 and sum(tasks) > len(alone) // 2


def test_the_cassette_suffixes_named_for_the_workers_are_the_cassette_readers():
    from tui_replay.recording.cassette import CASSETTE_SUFFIXES

    assert parallel.CASSETTE_SUFFIXES == CASSETTE_SUFFIXES


def test_a_listing_of_json_files_does_not_import_the_yaml_reader(tmp_path):
    """Cassettes are read by the YAML reader: a tree of JSON recordings never imports it."""
    require_corpus()
    tree = tmp_path / "tree"
    shutil.copytree(CORPUS / "llama-stack", tree)
    code = (
        "import sys\nfrom tui_replay.catalog.catalog import Catalog\n"
        "assert Catalog(use_cache=False, jobs=1).scan(sys.argv[1:])\n"
        "print(sorted(name for name in sys.modules if 'yaml' in name or 'cassette' in name))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tree)], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_rows_read_out_of_order_are_not_all_held_while_the_oldest_task_runs(tree, tmp_path, monkeypatch):
    """One worker held up on the oldest task while the other finishes the next ones: the
    listing waits for the oldest once IN_FLIGHT_PER_WORKER tasks per worker are held, instead
    of taking on the whole tree (its rows would pile up in memory)."""

    class HeldUp(Future):
        def result(self, timeout=None):
            if not self.done():
                pool.first_waited_at = pool.tasks
                self.set_result(parallel._summarize_task(task0, 1 << 25))
            return super().result(timeout)

    class OldestHeldUpPool(_DyingPool):
        first_waited_at: int | None = None

        def submit(self, task):
            nonlocal task0
            self.tasks += 1
            if self.tasks == 1:
                task0 = task
                return HeldUp()
            future: Future = Future()
            future.set_result(parallel._summarize_task(task, 1 << 25))
            return future

    task0: list = []
    pool = OldestHeldUpPool()
    monkeypatch.setattr(catalog_module, "FORK_FROM", 10**9)
    monkeypatch.setattr(catalog_module, "PREPARE_FROM", 10**9)
    monkeypatch.setattr(catalog_module, "PARALLEL_FROM", 2)
    monkeypatch.setattr(catalog_module, "BATCH_FILES", 3)
    monkeypatch.setattr(catalog_module, "start_pool", lambda jobs, max_size: pool)
    alone = _rows(tree, tmp_path / "c1", jobs=1)
    helped = _rows(tree, tmp_path / "c2", jobs=2)
    assert helped == alone
    held = parallel.IN_FLIGHT_PER_WORKER * 2  # tasks, two workers
    assert pool.tasks > 3 * held and pool.first_waited_at is not None
    assert pool.first_waited_at <= held + 1
