"""The app on a big tree (default 100,000 recordings): first rows, every row, each filter keystroke, memory.

    .venv/bin/python bench/bench_app_filter.py [--files 100000] [--mb 400] [--rounds 2]
        [--tree DIR] [--cache DIR] [--old DIR]

Replicates the vendored corpus (bench/corpus.py) unless --tree is given (e.g. /work/tree100k,
the real llama-stack tree copied 32 times; it is only read). The cache is filled by one
`tui-replay list --json` run first; a second run is the warm `list --json` baseline. Each round
is a fresh interpreter running the real app headless (`App.run_test`) with default settings
(the watcher on), timed from the moment the parent spawns it:

  first rows   the table holds rows and a frame has been drawn since (target <= 1 s, warm)
  all rows     the table holds every row and a frame has been drawn since (target <= 2x the
               warm `list --json` of the same tree, measured in the same run)
  keystroke    `/gpt-4o` typed key by key, then cleared with backspaces: from the key
               press until the table shows the new rows and a frame that drew them (the
               table's lines from the new rows) has been drawn
               (target: worst <= 100 ms); keys are sent one at a time, as a person types;
               per key: the worst and the median over the rounds, and median / plain filter
  RSS          the app's peak resident memory after the typed filter (target <= 200 MB)
  stall        the event loop's longest stall from every row loaded to the last key's frame
               (a 5 ms ticker): the watcher's start-up (its OS watch set-up, its walk) falls
               there, and the keys above, sent when the loop is free, need not land on it;
               and its longest stall in the 0.5 s after the last key: work the app puts off
               until a key's frame is drawn (a garbage collection) lands there
  collections  the garbage collector's runs while typing and 0.5 s after: full ones, and any
               inside a key's wait

--old DIR: a checkout of the code before a change (`git archive COMMIT | tar -x -C DIR`), run
round for round beside this one on the same tree and cache (same cache format): each figure is
also printed as new/old, and the change must be no slower (target new/old <= 1.10: the
machine's noise).

Baselines measured in the same run, in the child on the same summaries:
  plain filter   one pass of the query's predicate over every summary (what any filter
                 that looks at each row must at least do), per keystroke's query
and in the parent: `python -c "import textual.app"` (the floor for any Textual app) and the warm
`tui-replay list --json`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, textual_import_time, verdict, work_folder
from corpus import replicate

FIRST_ROWS_TARGET = 1.0
ALL_ROWS_TARGET = 2.0  # x the warm `list --json`
KEY_TARGET = 0.100
RSS_TARGET_MB = 200
NO_SLOWER = 1.10  # new/old, with --old
TYPED = "gpt-4o"
AFTER_LAST_KEY = 0.5  # seconds watched after the last key (the CHILD's figure of the same name)

CHILD = r"""
import asyncio, gc, json, os, resource, sys, time
spawned = float(os.environ["BENCH_SPAWNED"])
from tui_replay.app.app import TuiReplayApp
from tui_replay.catalog.filters import parse_query
from tui_replay.config import Config

TYPED = sys.argv[2]

# (generation, seconds, in a key's window) of the collector's runs from the first key to
# AFTER_LAST_KEY after the last: the app may put a collection off until a key's frame is drawn,
# and what is put off must show.
collections = []
AFTER_LAST_KEY = 0.5

def on_gc(phase, info):
    if phase == "start":
        on_gc.started = time.perf_counter()
    elif typing:
        collections.append((info["generation"], time.perf_counter() - on_gc.started, in_key))

typing = in_key = False
gc.callbacks.append(on_gc)

plain_passes = 0  # the baseline's passes run on the loop too: a gap holding one is not the app's

async def ticker(gaps):
    # The event loop's stalls (what a key pressed at that moment would wait for on top of its
    # own work): every 5 ms, how late the loop came back (into gaps["now"]).
    last = time.perf_counter()
    while True:
        passes = plain_passes
        await asyncio.sleep(0.005)
        now = time.perf_counter()
        if plain_passes == passes:
            gaps["now"].append((now - last - 0.005, now))
        last = now

from tui_replay.app.widgets.recording_table import RecordingTable

drawn_rows = [None]  # the table's row list its last drawn line came from
_render_line = RecordingTable.render_line

def render_line(table, y):
    drawn_rows[0] = table.rows
    return _render_line(table, y)

RecordingTable.render_line = render_line

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
    app = TuiReplayApp([sys.argv[1]], Config())  # default settings: the watcher on
    assert app.config.watch
    async with app.run_test(size=(160, 50)) as pilot:
        browse = app.browse
        while not browse.table.rows:
            await asyncio.sleep(0.001)
        await frame(app)
        first = time.time() - spawned
        # Every row in the table (unfiltered, ungrouped: one table row per recording).
        while not (browse.loaded and len(browse.table.rows) == len(browse.summaries)):
            await asyncio.sleep(0.005)
        await frame(app)
        loaded = time.time() - spawned
        rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        gaps = []
        after_gaps = []  # after the last key's frame, for AFTER_LAST_KEY
        gaps_now = {"now": gaps}
        ticking = asyncio.ensure_future(ticker(gaps_now))
        summaries = list(browse.summaries.values())
        await pilot.press("slash")
        box = browse.query_one("#filter-input")
        keys = list(TYPED) + ["backspace"] * len(TYPED)
        typed = ""
        latencies, plain, shown = [], [], []
        windows = []  # (start, end) of each key's wait
        late_draws = 0  # frames after the filter that had not drawn the new rows yet
        global typing, in_key, plain_passes
        typing = True
        for key in keys:
            typed = typed[:-1] if key == "backspace" else typed + key
            in_key = True
            start = time.perf_counter()
            app.simulate_key(key)
            while box.value != typed or browse.query_text != typed:
                await asyncio.sleep(0.0005)
            await frame(app)
            while drawn_rows[0] is not browse.table.rows:  # that frame did not draw them yet
                late_draws += 1
                await frame(app)
            latencies.append(time.perf_counter() - start)
            windows.append((start, time.perf_counter()))
            in_key = False
            shown.append(len(browse.table.rows))
            start = time.perf_counter()
            expected = plain_filter(summaries, typed)
            plain.append(time.perf_counter() - start)
            plain_passes += 1
            assert len(expected) == shown[-1], (typed, len(expected), shown[-1])
            await asyncio.sleep(0.15)  # a person's pace: the next key after the table is shown
        gaps_now["now"] = after_gaps
        await asyncio.sleep(AFTER_LAST_KEY)
        typing = False
        ticking.cancel()
        watch = browse.watch_state  # "on" unless it could not start
        rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        with open("/proc/self/statm") as statm:
            rss_now = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    stall, stall_end = max(gaps)
    # The key whose wait the longest stall overlapped (None: it fell between keys).
    stall_key = next((index for index, (start, end) in enumerate(windows)
                      if start < stall_end and stall_end - stall - 0.005 < end), None)
    import tui_replay
    print(json.dumps({"code": os.path.dirname(os.path.dirname(tui_replay.__file__)),
                      "watch": watch,
                      "first": first, "loaded": loaded, "rows": len(summaries), "keys": keys,
                      "latencies": latencies, "plain": plain, "shown": shown,
                      "rss_loaded": rss_loaded, "rss_peak": rss_peak, "rss_now": rss_now,
                      "gc_in_keys": [t for g, t, inside in collections if inside],
                      "full_gc": [t for g, t, inside in collections if g == 2],
                      "stall": stall, "stall_key": stall_key, "late_draws": late_draws,
                      "stall_after": max(after_gaps)[0]}))

asyncio.run(main())
"""


def run_child(code: Path, tree: Path, cache: Path) -> dict:
    """One round of CHILD on the code under `code` (this checkout, or --old)."""
    env = dict(os.environ, TUI_REPLAY_CACHE_DIR=str(cache), BENCH_SPAWNED=repr(time.time()))
    env["PYTHONPATH"] = str(code)  # before the editable install of this checkout
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(tree), TYPED],
        capture_output=True,
        text=True,
        env=env,
        cwd=code,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"the app run failed:\n{result.stderr[-3000:]}")
    run = json.loads(result.stdout.strip().splitlines()[-1])
    assert Path(run["code"]).resolve() == code.resolve(), (run["code"], code)
    return run


def list_json(code: Path, tree: Path, cache: Path) -> float:
    """`tui-replay list --json TREE` end to end, on the code under `code`."""
    env = dict(os.environ, TUI_REPLAY_CACHE_DIR=str(cache), PYTHONPATH=str(code))
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "tui_replay", "list", "--json", str(tree)],
        stdout=subprocess.DEVNULL,
        env=env,
        cwd=code,
        check=True,
    )
    return time.perf_counter() - start


def summary(runs: list[dict]) -> dict:
    """The figures of a code's rounds: medians, worst keystroke, peak RSS."""
    latencies = [latency for run in runs for latency in run["latencies"]]
    return {
        "first": statistics.median(run["first"] for run in runs),
        "loaded": statistics.median(run["loaded"] for run in runs),
        "key_median": statistics.median(latencies),
        "key_worst": max(latencies),
        "rss": max(run["rss_peak"] for run in runs),
        "rss_loaded": max(run["rss_loaded"] for run in runs),
        "rss_now": max(run["rss_now"] for run in runs),
    }


def _key_label(keys: list[str], index: int) -> str:
    """`p /gp`, `⌫ /gpt`: the key at `index` and the filter it leaves."""
    typed = ""
    for key in keys[: index + 1]:
        typed = typed[:-1] if key == "backspace" else typed + key
    return f"{'⌫' if keys[index] == 'backspace' else keys[index]} /{typed}"


def report(runs: list[dict], base_import: float, warm_list: float) -> bool:
    figures = summary(runs)
    rows = runs[0]["rows"]
    keys = runs[0]["keys"]
    print(f"watcher: {', '.join(sorted({run['watch'] for run in runs}))} (default settings)")
    print(
        f"first rows (warm cache) {figures['first']:.3f} s = "
        f"{figures['first'] / base_import:.1f}x the import baseline; "
        f"all {rows:,} rows in the table {figures['loaded']:.2f} s = "
        f"{figures['loaded'] / warm_list:.1f}x the warm `list --json` ({warm_list:.2f} s)"
    )
    print(
        f"{'key':>10} {'rows':>8} {'worst ms':>9} {'median ms':>10} {'plain filter ms':>16} "
        f"{'median/plain':>12}"
    )
    for index in range(len(keys)):
        app_ms = max(run["latencies"][index] for run in runs) * 1000
        median_ms = statistics.median(run["latencies"][index] for run in runs) * 1000
        plain_ms = statistics.median(run["plain"][index] for run in runs) * 1000
        label = _key_label(keys, index)
        shown = runs[0]["shown"][index]
        print(
            f"{label:>10} {shown:>8,} {app_ms:>9.1f} {median_ms:>10.1f} {plain_ms:>16.1f} "
            f"{median_ms / plain_ms:>12.2f}"
        )
    all_plain = [latency for run in runs for latency in run["plain"]]
    print(
        f"keystroke to table: median {figures['key_median'] * 1000:.1f} ms, worst "
        f"{figures['key_worst'] * 1000:.1f} ms; plain filter pass: median "
        f"{statistics.median(all_plain) * 1000:.1f} ms, ratio "
        f"{figures['key_median'] / statistics.median(all_plain):.2f}"
    )
    full = [seconds for run in runs for seconds in run["full_gc"]]
    in_keys = [seconds for run in runs for seconds in run["gc_in_keys"]]
    print(
        f"collections from the first key to {AFTER_LAST_KEY} s after the last: {len(full)} full"
        + (f" (longest {max(full) * 1000:.0f} ms)" if full else "")
        + f"; inside a key's wait: {len(in_keys)}"
        + (f" (longest {max(in_keys) * 1000:.0f} ms)" if in_keys else "")
    )
    late = sum(run["late_draws"] for run in runs)
    print(f"frames drawn after a key's filter without its rows (the wait goes on to the next): {late}")
    for number, run in enumerate(runs, start=1):
        worst = max(range(len(keys)), key=run["latencies"].__getitem__)
        overlapped = run["stall_key"]
        print(
            f"round {number}: worst key {_key_label(keys, worst)} {run['latencies'][worst] * 1000:.1f} ms; "
            f"longest stall {run['stall'] * 1000:.0f} ms, "
            + ("between keys" if overlapped is None else f"during key {_key_label(keys, overlapped)}")
        )
    stalls = [run["stall"] * 1000 for run in runs]
    after = [run["stall_after"] * 1000 for run in runs]
    print(
        "longest event-loop stall from every row loaded to the last key's frame (a key pressed "
        f"then waits this on top of its own work): {', '.join(f'{ms:.0f}' for ms in stalls)} ms; "
        f"in the {AFTER_LAST_KEY} s after the last key (what the app puts off lands there: the "
        "collection a key's frame waited for, the watcher's set-up that waits for typing to pause): "
        f"{', '.join(f'{ms:.0f}' for ms in after)} ms"
    )
    print(
        f"peak RSS {figures['rss']:.0f} MB ({figures['rss_loaded']:.0f} MB by the end of loading, "
        f"{figures['rss_now']:.0f} MB resident after typing)"
    )
    ok = verdict("first rows, warm cache", figures["first"], FIRST_ROWS_TARGET, " s")
    ok &= verdict("all rows / warm `list --json`", figures["loaded"] / warm_list, ALL_ROWS_TARGET, "x")
    ok &= verdict("keystroke to frame, worst", figures["key_worst"] * 1000, KEY_TARGET * 1000, " ms")
    ok &= verdict("peak RSS after a typed filter", figures["rss"], RSS_TARGET_MB, " MB")
    return ok


def compare(new_runs: list[dict], old_runs: list[dict]) -> bool:
    """This code against --old, figure by figure (new/old)."""
    new, old = summary(new_runs), summary(old_runs)
    print("new/old (same tree, cache and rounds, interleaved):")
    ok = True
    for key, what, unit, scale in (
        ("first", "first rows", " s", 1),
        ("loaded", "all rows", " s", 1),
        ("key_median", "keystroke median", " ms", 1000),
        ("key_worst", "keystroke worst", " ms", 1000),
        ("rss", "peak RSS", " MB", 1),
    ):
        print(f"  {what}: new {new[key] * scale:,.3g}{unit}, old {old[key] * scale:,.3g}{unit}")
        ok &= verdict(f"{what}, new/old", new[key] / old[key], NO_SLOWER, "x")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--mb", type=float, default=400)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tree", type=Path, help="a tree replicated before, e.g. /work/tree100k (only read)")
    parser.add_argument("--cache", type=Path, help="the cache folder to use (kept)")
    parser.add_argument(
        "--old", type=Path, help="a checkout of the code before a change, run beside this one"
    )
    args = parser.parse_args()

    with work_folder("tui-replay-bench-filter-") as work:
        tree = args.tree
        if tree is None:
            tree = work / "tree"
            files, size = replicate(tree, args.files, int(args.mb * 1e6))
            print(f"tree: {files:,} files, {size / 1e6:.1f} MB")
        cache = args.cache or work / "cache"
        print(f"filling the cache: `list --json` {list_json(REPO, tree, cache):.1f} s")
        warm_list = statistics.median(list_json(REPO, tree, cache) for _ in range(2))
        print(f"baseline: warm `list --json` {warm_list:.2f} s")
        base_import = statistics.median(textual_import_time() for _ in range(3))
        print(f"baseline: python -c 'import textual.app' {base_import:.3f} s")
        runs, old_runs = [], []
        for _ in range(args.rounds):  # interleaved: the machine's load falls on both alike
            if args.old is not None:
                old_runs.append(run_child(args.old, tree, cache))
            runs.append(run_child(REPO, tree, cache))
        if old_runs:
            print(f"--- old code ({args.old}) ---")
            report(old_runs, base_import, warm_list)
            print("--- this code ---")
        ok = report(runs, base_import, warm_list)
        if old_runs:
            ok &= compare(runs, old_runs)
        return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
