"""Watch latency: from a completed write (file closed) to the change being reported.

Three ways, measured in the same run on the same writes of real corpus recordings:
  baseline   raw `watchfiles.awatch` with the same debounce/step (what the OS + watchfiles cost)
  catalog    `watch_catalog` directly (the app's path: + stat, summarize, settle logic)
  headless   `tui-replay list --watch --json` in a subprocess (+ JSON line, pipe)
Each gets spaced writes (one file at a time), a burst (files written back to back) and
files written in two halves 0.2 s apart (as a slow recorder would: latency from the close).
Prints p50/p95/max in ms against the 300 ms target, and p95 as a ratio to the baseline's.

    .venv/bin/python bench/bench_watch.py [--writes 150] [--burst 200] [--spacing 0.06]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "data" / "corpus"
TARGET_MS = 300.0
sys.path.insert(0, str(REPO))

from tui_replay.catalog.watch import DEBOUNCE_MS, STEP_MS, watch_catalog  # noqa: E402


def corpus_bytes() -> list[bytes]:
    if not CORPUS.is_dir():
        sys.exit(f"the vendored corpus is not at {CORPUS}")
    files = sorted(p for p in CORPUS.rglob("*.json") if 1_000 <= p.stat().st_size <= 300_000)
    return [p.read_bytes() for p in files]


class Writes:
    """Writes files from a thread and remembers when each was closed."""

    def __init__(self, folder: Path, contents: list[bytes]) -> None:
        self.folder = folder
        self.contents = contents
        self.closed: dict[str, float] = {}

    def run(self, prefix: str, count: int, spacing: float, halves_gap: float = 0.0) -> list[str]:
        """`count` files; with `halves_gap`, each written in two halves that far apart."""
        paths = []
        for index in range(count):
            path = str(self.folder / f"{prefix}-{index:04d}.json")
            data = self.contents[index % len(self.contents)]
            with open(path, "wb") as handle:
                if halves_gap:
                    handle.write(data[: len(data) // 2])
                    handle.flush()
                    time.sleep(halves_gap)
                    handle.write(data[len(data) // 2 :])
                else:
                    handle.write(data)
            self.closed[path] = time.monotonic()
            paths.append(path)
            if spacing:
                time.sleep(spacing)
        return paths


def phases(args: argparse.Namespace) -> list[tuple[str, int, float, float]]:
    """(name, files, seconds between files, seconds between a file's two halves)."""
    return [
        ("spaced", args.writes, args.spacing, 0.0),
        ("burst", args.burst, 0.0, 0.0),
        ("halves", args.halves, args.spacing, 0.2),
    ]


def latencies(closed: dict[str, float], seen: dict[str, list[float]], paths: list[str]) -> list[float]:
    """ms from close to the first report at or after it (a report before the close counts as 0)."""
    result = []
    for path in paths:
        times = seen.get(path, [])
        after = [t for t in times if t >= closed[path]]
        if after:
            result.append((after[0] - closed[path]) * 1000)
        elif times:
            result.append(0.0)
    return result


async def run_phases(
    folder: Path,
    writes: Writes,
    args: argparse.Namespace,
    tag: str,
    seen: dict[str, list[float]],
) -> dict[str, tuple[list[float], int]]:
    """Spaced writes, a burst, then files written in two halves; waits until every path is seen."""
    results = {}
    for phase, count, spacing, gap in phases(args):
        paths = await asyncio.to_thread(writes.run, f"{tag}-{phase}", count, spacing, gap)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(p in seen for p in paths):
            await asyncio.sleep(0.05)
        results[phase] = (latencies(writes.closed, seen, paths), len(paths))
    return results


async def phases_while_following(
    follow: Coroutine[None, None, None],
    stop: asyncio.Event,
    folder: Path,
    writes: Writes,
    args: argparse.Namespace,
    tag: str,
    seen: dict[str, list[float]],
) -> dict[str, tuple[list[float], int]]:
    """run_phases while an in-process watcher (`follow`, ended by `stop`) records into `seen`."""
    task = asyncio.create_task(follow)
    await asyncio.sleep(0.5)
    try:
        return await run_phases(folder, writes, args, tag, seen)
    finally:
        stop.set()
        await task


async def measure_baseline(folder: Path, writes: Writes, args: argparse.Namespace):
    from watchfiles import awatch

    seen: dict[str, list[float]] = {}
    stop = asyncio.Event()

    async def follow() -> None:
        async for changes in awatch(folder, debounce=DEBOUNCE_MS, step=STEP_MS, stop_event=stop):
            now = time.monotonic()
            for _code, path in changes:
                seen.setdefault(path, []).append(now)

    return await phases_while_following(follow(), stop, folder, writes, args, "baseline", seen)


async def measure_catalog(folder: Path, writes: Writes, args: argparse.Namespace):
    seen: dict[str, list[float]] = {}
    stop = asyncio.Event()

    async def follow() -> None:
        async for batch in watch_catalog([str(folder)], known={}, max_size=1 << 30, stop_event=stop):
            now = time.monotonic()
            for change in batch:
                if change.event in ("added", "changed"):
                    seen.setdefault(change.path, []).append(now)

    return await phases_while_following(follow(), stop, folder, writes, args, "catalog", seen)


async def measure_headless(folder: Path, writes: Writes, args: argparse.Namespace):
    seen: dict[str, list[float]] = {}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_replay", "list", "--watch", "--json", "--no-cache", str(folder)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        bufsize=0,
    )

    def read() -> None:
        assert proc.stdout is not None
        for line in iter(proc.stdout.readline, b""):
            now = time.monotonic()
            row = json.loads(line)
            if row["event"] in ("added", "changed"):
                seen.setdefault(row["path"], []).append(now)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    await asyncio.sleep(1.5)  # start-up and the initial listing of the other phases' files
    try:
        return await run_phases(folder, writes, args, "headless", seen)
    finally:
        proc.terminate()
        proc.wait(10)
        reader.join(5)


def row(name: str, values: list[float], expected: int, baseline_p95: float | None) -> str:
    if not values:
        return f"{name:<26} no events"
    ordered = sorted(values)
    p50 = statistics.median(ordered)
    p95 = p95_of(ordered) or 0.0
    worst = ordered[-1]
    verdict = "ok" if p95 <= TARGET_MS else "OVER"
    ratio = f"{p95 / baseline_p95:5.2f}x" if baseline_p95 else "   - "
    return (
        f"{name:<26} {len(values):>4}/{expected:<4} p50 {p50:7.1f}  p95 {p95:7.1f}  max {worst:7.1f}"
        f"  ratio p95 {ratio}  {verdict} (target p95 <= {TARGET_MS:.0f} ms)"
    )


def p95_of(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=150, help="spaced writes per way")
    parser.add_argument("--burst", type=int, default=200, help="files in the burst per way")
    parser.add_argument("--halves", type=int, default=30, help="files written in two halves 0.2 s apart")
    parser.add_argument("--spacing", type=float, default=0.06, help="seconds between spaced writes")
    args = parser.parse_args()
    contents = corpus_bytes()
    print(
        f"watch latency, close -> report; debounce {DEBOUNCE_MS} ms, step {STEP_MS} ms; "
        f"{args.writes} spaced writes ({args.spacing * 1000:.0f} ms apart), a burst of {args.burst}, "
        f"{args.halves} written in halves; "
        f"{len(contents)} real recordings, {statistics.mean(map(len, contents)) / 1024:.0f} KiB mean"
    )
    measures: list[tuple[str, Callable]] = [
        ("baseline (awatch)", measure_baseline),
        ("watch_catalog", measure_catalog),
        ("headless list", measure_headless),
    ]
    baseline: dict[str, float | None] = {}
    with tempfile.TemporaryDirectory(prefix="bench-watch-") as tmp:
        for name, measure in measures:
            folder = Path(tmp) / name.split()[0]
            folder.mkdir()
            folder = Path(os.path.realpath(folder))
            results = await measure(folder, Writes(folder, contents), args)
            for phase in ("spaced", "burst", "halves"):
                values, expected = results[phase]
                if name.startswith("baseline"):
                    baseline[phase] = p95_of(values)
                print(row(f"{name} {phase}", values, expected, baseline.get(phase)), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
