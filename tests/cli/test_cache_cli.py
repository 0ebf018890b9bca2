"""The summary cache through the real command line: damaged entries, a cache folder the user chose,
a damaged database, a read-only cache folder."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import orjson

from tui_replay.catalog.cache import _STORED_FIELDS, CACHE_FOLDER, DB_NAME, TAG_NAME

# One wrong-typed value per stored field, in the field order of the cache (valid JSON, right length).
WRONG_VALUES = {
    "status": 1,
    "error": ["x"],
    "test_id": 5,
    "kind": {"k": 1},
    "endpoint": 3.5,
    "model": True,
    "streaming": "yes",
    "chunks": "12",
    "tool_calls": None,
    "citations": 1.5,
    "exception": 0,
    "prompt_tokens": "991",
    "completion_tokens": False,
    "size": None,
    "mtime_ns": "now",
    "first_user": None,
    "answer_start": 7,
    "choices": "2",
    "key": 3,
    "format": ["llama-stack"],
    "interaction": "0",
    "capture": "yes",
}


def test_wrong_typed_cache_entries_are_dropped_and_rebuilt(run_cli, corpus, tmp_path, cache_dir):
    tree = tmp_path / "recordings"
    sources = sorted((corpus / "llama-stack" / "responses" / "recordings").glob("*.json"))
    tree.mkdir()
    for source in sources[: len(WRONG_VALUES)]:
        shutil.copyfile(source, tree / source.name)
    truth = run_cli("list", "--json", "--no-cache", str(tree))
    assert run_cli("list", "--json", str(tree)).stdout == truth.stdout  # fills the cache
    db = cache_dir / CACHE_FOLDER / DB_NAME
    fields = list(_STORED_FIELDS)
    assert sorted(fields) == sorted(WRONG_VALUES)
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT id, rows FROM files ORDER BY dir, name").fetchall()
        good = dict(stored)
        for (file_id, blob), (name, wrong) in zip(stored, WRONG_VALUES.items(), strict=True):
            rows = orjson.loads(blob)
            rows[0][fields.index(name)] = wrong
            conn.execute("UPDATE files SET rows = ? WHERE id = ?", (orjson.dumps(rows), file_id))

    table = run_cli("list", str(tree))
    assert table.returncode == 0, table.stderr
    assert b"Traceback" not in table.stdout + table.stderr
    assert f"{len(WRONG_VALUES)} recordings, 0 unreadable".encode() in table.stdout
    assert run_cli("list", "--json", str(tree)).stdout == truth.stdout
    with sqlite3.connect(db) as conn:
        assert (
            dict(conn.execute("SELECT id, rows FROM files")) == good
        )  # every damaged row written again, right


def test_a_user_chosen_cache_folder_keeps_what_is_not_ours(run_cli, corpus, tmp_path):
    chosen = tmp_path / "my-cache"
    theirs = chosen / "summaries-v0"  # a look-alike of an old cache, not written by tui-replay
    theirs.mkdir(parents=True)
    (theirs / "notes.json").write_text("{}")
    (chosen / "summaries-v1.json").write_text('{"mine": true}')
    # an old-schema folder of ours (tagged) that also holds a file we never write
    ours_with_extra = chosen / "summaries-v3"
    ours_with_extra.mkdir()
    ours = chosen / CACHE_FOLDER
    env = {"TUI_REPLAY_CACHE_DIR": str(chosen)}
    sample = corpus / "llama-stack-2025-10" / "responses" / "recordings"
    assert run_cli("list", "--json", str(sample), extra_env=env).returncode == 0
    tag = (ours / TAG_NAME).read_bytes()
    assert b"tui-replay" in tag  # what we write is marked as ours
    (ours_with_extra / TAG_NAME).write_bytes(tag)
    (ours_with_extra / ("0" * 32 + ".json")).write_text('{"writer":"tui-replay"}')
    (ours_with_extra / "keep.txt").write_text("not ours")
    own_old_file = chosen / "summaries-v0.json"
    own_old_file.write_text('{"writer":"tui-replay","schema":0}')

    other = corpus / "llama-stack-2025-10" / "inference" / "recordings"
    assert run_cli("list", "--json", str(other), extra_env=env).returncode == 0  # writes: cleans up
    assert (theirs / "notes.json").read_text() == "{}"
    assert (chosen / "summaries-v1.json").read_text() == '{"mine": true}'
    assert sorted(p.name for p in ours_with_extra.iterdir()) == [TAG_NAME, "keep.txt"]
    assert not own_old_file.exists()


def test_a_damaged_database_is_built_again(run_cli, corpus, cache_dir):
    sample = corpus / "llama-stack" / "inference" / "recordings"
    truth = run_cli("list", "--json", "--no-cache", "--filter", "text:the", str(sample))
    assert run_cli("list", "--json", str(sample)).stdout
    folder = cache_dir / CACHE_FOLDER
    for name in os.listdir(folder):
        if name.startswith(DB_NAME):
            (folder / name).unlink()
    (folder / DB_NAME).write_bytes(b"SQLite format 3\x00" + os.urandom(8192))
    damaged = run_cli("list", "--json", "--filter", "text:the", str(sample))
    assert damaged.returncode == 0 and damaged.stderr == b""
    assert damaged.stdout == truth.stdout
    with sqlite3.connect(folder / DB_NAME) as conn:  # a database again, with every file
        assert conn.execute("SELECT count(*) FROM files").fetchone()[0] == len(list(sample.glob("*.json")))


@contextlib.contextmanager
def read_only(paths: list[Path]) -> Iterator[None]:
    """The paths cannot be written, even by root (then through the immutable attribute)."""
    as_root = os.geteuid() == 0
    for path in paths:
        if as_root:
            subprocess.run(["chattr", "+i", str(path)], check=True)
        else:
            path.chmod(stat.S_IRUSR | (stat.S_IXUSR if path.is_dir() else 0))
    try:
        yield
    finally:
        for path in paths:
            if as_root:
                subprocess.run(["chattr", "-i", str(path)], check=True)
            else:
                path.chmod(stat.S_IRWXU)


def test_a_read_only_cache_folder_works_without_the_cache(run_cli, corpus, cache_dir):
    sample = corpus / "llama-stack" / "inference" / "recordings"
    truth = run_cli("list", "--json", "--no-cache", "--filter", "text:the", str(sample))
    assert truth.stdout
    with read_only([cache_dir]):
        for _ in range(2):
            result = run_cli("list", "--json", "--filter", "text:the", str(sample))
            assert result.returncode == 0 and result.stderr == b""
            assert result.stdout == truth.stdout
        assert os.listdir(cache_dir) == []
    # A database that exists in a folder made read-only after a listing.
    assert run_cli("list", "--json", str(sample)).returncode == 0
    folder = cache_dir / CACHE_FOLDER
    with read_only([*folder.iterdir(), folder]):
        result = run_cli("list", "--json", "--filter", "text:the", str(sample))
        assert result.returncode == 0 and result.stderr == b""
        assert result.stdout == truth.stdout


def test_a_list_process_ends_with_its_rows_out_and_its_cache_saved(run_cli, corpus, cache_dir, monkeypatch):
    """A finished `list` process ends without the interpreter's tear-down (cli._exit_now): its
    rows, the table's footer and every cache write must be out before it does."""
    table = run_cli("list", str(corpus))
    assert table.returncode == 0, table.stderr
    listed = run_cli("list", "--json", str(corpus))
    assert listed.returncode == 0, listed.stderr
    rows = [orjson.loads(line) for line in listed.stdout.splitlines()]
    footer = table.stdout.decode().splitlines()[-1]
    assert footer.startswith(f"{len(rows)} recordings, ")

    from tui_replay.catalog import catalog as catalog_module
    from tui_replay.catalog.catalog import Catalog

    def no_reading(*args, **kwargs):
        raise AssertionError("a file was read again")

    monkeypatch.setattr(catalog_module, "summarize_one", no_reading)
    readable = [row["path"] for row in rows if row["status"] == "ok"]
    cached = Catalog(cache_dir=str(cache_dir), jobs=1).iter_summaries([str(corpus)])
    assert [row.path for row in cached if row.status == "ok"] == readable
    assert not list((cache_dir / CACHE_FOLDER).glob("*-wal"))  # the database was closed
