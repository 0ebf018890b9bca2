"""App start to first rows and to every row, cold and warm cache, against a baseline.

    .venv/bin/python bench/bench_app_start.py [--files 3000] [--mb 80] [--rounds 3]
        [--real DIR | --tree DIR] [--warm-only | --cold-rounds N] [--cache DIR] [--old DIR]

Copies the real tree (--real, or $TUI_REPLAY_BENCH_REAL) or replicates the vendored corpus
(bench/corpus.py) into a temporary tree; --tree uses an existing tree as it is. Each
measurement is a fresh interpreter (imports included, as a user's launch) running the real
app headless (`App.run_test`) with default settings (the watcher on), timed from the moment
the parent spawns it:

  first rows   the table holds rows and a frame has been drawn since (target <= 1 s)
  all rows     every file is a row and a frame has been drawn since
               (target <= 2x warm `list --json` with a warm cache, <= 1.5x cold with none)
  key latency  the slowest of the arrow keys pressed while loading (the app must answer)

Baselines measured in the same run: `python -c "import textual.app"` start-up (the floor
for any Textual app), the bare read + orjson.loads pass over every file, and
`tui-replay list --json` of the tree (the same scan and summaries with no UI), cold and warm.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    add_tree_options,
    list_json,
    make_tree,
    read_and_parse,
    run_app_child,
    textual_import_time,
    timed,
    verdict,
    work_folder,
)

FIRST_ROWS_TARGET = 1.0
ALL_ROWS_TARGET = {"warm": 2.0, "cold": 1.5}  # x `list --json` with the same cache state

CHILD = r"""
import asyncio, json, os, sys, time
spawned = float(os.environ["BENCH_SPAWNED"])
from tui_replay.app.app import TuiReplayApp
from tui_replay.config import Config

async def frame(app):
    # Resolves once the screen has been refreshed (a frame drawn) after this call.
    drawn = asyncio.Event()
    app.screen.call_after_refresh(drawn.set)
    await drawn.wait()

async def main():
    app = TuiReplayApp([sys.argv[1]], Config())  # default settings: the watcher is on
    async with app.run_test(size=(160, 50)) as pilot:
        browse = app.browse
        while not browse.table.rows:
            await asyncio.sleep(0.001)
        await frame(app)
        first = time.time() - spawned
        first_count = len(browse.table.rows)
        latencies = []
        while not browse.loaded:
            if len(browse.table.rows) <= browse.table.cursor_row + 1:
                # The cursor is on the last row so far: a key could not move it (the first
                # batch may be one row), and the wait would be the loading's, not the key's.
                await asyncio.sleep(0.005)
                continue
            # A key press while loading: time until the cursor has moved.
            before = browse.table.cursor_row
            start = time.perf_counter()
            app.simulate_key("down")
            while browse.table.cursor_row == before and not browse.loaded:
                await asyncio.sleep(0.001)
            latencies.append(time.perf_counter() - start)
            await asyncio.sleep(0.02)
        await frame(app)
        everything = time.time() - spawned
        # (A cassette file gives a row per interaction: files are counted.)
        files = len({summary.file for summary in browse.summaries.values()})
        assert files == int(sys.argv[2]), files
    print(json.dumps({"first": first, "first_count": first_count, "all": everything,
                      "latency": max(latencies, default=0.0), "presses": len(latencies)}))

asyncio.run(main())
"""


def run_child(tree: Path, files: int, cache: Path, repo: Path | None = None) -> dict:
    if repo is None:
        return run_app_child(CHILD, [str(tree), str(files)], cache)
    return run_app_child(CHILD, [str(tree), str(files)], cache, repo)


def read_pass(tree: Path) -> float:
    paths = sorted(str(path) for path in tree.rglob("*.json"))
    return timed(lambda: read_and_parse(paths))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_tree_options(parser, rounds=3)
    parser.add_argument("--tree", type=Path, help="an existing tree, used as it is (never written)")
    parser.add_argument(
        "--warm-only",
        action="store_true",
        help="skip the cold runs (each costs minutes at 100,000 files): the warm verdict only",
    )
    parser.add_argument(
        "--cold-rounds",
        type=int,
        help="cold runs (a cold `list --json` and a cold app) in this many of the rounds only, "
        "the first ones (default: every round; at 100,000 files one is enough)",
    )
    parser.add_argument(
        "--cache", type=Path, help="the warm cache folder to use (filled by the first run if empty)"
    )
    parser.add_argument(
        "--old",
        type=Path,
        help="a copy of the code before a change (e.g. `git archive`): its app runs warm too, "
        "round for round, and the ratio new/old is printed",
    )
    args = parser.parse_args()
    cold_rounds = 0 if args.warm_only else args.rounds if args.cold_rounds is None else args.cold_rounds

    with work_folder("tui-replay-bench-app-") as work:
        if args.tree:
            tree = args.tree
            print(f"tree: {tree} (as it is)")
        else:
            tree = work / "tree"
            print(make_tree(args, tree))
        files = sum(1 for _ in tree.rglob("*.json"))
        warm_cache = args.cache or work / "cache-warm"
        run_child(tree, files, warm_cache)  # fills the warm cache (and the OS page cache)

        rows: dict[str, list] = {
            "baseline_import": [],
            "baseline_read": [],
            "list_cold": [],
            "list_warm": [],
            "cold": [],
            "warm": [],
        }
        for round_number in range(args.rounds):
            rows["baseline_import"].append(textual_import_time())
            rows["baseline_read"].append(read_pass(tree))
            cold = round_number < cold_rounds
            if cold:
                rows["list_cold"].append(list_json(tree, work / f"cache-list-{round_number}"))
            rows["list_warm"].append(list_json(tree, warm_cache))
            if cold:
                rows["cold"].append(run_child(tree, files, work / f"cache-cold-{round_number}"))
            rows["warm"].append(run_child(tree, files, warm_cache))
            if args.old:
                rows.setdefault("old", []).append(run_child(tree, files, warm_cache, args.old))

        def median(values: list[float]) -> float:
            return statistics.median(values)

        base_import = median(rows["baseline_import"])
        base_read = median(rows["baseline_read"])
        print(f"baseline: python -c 'import textual.app'  {base_import:.3f} s")
        print(f"baseline: read + orjson.loads of every file {base_read:.3f} s")
        states = ("cold", "warm") if cold_rounds else ("warm",)
        base_list = {name: median(rows[f"list_{name}"]) for name in states}
        said = ", ".join(f"{name} cache {base_list[name]:.3f} s" for name in states)
        print(f"baseline: tui-replay list --json, {said}")
        if not cold_rounds:
            print("cold runs skipped (--warm-only): no cold verdict")
        elif cold_rounds < args.rounds:
            print(f"cold runs in {cold_rounds} of the {args.rounds} rounds (--cold-rounds)")
        ok = True
        for name in states:
            first = median([run["first"] for run in rows[name]])
            everything = median([run["all"] for run in rows[name]])
            latency = max(run["latency"] for run in rows[name])
            presses = sum(run["presses"] for run in rows[name])
            first_count = median([run["first_count"] for run in rows[name]])
            print(
                f"{name:5} cache: first rows {first:.3f} s ({first_count:.0f} rows) = "
                f"{first / base_import:.1f}x the import baseline; "
                f"all {files:,} rows {everything:.3f} s = {everything / base_list[name]:.2f}x "
                f"`list --json` ({name}); slowest key while loading {latency * 1000:.0f} ms "
                f"over {presses} presses"
            )
            ok &= verdict(f"{name} cache, first rows", first, FIRST_ROWS_TARGET, " s")
            ok &= verdict(
                f"{name} cache, every row / {name} `list --json`",
                everything / base_list[name],
                ALL_ROWS_TARGET[name],
                "x",
            )
        if args.old:
            old = median([run["all"] for run in rows["old"]])
            new = median([run["all"] for run in rows["warm"]])
            print(
                f"old code ({args.old}), warm cache: all rows {old:.3f} s = "
                f"{old / base_list['warm']:.2f}x `list --json` (warm); new/old {new / old:.2f}x"
            )
        return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
