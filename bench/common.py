"""Helpers shared by the bench_*.py scripts: the replicated-tree options, a work folder, timing,
the read + orjson.loads baseline, and running the app or `list` in a fresh interpreter.
Imported as `common` (each script puts bench/ on sys.path)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson


def add_tree_options(parser: argparse.ArgumentParser, rounds: int) -> None:
    """--files / --mb: the size of the tree bench/corpus.py replicates; --rounds: how often to measure.
    --real DIR (or $TUI_REPLAY_BENCH_REAL): copy a real tree instead (bench/get_real_tree.sh
    fetches llama-stack's 3,162 recordings), as many times as --files asks for."""
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--mb", type=float, default=80)
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument(
        "--real",
        type=Path,
        default=Path(REAL_TREE) if (REAL_TREE := os.environ.get("TUI_REPLAY_BENCH_REAL")) else None,
        help="a real tree to copy (default $TUI_REPLAY_BENCH_REAL); else the vendored corpus is replicated",
    )


def make_tree(options: argparse.Namespace, target: Path) -> str:
    """Write the benchmark tree under `target` and return a line that says what it is."""
    from corpus import copy_real_tree, replicate

    if options.real is not None:
        per_copy = sum(1 for path in options.real.rglob("*.json") if "recordings" in path.parts)
        copies = max(1, round(options.files / max(per_copy, 1)))
        files, size = copy_real_tree(options.real, target, copies)
        size_mb = size / 1e6
        return f"tree: {files:,} files, {size_mb:,.0f} MB ({copies} copies of {options.real})"
    files, size = replicate(target, options.files, int(options.mb * 1e6))
    return (
        f"tree: {files:,} files, {size / 1e6:,.0f} MB (replicated from the vendored corpus; "
        "pass --real for the real tree)"
    )


def verdict(what: str, measured: float, target: float, unit: str = "", higher_is_better=False) -> bool:
    """Print one line: what was measured, the target, and whether it was met. Returns met."""
    met = measured >= target if higher_is_better else measured <= target
    sign = ">=" if higher_is_better else "<="
    outcome = "met" if met else "MISSED"
    print(f"TARGET {what}: {measured:,.3g}{unit} (target {sign} {target:,.3g}{unit}): {outcome}")
    return met


@contextmanager
def work_folder(prefix: str) -> Iterator[Path]:
    """A temporary folder for the replicated tree and caches, removed at the end."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


REPO = Path(__file__).resolve().parents[1]


def run_app_child(code: str, args: list[str], cache: Path, repo: Path = REPO) -> dict:
    """Run `code` (a script that drives the app and prints one JSON line last) in a fresh
    interpreter with its own cache folder; BENCH_SPAWNED is the time it was spawned. `repo`:
    whose `tui_replay` it imports (an older copy of the code, to compare)."""
    env = dict(os.environ, TUI_REPLAY_CACHE_DIR=str(cache), BENCH_SPAWNED=repr(time.time()))
    env["PYTHONPATH"] = str(repo)
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=repo,  # (`python -c` imports from its folder first)
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"the app run failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def textual_import_time() -> float:
    """`python -c "import textual.app"`: the start-up floor of any Textual app."""
    return timed(lambda: subprocess.run([sys.executable, "-c", "import textual.app"], check=True, cwd=REPO))


def list_json(tree: Path, cache: Path) -> float:
    """`tui-replay list --json TREE` end to end: the same scan and summaries, no UI."""
    env = dict(os.environ, TUI_REPLAY_CACHE_DIR=str(cache), PYTHONPATH=str(REPO))
    return timed(
        lambda: subprocess.run(
            [sys.executable, "-m", "tui_replay", "list", "--json", str(tree)],
            stdout=subprocess.DEVNULL,
            env=env,
            cwd=REPO,
            check=True,
        )
    )


def read_and_parse(paths: list[str]) -> None:
    """The baseline: read every file and orjson.loads it (what any listing must at least do)."""
    for path in paths:
        with open(path, "rb") as handle:
            orjson.loads(handle.read())
