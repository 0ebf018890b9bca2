"""Exports of a recording: curl, a Python openai snippet, a Markdown transcript, the re-record command.

Pure Python, no Textual. Requests are rebuilt from the recorded `endpoint` (or the
path of a raw-HTTP `url`) on top of a base URL the user chooses: the configured live
base URL, else DEFAULT_BASE_URL. The recorded `url` is not used as-is because it is
client base + endpoint and usually reads `/v1/v1/...`. The API key is always a
reference to an environment variable, never a value.

Every value taken from a recording or a config is written through tui_replay.quoting
(one quoting function per target language), so no recorded text can run as code.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tui_replay.atomic import write_atomic
from tui_replay.cassette_rerecord import cassette_rerecord_command
from tui_replay.catalog.testids import split_test_id
from tui_replay.quoting import (
    comment,
    is_env_name,
    markdown_block,
    markdown_code,
    markdown_text,
    python_literal,
    shell_word,
)
from tui_replay.recording.limits import pretty_arguments
from tui_replay.recording.model import VCR, Kind, Recording, ToolCall, address_file
from tui_replay.urls import join_url, path_on_base

DEFAULT_BASE_URL = "http://localhost:8321/v1"
SHEBANG = "#!/usr/bin/env bash\n"  # shell exports use bash's $'...' for values with control characters
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
    if recording.kind in (Kind.TOOL, Kind.FILE, Kind.REALTIME, Kind.EMPTY):  # no one HTTP request
        return None
    if (recording.url or "").startswith("grpc://"):  # an xAI gRPC call read as chat
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


def export_base_url(configured: str | None) -> str:
    """The base URL exports are written on: the configured one, else the placeholder."""
    return configured or DEFAULT_BASE_URL


def request_url(recording: Recording, base_url: str | None) -> str | None:
    """The request's URL on `base_url`; ValueError when the recorded path is not a path."""
    path = request_path(recording)
    if path is None:
        return None
    return join_url(export_base_url(base_url), path)


def _checked_env_name(api_key_env: str) -> str:
    """The key's variable name, refused unless it is one: it is written into shell code."""
    if not is_env_name(api_key_env):
        raise ValueError(f"not an environment variable name: {api_key_env!r}")
    return api_key_env


def to_curl(recording: Recording, base_url: str | None = None, api_key_env: str = "OPENAI_API_KEY") -> str:
    key_env = _checked_env_name(api_key_env)
    url = request_url(recording, base_url)
    if url is None:
        what = f"A {recording.kind.value} recording is not an HTTP request; there is nothing to curl."
        return SHEBANG + comment(what) + "\n"
    body = json.dumps(wire_body(recording), indent=2)  # ASCII only: every control character escaped
    method = "GET" if request_path(recording) in _GET_PATHS else "POST"
    flags = "-sS -N" if wire_body(recording).get("stream") is True else "-sS"  # -N: print events as they come
    lines = [
        f"curl {flags} -X {method} {shell_word(url)} \\",
        f'  -H "Authorization: Bearer ${{{key_env}}}"',
    ]
    if method == "POST":
        lines[-1] += " \\"
        lines += ['  -H "Content-Type: application/json" \\', f"  -d {shell_word(body, multiline=True)}"]
    return SHEBANG + "\n".join(lines) + "\n"


def to_python(recording: Recording, base_url: str | None = None, api_key_env: str = "OPENAI_API_KEY") -> str:
    key_env = _checked_env_name(api_key_env)
    path = request_path(recording)
    method = _SDK_METHODS.get(path or "")
    base = export_base_url(base_url)
    header = [
        "import os",
        "",
        "from openai import OpenAI",
        "",
        # a default key: a keyless local server still gets a well-formed client
        f"client = OpenAI(base_url={python_literal(base)}, "
        f"api_key=os.environ.get({python_literal(key_env)}, 'none'))",
    ]
    if method is None:
        if path is None:
            what = f"A {recording.kind.value} recording is not an HTTP request; no openai call to make."
            return comment(what) + "\n"
        # Not an openai SDK method (Ollama, Anthropic, Gemini payloads): a raw request through the
        # client, whose paths are relative to its base URL.
        relative = python_literal(path_on_base(base, path) or "/")
        if path in _GET_PATHS:
            call = [
                comment(f"{path} is not an OpenAI SDK method: a plain GET through the client."),
                *header,
                f"response = client.get({relative}, cast_to=object)",
            ]
        else:
            call = [
                comment(f"{path} is not an OpenAI SDK method: the recorded body is posted as-is."),
                *header,
                f"body = {python_literal(wire_body(recording))}",
                f"response = client.post({relative}, body=body, cast_to=object)",
            ]
        return "\n".join([*call, "print(response)", ""])
    if method == "models.list":
        return "\n".join([*header, "for model in client.models.list():", "    print(model.id)", ""])
    kwargs = request_body(recording)
    if not kwargs:
        kwargs = wire_body(recording)
    lines = [*header, f"kwargs = {python_literal(kwargs)}", f"response = client.{method}(**kwargs)"]
    if kwargs.get("stream"):
        lines += ["for chunk in response:", "    print(chunk)"]
    else:
        lines.append("print(response)")
    return "\n".join([*lines, ""])


def to_markdown(recording: Recording) -> str:
    """The conversation and the recorded answer as a Markdown transcript.

    Recorded text is data: every message sits in a code fence and every other value
    (title, facts, names, ids) is escaped, so nothing recorded renders as Markdown or HTML.
    """
    title = recording.test_id or Path(recording.path).name
    out = [f"# {markdown_code(title)}", ""]
    facts = [
        ("file", recording.path),
        ("kind", recording.kind.value),
        ("endpoint", recording.endpoint or request_path(recording)),
        ("model", recording.model),
        ("streamed", "yes" if recording.streaming else "no"),
    ]
    out += [f"- {name}: {markdown_code(str(value))}" for name, value in facts if value] + [""]
    for message in recording.messages:
        heading = markdown_text(message.role + (f" ({message.name})" if message.name else ""))
        if message.tool_call_id:
            heading += f" — result of {markdown_code(message.tool_call_id)}"
        out += [f"## {heading}", "", *_turn_lines(message.reasoning, message.text, message.tool_calls)]
    response = recording.response
    out += ["## assistant (recorded response)", ""]
    if response.exception is not None:
        exc = response.exception
        label = markdown_text(f"Error {exc.type or ''} {exc.status or ''}".rstrip())
        out += [f"{label}:", "", markdown_block(exc.message), ""]
    out += _turn_lines(response.reasoning, response.text, response.tool_calls)
    if recording.citations:
        out += ["### Citations", ""]
        for citation in recording.citations:
            where = markdown_code(citation.filename) if citation.filename else "not in the retrieved results"
            score = f", score {citation.score:.4f}" if citation.score is not None else ""
            out.append(f"- {markdown_code(citation.marker)} → {where}{score}")
        out.append("")
    if response.finish_reason:
        out += [f"*finish reason: {markdown_text(response.finish_reason)}*", ""]
    return "\n".join(out)


def _turn_lines(reasoning: str | None, text: str, tool_calls: list[ToolCall]) -> list[str]:
    """A message's or the response's reasoning, text and tool calls, in that order."""
    out = ["*reasoning:*", "", markdown_block(reasoning), ""] if reasoning else []
    if text:
        out += [markdown_block(text), ""]
    for call in tool_calls:
        out += _call_lines(call)
    return out


def _call_lines(call: ToolCall) -> list[str]:
    return [
        f"Tool call {markdown_code(call.name)} ({markdown_code(call.id)}):",
        "",
        markdown_block(pretty_arguments(call.arguments), "json"),
        "",
    ]


# -- the re-record command -----------------------------------------------------------------

# Parametrization id prefix (tests/integration/conftest.py, pytest_generate_tests) -> pytest option.
_ID_OPTIONS = {
    "txt": "--text-model",
    "vis": "--vision-model",
    "emb": "--embedding-model",
    "shield": "--safety-shield",
    "judge": "--judge-model",
    "dim": "--embedding-dimension",
    "rerank": "--rerank-model",
}
_ID_KEY = re.compile(r"(?:^|(?<=[-:]))(" + "|".join(_ID_OPTIONS) + r")=")
# conftest.py MODEL_SHORT_IDS, reversed: the id shows the short name, the option needs the model.
_SHORT_IDS = {
    "3B": ("meta-llama/Llama-3.2-3B-Instruct",),
    "8B": ("meta-llama/Llama-3.1-8B-Instruct",),
    "70B": ("meta-llama/Llama-3.3-70B-Instruct", "meta-llama/Llama-3.1-70B-Instruct"),
    "405B": ("meta-llama/Llama-3.1-405B-Instruct",),
    "11B": ("meta-llama/Llama-3.2-11B-Vision-Instruct",),
    "90B": ("meta-llama/Llama-3.2-90B-Vision-Instruct",),
    "Guard1B": ("meta-llama/Llama-Guard-3-1B",),
    "Guard8B": ("meta-llama/Llama-Guard-3-8B",),
    "Nomic-v1.5": ("nomic-ai/nomic-embed-text-v1.5",),
    "MiniLM": ("all-MiniLM-L6-v2",),
}
# Model provider prefix -> the setup (tests/integration/suites.py SETUP_DEFINITIONS) that sets
# its environment (OLLAMA_URL, VLLM_URL, ...). Explicit model options override a setup's defaults.
_SETUPS = {
    "openai": "gpt",
    "ollama": "ollama",
    "vllm": "vllm",
    "azure": "azure",
    "bedrock": "bedrock",
    "watsonx": "watsonx",
    "together": "together",
    "cerebras": "cerebras",
    "databricks": "databricks",
    "fireworks": "fireworks",
    "anthropic": "anthropic",
    "gemini": "gemini",
    "groq": "groq",
}
RERECORD_STACK_CONFIG = "server:ci-tests"


def _looks_like_other_param_id(part: str) -> bool:
    """A `-`-joined id part that is not the end of a model name: True/False/None, a case
    name (`llama_experts_pdf`), a test-case id (`inference:completion:sanity`)."""
    return part in ("True", "False", "None", "") or "_" in part or "::" in part or part.count(":") >= 2


def _last_value(rest: str, recorded_model: str | None) -> str:
    """The value of the last `key=` in the id: it runs to a `-` that no one marks, so the
    recorded model decides where it ends, else id parts that look like other parameters are cut."""
    candidates = [rest] + [rest[:i] for i in range(len(rest) - 1, 0, -1) if rest[i] == "-"]
    if recorded_model:
        for candidate in candidates:  # longest first
            full = _SHORT_IDS.get(candidate, (candidate,))[0]
            if recorded_model in (candidate, full) or full.endswith("/" + recorded_model):
                return candidate
    value = rest
    while "-" in value:
        head, tail = value.rsplit("-", 1)
        if not _looks_like_other_param_id(tail):
            break
        value = head
    return value


def _model_parts(params: str, recorded_model: str | None) -> list[tuple[str, str, int, int]]:
    """(key, value as written, start, end) of each `txt=` / `emb=` / ... part of an id's params."""
    keys = list(_ID_KEY.finditer(params))
    parts = []
    for index, match in enumerate(keys):
        key = match.group(1)
        if index + 1 < len(keys) and params[keys[index + 1].start() - 1] == ":":
            value = params[match.end() : keys[index + 1].start() - 1]
        else:
            rest = params[match.end() :]
            if key == "dim":
                digits = re.match(r"\d+", rest)
                value = digits.group() if digits else ""
            else:
                value = _last_value(rest, recorded_model)
        parts.append((key, value, match.start(), match.end() + len(value)))
    return parts


def _params(test_id: str) -> tuple[str, str] | None:
    """(the id up to `[`, the params inside `[...]`), None when the id has no params."""
    test_part = split_test_id(test_id)[1]
    bracket = test_part.find("[")
    if bracket == -1 or not test_part.endswith("]"):
        return None
    return test_id[: len(test_id) - len(test_part) + bracket], test_part[bracket + 1 : -1]


def model_options(test_id: str, recorded_model: str | None = None) -> list[tuple[str, str]]:
    """The pytest options (option, value) that make pytest generate this test id's parametrization.

    `...::test_x[openai_client-txt=openai/gpt-4o:emb=Nomic-v1.5:dim=768-llama_experts_pdf]`
    -> --text-model=openai/gpt-4o, --embedding-model=nomic-ai/nomic-embed-text-v1.5,
    --embedding-dimension=768.
    """
    split = _params(test_id)
    if split is None:
        return []
    options = []
    for key, value, _, _ in _model_parts(split[1], recorded_model):
        if not value:
            continue
        choices = _SHORT_IDS.get(value, (value,))
        value = next((c for c in choices if recorded_model and c.endswith(recorded_model)), choices[0])
        options.append((_ID_OPTIONS[key], value))
    return options


def setup_free_key(test_id: str) -> str:
    """The test id without its model parts (`txt=`, `emb=`, `dim=`, ...), params joined by `-`:
    equal for the same test under any setup.
    `t[client-txt=openai/gpt-4o:emb=x:dim=768-case]` -> `t[client-case]`."""
    split = _params(test_id)
    if split is None:
        return test_id
    head, params = split
    kept, start = [], 0
    for _, _, part_start, part_end in _model_parts(params, None):
        kept.append(params[start:part_start])
        start = part_end
    kept.append(params[start:])
    pieces = [piece for piece in re.split(r"[-:]", "".join(kept)) if piece]
    return f"{head}[{'-'.join(pieces)}]" if pieces else head


def setup_for(options: list[tuple[str, str]]) -> str | None:
    for option, value in options:
        if option in ("--text-model", "--vision-model", "--embedding-model") and "/" in value:
            setup = _SETUPS.get(value.split("/", 1)[0])
            if setup:
                return setup
    return None


def rerecord_command(recording: Recording) -> str | None:
    """The shell script that records this test again in a llama-stack / OGX checkout;
    None when the file names no test.

    What it assumes (from tests/integration/conftest.py, suites.py and the integration-test
    README of llama-stack, the same in OGX after the 2026-04-24 rename):
    - it runs from the root of the checkout, with `uv` and the `test` dependency group;
    - the checkout is from 2025-10 or later: recordings carry a test id since 2025-10-04, and
      the pytest options `--inference-mode` and `--setup` exist since 2025-09;
    - `--inference-mode=record` is what records: the conftest sets
      LLAMA_STACK_TEST_INFERENCE_MODE / OGX_TEST_INFERENCE_MODE from it (default replay),
      so the environment variable alone would only replay;
    - recording goes through a server (`--stack-config=server:ci-tests`, the distribution CI
      records with; the conftest starts it), which needs the provider's key in the environment
      (OPENAI_API_KEY, ...) or a local Ollama / vLLM;
    - the models come from the `txt=` / `vis=` / `emb=` / `dim=` / ... parts of the test id
      (short ids such as `Nomic-v1.5` mapped back to the model), so pytest generates the same
      parametrized node id; `--setup` is chosen from the first model's provider (its
      environment: OLLAMA_URL, VLLM_URL, ...), explicit model options win over its defaults.
      Where a model name and the next id part are both joined by `-`, the recorded model
      decides where the name ends.
    """
    if recording.format == VCR:  # another tool: pytest-recording, and the test from the cassette's path
        return cassette_rerecord_command(address_file(recording.path, recording.interaction), SHEBANG)
    test_id = recording.test_id
    if not test_id:
        return None
    if test_id.startswith("-"):  # pytest would read it as an option
        return SHEBANG + comment(f"The recorded test id is not a pytest node id: {test_id}") + "\n"
    options = model_options(test_id, recording.model)
    words = [
        "uv run --group test pytest -sv",
        shell_word(f"--stack-config={RERECORD_STACK_CONFIG}"),
        "--inference-mode=record",
    ]
    setup = setup_for(options)
    if setup:
        words.append(shell_word(f"--setup={setup}"))
    words += [shell_word(f"{option}={value}") for option, value in options]
    words.append(shell_word(test_id))
    lines = [
        comment("Records this test again: run from the root of a llama-stack / OGX checkout."),
        comment("Needs the provider's API key in the environment (or a local Ollama / vLLM)."),
    ]
    if "[" in test_id and not options:
        lines.append(comment("The test id names no models (txt=, emb=, ...): add the options of that run."))
    lines.append(" \\\n  ".join(words))
    return SHEBANG + "\n".join(lines) + "\n"


# The formats of `tui-replay export --format` and of the app's export screen:
# name -> (file suffix, executable when saved).
FORMATS = {
    "curl": (".curl.sh", True),
    "python": (".py", False),
    "markdown": (".md", False),
    "rerecord": (".rerecord.sh", True),
}
NO_TEST_TO_RERECORD = "This recording names no test (test_id is null or absent): nothing to re-record."


def export_text(
    recording: Recording,
    fmt: str,
    base_url: str | None = None,
    api_key_env: str = "OPENAI_API_KEY",
) -> str:
    """One recording exported in `fmt` (a FORMATS key); ValueError for a bad key variable name
    or a recorded endpoint that is not a URL path."""
    if fmt == "curl":
        return to_curl(recording, base_url, api_key_env)
    if fmt == "python":
        return to_python(recording, base_url, api_key_env)
    if fmt == "markdown":
        return to_markdown(recording)
    if fmt == "rerecord":
        return rerecord_command(recording) or SHEBANG + comment(NO_TEST_TO_RERECORD) + "\n"
    raise ValueError(f"unknown export format: {fmt!r}")


def join_exports(fmt: str, texts: list[str]) -> str:
    """Several exports of one format as one file: one shebang for shell scripts; a test's
    re-record command once, however many of its recordings (or cassette interactions) asked."""
    if fmt == "rerecord":
        texts = list(dict.fromkeys(texts))
    if FORMATS[fmt][1]:
        return SHEBANG + "".join(text.removeprefix(SHEBANG) for text in texts)
    return "\n".join(texts)


def write_new_file(
    directory: str | os.PathLike[str], name: str, text: str, *, executable: bool = False
) -> Path:
    """Write `text` to a new file in `directory` atomically; never replace an existing file.

    Takes the first free name: `name`, then `stem-1.ext`, `stem-2.ext`, ...
    """
    return write_atomic(Path(directory) / name, text, alternatives=999, executable=executable)
