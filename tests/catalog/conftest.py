"""Fixtures of the catalog tests: a private summary cache, the real corpus (both in tests/support.py)."""

from __future__ import annotations

from support import corpus, private_cache_dir  # noqa: F401 (fixtures)
