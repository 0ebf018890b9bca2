"""Helpers shared by the bench_*.py scripts: the replicated-tree options, a work folder, timing,
and the read + orjson.loads baseline. Imported as `common` (each script puts bench/ on sys.path)."""

from __future__ import annotations

import argparse
import shutil
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


def read_and_parse(paths: list[str]) -> None:
    """The baseline: read every file and orjson.loads it (what any listing must at least do)."""
    for path in paths:
        with open(path, "rb") as handle:
            orjson.loads(handle.read())
