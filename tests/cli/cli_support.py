"""Paths shared by the CLI tests (a plainly named module: `conftest` names clash across folders)."""

from __future__ import annotations

import sys
from pathlib import Path

from support import CORPUS, REPO  # noqa: F401 (re-exported to the CLI tests)

SEED_TURN_1 = (
    "llama-stack-2025-10/responses/recordings/"
    "d30a3a9a90ea3ba6ea62417aec80e79ee502a2e75b58f7c87ee65c446200af0e.json"
)
SEED_TURN_2 = (
    "llama-stack-2025-10/responses/recordings/"
    "ccf305c14285e6c5788c9126f13bc02f786a1562614596c8ac5ffa38cb49e0a1.json"
)

# The hostile-file maker (badinputs) is shared with the catalog tests.
if str(REPO / "tests" / "catalog") not in sys.path:
    sys.path.append(str(REPO / "tests" / "catalog"))


def run_in_terminal(args: list[str], *, columns: int, env: dict[str, str], timeout: float = 60) -> str:
    """The real command line with a pseudo-terminal as stdout (`isatty()` is true), `columns` wide.

    Returns what the terminal received, ANSI styles removed, newlines as "\\n".
    """
    import fcntl
    import os
    import pty
    import re
    import select
    import struct
    import subprocess
    import termios
    import time

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_replay", *args],
        cwd=REPO,
        env={**env, "COLUMNS": str(columns), "TERM": "xterm-256color"},
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.PIPE,
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed its end
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(master)
    assert proc.wait(timeout=max(1.0, deadline - time.monotonic())) == 0, proc.stderr.read()
    proc.stderr.close()
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


# Runs ARGS as a child and prints the child's peak RSS (KiB) on stderr's last line. Measured from
# this small process, not from pytest: Linux counts the RSS of the process that forks (vfork)
# into the child's ru_maxrss, so a child of a big pytest process would report pytest's size.
_PEAK_WRAPPER = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(proc.pid, 0)
sys.stderr.write(f"\\npeak-rss-kib {usage.ru_maxrss}\\n")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_peak_rss(
    args: list[str], *, env: dict[str, str], timeout: float = 300, cwd: Path = REPO
) -> tuple[int, bytes, int]:
    """(exit status, stdout, peak RSS in bytes) of `python -m tui_replay ARGS`."""
    import subprocess

    result = subprocess.run(
        [sys.executable, "-c", _PEAK_WRAPPER, sys.executable, "-m", "tui_replay", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    last = result.stderr.rstrip().rsplit(b"\n", 1)[-1]
    assert last.startswith(b"peak-rss-kib "), result.stderr
    return result.returncode, result.stdout, int(last.split()[1]) * 1024
