"""Build small stored recordings from real answers of the live server.

The stored side is recorded with the plain synchronous OpenAI client and written with
`record_format` (the recorder's layout), independently of the code under test, so a
`same` verdict means the re-issue really reproduced what was recorded.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from support import REPO, run_tui_replay

from tui_replay.live.record_format import recording_dict, write_recording_atomic

# Short, deterministic answers: greedy decoding, a fixed seed, few tokens.
SAMPLING = {"temperature": 0, "seed": 42}

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
FORCE_WEATHER = {"type": "function", "function": {"name": "get_weather"}}


def client(base_url: str) -> Any:
    from openai import OpenAI

    return OpenAI(base_url=base_url, api_key="unused", max_retries=0, timeout=120)


def record_chat(base_url: str, path: Path, body: dict[str, Any]) -> Path:
    """Send `body` (SDK kwargs) once and store the answer as a recording at `path`."""
    stream = bool(body.get("stream"))
    result = client(base_url).chat.completions.create(**body)
    response_body = list(result) if stream else result
    return _write(path, "/v1/chat/completions", base_url, body, response_body, stream)


def record_completion(base_url: str, path: Path, body: dict[str, Any]) -> Path:
    stream = bool(body.get("stream"))
    result = client(base_url).completions.create(**body)
    response_body = list(result) if stream else result
    return _write(path, "/v1/completions", base_url, body, response_body, stream)


def record_models(base_url: str, path: Path) -> Path:
    models = list(client(base_url).models.list())
    return _write(path, "/v1/models", base_url, {}, models, False)


def _write(path: Path, endpoint: str, base_url: str, body: dict, response_body: Any, stream: bool) -> Path:
    obj = recording_dict(
        test_id=f"tests/live::{path.stem}",
        endpoint=endpoint,
        base_url=base_url,
        body=body,
        response_body=response_body,
        is_streaming=stream,
    )
    return write_recording_atomic(path, obj)


def edit_recording(path: Path, change: Any, target: Path | None = None) -> Path:
    """Apply `change(obj)` to a stored recording and write it (to `target` or in place)."""
    obj = json.loads(path.read_text())
    change(obj)
    target = target or path
    target.write_text(json.dumps(obj, indent=2))
    return target


def long_story(path: Path, max_tokens: int, target: Path) -> Path:
    """A copy of a stored chat asking for a long story: a generation that runs for a while."""

    def ask_for_a_story(obj: dict[str, Any]) -> None:
        body = obj["request"]["body"]
        body["messages"] = [{"role": "user", "content": "Write a long story about a dragon."}]
        body["max_tokens"] = max_tokens

    return edit_recording(path, ask_for_a_story, target)


def chunk_datas(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return [item["__data__"] for item in obj["response"]["body"]]


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """The real command line in a subprocess (`python -m tui_replay ...`)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TUI_REPLAY_"))}
    environment["XDG_CONFIG_HOME"] = str(REPO / ".no-user-config")  # no user config file leaks in
    environment.update(env or {})
    return run_tui_replay(*args, cwd=REPO, env=environment, timeout=timeout)


@contextlib.contextmanager
def environment(env: dict[str, str] | None) -> Iterator[None]:
    """os.environ without OPENAI_* / TUI_REPLAY_* and without a user config, plus `env`."""
    saved = dict(os.environ)
    for key in list(os.environ):
        if key.startswith(("OPENAI_", "TUI_REPLAY_")):
            del os.environ[key]
    os.environ["XDG_CONFIG_HOME"] = str(REPO / ".no-user-config")
    os.environ.update(env or {})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def compare_in_process(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """`tui-replay compare ...` through `cli.main` in this process: (exit code, stdout, stderr)."""
    from tui_replay.cli import main

    out, err = io.StringIO(), io.StringIO()
    with environment(env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["compare", *args])
    return code, out.getvalue(), err.getvalue()


def compare_json(
    path: Path, base_url: str, *extra: str, env: dict[str, str] | None = None
) -> tuple[int, Any, str]:
    """`compare --json` in process; (exit code, parsed stdout object, stderr)."""
    code, stdout, stderr = compare_in_process(
        str(path), "--base-url", base_url, "--model", "qwen-tiny", "--json", *extra, env=env
    )
    lines = [line for line in stdout.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one JSON line, got stdout={stdout!r} stderr={stderr!r}"
    return code, json.loads(lines[0]), stderr


def chat_bodies(answer: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A one-chunk streamed answer and the same answer as a plain completion, both `answer`
    with finish reason stop, as the recorder stores them (typed wrappers)."""
    chunk = {
        "__type__": "openai.types.chat.chat_completion_chunk.ChatCompletionChunk",
        "__data__": {
            "id": "x",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "m",
            "choices": [{"index": 0, "delta": {"content": answer}, "finish_reason": "stop"}],
        },
    }
    completion = {
        "__type__": "openai.types.chat.chat_completion.ChatCompletion",
        "__data__": {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}
            ],
        },
    }
    return chunk, completion
