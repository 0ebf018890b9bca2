"""Helpers shared by every test area (a plainly named module: `conftest` names clash across folders).

Imported as `support`: pytest puts tests/ on sys.path for the root conftest.py. A conftest
that wants one of the fixtures here imports it by name.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_server import LiveServer, LiveServerError

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "data" / "corpus"  # the real recordings, vendored (README there: sources, licences)


def require_corpus(why: str = "tests read the real recordings from there") -> None:
    """The vendored corpus is part of the repo: its absence is a broken checkout, a failure."""
    if not CORPUS.is_dir():
        pytest.fail(f"the vendored corpus is not at {CORPUS} ({why})", pytrace=False)


def record_calls(monkeypatch, owners, name: str, note=None) -> list:
    """From now on, what `note` makes of each call of `name` on `owners` (a module or class, or
    several that imported the same function by name; default: the call's first argument). The
    real function still runs."""
    owners = owners if isinstance(owners, tuple) else (owners,)
    calls: list = []
    real = getattr(owners[0], name)

    def recording(*args, **kwargs):
        calls.append(note(*args, **kwargs) if note is not None else args[0])
        return real(*args, **kwargs)

    for owner in owners:
        monkeypatch.setattr(owner, name, recording)
    return calls


@pytest.fixture
def corpus() -> Path:
    require_corpus()
    return CORPUS


@pytest.fixture(autouse=True)
def private_cache_dir(tmp_path_factory, monkeypatch):
    """Every test gets its own summary cache folder, never the user's."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("TUI_REPLAY_CACHE_DIR", str(folder))
    monkeypatch.setenv("TUI_REPLAY_STATE_DIR", str(tmp_path_factory.mktemp("state")))  # nor its state
    return folder


def run_tui_replay(
    *args: str, cwd: Path, env: dict[str, str], timeout: float, text: bool = True
) -> subprocess.CompletedProcess:
    """The real command line (`python -m tui_replay ...`) in a subprocess, output captured."""
    return subprocess.run(
        [sys.executable, "-m", "tui_replay", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=text,
        timeout=timeout,
        check=False,
    )


def serve_or_fail(server: LiveServer, what: str) -> Iterator[LiveServer]:
    """Body of a fixture yielding a started llama.cpp server; the test fails with the reason
    when it cannot start, and the server is stopped (by its PID) at the end."""
    try:
        server.start()
    except LiveServerError as exc:
        pytest.fail(f"{what} could not be started: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


def rewrite_model(path: str, old_model: str) -> None:
    """Rewrite a recording in place with another model name ("edited-model"), with a later
    mtime: a cached row of it is stale."""
    with open(path, encoding="utf-8") as file:
        text = file.read()
    assert old_model in text
    with open(path, "w", encoding="utf-8") as file:
        file.write(text.replace(old_model, "edited-model"))
    later = os.stat(path).st_mtime_ns + 5_000_000_000
    os.utime(path, ns=(later, later))
