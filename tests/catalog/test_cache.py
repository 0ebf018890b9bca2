"""The summary cache: hits, invalidation, corruption, pruning, --no-cache, atomic writes."""

from __future__ import annotations

import os
import shutil

import orjson
import pytest

import tui_replay.catalog.cache as cache_module
import tui_replay.catalog.catalog as catalog_module
from tui_replay.catalog.cache import CACHE_FILE_NAME, SummaryCache
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
    calls: list[str] = []
    real = catalog_module.summarize_file

    def summarize_file(path, max_size):
        calls.append(os.fspath(path))
        return real(path, max_size=max_size)

    monkeypatch.setattr(catalog_module, "summarize_file", summarize_file)
    return calls


def _scan(folder, cache_dir, **options):
    return Catalog(cache_dir=str(cache_dir), **options).scan([str(folder)])


def test_second_listing_reads_no_recording(tree, tmp_path, counted):
    cache_dir = tmp_path / "cache"
    first = _scan(tree, cache_dir)
    assert len(counted) == 12
    assert (cache_dir / CACHE_FILE_NAME).is_file()
    counted.clear()
    second = _scan(tree, cache_dir)
    assert counted == []
    assert second == first  # the same rows, every field


def test_unchanged_listing_does_not_rewrite_the_cache(tree, tmp_path):
    cache_dir = tmp_path / "cache"
    _scan(tree, cache_dir)
    before = (cache_dir / CACHE_FILE_NAME).stat().st_mtime_ns
    os.utime(cache_dir / CACHE_FILE_NAME, ns=(before - 10**9, before - 10**9))
    _scan(tree, cache_dir)
    assert (cache_dir / CACHE_FILE_NAME).stat().st_mtime_ns == before - 10**9


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
    before = (cache_dir / CACHE_FILE_NAME).read_bytes()
    _scan(tree, cache_dir, use_cache=False)
    assert len(counted) == 12  # did not read it
    assert (cache_dir / CACHE_FILE_NAME).read_bytes() == before  # did not write it


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00\xff garbage",
        b'{"schema": 1, "entries": ',
        b"[1, 2, 3]",
        b'{"schema": 0, "fields": [], "version": "0", "entries": {}}',
        b'{"schema": 1, "fields": ["other"], "version": "0.1.0", "entries": {}}',
    ],
)
def test_corrupt_or_old_cache_is_ignored_and_replaced(tree, tmp_path, counted, content):
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    (cache_dir / CACHE_FILE_NAME).write_bytes(content)
    rows = _scan(tree, cache_dir)
    assert len(counted) == 12 and all(r.status == "ok" for r in rows)
    data = orjson.loads((cache_dir / CACHE_FILE_NAME).read_bytes())
    assert data["schema"] == cache_module.SCHEMA and len(data["entries"]) == 12


def test_damaged_entries_are_summarized_again(tree, tmp_path, counted):
    cache_dir = tmp_path / "cache"
    _scan(tree, cache_dir)
    data = orjson.loads((cache_dir / CACHE_FILE_NAME).read_bytes())
    keys = sorted(data["entries"])
    data["entries"][keys[0]] = "nonsense"
    data["entries"][keys[1]][2] = [1, 2]  # wrong number of values
    data["entries"][keys[2]][2][0] = {"not": "a status"}
    (cache_dir / CACHE_FILE_NAME).write_bytes(orjson.dumps(data))
    counted.clear()
    rows = _scan(tree, cache_dir)
    assert sorted(counted) == keys[:3]
    assert len(rows) == 12


def test_entries_of_deleted_files_are_dropped_others_kept(tree, tmp_path):
    cache_dir = tmp_path / "cache"
    other = tmp_path / "other"
    shutil.copytree(tree / "d0", other)
    _scan(other, cache_dir)
    _scan(tree, cache_dir)
    gone = sorted(tree.rglob("*.json"))[0]
    gone.unlink()
    _scan(tree, cache_dir)
    entries = orjson.loads((cache_dir / CACHE_FILE_NAME).read_bytes())["entries"]
    assert str(gone) not in entries
    assert len([key for key in entries if key.startswith(str(tree) + os.sep)]) == 11
    assert len([key for key in entries if key.startswith(str(other) + os.sep)]) == len(list(other.iterdir()))


def test_the_cache_is_capped(tree, tmp_path, monkeypatch):
    monkeypatch.setattr(cache_module, "MAX_ENTRIES", 5)
    cache_dir = tmp_path / "cache"
    rows = _scan(tree, cache_dir)
    entries = orjson.loads((cache_dir / CACHE_FILE_NAME).read_bytes())["entries"]
    assert len(entries) == 5
    assert list(entries) == [os.path.abspath(r.path) for r in rows[-5:]]  # the latest seen are kept


def test_relative_paths_share_entries_and_rows_keep_the_given_path(tree, tmp_path, monkeypatch, counted):
    cache_dir = tmp_path / "cache"
    _scan(tree, cache_dir)
    counted.clear()
    monkeypatch.chdir(tree)
    rows = _scan("d1", cache_dir)
    assert counted == []
    assert all(r.path.startswith("d1" + os.sep) for r in rows)


def test_write_is_atomic_and_leaves_no_temporary_files(tree, tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    _scan(tree, cache_dir)
    good = (cache_dir / CACHE_FILE_NAME).read_bytes()
    (sorted(tree.rglob("*.json"))[0]).write_bytes(b"{}")

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    _scan(tree, cache_dir)  # the write fails: the listing still works
    assert (cache_dir / CACHE_FILE_NAME).read_bytes() == good
    assert os.listdir(cache_dir) == [CACHE_FILE_NAME]


def test_read_only_cache_folder_is_not_an_error(tree, tmp_path):
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    rows = _scan(tree, blocker / "cache")
    assert len(rows) == 12


def test_text_orjson_refuses_is_left_out_of_the_cache(tmp_path):
    cache = SummaryCache(str(tmp_path))
    cache.put(
        "/a.json", Summary(path="/a.json", status="ok", test_id="lone \udc80 surrogate", size=1, mtime_ns=1)
    )
    cache.put("/b.json", Summary(path="/b.json", status="ok", test_id="fine", size=2, mtime_ns=2))
    assert cache.save()
    fresh = SummaryCache(str(tmp_path))
    assert fresh.get("/a.json", 1, 1, "a.json") is None
    assert fresh.get("/b.json", 2, 2, "b.json").test_id == "fine"


def test_cache_dir_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TUI_REPLAY_CACHE_DIR", str(tmp_path / "here"))
    assert SummaryCache().path == str(tmp_path / "here" / CACHE_FILE_NAME)
    monkeypatch.delenv("TUI_REPLAY_CACHE_DIR")
    assert SummaryCache().path.endswith(os.path.join("tui-replay", CACHE_FILE_NAME))
