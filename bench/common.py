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
    """--files / --mb: the size of the tree bench/corpus.py replicates; --rounds: how often to measure."""
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--mb", type=float, default=80)
    parser.add_argument("--rounds", type=int, default=rounds)


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


def run_app_child(code: str, args: list[str], cache: Path) -> dict:
    """Run `code` (a script that drives the app and prints one JSON line last) in a fresh
    interpreter with its own cache folder; BENCH_SPAWNED is the time it was spawned."""
    env = dict(os.environ, TUI_REPLAY_CACHE_DIR=str(cache), BENCH_SPAWNED=repr(time.time()))
    env["PYTHONPATH"] = str(REPO)
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
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
