"""Where the shared corpus lives, and lookups into it."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import CORPUS


def corpus_files() -> list[Path]:
    return sorted(CORPUS.rglob("*.json")) if CORPUS.is_dir() else []


def corpus_file(prefix: str) -> Path:
    """The one corpus file whose name (or path under the corpus) starts with `prefix`."""
    matches = [
        p
        for p in corpus_files()
        if p.name.startswith(prefix) or str(p.relative_to(CORPUS)).startswith(prefix)
    ]
    if not matches:
        pytest.fail(f"corpus file {prefix}… not found under {CORPUS}", pytrace=False)
    assert len(matches) == 1, matches
    return matches[0]
