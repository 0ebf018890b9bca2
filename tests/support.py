"""Helpers shared by every test area (a plainly named module: `conftest` names clash across folders).

Imported as `support`: pytest puts tests/ on sys.path for the root conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from live_server import LiveServer, LiveServerError


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
