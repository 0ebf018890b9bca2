"""Fixtures for the app tests: a fixed subset of the real corpus, hostile files, a private cache.

Every test runs in its own temporary folder (the current directory), with the recordings
under `recordings/`, so the paths the app shows are the same on every machine.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support import private_cache_dir, require_corpus  # noqa: F401 (private_cache_dir: a fixture)

from .helpers import CORPUS, SUBSET, hostile_recording


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """The test's current directory: shown paths start with `recordings/` everywhere."""
    monkeypatch.chdir(tmp_path)
    # No user or project config may leak into a test.
    monkeypatch.setattr("tui_replay.config.user_config_path", lambda: tmp_path / "no-user-config.toml")
    for name in (
        "TUI_REPLAY_THEME",
        "TUI_REPLAY_SPEED",
        "TUI_REPLAY_MAX_SIZE",
        "OPENAI_BASE_URL",
        "TUI_REPLAY_MODEL",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def corpus_subset(workdir) -> Path:
    """`recordings/` holding a fixed subset of the shared corpus (copied, layout kept)."""
    require_corpus()
    root = workdir / "recordings"
    for relative in SUBSET:
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(CORPUS / relative, target)
    return root


@pytest.fixture
def hostile_files(workdir) -> Path:
    """`recordings/hostile/`: markup and escapes everywhere, truncated JSON, an empty file."""
    folder = workdir / "recordings" / "hostile"
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(hostile_recording(), indent=2)
    (folder / "markup.json").write_text(text)
    (folder / "truncated.json").write_text(text[:300])
    (folder / "empty.json").write_text("")
    (folder / "[red]named[-red].json").write_text(text)
    return folder
