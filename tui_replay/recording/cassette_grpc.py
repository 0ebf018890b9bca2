"""xAI gRPC cassettes (pydantic-ai's `*.xai.yaml`): each interaction one chat exchange.

xAI's SDK records gRPC calls, not HTTP: an interaction is `request_sample` / `response_sample`
(a unary `GetCompletion`) or `request_stream` / `response_stream` (`GetCompletionChunk`, the
chunks under `chunks_json`), each side holding the protobuf message as JSON (`json:`) and as
bytes (`raw:`). The JSON is read and rewritten into the OpenAI chat-completion recording the
rest of the reader already knows: messages, outputs with tool calls and reasoning, usage.

A response's `outputs` are the steps of one answer (an assistant turn calling a server-side
tool, the tool's own output, the final assistant turn), so they are merged into one message;
the tool steps (`ROLE_TOOL`) are the server's results, not the answer.

Other calls (`collections_method`: file collections) have no chat in them: kind `unknown`.
"""

from __future__ import annotations

from typing import Any

from tui_replay.recording.shapes.common import as_dict, as_list, as_str, nonempty_str

CHAT_URL = "grpc://api.x.ai/xai_api.Chat/GetCompletion"
STREAM_URL = "grpc://api.x.ai/xai_api.Chat/GetCompletionChunk"
COLLECTIONS_URL = "grpc://api.x.ai/xai_api.Collections/"

_CHAT = "openai.types.chat.chat_completion.ChatCompletion"
_CHUNK = "openai.types.chat.chat_completion_chunk.ChatCompletionChunk"
_FINISH = {"REASON_STOP": "stop", "REASON_TOOL_CALLS": "tool_calls", "REASON_MAX_LEN": "length"}


def is_grpc_interaction(raw: dict) -> bool:
    return (
        "request_sample" in raw
        or "request_stream" in raw
        or "response_sample" in raw
        or "response_stream" in raw
        or "collections_method" in raw
    )


def _role(value: Any) -> str:
    role = (as_str(value) or "ROLE_ASSISTANT").removeprefix("ROLE_").lower()
    return role or "assistant"


def _finish(value: Any) -> str | None:
    reason = nonempty_str(value)
    if reason is None or reason == "REASON_INVALID":
        return None
    return _FINISH.get(reason, reason.removeprefix("REASON_").lower())


def _content(value: Any) -> Any:
    """A message's `content` list (`{text}`, `{image_url}`, `{file}`) as OpenAI content parts."""
    if isinstance(value, str):
        return value
    parts: list[dict] = []
    for item in as_list(value):
        item = as_dict(item)
        if "text" in item:
            parts.append({"type": "text", "text": as_str(item.get("text")) or ""})
        elif "image_url" in item:
            image = as_dict(item.get("image_url"))
            parts.append({"type": "image_url", "image_url": {"url": image.get("image_url", "")}})
        elif "file" in item:
            parts.append({"type": "file", "file": {"filename": as_str(as_dict(item["file"]).get("file_id"))}})
        else:
            parts.append({"type": next(iter(item), "part")})
    return parts


def _tool_calls(value: Any) -> list[dict]:
    calls = []
    for call in as_list(value):
        call = as_dict(call)
        function = as_dict(call.get("function"))
        calls.append(
            {
                "id": call.get("id"),
                "type": "function",
                "function": {
                    "name": function.get("name") or "",
                    "arguments": function.get("arguments") or "",
                },
            }
        )
    return calls


def _message(raw: Any) -> dict:
    raw = as_dict(raw)
    message: dict[str, Any] = {"role": _role(raw.get("role")), "content": _content(raw.get("content"))}
    if raw.get("tool_calls"):
        message["tool_calls"] = _tool_calls(raw["tool_calls"])
    for key in ("tool_call_id", "reasoning_content"):
        if raw.get(key):
            message[key] = raw[key]
    return message


def _tools(value: Any) -> list[dict]:
    """`{function: {...}}` as OpenAI function tools; server-side tools (`{web_search: {...}}`) by name."""
    tools = []
    for tool in as_list(value):
        tool = as_dict(tool)
        function = tool.get("function")
        if isinstance(function, dict):
            tools.append({"type": "function", "function": function})
        elif tool:
            name = next(iter(tool))
            tools.append({"type": name, "name": name})
    return tools


def grpc_request(sample: Any) -> dict:
    """The request message as an OpenAI chat body (messages, tools, the other settings as they are)."""
    body = dict(as_dict(as_dict(sample).get("json")))
    out: dict[str, Any] = {k: v for k, v in body.items() if k not in ("messages", "tools")}
    out["messages"] = [_message(m) for m in as_list(body.get("messages"))]
    if "tools" in body:
        out["tools"] = _tools(body["tools"])
    return out


def _answer_outputs(outputs: Any, key: str) -> list[dict]:
    """The assistant steps of an answer (`message` or `delta` of each output)."""
    steps = []
    for output in as_list(outputs):
        output = as_dict(output)
        message = as_dict(output.get(key))
        if _role(message.get("role")) != "tool":
            steps.append({**message, "finish_reason": output.get("finish_reason")})
    return steps


def grpc_completion(sample: Any) -> dict:
    """A unary response message as a ChatCompletion wrapper: the outputs merged into one answer."""
    body = as_dict(as_dict(sample).get("json"))
    text: list[str] = []
    reasoning: list[str] = []
    calls: list[dict] = []
    finish = None
    for step in _answer_outputs(body.get("outputs"), "message"):
        if isinstance(step.get("content"), str) and step["content"]:
            text.append(step["content"])
        if isinstance(step.get("reasoning_content"), str) and step["reasoning_content"]:
            reasoning.append(step["reasoning_content"])
        calls.extend(_tool_calls(step.get("tool_calls")))
        finish = _finish(step.get("finish_reason")) or finish
    message: dict[str, Any] = {"role": "assistant", "content": "".join(text)}
    if reasoning:
        message["reasoning_content"] = "".join(reasoning)
    if calls:
        message["tool_calls"] = calls
    data = {
        "id": body.get("id"),
        "object": "chat.completion",
        "model": body.get("model"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": body.get("usage"),
    }
    return {"__type__": _CHAT, "__data__": data}


def grpc_chunks(stream: Any) -> list[dict]:
    """A streamed response (`chunks_json`) as ChatCompletionChunk wrappers, one per chunk."""
    out = []
    call_index: dict[Any, int] = {}
    for item in as_list(as_dict(stream).get("chunks_json")):
        chunk = as_dict(as_dict(item).get("chunk", item))
        choices = []
        for step in _answer_outputs(chunk.get("outputs"), "delta"):
            delta: dict[str, Any] = {}
            if isinstance(step.get("content"), str):
                delta["content"] = step["content"]
            if isinstance(step.get("reasoning_content"), str):
                delta["reasoning_content"] = step["reasoning_content"]
            calls = _tool_calls(step.get("tool_calls"))
            for call in calls:  # a call comes whole in one delta: number it by its id
                call["index"] = call_index.setdefault(call["id"] or len(call_index), len(call_index))
            if calls:
                delta["tool_calls"] = calls
            choices.append({"index": 0, "delta": delta, "finish_reason": _finish(step.get("finish_reason"))})
        data = {
            "id": chunk.get("id"),
            "object": "chat.completion.chunk",
            "model": chunk.get("model"),
            "choices": choices[:1] if len(choices) < 2 else [_merge_deltas(choices)],
            "usage": chunk.get("usage"),
        }
        out.append({"__type__": _CHUNK, "__data__": data})
    return out


def _merge_deltas(choices: list[dict]) -> dict:
    """Several assistant steps in one chunk as one delta (the answer has one choice)."""
    delta: dict[str, Any] = {}
    finish = None
    for choice in choices:
        for key, value in choice["delta"].items():
            if key == "tool_calls":
                delta.setdefault(key, []).extend(value)
            else:
                delta[key] = delta.get(key, "") + value
        finish = choice["finish_reason"] or finish
    return {"index": 0, "delta": delta, "finish_reason": finish}


def grpc_model(raw: dict) -> str | None:
    for key in ("request_sample", "request_stream"):
        model = nonempty_str(as_dict(as_dict(raw.get(key)).get("json")).get("model"))
        if model:
            return model
    return None
