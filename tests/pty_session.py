"""The real app in a real pseudo-terminal: keys in, the terminal's raw bytes out."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path


class PtySession:
    """`python -m tui_replay ARGS` with a pty as stdin, stdout and stderr (Textual draws on
    stderr), `columns` x `rows`. `output` holds every byte the terminal received."""

    def __init__(self, args: list[str], *, cwd: Path, env: dict[str, str], columns=160, rows=50) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tui_replay", *args],
            cwd=cwd,
            env={**env, "TERM": "xterm-256color"},
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
        )
        os.close(slave)
        self.output = b""

    def _read(self, timeout: float) -> bool:
        """Read what is there within `timeout`; False once the child closed the terminal."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: the child's end is closed
            return False
        self.output += data
        return bool(data)

    def wait_for(self, needle: bytes, timeout: float = 30) -> None:
        """Until `needle` has been received after what was received when called."""
        start = len(self.output)
        deadline = time.monotonic() + timeout
        while needle not in self.output[start:]:
            if time.monotonic() > deadline or not self._read(0.1):
                tail = self.output[-2000:]
                raise AssertionError(f"{needle!r} never reached the terminal; the end of it: {tail!r}")

    def settle(self, quiet: float = 0.5, timeout: float = 10) -> None:
        """Until nothing has arrived for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            before = len(self.output)
            if not self._read(quiet) or len(self.output) == before:
                return

    def press(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def finish(self, timeout: float = 30) -> int:
        """Read until the app closes the terminal, then its exit status."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._read(0.1):
            if self.proc.poll() is not None:
                self._read(0.2)
                break
        os.close(self.master)
        return self.proc.wait(timeout=max(1.0, deadline - time.monotonic()))

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
