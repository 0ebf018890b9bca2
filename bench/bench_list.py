"""`tui-replay list --json` against a bare read + orjson.loads of every file: whole processes.

    .venv/bin/python bench/bench_list.py --real /work/realtree/tests/integration [--rounds 5]
    .venv/bin/python bench/bench_list.py --tree /work/tree100k --rounds 3 --no-in-process
    .venv/bin/python bench/bench_list.py [--files 3000] [--mb 80]   (the vendored corpus replicated)
    .venv/bin/python bench/bench_list.py --tree DIR --old OLD_CODE   (and the code before a change)

--real DIR copies a real tree (common.make_tree), --tree DIR lists an existing tree as it is (never
written to), else the vendored corpus is replicated. Then, rounds interleaved, medians reported,
every figure a fresh interpreter from spawn to exit, stdout to /dev/null:

  baseline  `python -c`: read + orjson.loads of every file, paths known in advance (no scan)
  cold      `python -m tui_replay list --json TREE` with an empty cache folder: no summary cache,
            default settings (worker processes). The page cache is warm (dropping it needs root):
            "cold" means no summary cache, the files themselves are read from memory.
  warm      the same command again, its cache filled

Python's compiled bytecode is kept (in a folder of this run, PYTHONPYCACHEPREFIX), as an
installed tui-replay has it; --no-bytecode-cache runs under the environment as it is (with
PYTHONDONTWRITEBYTECODE=1 every process compiles the modules it imports: ~0.1 s more).

--old DIR: a copy of the code before a change (`git archive COMMIT tui_replay pyproject.toml |
tar -x -C DIR`), its cold and warm listings run in the same rounds (from DIR, its own caches): the
medians of the per-round new/old ratios say what the change did, on a machine whose load moves
the ratios to the baseline by more than that.

Targets: cold/baseline <= 1.5, warm/baseline <= 0.5 (common.verdict lines), peak RSS of a cold
`list --json` <= 150 MB. Beside them, the in-process figures (Catalog.scan without and with the
cache against read + orjson.loads in this process; --no-in-process skips them), the start-up
(`list --json` of one file) and the size of the cache database.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import add_tree_options, make_tree, read_and_parse, timed, verdict, work_folder  # noqa: E402

from tui_replay.catalog.cache import CACHE_FOLDER  # noqa: E402
from tui_replay.catalog.catalog import Catalog  # noqa: E402
from tui_replay.catalog.scan import find_recordings  # noqa: E402

COLD_TARGET, WARM_TARGET, PEAK_TARGET_MB = 1.5, 0.5, 150

# The baseline process: what any listing must at least do, in the same interpreter start-up.
BASELINE_CODE = """
import sys, orjson
with open(sys.argv[1], encoding="utf-8") as listed:
    paths = listed.read().splitlines()
for path in paths:
    with open(path, "rb") as handle:
        orjson.loads(handle.read())
"""


# The peak RSS of a command, measured from a small launcher: a process started straight from this
# one inherits this one's peak (the kernel keeps the high-water mark of the memory it replaced at
# exec), and this one holds every path of the tree.
PEAK_CODE = """
import resource, subprocess, sys
status = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
sys.exit(status)
"""


def peak_mb(args: list[str], env: dict[str, str]) -> float:
    """The peak RSS in MB of `args` (the largest of it and the processes it waited for)."""
    result = subprocess.run(
        [sys.executable, "-c", PEAK_CODE, *args], capture_output=True, text=True, env=env, cwd=REPO
    )
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {result.stderr}")
    return float(result.stdout.strip().splitlines()[-1])


def run_measured(args: list[str], env: dict[str, str], cwd: Path = REPO) -> tuple[float, float]:
    """(seconds, CPU seconds) of one subprocess, its output thrown away. The CPU time (user +
    system) counts the worker processes it forked and waited for."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.stderr is not None
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {proc.stderr.read().decode(errors='replace')}")
    proc.stderr.close()
    return elapsed, usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_tree_options(parser, rounds=5)
    parser.add_argument("--tree", type=Path, help="list this existing tree as it is (not copied)")
    parser.add_argument(
        "--no-in-process", action="store_true", help="skip the in-process Catalog.scan figures"
    )
    parser.add_argument("--old", type=Path, help="a copy of the code before a change, run in the same rounds")
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="do not keep compiled bytecode for the processes (the environment as it is)",
    )
    options = parser.parse_args()

    with work_folder("tui-replay-bench-") as work:
        if options.tree is not None:
            tree = options.tree.resolve()
            described = f"tree: {tree} as it is"
        else:
            tree = work / "recordings"
            described = make_tree(options, tree)
        cache_dir, cold_cache = work / "cache", work / "cold-cache"
        paths = [found.path for found in find_recordings([str(tree)])]
        size = sum(os.path.getsize(path) for path in paths)
        print(f"{described}; {len(paths):,} recording files, {size / 1e6:,.0f} MB")
        path_list = work / "paths.txt"
        path_list.write_text("\n".join(paths) + "\n", encoding="utf-8")

        env = dict(os.environ, TUI_REPLAY_CACHE_DIR=str(cache_dir), PYTHONPATH=str(REPO))
        if not options.no_bytecode_cache:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(work / "bytecode")
        bytecode = "off" if env.get("PYTHONDONTWRITEBYTECODE") else "kept"
        cold_env = dict(env, TUI_REPLAY_CACHE_DIR=str(cold_cache))
        python = sys.executable
        baseline_cli = [python, "-c", BASELINE_CODE, str(path_list)]
        list_cli = [python, "-m", "tui_replay", "list", "--json", str(tree)]

        # (name, command, environment, folder it runs from, cache folder emptied before each run)
        runs = [
            ("baseline", baseline_cli, env, REPO, None),
            ("cold", list_cli, cold_env, REPO, cold_cache),
            ("warm", list_cli, env, REPO, None),
        ]
        if options.old is not None:
            old = options.old.resolve()  # its `python -m tui_replay` is found in the folder it runs from
            old_env = dict(env, PYTHONPATH=str(old), TUI_REPLAY_CACHE_DIR=str(work / "old-cache"))
            old_cold_env = dict(old_env, TUI_REPLAY_CACHE_DIR=str(work / "old-cold-cache"))
            runs += [
                ("old cold", list_cli, old_cold_env, old, work / "old-cold-cache"),
                ("old warm", list_cli, old_env, old, None),
            ]
            run_measured(list_cli, old_env, old)

        read_and_parse(paths)  # warm the page cache: every measure below reads from memory
        run_measured(list_cli, env)  # fill the summary cache (and the bytecode cache)
        run_measured(baseline_cli, env)

        figures: dict[str, list[float]] = {name: [] for name, *_ in runs}
        cpu: dict[str, list[float]] = {name: [] for name, *_ in runs}
        for round_number in range(options.rounds):
            # (The order turns every round: whichever runs right after another may find it lingering.)
            turn = round_number % len(runs)
            for name, command, command_env, folder, emptied in runs[turn:] + runs[:turn]:
                if emptied is not None:
                    shutil.rmtree(emptied, ignore_errors=True)
                seconds, cpu_seconds = run_measured(command, command_env, folder)
                figures[name].append(seconds)
                cpu[name].append(cpu_seconds)
        median = {name: statistics.median(values) for name, values in figures.items()}
        cpu_median = {name: statistics.median(values) for name, values in cpu.items()}
        cold_ratio = median["cold"] / median["baseline"]
        warm_ratio = median["warm"] / median["baseline"]

        print(
            f"whole processes, {options.rounds} interleaved rounds (medians; page cache warm; "
            f"bytecode cache {bytecode}):"
        )
        for name, label in (
            ("baseline", "baseline: read + orjson.loads"),
            ("cold", "cold `list --json` (no cache)"),
            ("warm", "warm `list --json` (cache)"),
        ):
            spread = f"{min(figures[name]):.2f}-{max(figures[name]):.2f} s"
            print(f"  {label:34} {median[name]:7.3f} s  ({spread})")
        print(f"  cold/baseline {cold_ratio:.2f}   warm/baseline {warm_ratio:.2f}")
        fastest = {name: min(values) for name, values in figures.items()}
        print(
            f"  fastest of each (the least disturbed round): cold/baseline "
            f"{fastest['cold'] / fastest['baseline']:.2f}   warm/baseline "
            f"{fastest['warm'] / fastest['baseline']:.2f}"
        )
        print(
            f"  CPU time (user + system, workers included; steadier on a busy machine): baseline "
            f"{cpu_median['baseline']:.3f} s, cold {cpu_median['cold']:.3f} s "
            f"({cpu_median['cold'] / cpu_median['baseline']:.2f}x), warm {cpu_median['warm']:.3f} s "
            f"({cpu_median['warm'] / cpu_median['baseline']:.2f}x)"
        )
        if options.old is not None:
            print(f"the code before (--old {options.old}), same rounds:")
            for name in ("cold", "warm"):
                new_old = statistics.median(
                    new / old for new, old in zip(figures[name], figures[f"old {name}"], strict=True)
                )
                cpu_new_old = statistics.median(
                    new / old for new, old in zip(cpu[name], cpu[f"old {name}"], strict=True)
                )
                old_median = statistics.median(figures[f"old {name}"])
                print(
                    f"  old {name} {old_median:.3f} s = {old_median / median['baseline']:.2f}x the baseline; "
                    f"new/old (median of the rounds' ratios) {new_old:.2f}, CPU {cpu_new_old:.2f}"
                )
        verdict("cold `list --json` / read+orjson (whole processes)", cold_ratio, COLD_TARGET, "x")
        verdict("warm `list --json` / read+orjson (whole processes)", warm_ratio, WARM_TARGET, "x")
        shutil.rmtree(cold_cache, ignore_errors=True)
        verdict(
            "peak RSS of a cold `list --json` (the largest of it and its forked workers)",
            peak_mb(list_cli, cold_env),
            PEAK_TARGET_MB,
            " MB",
        )

        startup = [run_measured([*list_cli[:-1], "--no-cache", paths[0]], env)[0] for _ in range(5)]
        bare = [run_measured([python, "-c", "import orjson"], env)[0] for _ in range(5)]
        print(
            f"start-up (`list --json ONE_FILE`) {statistics.median(startup) * 1000:.0f} ms; "
            f"`python -c 'import orjson'` {statistics.median(bare) * 1000:.0f} ms"
        )
        db_mb = sum(p.stat().st_size for p in (cache_dir / CACHE_FOLDER).iterdir()) / 1e6
        print(f"cache database (rows; no index until a text: query) {db_mb:,.1f} MB")

        if not options.no_in_process:
            inside: dict[str, list[float]] = {"baseline": [], "cold": [], "warm": []}
            for _ in range(options.rounds):
                inside["baseline"].append(timed(lambda: read_and_parse(paths)))
                inside["cold"].append(timed(lambda: Catalog(use_cache=False).scan([str(tree)])))
                inside["warm"].append(timed(lambda: Catalog(cache_dir=str(cache_dir)).scan([str(tree)])))
            inner = {name: statistics.median(values) for name, values in inside.items()}
            print(
                f"in-process (Catalog.scan, medians): baseline {inner['baseline']:.3f} s, "
                f"without cache {inner['cold']:.3f} s ({inner['cold'] / inner['baseline']:.2f}x), "
                f"with cache {inner['warm']:.3f} s ({inner['warm'] / inner['baseline']:.2f}x)"
            )
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (1, 5, 15 min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
