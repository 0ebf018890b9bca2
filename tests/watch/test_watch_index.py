"""`list --watch` keeps the summary cache's full-text index current: a changed file is searched
as it is now, a removed one is found no more (asked of the index directly, with no listing).
The index itself is built by the first `text:` query, never by a plain listing."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from support import run_tui_replay
from watch_helpers import CORPUS, write_file

from tui_replay.catalog.cache import SummaryCache
from tui_replay.recording.text import recording_text

SLOW = 15  # seconds: generous, the machine is shared


def _search(cache_dir: str, needle: str, folder) -> set[tuple[str, int]]:
    cache = SummaryCache(cache_dir)
    try:
        found = cache.search(needle, [str(folder)])
    finally:
        cache.close()
    assert found is not None  # the index exists
    return found


def test_changes_and_removals_reach_the_index(start_watch, tmp_path, private_cache_dir):
    import orjson

    source = next(
        path
        for path in sorted(CORPUS.rglob("*.json"))
        if path.stat().st_size < 200_000
        and "experts" in recording_text(orjson.loads(path.read_bytes())).lower()
    )
    folder = tmp_path / "recordings"
    folder.mkdir()
    target = folder / source.name
    write_file(target, source.read_bytes())
    cache_dir = str(private_cache_dir)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))

    def cli(*args: str):
        return run_tui_replay(*args, str(folder), cwd=Path.cwd(), env=env, timeout=60)

    assert cli("list", "--json").returncode == 0
    assert _search(cache_dir, "experts", folder) == set()  # a listing indexes nothing
    assert cli("list", "--json", "--filter", "text:experts").returncode == 0  # the first query does
    assert _search(cache_dir, "experts", folder) == {(str(target), 0)}
    watcher = start_watch(folder)
    (listed,) = watcher.collect_until(lambda got: len(got) >= 1, SLOW)
    assert listed["event"] == "listed"

    write_file(target, source.read_bytes().replace(b"experts", b"qzwatchedqz"))
    (changed,) = watcher.collect_until(lambda got: len(got) == 1, SLOW)
    assert changed["event"] == "changed"
    assert _search(cache_dir, "qzwatchedqz", folder) == {(str(target), 0)}
    assert _search(cache_dir, "experts", folder) == set()

    os.unlink(target)
    (removed,) = watcher.collect_until(lambda got: len(got) == 1, SLOW)
    assert removed["event"] == "removed"
    assert _search(cache_dir, "qzwatchedqz", folder) == set()
    assert watcher.stop(signal.SIGTERM) == 0
