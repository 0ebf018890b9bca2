"""Session-wide fixtures shared by every test area.

`live_server`: the real llama.cpp OpenAI-compatible server (see tests/live_server.py),
started once per session on 127.0.0.1 and a free port and stopped by its PID at the end.
A test that asks for it fails with the reason when the server cannot be started.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from live_server import LiveServer, LiveServerError


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    server = LiveServer()
    try:
        server.start()
    except LiveServerError as exc:
        pytest.fail(f"the live llama.cpp server could not be started: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()
