"""The SQLite summary cache and full-text index on a big replicated tree, whole processes.

    .venv/bin/python bench/bench_index.py [--files 100000] [--mb 2700] [--rounds 1]

Replicates the vendored corpus (bench/corpus.py), then measures in the same run:

  baseline  a subprocess that reads and orjson.loads every file (paths known in advance)
  cold      `tui-replay list --json TREE` with an empty cache (fills the cache; no index);
            the files are read by one worker process per core
  cold -j1  the same with `--jobs 1` (everything in the one process)
  warm      the same again (every row from the cache), with its peak RSS
  no-cache  `tui-replay list --json --no-cache TREE` (and with `--jobs 1`)
  text      the whole `tui-replay list --json --filter text:WORD TREE`, first (builds the index)
            and again; then `SummaryCache.search` of the word (the index query alone, in-process)

Targets: cold <= 1.3x the baseline, warm <= 0.2x with peak RSS <= 120 MB, the text query <= 0.2 s.
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

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_list import run_measured  # noqa: E402
from common import work_folder  # noqa: E402

from tui_replay.catalog.cache import CACHE_FOLDER, SummaryCache  # noqa: E402

COLD_TARGET, WARM_TARGET, PEAK_TARGET_MB, QUERY_TARGET_S = 1.3, 0.2, 120, 0.2
# The tree and its list of paths, made in a subprocess: Linux keeps a process's peak RSS across
# fork and exec, so a parent that held 100,000 paths would lend its peak to every child measured.
PREPARE = "\n".join(
    [
        "import sys, json",
        "from pathlib import Path",
        "from corpus import replicate",
        "from tui_replay.catalog.scan import find_recordings",
        "count, size = replicate(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))",
        "open(sys.argv[4], 'w').write(chr(10).join(f.path for f in find_recordings([sys.argv[1]])))",
        "print(json.dumps([count, size]))",
    ]
)
# The baseline process: read and parse every file of a list of paths.
BASELINE = "\n".join(
    [
        "import sys, orjson",
        "for p in open(sys.argv[1]).read().split(chr(10)):",
        "    orjson.loads(open(p, 'rb').read())",
    ]
)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--mb", type=float, default=2700)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--word", default="experts")
    options = parser.parse_args()

    with work_folder("tui-replay-bench-index-") as work:
        tree = work / "recordings"
        started = time.perf_counter()
        listing = work / "paths.txt"
        python = sys.executable
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "bench")]))
        prepared = subprocess.run(
            [python, "-c", PREPARE, str(tree), str(options.files), str(int(options.mb * 1e6)), str(listing)],
            env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        count, size = json.loads(prepared.stdout)
        print(
            f"tree: {count} files, {size / 1e6:.0f} MB (replicated in {time.perf_counter() - started:.0f} s)"
        )
        env = dict(os.environ, PYTHONPATH=str(REPO))
        baseline_cmd = [python, "-c", BASELINE, str(listing)]
        run_measured(baseline_cmd, env)  # the page cache holds the tree from here on
        cli = [python, "-m", "tui_replay", "list", "--json"]
        results: dict[str, list[tuple[float, float]]] = {
            "baseline": [],
            "cold": [],
            "cold_serial": [],
            "warm": [],
            "nocache": [],
            "nocache_serial": [],
        }
        for round_index in range(options.rounds):
            cache_dir = work / f"cache{round_index}"
            env["TUI_REPLAY_CACHE_DIR"] = str(cache_dir)
            results["baseline"].append(run_measured(baseline_cmd, env))
            env["TUI_REPLAY_CACHE_DIR"] = str(work / f"cache-serial{round_index}")
            results["cold_serial"].append(run_measured([*cli, "--jobs", "1", str(tree)], env))
            env["TUI_REPLAY_CACHE_DIR"] = str(cache_dir)
            results["cold"].append(run_measured([*cli, str(tree)], env))
            results["warm"].append(run_measured([*cli, str(tree)], env))
            results["nocache"].append(run_measured([*cli, "--no-cache", str(tree)], env))
            serial = [*cli, "--no-cache", "--jobs", "1", str(tree)]
            results["nocache_serial"].append(run_measured(serial, env))
        median = {name: statistics.median(t for t, _ in values) for name, values in results.items()}
        warm_peak = statistics.median(rss for _, rss in results["warm"])

        # The first text: query builds the index (reads every file for its text), the next
        # ones ask it alone.
        cli_filter = [*cli, "--filter", f"text:{options.word}", str(tree)]
        first_filter, first_peak = run_measured(cli_filter, env)
        whole_filter, filter_peak = run_measured(cli_filter, env)
        cache = SummaryCache(str(cache_dir))
        queries = []
        for _ in range(5):
            start = time.perf_counter()
            found = cache.search(options.word, [str(tree)])
            queries.append(time.perf_counter() - start)
        cache.close()
        query = statistics.median(queries)
        db_size = sum(p.stat().st_size for p in (cache_dir / CACHE_FOLDER).iterdir())

        def verdict(value: float, target: float) -> str:
            return f"(target <= {target})  {'ok' if value <= target else 'MISSED'}"

        base = median["baseline"]
        print(f"rounds: {options.rounds} (medians); whole processes")
        print(f"baseline (read + orjson.loads)  {base:7.2f} s")
        for name, label in (("cold", "cold list --json (fills the cache)"),
                            ("cold_serial", "cold list --json --jobs 1"), ("warm", "warm list --json"),
                            ("nocache", "list --json --no-cache"),
                            ("nocache_serial", "list --json --no-cache --jobs 1")):  # fmt: skip
            ratio = median[name] / base
            target = {"cold": COLD_TARGET, "warm": WARM_TARGET}.get(name)
            note = verdict(ratio, target) if target else ""
            print(f"{label:<38} {median[name]:7.2f} s  {ratio:5.2f}x  {note}")
        print(f"warm peak RSS {warm_peak:6.1f} MB  {verdict(warm_peak, PEAK_TARGET_MB)}")
        print(
            f"text:{options.word} index query {query * 1000:7.1f} ms, {len(found or ())} rows  "
            f"{verdict(query, QUERY_TARGET_S)}"
        )
        print(
            f"first `list --json --filter text:{options.word}` (builds the index) {first_filter:.2f} s"
            f" = {first_filter / base:.2f}x, peak {first_peak:.0f} MB"
        )
        print(
            f"next `list --json --filter text:{options.word}` {whole_filter:.2f} s, peak {filter_peak:.0f} MB"
        )
        print(f"database {db_size / 1e6:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
