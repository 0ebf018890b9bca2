"""Shared fixtures of the recording tests: the real corpus in ../shared/corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from .corpus import CORPUS, corpus_files


@pytest.fixture(scope="session")
def corpus() -> list[Path]:
    files = corpus_files()
    if not files:
        pytest.fail(f"the vendored corpus is missing: expected recordings under {CORPUS}", pytrace=False)
    return files
