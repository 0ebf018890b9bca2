"""`watch_catalog` used directly, as the app does: batches of Change rows against what is listed."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path

from watch_helpers import count_walks, write_file

from tui_replay.catalog.catalog import Catalog
from tui_replay.catalog.watch import SUMMARY_CHUNK, Change, watch_catalog
from tui_replay.recording.model import Summary

MAX_SIZE = 256 * 1024 * 1024
SLOW = 15.0


class Follower:
    """Runs watch_catalog in a task and keeps every batch it yields."""

    def __init__(self, roots: list[str], known: dict[str, Summary]) -> None:
        self.stop = asyncio.Event()
        self.batches: asyncio.Queue[list[Change]] = asyncio.Queue()
        self.all_batches: list[list[Change]] = []
        self.task = asyncio.create_task(self._run(roots, known))

    async def _run(self, roots: list[str], known: dict[str, Summary]) -> None:
        async for batch in watch_catalog(roots, known=known, max_size=MAX_SIZE, stop_event=self.stop):
            self.all_batches.append(batch)
            await self.batches.put(batch)

    async def changes(self, count: int, timeout: float = SLOW) -> list[Change]:
        got: list[Change] = []
        async with asyncio.timeout(timeout):
            while len(got) < count:
                got.extend(await self.batches.get())
        return got

    async def nothing_more(self, seconds: float) -> list[Change]:
        got: list[Change] = []
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while True:
                    got.extend(await self.batches.get())
        return got

    async def close(self) -> None:
        self.stop.set()
        async with asyncio.timeout(5):
            await self.task


def listed(folder: Path) -> dict[str, Summary]:
    return {s.path: s for s in Catalog(use_cache=False).scan([str(folder)])}


async def settle_watcher() -> None:
    await asyncio.sleep(0.3)  # let the watcher thread start before the test writes


async def test_first_event_of_a_known_path_is_changed(tmp_path, recording_bytes):
    write_file(tmp_path / "a.json", recording_bytes[0])
    write_file(tmp_path / "b.json", recording_bytes[1])
    known = listed(tmp_path)
    follower = Follower([str(tmp_path)], known)
    await settle_watcher()

    write_file(tmp_path / "a.json", recording_bytes[2])
    (change,) = await follower.changes(1)
    assert (change.event, change.path) == ("changed", str(tmp_path / "a.json"))
    assert isinstance(change.summary, Summary) and change.summary.status == "ok"
    assert change.summary != known[change.path]

    (tmp_path / "b.json").unlink()
    (removed,) = await follower.changes(1)
    assert (removed.event, removed.path) == ("removed", str(tmp_path / "b.json"))
    assert removed.summary == known[str(tmp_path / "b.json")]  # the last known row
    assert await follower.nothing_more(0.5) == []
    await follower.close()


async def test_differences_since_the_listing_are_reported_at_start(tmp_path, recording_bytes):
    for name, index in (("same.json", 0), ("edited.json", 1), ("deleted.json", 2)):
        write_file(tmp_path / name, recording_bytes[index])
    known = listed(tmp_path)
    write_file(tmp_path / "edited.json", recording_bytes[3])
    (tmp_path / "deleted.json").unlink()
    write_file(tmp_path / "new.json", recording_bytes[4])
    old = time.time() - 60  # written a minute ago: nothing is still being written
    for name in ("edited.json", "new.json"):
        os.utime(tmp_path / name, (old, old))

    follower = Follower([str(tmp_path)], known)
    got = await follower.changes(3)
    got += await follower.nothing_more(0.5)

    assert sorted((c.event, os.path.basename(c.path)) for c in got) == [
        ("added", "new.json"),
        ("changed", "edited.json"),
        ("removed", "deleted.json"),
    ]
    await follower.close()


async def tick_into(gaps: list[float]) -> None:
    """Every 10 ms, note how long the loop really took to come back (a stall shows as a big gap)."""
    last = time.monotonic()
    while True:
        await asyncio.sleep(0.01)
        now = time.monotonic()
        gaps.append(now - last)
        last = now


async def test_a_burst_comes_in_bounded_batches_and_the_loop_stays_responsive(tmp_path, recording_bytes):
    follower = Follower([str(tmp_path)], {})
    await settle_watcher()
    gaps: list[float] = []
    ticking = asyncio.create_task(tick_into(gaps))
    names = [f"r{index:03d}.json" for index in range(200)]
    for index, name in enumerate(names):
        write_file(tmp_path / name, recording_bytes[index % len(recording_bytes)])
        if index % 50 == 0:
            await asyncio.sleep(0)
    got = await follower.changes(200, timeout=60)
    ticking.cancel()

    assert sorted(c.path for c in got) == sorted(str(tmp_path / name) for name in names)
    assert {c.event for c in got} == {"added"}
    assert len(follower.all_batches) > 1
    assert max(len(batch) for batch in follower.all_batches) <= SUMMARY_CHUNK
    assert max(gaps) < 0.5, f"the event loop stalled for {max(gaps):.3f} s"
    await follower.close()


async def test_slow_summaries_do_not_block_the_callers_loop(tmp_path, recording_bytes, monkeypatch):
    """A slow disk (a fake delay around the real parser): the loop must keep ticking meanwhile."""
    import tui_replay.recording.summary as summary_module

    real = summary_module.summarize_file

    def slow_summarize(path, *args, **kwargs):
        time.sleep(0.03)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(summary_module, "summarize_file", slow_summarize)
    follower = Follower([str(tmp_path)], {})
    await settle_watcher()
    gaps: list[float] = []
    ticking = asyncio.create_task(tick_into(gaps))
    for index in range(64):
        write_file(tmp_path / f"s{index:02d}.json", recording_bytes[index % len(recording_bytes)])
    got = await follower.changes(64, timeout=60)
    ticking.cancel()

    assert len({c.path for c in got}) == 64
    # On the loop, one chunk would stall it for SUMMARY_CHUNK x 30 ms (~1 s).
    assert max(gaps) < 0.3, f"the event loop stalled for {max(gaps):.3f} s"
    await follower.close()


async def test_atomic_writes_and_temp_files(tmp_path, recording_bytes):
    follower = Follower([str(tmp_path)], {})
    await settle_watcher()
    temp = tmp_path / "final.json.tmp"
    write_file(temp, recording_bytes[0])
    os.replace(temp, tmp_path / "final.json")

    (change,) = await follower.changes(1)
    assert (change.event, change.path, change.summary.status) == ("added", str(tmp_path / "final.json"), "ok")
    assert await follower.nothing_more(0.5) == []
    await follower.close()


async def test_a_root_named_as_a_file_is_followed_across_replacements(tmp_path, recording_bytes):
    target = tmp_path / "notes.txt"  # any name: it was named on purpose
    write_file(target, recording_bytes[0])
    write_file(tmp_path / "sibling.json", recording_bytes[1])
    known = {s.path: s for s in Catalog(use_cache=False).scan([str(target)])}
    follower = Follower([str(target)], known)
    await settle_watcher()

    write_file(target, recording_bytes[2])
    (changed,) = await follower.changes(1)
    assert (changed.event, changed.path) == ("changed", str(target))

    temp = tmp_path / "notes.tmp"
    write_file(temp, recording_bytes[3])
    os.replace(temp, target)  # an editor's save: a new inode
    (replaced,) = await follower.changes(1)
    assert (replaced.event, replaced.path) == ("changed", str(target))

    write_file(tmp_path / "sibling.json", recording_bytes[4])  # not under the root
    assert await follower.nothing_more(0.5) == []
    await follower.close()


async def test_stop_event_ends_the_stream_and_closing_stops_the_watchers(tmp_path, recording_bytes):
    write_file(tmp_path / "a.json", recording_bytes[0])
    tasks_before = asyncio.all_tasks()
    follower = Follower([str(tmp_path), str(tmp_path / "missing")], listed(tmp_path))
    await settle_watcher()
    started = time.monotonic()
    await follower.close()
    assert time.monotonic() - started < 1.0
    leftover = [t for t in asyncio.all_tasks() - tasks_before if t is not asyncio.current_task()]
    assert leftover == []

    # Breaking out of the loop (aclose) cleans up too.
    stream = watch_catalog([str(tmp_path)], known={}, max_size=MAX_SIZE)
    first = await asyncio.wait_for(anext(stream), SLOW)  # a.json, unknown to the caller
    assert [c.event for c in first] == ["added"]
    await stream.aclose()
    leftover = [t for t in asyncio.all_tasks() - tasks_before if t is not asyncio.current_task()]
    assert leftover == []


async def test_folders_moved_in_and_out(tmp_path, recording_bytes):
    root, outside = tmp_path / "root", tmp_path / "outside"
    (outside / "batch" / "inner").mkdir(parents=True)
    moved = [outside / "batch" / "a.json", outside / "batch" / "inner" / "b.json"]
    for index, path in enumerate(moved):
        write_file(path, recording_bytes[index])
    old = time.time() - 60
    for path in moved:
        os.utime(path, (old, old))
    root.mkdir()
    follower = Follower([str(root)], {})
    await settle_watcher()

    os.rename(outside / "batch", root / "batch")  # one event for the folder, none for its files
    got = await follower.changes(2)
    expected = {str(root / "batch" / "a.json"), str(root / "batch" / "inner" / "b.json")}
    assert {(c.event, c.path) for c in got} == {("added", path) for path in expected}

    os.rename(root / "batch", outside / "batch")
    got = await follower.changes(2)
    assert {(c.event, c.path) for c in got} == {("removed", path) for path in expected}
    assert await follower.nothing_more(0.5) == []
    await follower.close()


async def test_the_os_watch_waits_for_quiet_and_settled_comes_after_the_start_up_walk(
    tmp_path, recording_bytes, monkeypatch
):
    # A UI hands `quiet` (returns once the user pauses): the OS watch's set-up, which stalls the
    # loop, waits for it. `on_settled` comes once the watcher's state is built, before any walk
    # (the app freezes then, before the user types).

    write_file(tmp_path / "a.json", recording_bytes[0])
    known = listed(tmp_path)
    write_file(tmp_path / "new.json", recording_bytes[1])  # since the listing: the walk finds it
    old = time.time() - 60
    os.utime(tmp_path / "new.json", (old, old))
    walks = count_walks(monkeypatch)
    paused = asyncio.Event()
    settled: list[int] = []

    async def quiet() -> None:
        await paused.wait()

    stop = asyncio.Event()
    got: list[Change] = []

    async def follow() -> None:
        async for batch in watch_catalog(
            [str(tmp_path)],
            known=known,
            max_size=MAX_SIZE,
            stop_event=stop,
            on_settled=lambda: settled.append(len(walks)),
            quiet=quiet,
        ):
            got.extend(batch)

    task = asyncio.create_task(follow())
    try:
        await asyncio.sleep(1.5)  # well past START_DELAY_SECONDS: still no watch, no walk
        assert walks == [] and settled == [0] and got == []
        paused.set()
        async with asyncio.timeout(SLOW):
            while not got:
                await asyncio.sleep(0.05)
        assert [(c.event, os.path.basename(c.path)) for c in got] == [("added", "new.json")]
        assert settled == [0] and walks == [str(tmp_path)]  # once; then the one start-up walk
        assert str(tmp_path / "new.json") not in known  # the caller's dict is not the watcher's
    finally:
        stop.set()
        async with asyncio.timeout(5):
            await task
