"""The readable `list` table against `list --json` and a bare read + orjson pass, same run.

    .venv/bin/python bench/bench_list_table.py [--files 10000] [--mb 80] [--rounds 3] [--empty 100000]

Replicates the corpus into a temporary tree (bench/corpus.py), fills the summary cache, then
measures whole processes (rounds interleaved, medians), each with its peak RSS:

  baseline   read + orjson.loads of every file, in this process (what any listing must do)
  json       `tui-replay list --json TREE`          (warm cache, output to a pipe)
  table      `tui-replay list TREE`                 (warm cache, output to a pipe)
  terminal   `tui-replay list TREE` on a pseudo-terminal, 160 columns

Targets: table/json <= 1.5 and terminal/json <= 3 (the table was 40x --json before rows were
printed as they come: 41.8 s against 1.0 s on 10,000 files). With --empty N, the same for a
folder of N empty files (error rows: the table's own cost, nothing to summarize), which took
220 s and 700 MB at 100,000 before.
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import add_tree_options, make_tree, read_and_parse, timed, verdict, work_folder  # noqa: E402

from tui_replay.catalog.scan import find_recordings  # noqa: E402

TABLE_TARGET, TERMINAL_TARGET = 1.5, 3.0

# Runs the command as its child and reports the child's peak RSS: measured from a small process,
# since Linux counts the forking process's RSS into its child's ru_maxrss.
_WRAPPER = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(proc.pid, 0)
sys.stderr.write(f"\\npeak-rss-kib {usage.ru_maxrss}\\n")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run(args: list[str], env: dict[str, str], *, terminal: bool = False) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of `python -m tui_replay ARGS`, its output read and dropped."""
    command = [sys.executable, "-c", _WRAPPER, sys.executable, "-m", "tui_replay", *args]
    start = time.perf_counter()
    if terminal:
        master, slave = pty.openpty()
        proc = subprocess.Popen(
            command, cwd=REPO, env={**env, "COLUMNS": "160"}, stdout=slave, stderr=subprocess.PIPE
        )
        os.close(slave)
        while True:  # drain the terminal until the child closes it
            ready, _, _ = select.select([master], [], [], 1)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                if not os.read(master, 1 << 16):
                    break
            except OSError:
                break
        os.close(master)
        stderr = proc.stderr.read()
        proc.wait()
    else:
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        while proc.stdout.read(1 << 16):
            pass
        stderr = proc.stderr.read()
        proc.wait()
    elapsed = time.perf_counter() - start
    last = stderr.rstrip().rsplit(b"\n", 1)[-1]
    if proc.returncode != 0 or not last.startswith(b"peak-rss-kib "):
        raise SystemExit(f"{' '.join(args)} failed: {stderr.decode(errors='replace')}")
    return elapsed, int(last.split()[1]) / 1024


def measure(tree: Path, env: dict[str, str], rounds: int, paths: list[str] | None) -> dict[str, tuple]:
    results: dict[str, list[tuple[float, float]]] = {"json": [], "table": [], "terminal": []}
    baseline: list[float] = []
    for _ in range(rounds):
        if paths is not None:
            baseline.append(timed(lambda: read_and_parse(paths)))
        results["json"].append(run(["list", "--json", str(tree)], env))
        results["table"].append(run(["list", str(tree)], env))
        results["terminal"].append(run(["list", str(tree)], env, terminal=True))
    medians = {
        name: (statistics.median(t for t, _ in values), statistics.median(m for _, m in values))
        for name, values in results.items()
    }
    if baseline:
        medians["baseline"] = (statistics.median(baseline), 0.0)
    return medians


def report(title: str, medians: dict[str, tuple]) -> None:
    print(title)
    if "baseline" in medians:
        print(f"  baseline (read + orjson.loads)   {medians['baseline'][0] * 1000:9.0f} ms")
    for name in ("json", "table", "terminal"):
        seconds, peak = medians[name]
        print(f"  {name:<8} whole process          {seconds * 1000:9.0f} ms  peak RSS {peak:6.1f} MB")
    json_time = medians["json"][0]
    table_ratio, terminal_ratio = medians["table"][0] / json_time, medians["terminal"][0] / json_time
    verdict("table / json", table_ratio, TABLE_TARGET, "x")
    verdict("terminal / json", terminal_ratio, TERMINAL_TARGET, "x")
    if "baseline" in medians:
        print(f"  table/baseline {medians['table'][0] / medians['baseline'][0]:5.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_tree_options(parser, rounds=3)
    parser.set_defaults(files=10_000)
    parser.add_argument("--empty", type=int, default=0, help="also a folder of this many empty files")
    options = parser.parse_args()

    with work_folder("tui-replay-bench-table-") as work:
        tree, cache_dir = work / "recordings", work / "cache"
        env = dict(os.environ, TUI_REPLAY_CACHE_DIR=str(cache_dir), PYTHONPATH=str(REPO))
        described = make_tree(options, tree)
        paths = [found.path for found in find_recordings([str(tree)])]
        read_and_parse(paths)  # warm the page cache
        run(["list", "--json", str(tree)], env)  # fill the summary cache: every run below is warm
        print(f"{described}; rounds: {options.rounds} (medians)")
        report("warm cache", measure(tree, env, options.rounds, paths))
        if options.empty:
            empty = work / "empty"
            empty.mkdir()
            for index in range(options.empty):
                (empty / f"{index:06}.json").write_bytes(b"")
            run(["list", "--json", str(empty)], env)
            report(f"{options.empty} empty files (error rows), warm cache", measure(empty, env, 1, None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
