"""`tui-replay check` against `tui-replay list --no-cache` on the same tree, whole processes.

    .venv/bin/python bench/bench_check.py [--files 3000] [--mb 80] [--rounds 3]

Replicates the shared corpus into a temporary tree shaped like the real one (bench/corpus.py).
The copies get fresh 64-hex names, so every file is mis-keyed: the worst case for `check`, which
then recomputes the hash under every rule set that can differ before giving up. Rounds are
interleaved; medians reported. Target: check / list --no-cache <= 2.
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import add_tree_options, make_tree, verdict, work_folder  # noqa: E402

TARGET = 2.0


def run(args: list[str], env: dict[str, str], ok: tuple[int, ...]) -> float:
    """Seconds of one whole process, output thrown away; an unexpected exit code stops the bench."""
    start = time.perf_counter()
    proc = subprocess.run(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=REPO, check=False
    )
    elapsed = time.perf_counter() - start
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(args)} exited {proc.returncode}: {proc.stderr.decode(errors='replace')}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_tree_options(parser, rounds=3)
    options = parser.parse_args()
    with work_folder("tui-replay-bench-check-") as work:
        tree = work / "recordings"
        print(make_tree(options, tree))
        env = dict(os.environ, TUI_REPLAY_CACHE_DIR=str(work / "cache"), PYTHONPATH=str(REPO))
        cli = [sys.executable, "-m", "tui_replay"]
        listing = [*cli, "list", "--json", "--no-cache", str(tree)]
        check = [*cli, "check", "--json", str(tree)]
        run(listing, env, (0,))  # warm the page cache
        times: dict[str, list[float]] = {"list": [], "check": []}
        for _ in range(options.rounds):
            times["list"].append(run(listing, env, (0,)))
            times["check"].append(run(check, env, (0, 1)))  # 1: mis-keyed files were reported
        median = {name: statistics.median(values) for name, values in times.items()}
    ratio = median["check"] / median["list"]
    print(f"list --no-cache  {median['list']:.2f} s")
    print(f"check            {median['check']:.2f} s")
    return 0 if verdict("check / list --no-cache", ratio, TARGET, "x") else 1


if __name__ == "__main__":
    raise SystemExit(main())
