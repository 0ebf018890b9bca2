"""Fixtures for the watch tests: a private cache, real corpus bytes, `list --watch` subprocesses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support import private_cache_dir, require_corpus  # noqa: F401 (private_cache_dir: a fixture)
from watch_helpers import CORPUS, WatchProcess


@pytest.fixture(scope="session")
def corpus_files() -> list[Path]:
    """Real recordings, smallest first (the bytes tests write are copies of these)."""
    require_corpus("tests write copies of real recordings")
    files = sorted(CORPUS.rglob("*.json"), key=lambda p: (p.stat().st_size, str(p)))
    if len(files) < 20:
        pytest.fail(f"too few recordings in {CORPUS}", pytrace=False)
    return files


@pytest.fixture(scope="session")
def recording_bytes(corpus_files) -> list[bytes]:
    """Bytes of real recordings that parse (status ok), mid-sized, for writing into watched folders."""
    from tui_replay.recording.summary import summarize_file

    chosen: list[bytes] = []
    for path in corpus_files:
        if 2_000 <= path.stat().st_size <= 200_000 and summarize_file(str(path), 1 << 30).status == "ok":
            chosen.append(path.read_bytes())
    assert len(chosen) >= 20, "the corpus should hold at least 20 readable recordings"
    return chosen


@pytest.fixture
def start_watch() -> Iterator[Callable[..., WatchProcess]]:
    started: list[WatchProcess] = []

    def start(*paths: Path | str, **kwargs) -> WatchProcess:
        watcher = WatchProcess(*paths, **kwargs)
        started.append(watcher)
        return watcher

    yield start
    for watcher in started:
        if watcher.proc.poll() is None:
            watcher.proc.kill()
            watcher.proc.wait()
