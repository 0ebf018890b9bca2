"""vcrpy / pytest-recording cassettes: each interaction as a llama-stack-shaped recording.

A cassette is a YAML file with a top-level `interactions` list; interaction N of file F is
the recording `F#N`. Each interaction with a known LLM API is rewritten into the recording
object the llama-stack parser reads (the same `request` variants, typed wrappers and SSE
line lists), so everything downstream (assembler, lean summary, app, exports, live
compare) treats it like any other recording:

  - OpenAI chat completions, completions, embeddings, model lists: the inference variant,
    the request's JSON body as `body`, the response as `__type__` wrappers (a stream: one
    chunk per SSE `data:` event);
  - Anthropic Messages and the OpenAI Responses API: the raw-HTTP variant (`payload`), the
    response as a JSON object or its SSE lines;
  - Gemini generateContent / streamGenerateContent: google-genai's snake_case shape;
  - anything else (uploads, telemetry, deletes): kind `unknown`, raw request and response.

A 4xx/5xx answer is a recorded error. Bodies compressed per `Content-Encoding` (gzip,
deflate) are inflated, never past the size limit. What the bodies of one cassette expand to
(inflated bytes, JSON values, nesting) is held to the limits of a file (limits.ReadBudget).
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import orjson

from tui_replay.recording.cassette_grpc import (
    CHAT_URL,
    COLLECTIONS_URL,
    STREAM_URL,
    grpc_chunks,
    grpc_completion,
    grpc_model,
    grpc_request,
    is_grpc_interaction,
)
from tui_replay.recording.limits import (
    MAX_JSON_VALUES,
    NESTING_REASON,
    ReadBudget,
    count_json_values,
    nests_too_deep,
)
from tui_replay.recording.model import (
    VCR,
    Kind,
    Recording,
    RecordingError,
    Response,
)
from tui_replay.recording.realtime import is_realtime, realtime_recording
from tui_replay.recording.shapes.common import as_dict, as_int, as_list, as_str, error_from_body, nonempty_str
from tui_replay.recording.yamlsafe import load_yaml

CASSETTE_SUFFIXES = (".yaml", ".yml")

_CHAT = "openai.types.chat.chat_completion.ChatCompletion"
_CHUNK = "openai.types.chat.chat_completion_chunk.ChatCompletionChunk"
_COMPLETION = "openai.types.completion.Completion"
_EMBEDDINGS = "openai.types.create_embedding_response.CreateEmbeddingResponse"
_MODEL = "openai.types.model.Model"


def is_cassette_name(name: str) -> bool:
    return name.lower().endswith(CASSETTE_SUFFIXES)


def parse_cassette(data: bytes, budget: ReadBudget | None = None) -> list[Any]:
    """The `interactions` list of a cassette file's bytes; raises only RecordingError.
    `budget`: the file's (limits.ReadBudget), to be shared with `convert_interaction`."""
    if b"\x00" in data[:4096]:
        raise RecordingError("binary data, not YAML")
    doc = load_yaml(data, budget)
    if not isinstance(doc, dict) or not isinstance(doc.get("interactions"), list):
        raise RecordingError("not a cassette: no top-level `interactions` list")
    return doc["interactions"]


def whole_cassette_recording(interactions: list[Any], file: str, test_id: str | None) -> Recording | None:
    """The one recording a cassette is as a whole, or None when each interaction is one:
    a realtime session (see realtime.py), or an empty cassette (kind `empty`, not an error)."""
    if not interactions:
        return Recording(
            path=file,
            kind=Kind.EMPTY,
            test_id=test_id,
            endpoint=None,
            url=None,
            model=None,
            streaming=False,
            response=Response(summary={"note": "no interactions: the test made no call"}),
            format=VCR,
        )
    if is_realtime(interactions):
        try:
            return realtime_recording(interactions, file, test_id)
        except Exception as exc:  # a reader bug must be one error row, never a traceback
            raise RecordingError(f"realtime session: malformed: {type(exc).__name__}: {exc}") from None
    return None


# ------------------------------------------------------------------------ test ids

_PARAMS = re.compile(r"\[.*\]$", re.S)


def cassette_test_id(path: str) -> str:
    """The test a cassette stands for, from its path and name.

    pytest-recording keeps `cassettes/<test module>/<test>[params].yaml` (pydantic-ai) and
    vcr setups `cassettes/<folder>/<Class>.<test>.yaml` (crewAI); copies flattened into one
    folder write `/` as `__`. The folders below `cassettes/` and the `__` parts become the
    file part of the id (a last part named `test_*` is the module), the name its test part.
    """
    parts = path.replace("\\", "/").split("/")
    folders: list[str] = []
    if "cassettes" in parts[:-1]:  # the folders below the last `cassettes`
        folders = parts[len(parts) - parts[::-1].index("cassettes") : -1]
    name = parts[-1]
    stem = (
        name[: -len(next(s for s in CASSETTE_SUFFIXES if name.lower().endswith(s)))]
        if is_cassette_name(name)
        else name
    )
    base, dot, suffix = stem.rpartition(".")
    if dot and base and suffix.isalnum() and not suffix.startswith("test"):
        stem = base  # `<test>.xai.yaml`: the recorder's own suffix (xAI gRPC), not `Class.test`
    params_match = _PARAMS.search(stem)
    params = params_match.group(0) if params_match else ""
    head = stem[: len(stem) - len(params)]
    pieces = [piece for piece in head.split("__") if piece]
    folders = [*folders, *pieces[:-1]]
    test = (pieces[-1] if pieces else head) + params
    # `Class.test` is a method of a test class.
    cls, dot, method = (pieces[-1] if pieces else head).partition(".")
    if dot and cls and method:
        test = f"{cls}::{method}{params}"
    if not folders:
        return test
    if folders[-1].startswith("test_"):
        folders[-1] += ".py"
    return "/".join(folders) + "::" + test


# ------------------------------------------------------------------------ bodies


def _headers(raw: Any) -> dict[str, str]:
    """Header names lowercased, each with its first value as a string."""
    headers: dict[str, str] = {}
    for name, value in as_dict(raw).items():
        if isinstance(value, list):
            value = value[0] if value else ""
        headers[str(name).lower()] = value if isinstance(value, str) else str(value)
    return headers


def _inflate(data: bytes, encoding: str, budget: ReadBudget) -> bytes:
    """`data` decoded per Content-Encoding; refuses to grow past what the file may still expand
    to (`budget.extra_bytes`, at first the size limit): a zip bomb, or many."""
    inflated = False
    for coding in reversed([c.strip().lower() for c in encoding.split(",") if c.strip()]):
        if coding in ("identity", ""):
            continue
        if coding not in ("gzip", "x-gzip", "deflate"):
            raise _BodyNote(f"{coding} body not supported" if coding != "br" else "brotli body not supported")
        wbits = 31 if coding in ("gzip", "x-gzip") else 15
        cap = max(budget.extra_bytes, 0)
        try:
            inflater = zlib.decompressobj(wbits)
            out = inflater.decompress(data, cap + 1)  # never more than the cap in memory
            if coding == "deflate" and not out and data:
                raise zlib.error("empty")
        except zlib.error:
            if coding != "deflate":
                raise _BodyNote(f"{coding} body that does not inflate") from None
            try:  # raw deflate, as some servers send it
                inflater = zlib.decompressobj(-15)
                out = inflater.decompress(data, cap + 1)
            except zlib.error:
                raise _BodyNote("deflate body that does not inflate") from None
        if len(out) > cap or inflater.unconsumed_tail:
            raise _BodyNote("compressed body inflates past the size limit")
        data, inflated = out, True
    if inflated:
        budget.extra_bytes -= len(data)
    return data


class _BodyNote(Exception):
    """A body that cannot be read as data: the interaction shows this note instead."""


def _body_value(holder: dict, headers: dict[str, str], budget: ReadBudget) -> tuple[Any, str | None]:
    """(body, text) of a request or response: `parsed_body`, or `body` (string, bytes, {string: …}).

    `body` is the parsed JSON when the text is JSON, else the text (or a note for binary data
    or one that does not inflate); `text` is the decoded text when there is one (SSE streams
    are read from it). Raises RecordingError when the body is past the file's limits.
    """
    if "parsed_body" in holder:
        return holder["parsed_body"], None  # YAML: already counted by the composer
    raw = holder.get("body")
    if isinstance(raw, dict) and "string" in raw:
        raw = raw["string"]
    if raw is None or raw == "":
        return None, None
    if isinstance(raw, (bytes, bytearray)):
        try:
            raw = _inflate(bytes(raw), headers.get("content-encoding", ""), budget)
        except _BodyNote as note:
            return f"[{len(raw)} bytes: {note}]", None
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            return f"[binary body: {len(raw)} bytes]", None
    if not isinstance(raw, str):
        return raw, None  # already data (a hand-written cassette)
    start = raw.lstrip()[:1]
    parsed = start in ("{", "[")
    if parsed or _is_sse(raw, headers):
        # Parsed, tiny values cost ~100 bytes each; an SSE event also a line and a wrapper.
        values = count_json_values(raw) + (0 if parsed else 4 * raw.count("\n"))
        if values > budget.values:
            raise RecordingError(
                f"body: too many JSON values ({values:,}): a file may hold {MAX_JSON_VALUES:,} "
                "in all, so that reading it stays under 1 GiB of memory"
            )
        budget.values -= values
    if parsed:
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return raw, raw
        if nests_too_deep(value):
            raise RecordingError(f"body: {NESTING_REASON}")
        return value, raw
    return raw, raw


def _is_sse(text: str | None, headers: dict[str, str]) -> bool:
    if text is None:
        return False
    if "text/event-stream" in headers.get("content-type", ""):
        return True
    return text.startswith(("data:", "event:"))


def _sse_data(lines: list[str]) -> list[dict]:
    """The JSON objects of the `data:` lines ([DONE] and other text left out)."""
    items = []
    for line in lines:
        if line.startswith("data:"):
            raw = line[5:].strip()
            if raw.startswith("{"):
                try:
                    value = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    continue
                if isinstance(value, dict) and not nests_too_deep(value):
                    items.append(value)
    return items


# ------------------------------------------------------------------------ Gemini wire -> genai

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")
# Values that are the caller's data (tool arguments, schemas): their keys are left alone.
_OPAQUE = frozenset(
    {
        "args",
        "response",
        "parameters",
        "parameters_json_schema",
        "response_schema",
        "response_json_schema",
        "struct_value",
    }
)


def _snake_keys(value: Any, depth: int = 0) -> Any:
    """Gemini's REST JSON (camelCase) as google-genai dumps it (snake_case)."""
    if depth > 64:
        return value
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            name = _CAMEL.sub(r"_\1", key).lower() if isinstance(key, str) else key
            out[name] = item if name in _OPAQUE else _snake_keys(item, depth + 1)
        return out
    if isinstance(value, list):
        return [_snake_keys(item, depth + 1) for item in value]
    return value


def _gemini_request(body: dict, model: str) -> dict:
    body = _snake_keys(body)
    config = dict(as_dict(body.pop("generation_config", None)))
    for key in ("system_instruction", "tools", "tool_config", "safety_settings"):
        if key in body:
            config[key] = body.pop(key)
    return {
        "model": model,
        "contents": body.get("contents", []),
        "config": config,
        **{k: v for k, v in body.items() if k not in ("contents", "model")},
    }


# ------------------------------------------------------------------------ interactions


@dataclass(slots=True)
class Interaction:
    """One interaction rewritten: `obj` is a llama-stack recording object, or None when the API
    is not known (then `unknown` holds the raw request/response for a kind `unknown` recording)."""

    obj: dict[str, Any] | None
    request_raw: dict[str, Any]
    response_raw: dict[str, Any]
    status: int | None
    streaming: bool
    model: str | None
    url: str
    method: str


# Bedrock's InvokeModel: `/model/{id}/invoke`, the body in the model's own API (Anthropic
# Messages for `anthropic.*` models); the model is named only in the URL.
_BEDROCK_INVOKE = re.compile(r"/model/([^/]+)/invoke$")
# A stored Response read back (`GET /v1/responses/{id}`, background mode polls it).
_RESPONSE_BY_ID = re.compile(r"/responses/resp_[^/]+$")


def _api(path: str) -> str | None:
    if path.endswith("/chat/completions"):
        return "chat"
    if path.endswith("/completions"):
        return "completion"
    if path.endswith("/embeddings"):
        return "embeddings"
    if path.endswith("/models"):
        return "models"
    if path.endswith("/messages"):
        return "messages"
    if path.endswith("/responses"):
        return "responses"
    if path.endswith((":generateContent", ":streamGenerateContent")):
        return "gemini"
    if _RESPONSE_BY_ID.search(path):
        return "response-get"
    if _BEDROCK_INVOKE.search(path):
        return "bedrock-invoke"
    return None


def convert_interaction(raw: Any, max_size: int, budget: ReadBudget | None = None) -> Interaction:
    """One cassette interaction as a recording object (see the module doc). `budget`: the file's,
    shared by its interactions (parse_cassette); a fresh one when None."""
    budget = budget if budget is not None else ReadBudget(max_size)
    raw = as_dict(raw)
    if is_grpc_interaction(raw):
        return _grpc_interaction(raw)
    request, response = raw.get("request"), raw.get("response")
    if not isinstance(request, dict) or not isinstance(response, dict):
        raise RecordingError("interaction without a request and a response mapping")
    url = as_str(request.get("uri")) or as_str(request.get("url")) or ""
    method = (as_str(request.get("method")) or "POST").upper()
    path = urlsplit(url).path
    request_headers = _headers(request.get("headers"))
    response_headers = _headers(response.get("headers"))
    request_body, _ = _body_value(request, request_headers, budget)
    body, text = _body_value(response, response_headers, budget)
    status_raw = response.get("status")
    status = as_int(as_dict(status_raw).get("code")) if isinstance(status_raw, dict) else as_int(status_raw)
    streaming = _is_sse(text, response_headers)
    lines = text.splitlines() if streaming and text is not None else None
    api = _api(path)
    model_in_url: str | None = None
    if api == "response-get":
        api = "responses" if method == "GET" and request_body is None else None
    elif api == "bedrock-invoke":
        is_messages = isinstance(request_body, dict) and "anthropic_version" in request_body
        model_in_url = unquote(_BEDROCK_INVOKE.search(path).group(1)) if is_messages else None
        api = "messages" if is_messages else None
    elif (
        api is not None
        and not isinstance(request_body, dict)
        and not (api == "models" and request_body is None)
    ):
        api = None  # not a JSON call of that API
    payload = request_body if isinstance(request_body, dict) else {}
    model = nonempty_str(payload.get("model")) or model_in_url
    if api == "gemini":
        model = path.rsplit("/", 1)[-1].split(":", 1)[0] or model
    raw_request = {"method": method, "url": url, "body": request_body}
    raw_response = {"status": status, "body": body if lines is None else lines}

    obj: dict[str, Any] | None = None
    if api is not None:
        if status is not None and status >= 400:
            info = error_from_body(body if isinstance(body, dict) else {"message": str(body or "")}, status)
            out_response: dict[str, Any] = {
                "body": None,
                "is_streaming": False,
                "status": status,
                "is_exception": True,
                "exception_data": {
                    "type": info.type,
                    "status_code": status,
                    "message": info.message,
                    "body": body,
                },
                "exception_message": info.message,
            }
        else:
            out_response = _response_for(api, body, lines, status)
        if out_response is not None:
            obj = {"request": _request_for(api, method, url, path, payload, model), "response": out_response}
    return Interaction(obj, raw_request, raw_response, status, streaming, model, url, method)


def _grpc_interaction(raw: dict) -> Interaction:
    """An xAI gRPC call (see cassette_grpc): a chat completion, or kind `unknown` for other methods."""
    model = grpc_model(raw)
    if "collections_method" in raw:
        call = as_dict(raw["collections_method"])
        url = COLLECTIONS_URL + (as_str(call.get("method")) or "")
        request_raw = {"method": "gRPC", "url": url, "body": call.get("request_json")}
        return Interaction(
            None,
            request_raw,
            {"status": None, "body": call.get("response_json")},
            None,
            False,
            model,
            url,
            "gRPC",
        )
    streaming = "request_stream" in raw or "response_stream" in raw
    url = STREAM_URL if streaming else CHAT_URL
    request_side = raw.get("request_stream" if streaming else "request_sample")
    response_side = as_dict(raw.get("response_stream" if streaming else "response_sample"))
    body = grpc_request(request_side)
    request_raw = {"method": "gRPC", "url": url, "body": as_dict(request_side).get("json")}
    response_body = response_side.get("chunks_json") if streaming else response_side.get("json")
    response_raw = {"status": None, "body": response_body}
    obj = None
    if isinstance(response_body, (dict, list)):
        wrapped: Any = grpc_chunks(response_side) if streaming else grpc_completion(response_side)
        path = urlsplit(url).path
        obj = {
            "request": {
                "method": "POST",
                "url": url,
                "headers": {},
                "body": body,
                "endpoint": path,
                "model": model or "",
            },
            "response": {"body": wrapped, "is_streaming": streaming, "status": None},
        }
    return Interaction(obj, request_raw, response_raw, None, streaming, model, url, "gRPC")


def _request_for(api: str, method: str, url: str, path: str, payload: dict, model: str | None) -> dict:
    if api in ("messages", "responses"):
        request = {"url": url, "method": method, "payload": payload}
        if model and not payload.get("model"):  # named by the URL (Bedrock)
            request["model"] = model
        return request
    if api == "gemini":
        body = _gemini_request(payload, model or "")
        return {
            "method": method,
            "url": url,
            "headers": {},
            "body": body,
            "endpoint": path,
            "model": model or "",
        }
    return {
        "method": method,
        "url": url,
        "headers": {},
        "body": payload,
        "endpoint": path,
        "model": model or "",
    }


def _wrap(type_path: str, data: Any) -> dict:
    return {"__type__": type_path, "__data__": data}


def _response_for(api: str, body: Any, lines: list[str] | None, status: int | None) -> dict | None:
    """The llama-stack `response` for a known API, or None when the body is not its shape."""
    if lines is not None:
        if api in ("messages", "responses"):
            out: Any = lines
        elif api == "gemini":
            out = [_snake_keys(item) for item in _sse_data(lines)]
        elif api in ("chat", "completion"):
            out = [_wrap(_CHUNK if api == "chat" else _COMPLETION, item) for item in _sse_data(lines)]
        else:
            return None
        return {"body": out, "is_streaming": True, "status": status}
    if not isinstance(body, dict):
        return None
    if api == "chat":
        out = _wrap(_CHAT, body)
    elif api == "completion":
        out = _wrap(_COMPLETION, body)
    elif api == "embeddings":
        out = _wrap(_EMBEDDINGS, body)
    elif api == "models":
        out = [_wrap(_MODEL, item) for item in as_list(body.get("data"))]
    elif api == "gemini":
        out = _snake_keys(body)
    else:
        out = body
    return {"body": out, "is_streaming": False, "status": status}


def unknown_recording(item: Interaction, address: str, test_id: str | None, index: int) -> Recording:
    """An interaction with no known LLM API: its raw request and response, a 4xx/5xx as an error."""
    exception = None
    if item.status is not None and item.status >= 400:
        body = item.response_raw.get("body")
        exception = error_from_body(
            body if isinstance(body, dict) else {"message": str(body or "")}, item.status
        )
    return Recording(
        path=address,
        kind=Kind.UNKNOWN,
        test_id=test_id,
        endpoint=urlsplit(item.url).path or None,
        url=item.url,
        model=item.model,
        streaming=item.streaming,
        params={"method": item.method, "url": item.url},
        response=Response(
            status=item.status, exception=exception, summary={"request": f"{item.method} {item.url}"}
        ),
        request_raw=item.request_raw,
        response_raw=item.response_raw,
        format=VCR,
        interaction=index,
    )
