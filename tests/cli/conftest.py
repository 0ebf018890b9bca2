from __future__ import annotations

import os
from pathlib import Path

import pytest
from support import REPO, corpus, run_tui_replay  # noqa: F401 (corpus: a fixture)


@pytest.fixture
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def run_cli(cache_dir):
    """Run the real command line (`python -m tui_replay ...`) in a subprocess."""

    def run(*args: str, columns: int = 200, timeout: float = 60, extra_env: dict | None = None):
        env = dict(os.environ)
        env.update(
            {
                "TUI_REPLAY_CACHE_DIR": str(cache_dir),
                "COLUMNS": str(columns),
                "PYTHONPATH": str(REPO),
                "NO_COLOR": "1",
            }
        )
        env.update(extra_env or {})
        return run_tui_replay(*args, cwd=REPO, env=env, timeout=timeout, text=False)

    return run
