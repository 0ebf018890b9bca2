"""Listing speed and memory against a baseline measured in the same run.

    .venv/bin/python bench/bench_list.py [--files 3000] [--mb 80] [--rounds 5]

Replicates the vendored corpus into a temporary tree shaped like the real one
(bench/corpus.py), then measures, rounds interleaved, medians reported:

  baseline  read + orjson.loads of every file (paths known in advance: no scan)
  cold      the real catalog without cache (= `list --no-cache`): scan + summarize
  warm      the real catalog with its cache populated (= a second `list`)
  peak      ru_maxrss of `python -m tui_replay list --json --no-cache TREE` (a subprocess)

Targets: cold/baseline <= 1.5, warm/baseline <= 0.5, peak <= 150 MB.
Also prints the command line end to end, the start-up time, and the cache database size.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import add_tree_options, read_and_parse, timed, work_folder  # noqa: E402
from corpus import replicate  # noqa: E402

from tui_replay.catalog.cache import CACHE_FOLDER  # noqa: E402
from tui_replay.catalog.catalog import Catalog  # noqa: E402
from tui_replay.catalog.scan import find_recordings  # noqa: E402

COLD_TARGET, WARM_TARGET, PEAK_TARGET_MB = 1.5, 0.5, 150


def run_measured(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one subprocess, its output thrown away."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=REPO)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {proc.stderr.read().decode(errors='replace')}")
    proc.stderr.close()
    return elapsed, usage.ru_maxrss / 1024  # Linux: KiB


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_tree_options(parser, rounds=5)
    options = parser.parse_args()

    with work_folder("tui-replay-bench-") as work:
        tree, cache_dir = work / "recordings", work / "cache"
        count, size = replicate(tree, options.files, int(options.mb * 1e6))
        print(f"tree: {count} files, {size / 1e6:.1f} MB (replicated from the vendored corpus)")
        paths = [found.path for found in find_recordings([str(tree)])]
        assert len(paths) == count

        read_and_parse(paths)  # warm the page cache: every measure below reads from memory
        Catalog(cache_dir=str(cache_dir)).scan([str(tree)])  # populate the summary cache

        results: dict[str, list[float]] = {"baseline": [], "cold": [], "warm": []}
        for _ in range(options.rounds):
            results["baseline"].append(timed(lambda: read_and_parse(paths)))
            results["cold"].append(timed(lambda: Catalog(use_cache=False).scan([str(tree)])))
            results["warm"].append(timed(lambda: Catalog(cache_dir=str(cache_dir)).scan([str(tree)])))
        median = {name: statistics.median(values) for name, values in results.items()}

        env = dict(os.environ, TUI_REPLAY_CACHE_DIR=str(cache_dir), PYTHONPATH=str(REPO))
        python = sys.executable
        cli = [python, "-m", "tui_replay", "list", "--json"]
        cold_cli = [run_measured([*cli, "--no-cache", str(tree)], env) for _ in range(3)]
        warm_cli = [run_measured([*cli, str(tree)], env) for _ in range(3)]
        startup = [run_measured([*cli, "--no-cache", paths[0]], env)[0] for _ in range(5)]
        bare = [run_measured([python, "-c", "pass"], env)[0] for _ in range(5)]
        peak = statistics.median(rss for _, rss in cold_cli)

        cold_ratio = median["cold"] / median["baseline"]
        warm_ratio = median["warm"] / median["baseline"]

        def verdict(value: float, target: float) -> str:
            return f"(target <= {target})  {'ok' if value <= target else 'MISSED'}"

        print(f"rounds: {options.rounds} (medians)")
        print(f"baseline (read + orjson.loads) {median['baseline'] * 1000:8.1f} ms")
        print(f"cold listing (no cache)        {median['cold'] * 1000:8.1f} ms")
        print(f"warm listing (cache)           {median['warm'] * 1000:8.1f} ms")
        print(f"cold/baseline  {cold_ratio:5.2f}  {verdict(cold_ratio, COLD_TARGET)}")
        print(f"warm/baseline  {warm_ratio:5.2f}  {verdict(warm_ratio, WARM_TARGET)}")
        print(f"peak RSS, cold `list --json` {peak:6.1f} MB  {verdict(peak, PEAK_TARGET_MB)}")
        print(
            f"command line end to end: cold {statistics.median(t for t, _ in cold_cli) * 1000:.0f} ms, "
            f"warm {statistics.median(t for t, _ in warm_cli) * 1000:.0f} ms"
        )
        print(
            f"start-up (`list --json ONE_FILE`) {statistics.median(startup) * 1000:.0f} ms; "
            f"bare `python -c pass` {statistics.median(bare) * 1000:.0f} ms"
        )
        size_mb = sum(p.stat().st_size for p in (cache_dir / CACHE_FOLDER).iterdir()) / 1e6
        print(f"cache database (rows; no index until a text: query) {size_mb:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
