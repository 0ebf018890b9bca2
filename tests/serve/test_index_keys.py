"""The serve index and the match keys of the summary cache, in process: what a second index
loads instead of reading, what a listing of a changed file takes out, and a cache that is
locked or linked elsewhere (no cache for the run, never a wait beyond the busy timeout)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from serve.helpers import LLAMA, PYDANTIC
from tui_replay.catalog.cache import CACHE_FOLDER, DB_NAME
from tui_replay.catalog.catalog import Catalog
from tui_replay.serve.index import HIT, ClientRequest, ServeIndex


@pytest.fixture
def tree(tmp_path):
    folder = tmp_path / "tree"
    shutil.copytree(LLAMA / "inference", folder / "inference")
    shutil.copy(PYDANTIC / "test_anthropic__test_anthropic_tool_output.yaml", folder)
    return folder


def _index(tree: Path, cache_dir: Path, **options) -> ServeIndex:
    index = ServeIndex([str(tree)], cache_dir=str(cache_dir), **options)
    index.build()
    return index


def _every_key_read(index: ServeIndex) -> dict[str, str | None]:
    index.read_all()
    return {address: entry.key for address, entry in index.entries.items()}


def _stored_keys(cache_dir: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(cache_dir / CACHE_FOLDER / DB_NAME) as conn:
        return conn.execute(
            "SELECT f.name, k.interaction FROM match_keys k JOIN files f ON f.id = k.file_id"
        ).fetchall()


def _chat_request(path: Path) -> ClientRequest:
    body = json.loads(path.read_text())["request"]["body"]
    return ClientRequest("POST", "/v1/chat/completions", "", body, None)


def test_a_second_index_loads_every_key_and_reads_no_file(tree, tmp_path):
    cache_dir = tmp_path / "cache"
    first = _index(tree, cache_dir)
    keys = _every_key_read(first)
    assert first.files_read == len({entry.file for entry in first.entries.values()}) > 5
    assert len(_stored_keys(cache_dir)) == len(keys)

    second = _index(tree, cache_dir)
    assert _every_key_read(second) == keys
    assert second.files_read == 0 and second.keys_from_cache == len(keys)
    chat = sorted(tree.rglob("*.json"))[0]
    found = second.match(_chat_request(chat))
    assert found.verdict == HIT and found.entry is not None and found.entry.file == str(chat)


def test_a_listing_of_a_changed_file_takes_its_keys_out(tree, tmp_path):
    cache_dir = tmp_path / "cache"
    _every_key_read(_index(tree, cache_dir))
    before = _stored_keys(cache_dir)
    changed = sorted(tree.rglob("*.json"))[0]
    changed.write_text(changed.read_text() + "\n")
    Catalog(cache_dir=str(cache_dir)).scan([str(tree)])  # `list`: the row changes
    after = _stored_keys(cache_dir)
    assert (changed.name, -1) in before and (changed.name, -1) not in after
    assert len(after) == len(before) - 1

    index = _index(tree, cache_dir)
    index.ensure_api("chat")
    assert index.files_read == 1  # the changed file, the rest from the cache
    assert index.match(_chat_request(changed)).entry.file == str(changed)


def test_a_locked_cache_is_no_cache_and_no_wait(tree, tmp_path):
    cache_dir = tmp_path / "cache"
    keys = _every_key_read(_index(tree, cache_dir))
    holder = sqlite3.connect(cache_dir / CACHE_FOLDER / DB_NAME, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        index = _index(tree, cache_dir)
        assert _every_key_read(index) == keys
        assert index.keys_from_cache == 0 and index.files_read > 5
        assert time.monotonic() - started < 20  # the busy timeout is 2 s, per attempt
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_linked_database_file_is_refused(tree, tmp_path):
    cache_dir = tmp_path / "cache"
    _every_key_read(_index(tree, cache_dir))
    wal = cache_dir / CACHE_FOLDER / f"{DB_NAME}-wal"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"")
    if wal.exists():
        wal.unlink()
    os.symlink(elsewhere, wal)
    index = _index(tree, cache_dir)
    keys = _every_key_read(index)
    assert index.keys_from_cache == 0 and index.files_read > 5 and all(keys.values())
    assert elsewhere.read_bytes() == b""  # nothing written through the link


def test_no_cache_reads_and_stores_nothing(tree, tmp_path):
    cache_dir = tmp_path / "cache"
    keys = _every_key_read(_index(tree, cache_dir))
    index = _index(tree, cache_dir, use_cache=False)
    assert _every_key_read(index) == keys
    assert index.keys_from_cache == 0 and index.files_read == len({e.file for e in index.entries.values()})


def test_files_named_on_the_command_line_load_their_keys_too(tree, tmp_path, monkeypatch):
    monkeypatch.chdir(tree)  # relative names, as typed
    named = [
        sorted(Path("inference").rglob("*.json"))[0].as_posix(),
        "test_anthropic__test_anthropic_tool_output.yaml",
    ]
    cache_dir = tmp_path / "cache"
    first = ServeIndex(named, cache_dir=str(cache_dir))
    first.build()
    keys = _every_key_read(first)
    assert len(keys) > 2 and first.files_read == 2
    second = ServeIndex(named, cache_dir=str(cache_dir))
    second.build()
    assert _every_key_read(second) == keys
    assert second.files_read == 0 and second.keys_from_cache == len(keys)


def test_damaged_stored_keys_are_read_again(tree, tmp_path):
    cache_dir = tmp_path / "cache"
    keys = _every_key_read(_index(tree, cache_dir))
    with sqlite3.connect(cache_dir / CACHE_FOLDER / DB_NAME) as conn:
        (damaged,) = conn.execute("SELECT file_id FROM match_keys WHERE interaction = -1 LIMIT 1").fetchone()
        conn.execute("UPDATE match_keys SET facts = ? WHERE file_id = ?", (b'[1, "two"]', damaged))
    index = _index(tree, cache_dir)
    assert _every_key_read(index) == keys
    assert index.files_read == 1 and index.keys_from_cache == len(keys) - 1


def test_a_cache_of_another_layout_holds_no_keys(tree, tmp_path):
    cache_dir = tmp_path / "cache"
    keys = _every_key_read(_index(tree, cache_dir))
    with sqlite3.connect(cache_dir / CACHE_FOLDER / DB_NAME) as conn:
        conn.execute("UPDATE meta SET value = 'older' WHERE key = 'layout'")
    index = _index(tree, cache_dir)
    assert _every_key_read(index) == keys
    assert index.keys_from_cache == 0 and index.files_read > 5
    assert len(_stored_keys(cache_dir)) == len(keys)  # stored again, for the layout of today
