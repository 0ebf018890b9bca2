"""A busy or read-only summary cache costs a bounded wait, never a hang (issue 17, item 3).

Each case runs the real command line (or the real app on a pseudo-terminal) in a subprocess
with a timeout, while a real second process holds the SQLite lock or the database file cannot
be written: a hang fails the test instead of stalling the run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pty_session import PtySession
from support import REPO
from test_cache_cli import read_only

from tui_replay.catalog.cache import CACHE_FOLDER, DB_NAME, TAG_TEXT

# Far above a listing of a few files plus one busy wait (BUSY_TIMEOUT_MS), far below a hang.
FINISH_WITHIN = 25

# Holds the lock until its stdin closes: for the whole run of the command under test.
HOLD_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
"""


@pytest.fixture
def sample(corpus) -> Path:
    return corpus / "llama-stack" / "inference" / "recordings"


@pytest.fixture
def fresh_copy(sample, tmp_path) -> Path:
    """Recordings the cache has never seen, so that listing them writes to it."""
    folder = tmp_path / "recordings"
    shutil.copytree(sample, folder)
    return folder


@contextmanager
def lock_held_by_another_process(database: Path) -> Iterator[None]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.communicate(timeout=10)  # closes its stdin: the lock is let go


def _database(run_cli, sample, cache_dir) -> Path:
    """The cache database, made by a first listing."""
    assert run_cli("list", "--json", str(sample)).returncode == 0
    database = cache_dir / CACHE_FOLDER / DB_NAME
    assert database.is_file()
    return database


@pytest.mark.parametrize("text_filter", [False, True], ids=["list", "text-filter"])
def test_a_cache_locked_by_another_process_delays_the_listing_but_never_hangs_it(
    run_cli, sample, fresh_copy, cache_dir, text_filter
):
    database = _database(run_cli, sample, cache_dir)
    query = ("--filter", "text:the") if text_filter else ()
    truth = run_cli("list", "--json", "--no-cache", *query, str(fresh_copy))
    assert truth.returncode == 0 and truth.stdout
    with lock_held_by_another_process(database):
        result = run_cli("list", "--json", *query, str(fresh_copy), timeout=FINISH_WITHIN)
    assert result.returncode == 0 and result.stderr == b""
    assert result.stdout == truth.stdout


@pytest.mark.parametrize("text_filter", [False, True], ids=["list", "text-filter"])
def test_a_read_only_database_file_is_no_cache_for_the_run(
    run_cli, sample, fresh_copy, cache_dir, text_filter
):
    database = _database(run_cli, sample, cache_dir)
    query = ("--filter", "text:the") if text_filter else ()
    truth = run_cli("list", "--json", "--no-cache", *query, str(fresh_copy))
    with read_only([database]):  # the folder stays writable: SQLite opens the file, writing fails
        result = run_cli("list", "--json", *query, str(fresh_copy), timeout=FINISH_WITHIN)
    assert result.returncode == 0 and result.stderr == b""
    assert result.stdout == truth.stdout


def test_the_app_quits_on_q_while_another_process_holds_the_cache(run_cli, sample, fresh_copy, cache_dir):
    """The real app on a pseudo-terminal: `q` ends the process, busy cache or not."""
    database = _database(run_cli, sample, cache_dir)
    env = {
        **os.environ,
        "TUI_REPLAY_CACHE_DIR": str(cache_dir),
        "PYTHONPATH": str(REPO),
        "XDG_CONFIG_HOME": str(cache_dir / "no-user-config"),
    }
    with lock_held_by_another_process(database):
        app = PtySession(
            ["--no-watch", str(fresh_copy)], cwd=fresh_copy.parent, env=env, columns=120, rows=40
        )
        try:
            # Every row is shown: the listing is over and its cache writes wait for the lock.
            app.wait_for(f"{len(list(fresh_copy.glob('*.json')))} recordings".encode(), FINISH_WITHIN)
            app.press(b"q")
            assert app.finish(timeout=FINISH_WITHIN) == 0, "the app did not exit after q"
        finally:
            app.kill()


@pytest.mark.parametrize("name", [DB_NAME, f"{DB_NAME}-wal"])
@pytest.mark.parametrize("target_exists", [True, False], ids=["to-a-file", "dangling"])
def test_a_database_file_that_is_a_link_is_not_written_through(
    run_cli, sample, cache_dir, tmp_path, name, target_exists
):
    """(issue 17, item 10) SQLite would write wherever the link points: no cache, one line."""
    folder = cache_dir / CACHE_FOLDER
    assert run_cli("list", "--json", "--no-cache", str(sample)).returncode == 0
    truth = run_cli("list", "--json", "--no-cache", "--filter", "text:the", str(sample))
    elsewhere = tmp_path / "elsewhere" / "victim"
    elsewhere.parent.mkdir()
    if target_exists:
        elsewhere.write_bytes(b"not the cache's")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "CACHEDIR.TAG").write_text(TAG_TEXT)
    (folder / name).symlink_to(elsewhere)
    results = [
        run_cli("list", "--json", *query, str(sample), timeout=FINISH_WITHIN)
        for query in ((), ("--filter", "text:the"))
    ]
    assert (folder / name).is_symlink()
    if target_exists:
        assert elsewhere.read_bytes() == b"not the cache's"
    assert sorted(path.name for path in elsewhere.parent.iterdir()) == (["victim"] if target_exists else [])
    for result in results:
        assert result.returncode == 0
        assert result.stderr.decode().splitlines() == [
            f"tui-replay list: summary cache not used: {folder / name} is a symbolic link"
        ]
    assert results[1].stdout == truth.stdout


async def test_the_app_says_why_it_runs_without_the_cache(tmp_path, monkeypatch, sample):
    from tui_replay.app.app import TuiReplayApp
    from tui_replay.config import Config

    monkeypatch.setenv("TUI_REPLAY_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "cache" / CACHE_FOLDER
    folder.mkdir(parents=True)
    (folder / "CACHEDIR.TAG").write_text(TAG_TEXT)
    (folder / DB_NAME).symlink_to(tmp_path / "victim")
    monkeypatch.chdir(sample.parent)
    app = TuiReplayApp([sample.name], Config(watch=False))
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.browse.loaded:
            await pilot.pause(0.05)
        await pilot.pause()
        messages = [str(n.message) for n in app._notifications]
    assert f"summary cache not used: {folder / DB_NAME} is a symbolic link" in messages
    assert not (tmp_path / "victim").exists()
