"""Start and stop the real llama.cpp OpenAI-compatible server (live tests, scripts/make_samples.py).

`scripts/setup-live-server.sh` installs it into .venv-llm/ with the Qwen2.5-Coder-0.5B
model. `LiveServer.start()` runs it on 127.0.0.1 and a free port, waits for
`GET /v1/models`, and `stop()` ends exactly that process by its PID.
Usable on its own: `python scripts/live_server.py` starts one and prints its base URL.
The tests import it through `pythonpath = ["scripts"]` (pyproject.toml), make_samples.py
through its own folder.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LLM_PYTHON = REPO / ".venv-llm" / "bin" / "python"
MODEL_FILE = REPO / ".venv-llm" / "models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
MODEL_ALIAS = "qwen-tiny"
SETUP_HINT = "run `bash scripts/setup-live-server.sh` first"
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)  # what ends `python live_server.py`


class LiveServerError(RuntimeError):
    """The server could not be started; the message says why and what to do."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    port: int = 0
    interrupt_requests: bool = False  # llama.cpp's default (True) lets a new request cut a stream
    ready_timeout: float = 120.0
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    keep_log: Path | None = None  # write the log here and leave it; None: a temp file stop() removes
    extra_args: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def model(self) -> str:
        return MODEL_ALIAS

    def command(self) -> list[str]:
        return [
            str(LLM_PYTHON),
            "-m",
            "llama_cpp.server",
            "--model",
            str(MODEL_FILE),
            "--model_alias",
            MODEL_ALIAS,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_ctx",
            "4096",
            "--n_threads",
            "2",
            "--n_threads_batch",
            "2",
            "--n_ubatch",
            "1",
            "--logits_all",
            "false",
            "--use_mlock",
            "false",
            "--interrupt_requests",
            "true" if self.interrupt_requests else "false",
            *self.extra_args,
        ]

    def log_tail(self, lines: int = 15) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def start(self) -> LiveServer:
        if not LLM_PYTHON.exists():
            raise LiveServerError(f"the live server is not installed ({LLM_PYTHON} missing): {SETUP_HINT}")
        if not MODEL_FILE.exists():
            raise LiveServerError(f"the model file is missing ({MODEL_FILE}): {SETUP_HINT}")
        if not self.port:
            self.port = free_port()
        if self.keep_log is not None:
            self.log_path = self.keep_log
            log_file = self.keep_log.open("wb")
        else:
            fd, log_name = tempfile.mkstemp(prefix="tui-replay-llm-", suffix=".log")
            self.log_path = Path(log_name)
            log_file = os.fdopen(fd, "wb")
        # A stop signal between the fork and `self.process` being set would leave a server no
        # one knows of: they wait (blocked) until it is set; the server itself starts unblocked.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            with log_file as log:
                self.process = subprocess.Popen(
                    self.command(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,  # its own group: a Ctrl-C in pytest does not orphan it
                    cwd=REPO,
                    preexec_fn=lambda: signal.pthread_sigmask(signal.SIG_SETMASK, mask),
                )
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                message = (
                    f"the llama.cpp server exited with code {self.process.returncode} before it was ready; "
                    f"log tail:\n{self.log_tail()}"
                )
                self.stop()
                raise LiveServerError(message)
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as reply:
                    if reply.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        message = (
            f"the llama.cpp server did not answer GET /v1/models within {self.ready_timeout:.0f} s; "
            f"log tail:\n{self.log_tail()}"
        )
        self.stop()
        raise LiveServerError(message)

    def stop(self) -> None:
        """End the server by its PID (SIGTERM, then SIGKILL) and remove its log (unless kept)."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if self.log_path is not None and self.log_path != self.keep_log:
            with contextlib.suppress(OSError):
                self.log_path.unlink()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _leave(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main() -> int:
    """Start a server, print its base URL and PID, and run until a signal; the server always
    goes with this process (it is in a session of its own, so no signal reaches it otherwise)."""
    for stop_signal in STOP_SIGNALS:  # SIGTERM's default would end this process and orphan the server
        signal.signal(stop_signal, _leave)
    server = LiveServer()
    try:
        server.start()
        print(server.base_url, "model", server.model, "pid", server.process.pid if server.process else None)
        sys.stdout.flush()
        while True:
            time.sleep(3600)
    except LiveServerError as exc:
        print(f"live_server: {exc}", file=sys.stderr)
        return 1
    finally:
        for stop_signal in STOP_SIGNALS:  # a second signal must not cut the stop short
            signal.signal(stop_signal, signal.SIG_IGN)
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
