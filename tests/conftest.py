"""Session-wide fixtures shared by every test area.

`live_server`: the real llama.cpp OpenAI-compatible server (see scripts/live_server.py),
started once per session on 127.0.0.1 and a free port and stopped by its PID at the end.
A test that asks for it fails with the reason when the server cannot be started.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from live_server import LiveServer
from support import serve_or_fail


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    yield from serve_or_fail(LiveServer(), "the live llama.cpp server")
