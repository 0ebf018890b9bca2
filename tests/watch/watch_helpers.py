"""Helpers for the watch tests: the corpus location and a `list --watch` subprocess reader."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from support import CORPUS, REPO  # noqa: F401 (re-exported to the watch tests)


def write_file(path: Path, data: bytes) -> None:
    """Write in place, like the recorder does (open("w"), write, close): not atomic."""
    with open(path, "wb") as handle:
        handle.write(data)


class WatchProcess:
    """`python -m tui_replay list --watch --json PATH...` with its stdout read line by line."""

    def __init__(self, *paths: Path | str, json_lines: bool = True, extra: tuple[str, ...] = ()) -> None:
        argv = [sys.executable, "-m", "tui_replay", "list", "--watch", *extra, *map(str, paths)]
        if json_lines:
            argv.insert(5, "--json")
        env = dict(os.environ, PYTHONUNBUFFERED="0")
        self.proc = subprocess.Popen(
            argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0
        )
        self.json_lines = json_lines
        self.lines: queue.Queue[tuple[float, str | None]] = queue.Queue()
        self.seen: list[dict | str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in iter(self.proc.stdout.readline, b""):
            self.lines.put((time.monotonic(), raw.decode("utf-8", "replace").rstrip("\n")))
        self.lines.put((time.monotonic(), None))

    def next_line(self, timeout: float) -> tuple[float, dict | str]:
        """(arrival time, parsed line); AssertionError when nothing comes in `timeout` seconds."""
        try:
            at, text = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no line within {timeout} s; so far: {self.seen[-5:]}") from None
        if text is None:
            raise AssertionError(f"the watcher ended early: {self.stderr_text()}")
        item = json.loads(text) if self.json_lines else text
        self.seen.append(item)
        return at, item

    def collect_until(self, done: Callable[[list], bool], timeout: float) -> list:
        """Lines until `done(lines)` holds; fails when `timeout` passes first."""
        deadline = time.monotonic() + timeout
        got: list = []
        while not done(got):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout} s with {len(got)} lines: {got[-5:]}")
            got.append(self.next_line(remaining)[1])
        return got

    def quiet_for(self, seconds: float) -> list:
        """Every line that arrives within `seconds` (to check that nothing unexpected comes)."""
        deadline = time.monotonic() + seconds
        got = []
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                _at, text = self.lines.get(timeout=remaining)
            except queue.Empty:
                break
            if text is None:
                break
            got.append(json.loads(text) if self.json_lines else text)
        self.seen.extend(got)
        return got

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 10) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"the watcher did not stop on signal {signum}") from None

    def stderr_text(self) -> str:
        if self.proc.poll() is None:
            return ""
        assert self.proc.stderr is not None
        return self.proc.stderr.read().decode("utf-8", "replace")


def count_walks(monkeypatch) -> list[str]:
    """The folders the watcher walks from now on (a list that grows as it walks)."""
    from tui_replay.catalog import watch

    walks: list[str] = []
    real_walk = watch._walk_folder

    def counted_walk(folder, *args):
        walks.append(folder)
        return real_walk(folder, *args)

    monkeypatch.setattr(watch, "_walk_folder", counted_walk)
    return walks
