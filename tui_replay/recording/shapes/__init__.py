"""One module per wire shape, and the registry that picks one for a body.

Response bodies are dispatched on the class name of `__type__` (the last
dotted component: module paths change with package renames), and plain
dicts / SSE lines on their keys and the request URL. Never on `endpoint`
alone: it lies (`/v1/completions` holding chat chunks).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from tui_replay.recording.shapes import (
    anthropic_messages,
    embeddings,
    exception,
    file_processor,
    genai,
    interactions,
    models,
    ollama,
    openai_chat,
    openai_completion,
    openai_responses,
    rerank,
    tool_invocation,
)

TYPED_SHAPES: dict[str, ModuleType] = {
    name: module
    for module in (
        openai_chat,
        openai_completion,
        embeddings,
        models,
        ollama,
        tool_invocation,
        file_processor,
    )
    for name in module.TYPE_NAMES
}

__all__ = [
    "TYPED_SHAPES",
    "anthropic_messages",
    "class_name",
    "embeddings",
    "exception",
    "file_processor",
    "genai",
    "interactions",
    "models",
    "ollama",
    "openai_chat",
    "openai_completion",
    "openai_responses",
    "plain_dict_shape",
    "rerank",
    "sse_shape",
    "tool_invocation",
]


def class_name(item: Any) -> str | None:
    """The class name of a typed wrapper `{"__type__": "pkg.mod.Class", "__data__": …}`, else None."""
    if isinstance(item, dict):
        type_path = item.get("__type__")
        if isinstance(type_path, str):
            return type_path.rsplit(".", 1)[-1]
    return None


def plain_dict_shape(url: str, body: dict) -> ModuleType | None:
    """The shape of an un-wrapped dict body (genai, raw-HTTP payload responses)."""
    if url.startswith("vertexai:") or "candidates" in body or "usage_metadata" in body:
        return genai
    if url.endswith("/responses") or body.get("object") == "response":
        return openai_responses
    if url.endswith("/messages") or body.get("type") in ("message", "error"):
        return anthropic_messages
    if "/interactions" in url or "outputs" in body or body.get("object") == "interaction":
        return interactions
    if url.endswith("/rerank") or "results" in body:
        return rerank
    return None


def sse_shape(url: str, lines: list) -> ModuleType | None:
    """The shape of a list-of-strings (SSE lines) body."""
    if "/interactions" in url:
        return interactions
    if url.endswith("/messages"):
        return anthropic_messages
    if url.endswith("/responses"):
        return openai_responses
    for line in lines[:20]:
        if isinstance(line, str) and line.startswith("data:"):
            if '"event_type"' in line:
                return interactions
            if '"type":"message_start"' in line.replace(" ", ""):
                return anthropic_messages
            if '"type":"response.' in line.replace(" ", ""):
                return openai_responses
    return None
