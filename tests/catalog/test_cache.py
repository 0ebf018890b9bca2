"""The summary cache: hits, invalidation, corruption, pruning, sharding, --no-cache, atomic writes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import orjson
import pytest

import tui_replay.catalog.cache as cache_module
import tui_replay.catalog.catalog as catalog_module
from tui_replay.catalog.cache import SHARD_FOLDER, SummaryCache, folder_key, named_files_key
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


def _scan(roots, cache_dir, **options):
    roots = roots if isinstance(roots, list) else [roots]
    return Catalog(cache_dir=str(cache_dir), **options).scan([str(root) for root in roots])


def _shard(cache_dir, key) -> Path:
    return Path(SummaryCache(str(cache_dir)).shard_path(key))


def _entries(cache_dir, key) -> dict:
    return orjson.loads(_shard(cache_dir, key).read_bytes())["entries"]


def _shard_files(cache_dir) -> list[str]:
    folder = cache_dir / SHARD_FOLDER
    return sorted(n for n in os.listdir(folder) if n != cache_module.TAG_NAME) if folder.is_dir() else []


def test_second_listing_reads_no_recording(tree, tmp_path, counted):
    cache_dir = tmp_path / "cache"
    first = _scan(tree, cache_dir)
    assert len(counted) == 12
    assert _shard(cache_dir, folder_key(str(tree))).is_file()
    counted.clear()
    second = _scan(tree, cache_dir)
    assert counted == []
    assert second == first  # the same rows, every field


def test_unchanged_listing_does_not_rewrite_the_cache(tree, tmp_path):
    cache_dir = tmp_path / "cache"
    _scan(tree, cache_dir)
    shard = _shard(cache_dir, folder_key(str(tree)))
    old = shard.stat().st_mtime_ns - 10**9
    os.utime(shard, ns=(old, old))
    _scan(tree, cache_dir)
    assert shard.stat().st_mtime_ns == old


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
    shard = _shard(cache_dir, folder_key(str(tree)))
    before = shard.read_bytes()
    _scan(tree, cache_dir, use_cache=False)
    assert len(counted) == 12  # did not read it
    assert shard.read_bytes() == before  # did not write it


def _valid_payload(**changes) -> bytes:
    payload = {
        "schema": cache_module.SCHEMA,
        "fields": list(cache_module._STORED_FIELDS),
        "version": cache_module.__version__,
        "key": "?",
        "entries": {},
    }
    payload.update(changes)
    return orjson.dumps(payload)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00\xff garbage",
        b'{"schema": 2, "entries": ',
        b"[1, 2, 3]",
        _valid_payload(schema=1),
        _valid_payload(fields=["other"]),
        _valid_payload(version="0.0.1"),
        _valid_payload(key="/somewhere/else"),  # a hash collision must not mix folders
        _valid_payload(entries=[1, 2]),
    ],
)
def test_corrupt_or_old_shard_is_ignored_and_replaced(tree, tmp_path, counted, content):
    cache_dir = tmp_path / "cache"
    shard = _shard(cache_dir, folder_key(str(tree)))
    shard.parent.mkdir(parents=True)
    shard.write_bytes(content)
    rows = _scan(tree, cache_dir)
    assert len(counted) == 12 and all(r.status == "ok" for r in rows)
    data = orjson.loads(shard.read_bytes())
    assert data["schema"] == cache_module.SCHEMA and data["key"] == str(tree) and len(data["entries"]) == 12


def test_damaged_entries_are_summarized_again(tree, tmp_path, counted):
    cache_dir = tmp_path / "cache"
    _scan(tree, cache_dir)
    shard = _shard(cache_dir, folder_key(str(tree)))
    data = orjson.loads(shard.read_bytes())
    keys = sorted(data["entries"])
    data["entries"][keys[0]] = "nonsense"
    data["entries"][keys[1]][2] = [1, 2]  # wrong number of values
    data["entries"][keys[2]][2][0] = {"not": "a status"}
    shard.write_bytes(orjson.dumps(data))
    counted.clear()
    rows = _scan(tree, cache_dir)
    assert sorted(counted) == keys[:3]
    assert len(rows) == 12


def test_deleted_files_drop_out_and_other_folders_keep_their_shards(tree, tmp_path):
    cache_dir = tmp_path / "cache"
    other = tmp_path / "other"
    shutil.copytree(tree / "d0", other)
    _scan(other, cache_dir)
    _scan(tree, cache_dir)
    gone = sorted(tree.rglob("*.json"))[0]
    gone.unlink()
    _scan(tree, cache_dir)
    entries = _entries(cache_dir, folder_key(str(tree)))
    assert str(gone) not in entries and len(entries) == 11
    assert len(_entries(cache_dir, folder_key(str(other)))) == len(list(other.iterdir()))


def test_a_subfolder_reuses_the_enclosing_folders_summaries(tree, tmp_path, counted):
    cache_dir = tmp_path / "cache"
    _scan(tree, cache_dir)
    counted.clear()
    rows = _scan(tree / "d1", cache_dir)
    assert counted == [] and len(rows) == 4
    assert len(_entries(cache_dir, folder_key(str(tree / "d1")))) == 4  # now complete on its own
    assert len(_entries(cache_dir, folder_key(str(tree)))) == 12  # the parent's shard is untouched


def test_relative_paths_share_entries_and_rows_keep_the_given_path(tree, tmp_path, monkeypatch, counted):
    cache_dir = tmp_path / "cache"
    _scan(tree, cache_dir)
    counted.clear()
    monkeypatch.chdir(tree)
    rows = _scan("d1", cache_dir) + _scan(os.path.join("d2", sorted(os.listdir(tree / "d2"))[0]), cache_dir)
    assert counted == []
    assert all(r.path.startswith(("d1" + os.sep, "d2" + os.sep)) for r in rows)


def test_named_files_share_one_shard_per_folder_and_accumulate(tree, tmp_path, counted):
    cache_dir = tmp_path / "cache"
    files = sorted((tree / "d0").iterdir())
    _scan(files[:2], cache_dir)
    _scan(files[2:], cache_dir)
    assert len(counted) == len(files)
    assert len(_shard_files(cache_dir)) == 1
    assert sorted(_entries(cache_dir, named_files_key(str(files[0])))) == [str(f) for f in files]
    counted.clear()
    _scan(files, cache_dir)
    assert counted == []


def test_named_files_shard_is_capped(tree, tmp_path, monkeypatch):
    monkeypatch.setattr(cache_module, "MAX_FILE_ENTRIES", 2)
    cache_dir = tmp_path / "cache"
    files = sorted((tree / "d0").iterdir())
    for file in files:
        _scan(file, cache_dir)
    assert list(_entries(cache_dir, named_files_key(str(files[0])))) == [str(f) for f in files[-2:]]


def test_least_recently_written_shards_are_removed_beyond_the_limit(tree, tmp_path, monkeypatch):
    monkeypatch.setattr(cache_module, "MAX_SHARDS", 2)
    cache_dir = tmp_path / "cache"
    for index, folder in enumerate(["d0", "d1", "d2"]):
        _scan(tree / folder, cache_dir)
        if index == 0:
            first = _shard(cache_dir, folder_key(str(tree / "d0")))
            os.utime(first, ns=(1, 1))  # clearly the oldest
    assert len(_shard_files(cache_dir)) == 2
    assert not _shard(cache_dir, folder_key(str(tree / "d0"))).exists()


def test_one_listing_of_several_roots_saves_each_shard(tree, tmp_path, counted):
    cache_dir = tmp_path / "cache"
    _scan([tree / "d0", tree / "d2"], cache_dir)
    assert len(_shard_files(cache_dir)) == 2
    counted.clear()
    _scan([tree / "d2", tree / "d0"], cache_dir)
    assert counted == []


def test_write_is_atomic_and_leaves_no_temporary_files(tree, tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    _scan(tree, cache_dir)
    shard = _shard(cache_dir, folder_key(str(tree)))
    good = shard.read_bytes()
    (sorted(tree.rglob("*.json"))[0]).write_bytes(b"{}")

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    _scan(tree, cache_dir)  # the write fails: the listing still works
    assert shard.read_bytes() == good
    assert _shard_files(cache_dir) == [shard.name]


def test_unwritable_cache_folder_is_not_an_error(tree, tmp_path):
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    rows = _scan(tree, blocker / "cache")
    assert len(rows) == 12


def test_text_orjson_refuses_is_left_out_of_the_cache(tmp_path):
    shard = SummaryCache(str(tmp_path)).shard("/k")
    lone = "lone \udc80 surrogate"
    shard.put("/a.json", Summary(path="/a.json", status="ok", test_id=lone, size=1, mtime_ns=1))
    shard.put("/b.json", Summary(path="/b.json", status="ok", test_id="fine", size=2, mtime_ns=2))
    assert shard.save(complete_scan=True)
    fresh = SummaryCache(str(tmp_path)).shard("/k")
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
    (cache_dir / "summaries-v0").mkdir()
    (cache_dir / "summaries-v0" / cache_module.TAG_NAME).write_text(cache_module.TAG_TEXT)
    (cache_dir / "summaries-v0" / ("a" * 32 + ".json")).write_text("{}")
    (cache_dir / "summaries-v0" / ".shard-x.tmp").write_text("{}")
    unmarked = cache_dir / "summaries-v1"  # same name, no tag: someone else's
    unmarked.mkdir()
    (unmarked / ("b" * 32 + ".json")).write_text("{}")
    (cache_dir / "unrelated.txt").write_text("mine")
    future = cache_dir / f"summaries-v{cache_module.SCHEMA + 1}"
    future.mkdir()
    _scan(tree, cache_dir)
    kept = [SHARD_FOLDER, "unrelated.txt", future.name, unmarked.name]
    assert sorted(os.listdir(cache_dir)) == sorted(kept)
    assert os.listdir(unmarked) == ["b" * 32 + ".json"]


def test_eviction_removes_only_shard_files(tree, tmp_path, monkeypatch):
    monkeypatch.setattr(cache_module, "MAX_SHARDS", 1)
    cache_dir = tmp_path / "cache"
    (cache_dir / SHARD_FOLDER).mkdir(parents=True)
    (cache_dir / SHARD_FOLDER / "notes.json").write_text("{}")
    _scan(tree / "d0", cache_dir)
    _scan(tree / "d1", cache_dir)
    assert len(_shard_files(cache_dir)) == 2  # one shard and notes.json
    assert (cache_dir / SHARD_FOLDER / "notes.json").exists()
