"""The summary cache (SQLite): hits, invalidation, damage, pruning, --no-cache, concurrent writers."""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import orjson
import pytest
from support import record_calls

import tui_replay.catalog.cache as cache_module
import tui_replay.catalog.catalog as catalog_module
import tui_replay.recording.load as load_module
import tui_replay.recording.summary as summary_module
from tui_replay.catalog.cache import CACHE_FOLDER, DB_NAME, SummaryCache, iter_stored
from tui_replay.catalog.catalog import Catalog
from tui_replay.recording.model import Summary


@pytest.fixture
def tree(tmp_path, corpus):
    """A small copy of real recordings in a folder the test may change."""
    folder = tmp_path / "recordings"
    sources = sorted(corpus.rglob("*.json"))[:12]
    for index, source in enumerate(sources):
        target = folder / f"d{index % 3}" / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return folder


@pytest.fixture
def counted(monkeypatch):
    """Counts calls of the real summarize_file."""
    return record_calls(monkeypatch, summary_module, "summarize_file", lambda path, *a, **k: os.fspath(path))


@pytest.fixture
def reads(monkeypatch):
    """The recording files read (for a summary or for their text)."""
    return record_calls(monkeypatch, (load_module, summary_module), "read_bytes_stat")


@pytest.fixture
def texts_taken(monkeypatch):
    """The recordings whose text was extracted."""
    return record_calls(monkeypatch, summary_module, "recording_text")


def _scan(roots, cache_dir, **options):
    roots = roots if isinstance(roots, list) else [roots]
    return Catalog(cache_dir=str(cache_dir), **options).scan([str(root) for root in roots])


def _db(cache_dir) -> Path:
    return Path(cache_dir) / CACHE_FOLDER / DB_NAME


def _stored(cache_dir) -> list[str]:
    cache = SummaryCache(str(cache_dir))
    try:
        return [path for path, _, _ in iter_stored(cache)]
    finally:
        cache.close()


def _sql(cache_dir, statement, params=()):
    with sqlite3.connect(_db(cache_dir)) as conn:
        return conn.execute(statement, params).fetchall()


def test_second_listing_reads_no_recording(tree, tmp_path, counted):
    cache_dir = tmp_path / "cache"
    first = _scan(tree, cache_dir)
    assert len(counted) == 12
    assert _db(cache_dir).is_file()
    counted.clear()
    second = _scan(tree, cache_dir)
    assert counted == []
    assert second == first  # the same rows, every field


def test_a_first_listing_creates_the_database_while_it_reads_and_keeps_every_row(
    tree, tmp_path, counted, monkeypatch
):
    """With no database yet, a listing asks it nothing and stats no file before reading it; the
    writer thread makes the database when the first writes are handed over (here mid-listing: more
    files than a hand-over), and it holds every row: the next listing reads nothing."""
    monkeypatch.setattr(cache_module, "SEND_BATCH", 5)
    cache_dir = tmp_path / "cache"
    asked = record_calls(monkeypatch, cache_module.SummaryCache, "_stream")
    scans = record_calls(
        monkeypatch, catalog_module, "iter_found", lambda roots, **k: k.get("with_stat", True)
    )
    catalog = Catalog(cache_dir=str(cache_dir))
    assert catalog.cache is not None and catalog.cache.fresh
    rows = iter(catalog.iter_summaries([str(tree)]))
    first = [next(rows) for _ in range(8)]
    writer = catalog.cache._writer
    assert writer is not None and writer.make is not None  # it makes the database, this thread reads on
    deadline = time.monotonic() + 10
    while not _db(cache_dir).is_file() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _db(cache_dir).is_file() and catalog.cache._conn is None  # made before the listing ended
    first += list(rows)
    assert len(counted) == 12 and asked == [] and scans == [False]
    assert not catalog.cache.fresh
    assert len(_stored(cache_dir)) == 12
    counted.clear()
    assert _scan(tree, cache_dir) == first
    assert counted == []


def test_a_connection_asked_for_while_the_writer_makes_the_fresh_database_waits_for_it(
    tree, tmp_path, monkeypatch
):
    """The app lists on a thread and asks for the cache's connection from another (a text filter)
    while the writer thread may still be making the fresh database: that connection waits, and
    never takes the half-made folder (no tag yet) for one that is not ours."""
    real_write = cache_module.write_atomic

    def slow_write(*args, **kwargs):
        time.sleep(0.3)  # the folder is there, its tag not yet
        return real_write(*args, **kwargs)

    monkeypatch.setattr(cache_module, "write_atomic", slow_write)
    cache_dir = tmp_path / "cache"
    cache = SummaryCache(str(cache_dir))
    assert cache.fresh
    [row] = Catalog(use_cache=False).scan([str(next(tree.rglob("*.json")))])
    assert cache.put_rows(os.path.abspath(row.path), [row], row.size, row.mtime_ns)
    cache._flush()  # the writer thread starts making the database
    deadline = time.monotonic() + 10
    while not (cache_dir / CACHE_FOLDER).is_dir() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert cache.connection() is not None and cache.usable
    assert cache.save() == 1 and not cache.write_failed
    assert _stored(cache_dir) == [os.path.abspath(row.path)]


def test_unchanged_listing_writes_nothing(tree, tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    writers = []
    real = cache_module._Writer

    def counting_writer(path, **options):
        writers.append(path)
        return real(path, **options)

    monkeypatch.setattr(cache_module, "_Writer", counting_writer)
    _scan(tree, cache_dir)
    assert len(writers) == 1
    _scan(tree, cache_dir)
    assert len(writers) == 1


def test_changed_file_is_summarized_again(tree, tmp_path, counted):
    cache_dir = tmp_path / "cache"
    _scan(tree, cache_dir)
    counted.clear()
    changed = sorted(tree.rglob("*.json"))[0]
    changed.write_bytes(b"{}")  # size and mtime change
    rows = {r.path: r for r in _scan(tree, cache_dir)}
    assert counted == [str(changed)]
    assert rows[str(changed)].status == "error"


def test_same_size_new_mtime_is_summarized_again(tree, tmp_path, counted):
    cache_dir = tmp_path / "cache"
    _scan(tree, cache_dir)
    counted.clear()
    touched = sorted(tree.rglob("*.json"))[3]
    st = touched.stat()
    os.utime(touched, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    _scan(tree, cache_dir)
    assert counted == [str(touched)]


def test_no_cache_neither_reads_nor_writes(tree, tmp_path, counted):
    cache_dir = tmp_path / "cache"
    _scan(tree, cache_dir, use_cache=False)
    assert not cache_dir.exists()
    _scan(tree, cache_dir)  # fills it
    counted.clear()
    before = _db(cache_dir).read_bytes()
    _scan(tree, cache_dir, use_cache=False)
    assert len(counted) == 12  # did not read it
    assert _db(cache_dir).read_bytes() == before  # did not write it


@pytest.mark.parametrize("content", [b"\x00\xff garbage" * 100, b"SQLite format 3\x00" + b"\xff" * 4000])
def test_damaged_database_is_built_again(tree, tmp_path, counted, content):
    cache_dir = tmp_path / "cache"
    _scan(tree, cache_dir)
    db = _db(cache_dir)
    for name in cache_module.DB_FILES[1:]:
        (db.parent / name).unlink(missing_ok=True)
    db.write_bytes(content)
    counted.clear()
    rows = _scan(tree, cache_dir)
    assert len(counted) == 12 and all(r.status == "ok" for r in rows)
    counted.clear()
    assert _scan(tree, cache_dir) == rows and counted == []  # and it serves again


def test_a_database_of_another_version_is_emptied(tree, tmp_path, counted):
    cache_dir = tmp_path / "cache"
    _scan(tree, cache_dir)
    _sql(cache_dir, "UPDATE meta SET value = '0.0.1' WHERE key = 'version'")
    counted.clear()
    _scan(tree, cache_dir)
    assert len(counted) == 12


def test_damaged_rows_are_summarized_again(tree, tmp_path, counted):
    cache_dir = tmp_path / "cache"
    _scan(tree, cache_dir)
    stored = _sql(cache_dir, "SELECT id, rows FROM files ORDER BY dir, name")
    wrong = orjson.loads(stored[1][1])
    wrong[0][0] = {"not": "a status"}
    damage = [b"nonsense", orjson.dumps(wrong), orjson.dumps([[1, 2]]), "text, not bytes"]
    for (file_id, _), value in zip(stored, damage, strict=False):
        _sql(cache_dir, "UPDATE files SET rows = ? WHERE id = ?", (value, file_id))
    damaged = {
        os.path.join(d, n) for d, n in _sql(cache_dir, "SELECT dir, name FROM files ORDER BY dir, name")[:4]
    }
    counted.clear()
    rows = _scan(tree, cache_dir)
    assert {os.path.abspath(p) for p in counted} == damaged
    assert len(rows) == 12
    counted.clear()
    _scan(tree, cache_dir)
    assert counted == []  # rebuilt rows were written back


def test_deleted_files_and_folders_drop_out_and_other_trees_stay(tree, tmp_path):
    cache_dir = tmp_path / "cache"
    other = tmp_path / "other"
    shutil.copytree(tree / "d0", other)
    _scan(other, cache_dir)
    _scan(tree, cache_dir)
    gone = sorted((tree / "d1").glob("*.json"))[0]
    gone.unlink()
    shutil.rmtree(tree / "d2")
    _scan(tree, cache_dir)
    stored = _stored(cache_dir)
    assert str(gone) not in stored
    assert not any(path.startswith(str(tree / "d2")) for path in stored)
    assert len([p for p in stored if p.startswith(str(tree) + os.sep)]) == 7
    assert len([p for p in stored if p.startswith(str(other) + os.sep)]) == len(list(other.iterdir()))


def test_an_unfinished_listing_drops_nothing(tree, tmp_path):
    cache_dir = tmp_path / "cache"
    _scan(tree, cache_dir)
    gone = sorted(tree.rglob("*.json"))[0]
    gone.unlink()
    catalog = Catalog(cache_dir=str(cache_dir))
    rows = catalog.iter_summaries([str(tree)])
    next(rows)
    rows.close()  # `list | head`: the reader went away
    catalog.save()
    assert str(gone) in _stored(cache_dir)


def test_a_subfolder_and_named_files_use_the_same_rows(tree, tmp_path, counted, monkeypatch):
    cache_dir = tmp_path / "cache"
    _scan(tree, cache_dir)
    counted.clear()
    assert len(_scan(tree / "d1", cache_dir)) == 4
    files = sorted((tree / "d0").iterdir())
    assert len(_scan(files, cache_dir)) == len(files)
    monkeypatch.chdir(tree)
    rows = _scan("d2", cache_dir)
    assert counted == []
    assert all(r.path.startswith("d2" + os.sep) for r in rows)
    assert len(_stored(cache_dir)) == 12  # a subfolder listing did not drop its parent's rows


def test_two_listings_at_once_both_succeed_and_agree(tree, tmp_path):
    cache_dir = tmp_path / "cache"
    truth = _scan(tree, tmp_path / "truth", use_cache=False)
    results: list[list[Summary]] = []
    errors: list[BaseException] = []

    def listing() -> None:
        try:
            results.append(_scan(tree, cache_dir))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=listing) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and results == [truth] * 4
    assert len(_stored(cache_dir)) == 12


def test_caches_opened_at_the_same_moment_on_a_new_folder_are_all_usable(tmp_path, monkeypatch):
    """Processes starting together on a fresh cache: none may see our folder before its tag (and
    refuse it), nor another's tables before its application id (and delete its database)."""
    removed: list[str] = []
    remove = SummaryCache._remove_database
    monkeypatch.setattr(
        SummaryCache, "_remove_database", lambda self: removed.append(self.path) or remove(self)
    )
    for attempt in range(20):
        caches = [SummaryCache(str(tmp_path / f"cache-{attempt}")) for _ in range(6)]
        start = threading.Barrier(len(caches))

        def open_cache(cache: SummaryCache, start: threading.Barrier = start) -> None:
            start.wait()
            cache.connection()

        threads = [threading.Thread(target=open_cache, args=(cache,)) for cache in caches]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        usable = [cache.usable for cache in caches]
        for cache in caches:
            cache.close()
        assert usable == [True] * len(caches) and removed == [], attempt
        assert sorted(os.listdir(tmp_path / f"cache-{attempt}")) == [CACHE_FOLDER]


def test_a_locked_database_is_no_cache_for_the_run(tree, tmp_path, counted):
    cache_dir = tmp_path / "cache"
    _scan(tree, cache_dir)
    holder = sqlite3.connect(_db(cache_dir), isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        counted.clear()
        rows = _scan(tree, cache_dir)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert len(counted) == 12 and len(rows) == 12 and all(r.status == "ok" for r in rows)


def test_unwritable_cache_folder_is_not_an_error(tree, tmp_path):
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    rows = _scan(tree, blocker / "cache")
    assert len(rows) == 12


def test_a_folder_of_our_name_that_is_not_ours_is_left_alone(tree, tmp_path, counted):
    cache_dir = tmp_path / "cache"
    theirs = cache_dir / CACHE_FOLDER
    theirs.mkdir(parents=True)
    (theirs / DB_NAME).write_bytes(b"their own file")
    assert len(_scan(tree, cache_dir)) == 12
    assert (theirs / DB_NAME).read_bytes() == b"their own file"
    assert sorted(os.listdir(theirs)) == [DB_NAME]


def test_text_orjson_refuses_is_left_out_of_the_cache(tmp_path):
    cache = SummaryCache(str(tmp_path))
    lone = "lone \udc80 surrogate"
    assert not cache.put("/a.json", Summary(path="/a.json", status="ok", test_id=lone, size=1, mtime_ns=1))
    assert cache.put("/b.json", Summary(path="/b.json", status="ok", test_id="fine", size=2, mtime_ns=2))
    cache.save()
    fresh = SummaryCache(str(tmp_path))
    assert fresh.get("/a.json", 1, 1, "a.json") is None
    assert fresh.get("/b.json", 2, 2, "b.json").test_id == "fine"


def test_cache_dir_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TUI_REPLAY_CACHE_DIR", str(tmp_path / "here"))
    assert SummaryCache().folder == str(tmp_path / "here")
    monkeypatch.delenv("TUI_REPLAY_CACHE_DIR")
    assert SummaryCache().folder.endswith("tui-replay")


def test_caches_of_older_schemas_are_removed_on_write_when_they_are_ours(tree, tmp_path):
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    (cache_dir / "summaries-v1.json").write_text('{"writer":"tui-replay","schema":1}')
    (cache_dir / "summaries-v3").mkdir()
    (cache_dir / "summaries-v3" / cache_module.TAG_NAME).write_text(cache_module.TAG_TEXT)
    (cache_dir / "summaries-v3" / ("a" * 32 + ".json")).write_text("{}")
    (cache_dir / "summaries-v3" / ".shard-x.tmp").write_text("{}")
    unmarked = cache_dir / "summaries-v1"  # same name, no tag: someone else's
    unmarked.mkdir()
    (unmarked / ("b" * 32 + ".json")).write_text("{}")
    (cache_dir / "unrelated.txt").write_text("mine")
    future = cache_dir / f"summaries-v{cache_module.SCHEMA + 1}"
    future.mkdir()
    _scan(tree, cache_dir)
    kept = [CACHE_FOLDER, "unrelated.txt", future.name, unmarked.name]
    assert sorted(os.listdir(cache_dir)) == sorted(kept)
    assert os.listdir(unmarked) == ["b" * 32 + ".json"]


def test_beyond_the_limit_the_oldest_files_go(tree, tmp_path, monkeypatch):
    monkeypatch.setattr(cache_module, "MAX_FILES", 5)
    cache_dir = tmp_path / "cache"
    _scan(tree / "d0", cache_dir)
    _scan(tree / "d1", cache_dir)
    stored = _stored(cache_dir)
    assert len(stored) == 5
    assert {str(path) for path in (tree / "d1").iterdir()} < set(stored)  # the latest all stay


def _query(tree, cache_dir, needle):
    catalog = Catalog(cache_dir=str(cache_dir))
    search = catalog.text_search([str(tree)])(needle)
    return sorted(row.path for row in catalog.scan([str(tree)]) if search(row))


def _said_by(tree, needle):
    texts = {}
    for row in Catalog(use_cache=False).scan([str(tree)]):
        if row.status != "ok":
            continue
        data = orjson.loads(Path(row.path).read_bytes())
        texts[row.path] = summary_module.recording_text(data).lower()
    return sorted(path for path, text in texts.items() if needle in text)


def test_a_listing_extracts_no_text_and_the_first_query_builds_the_index(tree, tmp_path, reads, texts_taken):
    cache_dir = tmp_path / "cache"
    _scan(tree, cache_dir)
    assert len(reads) == 12 and texts_taken == []  # a plain listing: no text taken, nothing indexed
    assert _sql(cache_dir, "SELECT count(*) FROM texts") == [(0,)]
    assert _sql(cache_dir, "SELECT count(*) FROM files WHERE indexed = 0") == [(12,)]
    expected = _said_by(tree, "the")
    assert expected
    reads.clear()
    assert _query(tree, cache_dir, "the") == expected  # the first query reads each file once
    assert len(reads) == 12
    assert _sql(cache_dir, "SELECT count(*) FROM files WHERE indexed = 1") == [(12,)]
    reads.clear()
    assert _query(tree, cache_dir, "the") == expected  # then the index answers alone
    assert reads == []


def test_after_a_change_the_next_query_reads_only_the_changed_file(tree, tmp_path, reads, counted):
    cache_dir = tmp_path / "cache"
    _query(tree, cache_dir, "zqz")
    changed = sorted(tree.rglob("*.json"))[0]
    changed.write_bytes(changed.read_bytes().replace(b'"content": "', b'"content": "zqzchangedzqz '))
    reads.clear()
    counted.clear()
    _scan(tree, cache_dir)  # the listing summarizes it again, without its text
    assert counted == [str(changed)]
    assert _sql(cache_dir, "SELECT count(*) FROM files WHERE indexed = 0") == [(1,)]
    reads.clear()
    assert _query(tree, cache_dir, "zqzchangedzqz") == [str(changed)]
    assert reads == [str(changed)]  # only the changed file is read for its text
