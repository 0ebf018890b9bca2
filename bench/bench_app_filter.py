"""The app on a big tree (default 100,000 recordings): first rows, each filter keystroke, memory.

    .venv/bin/python bench/bench_app_filter.py [--files 100000] [--mb 400] [--rounds 2]
        [--tree DIR --cache DIR]   (reuse a replicated tree and its warm cache)

Replicates the vendored corpus (bench/corpus.py) unless --tree is given; the list's speed
depends on the row count, not on file sizes, once the cache is warm. The cache is filled
by one `tui-replay list --json` run first. Each round is a fresh interpreter running the real
app headless (`App.run_test`), timed from the moment the parent spawns it:

  first rows   the table holds rows and a frame has been drawn since (target <= 1 s, warm)
  keystroke    `/gpt-4o` typed key by key, then cleared with backspaces: from the key
               press until the table shows the new rows and a frame has been drawn
               (target <= 100 ms each); keys are sent one at a time, as a person types
  RSS          the app's peak resident memory once every row is loaded (target <= 250 MB)

Baselines measured in the same run, in the child on the same summaries:
  plain filter   one pass of the query's predicate over every summary (what any filter
                 that looks at each row must at least do), per keystroke's query
and in the parent: `python -c "import textual.app"` (the floor for any Textual app).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import list_json, run_app_child, textual_import_time, work_folder
from corpus import replicate

FIRST_ROWS_TARGET = 1.0
KEY_TARGET = 0.100
RSS_TARGET_MB = 250
TYPED = "gpt-4o"

CHILD = r"""
import asyncio, gc, json, os, resource, sys, time
spawned = float(os.environ["BENCH_SPAWNED"])
from tui_replay.app.app import TuiReplayApp
from tui_replay.catalog.filters import parse_query
from tui_replay.config import Config

TYPED = sys.argv[2]

collections = []  # (generation, seconds) of the collector's runs while keys are typed

def on_gc(phase, info):
    if phase == "start":
        on_gc.started = time.perf_counter()
    elif typing:
        collections.append((info["generation"], time.perf_counter() - on_gc.started))

typing = False
gc.callbacks.append(on_gc)

async def frame(app):
    drawn = asyncio.Event()
    app.screen.call_after_refresh(drawn.set)
    await drawn.wait()

def plain_filter(summaries, text):
    # The baseline: the query's predicate over every summary, nothing cached or narrowed.
    if not text:
        return list(summaries)
    predicate = parse_query(text)
    return [summary for summary in summaries if predicate(summary)]

async def main():
    app = TuiReplayApp([sys.argv[1]], Config(watch=False))
    async with app.run_test(size=(160, 50)) as pilot:
        browse = app.browse
        while not browse.table.rows:
            await asyncio.sleep(0.001)
        await frame(app)
        first = time.time() - spawned
        while not browse.loaded:
            await asyncio.sleep(0.01)
        await pilot.pause()
        loaded = time.time() - spawned
        rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        summaries = list(browse.summaries.values())
        await pilot.press("slash")
        box = browse.query_one("#filter-input")
        keys = list(TYPED) + ["backspace"] * len(TYPED)
        typed = ""
        latencies, plain, shown = [], [], []
        global typing
        typing = True
        for key in keys:
            typed = typed[:-1] if key == "backspace" else typed + key
            start = time.perf_counter()
            app.simulate_key(key)
            while box.value != typed or browse.query_text != typed:
                await asyncio.sleep(0.0005)
            await frame(app)
            latencies.append(time.perf_counter() - start)
            shown.append(len(browse.table.rows))
            start = time.perf_counter()
            expected = plain_filter(summaries, typed)
            plain.append(time.perf_counter() - start)
            assert len(expected) == shown[-1], (typed, len(expected), shown[-1])
            await asyncio.sleep(0.15)  # a person's pace: the next key after the table is shown
        typing = False
        rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        with open("/proc/self/statm") as statm:
            rss_now = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    print(json.dumps({"first": first, "loaded": loaded, "rows": len(summaries), "keys": keys,
                      "latencies": latencies, "plain": plain, "shown": shown,
                      "rss_loaded": rss_loaded, "rss_peak": rss_peak, "rss_now": rss_now,
                      "full_gc": [t for g, t in collections if g == 2]}))

asyncio.run(main())
"""


def report(runs: list[dict], base_import: float) -> bool:
    first = statistics.median(run["first"] for run in runs)
    loaded = statistics.median(run["loaded"] for run in runs)
    rows = runs[0]["rows"]
    keys = runs[0]["keys"]
    ok = first <= FIRST_ROWS_TARGET
    print(
        f"first rows (warm cache) {first:.3f} s = {first / base_import:.1f}x the import baseline "
        f"(target <= {FIRST_ROWS_TARGET:.1f} s: {'ok' if ok else 'OVER TARGET'}); "
        f"all {rows:,} rows loaded {loaded:.2f} s"
    )
    print(f"{'key':>10} {'rows':>8} {'app ms':>8} {'plain filter ms':>16} {'ratio':>6}")
    worst = 0.0
    typed = ""
    for index, key in enumerate(keys):
        typed = typed[:-1] if key == "backspace" else typed + key
        app_ms = max(run["latencies"][index] for run in runs) * 1000
        plain_ms = statistics.median(run["plain"][index] for run in runs) * 1000
        worst = max(worst, app_ms)
        label = f"{key} /{typed}" if key != "backspace" else f"⌫ /{typed}"
        shown = runs[0]["shown"][index]
        print(f"{label:>10} {shown:>8,} {app_ms:>8.1f} {plain_ms:>16.1f} {app_ms / plain_ms:>6.2f}")
    all_app = [latency for run in runs for latency in run["latencies"]]
    all_plain = [latency for run in runs for latency in run["plain"]]
    key_ok = worst <= KEY_TARGET * 1000
    ok &= key_ok
    print(
        f"keystroke to table: median {statistics.median(all_app) * 1000:.1f} ms, worst {worst:.1f} ms "
        f"(target <= {KEY_TARGET * 1000:.0f} ms: {'ok' if key_ok else 'OVER TARGET'}); "
        f"plain filter pass: median {statistics.median(all_plain) * 1000:.1f} ms, "
        f"ratio {statistics.median(all_app) / statistics.median(all_plain):.2f}"
    )
    full = [seconds for run in runs for seconds in run["full_gc"]]
    print(
        f"full collections while typing: {len(full)}"
        + (f", longest {max(full) * 1000:.0f} ms" if full else "")
    )
    rss = max(run["rss_peak"] for run in runs)
    rss_loaded = max(run["rss_loaded"] for run in runs)
    rss_now = max(run["rss_now"] for run in runs)
    rss_ok = rss <= RSS_TARGET_MB
    ok &= rss_ok
    print(
        f"peak RSS {rss:.0f} MB ({rss_loaded:.0f} MB by the end of loading, {rss_now:.0f} MB resident "
        f"after typing; target <= {RSS_TARGET_MB} MB: {'ok' if rss_ok else 'OVER TARGET'})"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--mb", type=float, default=400)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tree", type=Path, help="a tree replicated before (kept)")
    parser.add_argument("--cache", type=Path, help="the cache folder to use with --tree (kept)")
    args = parser.parse_args()

    with work_folder("tui-replay-bench-filter-") as work:
        tree = args.tree
        if tree is None:
            tree = work / "tree"
            files, size = replicate(tree, args.files, int(args.mb * 1e6))
            print(f"tree: {files:,} files, {size / 1e6:.1f} MB")
        cache = args.cache or work / "cache"
        print(f"filling the cache: `list --json` {list_json(tree, cache):.1f} s")
        base_import = statistics.median(textual_import_time() for _ in range(3))
        print(f"baseline: python -c 'import textual.app' {base_import:.3f} s")
        runs = [run_app_child(CHILD, [str(tree), TYPED], cache) for _ in range(args.rounds)]
        return 0 if report(runs, base_import) else 1


if __name__ == "__main__":
    raise SystemExit(main())
