"""The app's memory and its time to every row, at 100,000 recordings, default settings (watcher on).

    .venv/bin/python bench/bench_app_memory.py --tree /work/tree100k [--cache DIR] [--rounds 1]
    .venv/bin/python bench/bench_app_memory.py [--files 20000] [--real DIR]   (a tree made for the run)

The cache is filled first by one `tui-replay list --json` and the full-text index by one
`list --json --filter text:NEEDLE` (so the app's `text:` search is the query a user repeats,
not the one-off index build). Then, in each round, interleaved:

  warm list    `tui-replay list --json TREE`, a whole process: the baseline
  app          the real app in a fresh interpreter, headless (`App.run_test`), watcher on (the
               default): every row in the table and a frame drawn since (seconds from the spawn);
               RSS then; RSS once the watcher has started and walked the tree (SETTLE seconds);
               then `text:NEEDLE` set as the filter: RSS once its rows are shown
  app, no watch  the same with `watch = false`: the watcher's share is the difference

               then two other words (LATER_NEEDLES): key press to the frame drawn after their
               rows, the slower of the two (what each later `text:` costs)

Targets: RSS <= 200 MB after the search (watcher on); a later `text:` <= 150 ms key to frame;
every row <= 2x the warm `list --json`.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, add_tree_options, make_tree, run_app_child, verdict, work_folder

RSS_TARGET_MB = 200
ROWS_TARGET_RATIO = 2.0
NEEDLE = "polyjuice"
LATER_NEEDLES = "boiling,weather"  # asked after NEEDLE (new words: no result kept): a later query's cost
SEARCH_TARGET_MS = 150
SETTLE_SECONDS = 6.0

CHILD = r"""
import asyncio, json, os, resource, sys, time
spawned = float(os.environ["BENCH_SPAWNED"])
from tui_replay.app.app import TuiReplayApp
from tui_replay.config import Config

tree, rows_expected, needle, later_needles = sys.argv[1], int(sys.argv[2]), sys.argv[4], sys.argv[6]
watch, settle = sys.argv[3] == "1", float(sys.argv[5])

def rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

async def frame(app):
    drawn = asyncio.Event()
    app.screen.call_after_refresh(drawn.set)
    await drawn.wait()

async def search(app, word):  # text:word set as the filter: seconds to the frame after its rows
    text = f"text:{word}"
    start = time.perf_counter()
    app.browse.set_filter(text)
    while app.browse.view.query_text != text:
        await asyncio.sleep(0.001)
    await frame(app)
    return time.perf_counter() - start

gaps = []  # (when, seconds) the event loop answered late

async def ticker():
    last = time.perf_counter()
    while True:
        await asyncio.sleep(0.01)
        now = time.perf_counter()
        gaps.append((now, now - last - 0.01))
        last = now

async def main():
    app = TuiReplayApp([tree], Config(watch=watch))
    async with app.run_test(size=(160, 50)) as pilot:
        ticking = asyncio.create_task(ticker())
        browse = app.browse
        while not browse.loaded:
            await asyncio.sleep(0.005)
        seen_loaded = time.perf_counter()
        while len(browse.table.rows) < rows_expected:
            await asyncio.sleep(0.005)
        await frame(app)
        loaded = time.time() - spawned
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu = usage.ru_utime + usage.ru_stime
        rss_loaded = rss()
        # The watcher starts with the last batch: how long the UI stops answering from then on
        # (a late tick that ends as the poll above saw `loaded` counts: the start may be what held it).
        await asyncio.sleep(settle)  # the watcher's start-up walk (a thread) is over by then
        stall = max((gap for when, gap in gaps if when >= seen_loaded - 0.005), default=0.0)
        ticking.cancel()
        rss_settled = rss()
        searched = await search(app, needle)
        await pilot.pause()
        rss_search = rss()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        hits = len(browse.table.rows)
        # A second word once the first was answered (the index known current: what each later
        # `text:` costs), key to the frame drawn after its rows; the trigram fill may still run.
        again = []
        for word in later_needles.split(","):
            again.append(await search(app, word))
            await pilot.pause()
        print(json.dumps({"loaded": loaded, "cpu": cpu, "stall": stall, "watch_state": browse.watch_state,
                          "rows": len(browse.summaries), "hits": hits,
                          "rss_loaded": rss_loaded, "rss_settled": rss_settled, "rss_search": rss_search,
                          "peak": peak, "search": searched, "again": max(again)}))

asyncio.run(main())
"""


def list_rows(tree: Path, cache: Path, *extra: str) -> tuple[float, int]:
    """`tui-replay list --json [extra] TREE`, a whole process: (seconds, rows printed)."""
    env = dict(os.environ, TUI_REPLAY_CACHE_DIR=str(cache), PYTHONPATH=str(REPO))
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    LIST_CPU.append(-(children.ru_utime + children.ru_stime))
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "tui_replay", "list", "--json", *extra, str(tree)],
        capture_output=True,
        env=env,
        cwd=REPO,
        check=True,
    )
    seconds = time.perf_counter() - start
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    LIST_CPU[-1] += children.ru_utime + children.ru_stime
    return seconds, result.stdout.count(b"\n")


LIST_CPU: list[float] = []  # CPU seconds of each `list` run (the machine may be shared: wall time is noisy)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_tree_options(parser, rounds=1)
    parser.add_argument("--tree", type=Path, help="an existing tree to list (read only), e.g. /work/tree100k")
    parser.add_argument("--cache", type=Path, help="the cache folder to use (kept); default a temporary one")
    parser.add_argument("--settle", type=float, default=SETTLE_SECONDS)
    args = parser.parse_args()

    with work_folder("tui-replay-bench-memory-") as work:
        tree = args.tree
        if tree is None:
            tree = work / "tree"
            print(make_tree(args, tree))
        else:
            print(f"tree: {tree}")
        cache = args.cache or work / "cache"
        seconds, rows = list_rows(tree, cache)
        print(f"filling the cache: `list --json` {seconds:.1f} s, {rows:,} rows")
        seconds, hits = list_rows(tree, cache, "--filter", f"text:{NEEDLE}")
        print(f"filling the text index: `list --json --filter text:{NEEDLE}` {seconds:.1f} s, {hits:,} rows")

        lists, list_cpu, on, off = [], [], [], []
        child_args = [str(tree), str(rows), "", NEEDLE, str(args.settle), LATER_NEEDLES]
        for _ in range(args.rounds):
            lists.append(list_rows(tree, cache)[0])
            list_cpu.append(LIST_CPU[-1])
            on.append(run_app_child(CHILD, [*child_args[:2], "1", *child_args[3:]], cache))
            off.append(run_app_child(CHILD, [*child_args[:2], "0", *child_args[3:]], cache))

    def med(runs: list[dict], key: str) -> float:
        return statistics.median(run[key] for run in runs)

    warm = statistics.median(lists)
    warm_cpu = statistics.median(list_cpu)
    print(f"warm `list --json`: {warm:.2f} s, {warm_cpu:.2f} s of CPU (median of {len(lists)})")
    for label, runs in (("watcher on (default)", on), ("watcher off", off)):
        print(
            f"app, {label}: every row ({med(runs, 'rows'):,.0f}) in {med(runs, 'loaded'):.2f} s = "
            f"{med(runs, 'loaded') / warm:.2f}x warm list ({med(runs, 'cpu'):.2f} s of CPU = "
            f"{med(runs, 'cpu') / warm_cpu:.2f}x); RSS loaded {med(runs, 'rss_loaded'):.0f} MB, "
            f"after the watcher's start {med(runs, 'rss_settled'):.0f} MB, after text:{NEEDLE} "
            f"({med(runs, 'hits'):,.0f} rows, {med(runs, 'search'):.2f} s) {med(runs, 'rss_search'):.0f} MB, "
            f"peak {med(runs, 'peak'):.0f} MB"
        )
    print(
        f"the watcher starts after every row is loaded: every row with it / without it "
        f"{med(on, 'loaded') / med(off, 'loaded'):.2f}x; longest the UI stopped answering while it "
        f"started {med(on, 'stall') * 1000:.0f} ms (without a watcher {med(off, 'stall') * 1000:.0f} ms); "
        f"watch state: {on[0]['watch_state']}"
    )
    share = med(on, "rss_settled") - med(off, "rss_settled")
    print(
        f"the watcher's share: {share:+.0f} MB once started, "
        f"{med(on, 'rss_search') - med(off, 'rss_search'):+.0f} MB after the search"
    )
    print(
        f"later text: queries ({LATER_NEEDLES}, each a new word), key to frame drawn, "
        f"the slower: watcher on {med(on, 'again') * 1000:.1f} ms, off {med(off, 'again') * 1000:.1f} ms"
    )
    met = verdict("app RSS after a text: search, watcher on", med(on, "rss_search"), RSS_TARGET_MB, " MB")
    later = med(on, "again") * 1000
    met &= verdict("app later text: query, key to frame, watcher on", later, SEARCH_TARGET_MS, " ms")
    met &= verdict("every row loaded / warm list --json", med(on, "loaded") / warm, ROWS_TARGET_RATIO, "x")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
