"""Exports of a recording: curl, a Python openai snippet, a Markdown transcript, the re-record command.

Pure Python, no Textual. Requests are rebuilt from the recorded `endpoint` (or the
path of a raw-HTTP `url`) on top of a base URL the user chooses: the configured live
base URL, else DEFAULT_BASE_URL. The recorded `url` is not used as-is because it is
client base + endpoint and usually reads `/v1/v1/...`. The API key is always a
reference to an environment variable, never a value.
"""

from __future__ import annotations

import json
import os
import pprint
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tui_replay.atomic import write_atomic
from tui_replay.recording.model import Kind, Recording, ToolCall

DEFAULT_BASE_URL = "http://localhost:8321/v1"
# SDK-only keyword arguments that are not part of the wire body.
_SDK_ONLY = ("extra_body", "extra_headers", "extra_query", "timeout")

# The openai client method for each logical endpoint.
_SDK_METHODS = {
    "/v1/chat/completions": "chat.completions.create",
    "/chat/completions": "chat.completions.create",
    "/v1/completions": "completions.create",
    "/v1/embeddings": "embeddings.create",
    "/v1/models": "models.list",
}


def request_path(recording: Recording) -> str | None:
    """The API path the request went to, e.g. "/v1/chat/completions"; None for non-HTTP kinds."""
    if recording.kind in (Kind.TOOL, Kind.FILE):
        return None
    if recording.endpoint:
        if recording.endpoint == "/v1/completions" and "messages" in request_body(recording):
            return "/v1/chat/completions"  # the early recorder mislabelled chat calls
        return recording.endpoint
    if recording.url:
        path = urlsplit(recording.url).path or None
        while path and "/v1/v1/" in path:
            path = path.replace("/v1/v1/", "/v1/")
        return path
    return None


def request_body(recording: Recording) -> dict[str, Any]:
    """The recorded SDK keyword arguments (`body`) or raw payload (`payload`)."""
    raw = recording.request_raw if isinstance(recording.request_raw, dict) else {}
    for key in ("body", "payload"):
        if isinstance(raw.get(key), dict):
            return raw[key]
    return {}


def wire_body(recording: Recording) -> dict[str, Any]:
    """The JSON body as it goes over the wire: `extra_body` merged, SDK-only keys dropped."""
    body = dict(request_body(recording))
    extra = body.get("extra_body")
    body = {key: value for key, value in body.items() if key not in _SDK_ONLY}
    if isinstance(extra, dict):
        body.update(extra)
    return body


_GET_PATHS = ("/v1/models", "/api/ps", "/api/tags")


def _path_on_base(path: str, base: str) -> str:
    """`path` relative to the base URL: "/v1/messages" on ".../v1" is "/messages" (never /v1/v1)."""
    if base.rstrip("/").endswith("/v1") and path.startswith("/v1/"):
        return path[3:]
    return path


def request_url(recording: Recording, base_url: str | None) -> str | None:
    path = request_path(recording)
    if path is None:
        return None
    base = (base_url or DEFAULT_BASE_URL).rstrip("/")
    return base + _path_on_base(path, base)


def to_curl(recording: Recording, base_url: str | None = None, api_key_env: str = "OPENAI_API_KEY") -> str:
    url = request_url(recording, base_url)
    if url is None:
        return f"# A {recording.kind.value} recording is not an HTTP request; there is nothing to curl.\n"
    body = json.dumps(wire_body(recording), indent=2)
    method = "GET" if request_path(recording) in _GET_PATHS else "POST"
    lines = [f"curl -X {method} {shlex.quote(url)} \\", f'  -H "Authorization: Bearer ${api_key_env}"']
    if method == "POST":
        lines[-1] += " \\"
        lines += ['  -H "Content-Type: application/json" \\', f"  -d {shlex.quote(body)}"]
    return "\n".join(lines) + "\n"


def to_python(recording: Recording, base_url: str | None = None, api_key_env: str = "OPENAI_API_KEY") -> str:
    path = request_path(recording)
    method = _SDK_METHODS.get(path or "")
    base = base_url or DEFAULT_BASE_URL
    header = [
        "import os",
        "",
        "from openai import OpenAI",
        "",
        f"client = OpenAI(base_url={base!r}, api_key=os.environ[{api_key_env!r}])",
    ]
    if method is None:
        if path is None:
            return f"# A {recording.kind.value} recording is not an HTTP request; no openai call to make.\n"
        # Not an openai SDK method (Ollama, Anthropic, Gemini payloads): a raw request through the
        # client, whose paths are relative to its base URL.
        relative = _path_on_base(path, base)
        if path in _GET_PATHS:
            call = [
                f"# {path} is not an OpenAI SDK method: a plain GET through the client.",
                *header,
                f"response = client.get({relative!r}, cast_to=object)",
            ]
        else:
            body = pprint.pformat(wire_body(recording), indent=1, width=100, sort_dicts=False)
            call = [
                f"# {path} is not an OpenAI SDK method: the recorded body is posted as-is.",
                *header,
                f"body = {body}",
                f"response = client.post({relative!r}, body=body, cast_to=object)",
            ]
        return "\n".join([*call, "print(response)", ""])
    if method == "models.list":
        return "\n".join([*header, "for model in client.models.list():", "    print(model.id)", ""])
    kwargs = request_body(recording)
    if not kwargs:
        kwargs = wire_body(recording)
    rendered = pprint.pformat(kwargs, indent=1, width=100, sort_dicts=False)
    lines = [*header, f"kwargs = {rendered}", f"response = client.{method}(**kwargs)"]
    if kwargs.get("stream"):
        lines += ["for chunk in response:", "    print(chunk)"]
    else:
        lines.append("print(response)")
    return "\n".join([*lines, ""])


def _fence(text: str, info: str = "") -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}{info}\n{text}\n{fence}"


def to_markdown(recording: Recording) -> str:
    """The conversation and the recorded answer as a Markdown transcript."""
    title = recording.test_id or Path(recording.path).name
    out = [f"# {title}", ""]
    facts = [
        ("file", recording.path),
        ("kind", recording.kind.value),
        ("endpoint", recording.endpoint or request_path(recording)),
        ("model", recording.model),
        ("streamed", "yes" if recording.streaming else "no"),
    ]
    out += [f"- {name}: `{value}`" for name, value in facts if value] + [""]
    for message in recording.messages:
        heading = message.role + (f" ({message.name})" if message.name else "")
        if message.tool_call_id:
            heading += f" — result of `{message.tool_call_id}`"
        out += [f"## {heading}", ""]
        if message.reasoning:
            out += ["*reasoning:*", "", _fence(message.reasoning), ""]
        if message.text:
            out += [_fence(message.text) if message.role == "tool" else message.text, ""]
        for call in message.tool_calls:
            out += _call_lines(call)
    response = recording.response
    out += ["## assistant (recorded response)", ""]
    if response.exception is not None:
        exc = response.exception
        out += [f"Error {exc.type or ''} {exc.status or ''}".rstrip() + ":", "", _fence(exc.message), ""]
    if response.reasoning:
        out += ["*reasoning:*", "", _fence(response.reasoning), ""]
    if response.text:
        out += [response.text, ""]
    for call in response.tool_calls:
        out += _call_lines(call)
    if recording.citations:
        out += ["### Citations", ""]
        for citation in recording.citations:
            where = citation.filename or "not in the retrieved results"
            score = f", score {citation.score:.4f}" if citation.score is not None else ""
            out.append(f"- `{citation.marker}` → {where}{score}")
        out.append("")
    if response.finish_reason:
        out += [f"*finish reason: {response.finish_reason}*", ""]
    return "\n".join(out)


def _call_lines(call: ToolCall) -> list[str]:
    return [f"Tool call `{call.name}` (`{call.id}`):", "", _fence(_pretty_json(call.arguments), "json"), ""]


def _pretty_json(arguments: str) -> str:
    try:
        return json.dumps(json.loads(arguments), indent=2, ensure_ascii=False)
    except ValueError:
        return arguments


def _checkout_style(recording_path: str) -> str | None:
    """ "ogx" or "llama_stack" when the file sits in a checkout whose package dir says which."""
    parts = Path(recording_path).resolve().parts
    if "tests" not in parts:
        return None
    root = Path(*parts[: len(parts) - 1 - parts[::-1].index("tests")])
    if (root / "src" / "ogx").is_dir() or (root / "ogx").is_dir():
        return "ogx"
    if (root / "llama_stack").is_dir() or (root / "src" / "llama_stack").is_dir():
        return "llama_stack"
    return None


def _recorded_by_llama_stack(recording: Recording) -> bool:
    """True for a recording made before the OGX rename (2026-04-24).

    Decided by the checkout the file lives in when there is one, else by the body's
    type names (`llama_stack...` vs `ogx_api...`); current (OGX) when nothing tells.
    """
    style = _checkout_style(recording.path)
    if style is not None:
        return style == "llama_stack"
    text = json.dumps(recording.response_raw)[:200_000] if recording.response_raw else ""
    return "llama_stack" in text and "ogx" not in text


def rerecord_command(recording: Recording) -> str | None:
    """The shell command that records this test again; None when the file names no test."""
    if not recording.test_id:
        return None
    quoted = shlex.quote(recording.test_id)
    ogx = f"OGX_TEST_INFERENCE_MODE=record uv run pytest -sv {quoted}"
    old = f"LLAMA_STACK_TEST_INFERENCE_MODE=record uv run pytest -sv {quoted}"
    if _recorded_by_llama_stack(recording):
        return f"{old}\n# in an OGX checkout (after the 2026-04-24 rename):\n# {ogx}\n"
    return f"{ogx}\n# in a llama-stack checkout from before the OGX rename (2026-04-24):\n# {old}\n"


def write_new_file(directory: str | os.PathLike[str], name: str, text: str) -> Path:
    """Write `text` to a new file in `directory` atomically; never replace an existing file.

    Takes the first free name: `name`, then `stem-1.ext`, `stem-2.ext`, ...
    """
    return write_atomic(Path(directory) / name, text, alternatives=999)
