"""`python scripts/live_server.py` stopped with SIGTERM takes its llama.cpp server with it:
the real script, the real server, a real signal, then the server's PID must be gone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import REPO

SCRIPT = REPO / "scripts" / "live_server.py"
READY_WITHIN = 240  # the model loads on 2 busy cores
GONE_WITHIN = 60  # the script's stop(): SIGTERM, up to 15 s, then SIGKILL (on a busy machine)


def _alive(pid: int) -> bool:
    """Running (a zombie has exited: only its entry waits for a parent)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def _wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {seconds} s", pytrace=False)
        time.sleep(0.1)


def _start_script() -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(SCRIPT)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _stop_and_check(script: subprocess.Popen[str], server_pid: int) -> None:
    script.send_signal(signal.SIGTERM)
    try:
        script.wait(timeout=GONE_WITHIN)
    finally:
        if _alive(server_pid):  # (a failing run must not leave it behind either)
            os.kill(server_pid, signal.SIGKILL)
            _wait_until(lambda: not _alive(server_pid), 10, "the server did not die of SIGKILL")
            still = "still running" if script.poll() is None else f"exited with {script.returncode}"
            pytest.fail(f"the llama.cpp server outlived the script ({still})", pytrace=False)
    assert script.returncode == 128 + signal.SIGTERM, script.stderr.read() if script.stderr else ""


def test_sigterm_to_the_script_stops_the_running_server():
    script = _start_script()
    try:
        assert script.stdout is not None
        line = script.stdout.readline()  # "<base URL> model qwen-tiny pid <PID>", once it answers
        assert " pid " in line, (line, script.stderr.read() if script.stderr else "")
        server_pid = int(line.split()[-1])
        assert _alive(server_pid) and server_pid in _children(script.pid)
        _stop_and_check(script, server_pid)
    finally:
        if script.poll() is None:
            script.kill()
            script.wait()


def test_sigterm_while_the_server_is_still_starting_stops_it_too():
    script = _start_script()
    try:
        _wait_until(lambda: _children(script.pid), READY_WITHIN, "the script started no server")
        [server_pid] = _children(script.pid)
        _stop_and_check(script, server_pid)
    finally:
        if script.poll() is None:
            script.kill()
            script.wait()
