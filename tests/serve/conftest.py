"""A real `tui-replay serve` process on 127.0.0.1 and a free port, for the SDK tests.

`start_serve(*paths, *options)` runs `python -m tui_replay serve ... --port 0`, reads the port it
prints, and stops it at the end of the test with SIGINT (checking that it exits 0, by its PID).
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from support import CORPUS, REPO, private_cache_dir, require_corpus  # noqa: F401 (private_cache_dir: a fixture)

READY = re.compile(r"^serving (\d+) recordings on (http://\S+) ")
START_TIMEOUT = 60.0


@dataclass
class ServeProcess:
    process: subprocess.Popen[str]
    url: str
    count: int
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def log_lines(self, wanted: int, timeout: float = 10.0) -> list[str]:
        """The request log lines printed so far, waiting until there are `wanted` of them."""
        deadline = time.monotonic() + timeout
        while len(self.seen) < wanted and time.monotonic() < deadline:
            try:
                self.seen.append(self.lines.get(timeout=0.05))
            except queue.Empty:
                continue
        while not self.lines.empty():
            self.seen.append(self.lines.get_nowait())
        return list(self.seen)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                return self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                return -9
        return self.process.returncode


def _pump(stream, lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))


@pytest.fixture
def start_serve():
    started: list[ServeProcess] = []

    def start(*args: str, env: dict[str, str] | None = None) -> ServeProcess:
        require_corpus()
        process = subprocess.Popen(
            [sys.executable, "-m", "tui_replay", "serve", *args, "--port", "0"],
            cwd=REPO,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        first: queue.Queue[str] = queue.Queue()
        deadline = time.monotonic() + START_TIMEOUT
        assert process.stdout is not None
        ready_line = None

        def read_first() -> None:
            first.put(process.stdout.readline())

        threading.Thread(target=read_first, daemon=True).start()
        while ready_line is None and time.monotonic() < deadline:
            try:
                ready_line = first.get(timeout=0.1)
            except queue.Empty:
                if process.poll() is not None:
                    break
        match = READY.match(ready_line or "")
        if match is None:
            process.kill()
            _, err = process.communicate(timeout=5)
            pytest.fail(f"serve did not start: {ready_line!r} {err[-2000:]}", pytrace=False)
        threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
        serving = ServeProcess(process, match.group(2), int(match.group(1)), lines)
        started.append(serving)
        return serving

    yield start
    for serving in started:
        code = serving.stop()
        assert code == 0, f"serve exited {code} on SIGINT"


def corpus_path(relative: str) -> Path:
    return CORPUS / relative
