"""What the watcher holds and walks at start, on a listing of a few thousand files: one walk of
the root, and a few dozen bytes per listed file (the map of what is listed, no copies per file)."""

from __future__ import annotations

import asyncio
import tracemalloc

import watchfiles  # noqa: F401 (imported before measuring: the watcher imports it when it starts)
from test_watch_catalog import MAX_SIZE, listed
from watch_helpers import count_walks, write_file

from tui_replay.catalog.watch import CatalogWatcher

FILES = 3_000
HELD_PER_FILE = 60  # bytes: the `listed` map is ~36 per file; a list per file alone was ~70 more


def _write_tree(root, recording_bytes) -> None:
    for folder in range(30):
        (root / f"d{folder}").mkdir()
    for index in range(FILES):
        write_file(
            root / f"d{index % 30}" / f"r{index:05d}.json", recording_bytes[index % len(recording_bytes)]
        )


async def _wait_for(condition, timeout: float = 15.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


async def test_start_walks_the_root_once_and_holds_little_per_file(tmp_path, recording_bytes, monkeypatch):
    _write_tree(tmp_path, recording_bytes)
    known = listed(tmp_path)
    assert len(known) == FILES
    walks = count_walks(monkeypatch)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        watcher = CatalogWatcher([str(tmp_path)], known=known, max_size=MAX_SIZE)
        await watcher.start()
        consumer = asyncio.create_task(watcher.next_batch())
        await _wait_for(lambda: walks)
        await asyncio.sleep(1.0)  # a second walk, if any, would have come by now
        await _wait_for(lambda: not watcher._scans and not watcher._dirty)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    try:
        assert walks == [str(tmp_path)]
        assert not consumer.done()  # nothing differs from the listing: nothing to report
        assert held / FILES <= HELD_PER_FILE, f"{held / FILES:.0f} bytes per listed file"
    finally:
        consumer.cancel()
        await watcher.close()


async def test_a_file_gone_before_watching_starts_is_reported_with_thousands_listed(
    tmp_path, recording_bytes
):
    # The start-up walk counts the listed files it meets; one short, it looks for the missing one.
    _write_tree(tmp_path, recording_bytes)
    known = listed(tmp_path)
    gone = tmp_path / "d7" / "r00007.json"
    gone.unlink()
    watcher = CatalogWatcher([str(tmp_path)], known=known, max_size=MAX_SIZE)
    await watcher.start()
    try:
        async with asyncio.timeout(15):
            batch = await watcher.next_batch()
        assert [(change.event, change.path) for change in batch] == [("removed", str(gone))]
        assert str(gone) not in watcher.listed
    finally:
        await watcher.close()
