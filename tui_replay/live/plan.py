"""From a stored recording to the SDK call that re-issues it.

The stored `request.body` is the keyword arguments the recorder's client passed to
the OpenAI SDK (extra_body, extra_query and stream_options are kwargs there), so the
call replays them as they are, apart from the model override and `stream`, which
follows how the stored call was made. Keys this SDK version does not know travel in
`extra_body` so that nothing in the stored request is silently dropped.
"""

from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from tui_replay.live.target import LiveError
from tui_replay.recording.model import Kind, Recording


class NotReissuable(LiveError):
    """The stored shape is not an OpenAI-compatible API call that can be sent again."""


# Re-issuable operations: the logical endpoint suffix and the SDK method.
CHAT = "chat"
COMPLETION = "completion"
EMBEDDINGS = "embeddings"
MODELS = "models"
SUFFIX = {
    CHAT: "/chat/completions",
    COMPLETION: "/completions",
    EMBEDDINGS: "/embeddings",
    MODELS: "/models",
}
DEFAULT_PREFIX = "/v1"

_NOT_REISSUABLE = {
    Kind.TOOL: "a tool invocation (not an API call to a model server)",
    Kind.FILE: "a file-processor call (not an API call to a model server)",
    Kind.GEMINI: "a google-genai call (not OpenAI-compatible)",
    Kind.MESSAGES: "a raw HTTP payload (Anthropic Messages)",
    Kind.INTERACTIONS: "a raw HTTP payload (Gemini Interactions)",
    Kind.RERANK: "a raw HTTP payload (rerank)",
    Kind.REALTIME: "a realtime websocket session (not one request)",
    Kind.EMPTY: "an empty cassette (nothing was recorded)",
    Kind.GENERATE: "an Ollama native call (/api/generate)",
}


@dataclass(slots=True)
class LiveCall:
    """One re-issuable call: what to send and where (relative to the base URL)."""

    operation: str  # CHAT, COMPLETION, EMBEDDINGS, MODELS
    endpoint: str  # logical endpoint, e.g. "/v1/chat/completions"
    stream: bool
    kwargs: dict[str, Any] = field(default_factory=dict)  # SDK kwargs as sent

    @property
    def endpoint_prefix(self) -> str:
        """The part of the endpoint before the operation, e.g. "/v1"."""
        suffix = SUFFIX[self.operation]
        if self.endpoint.endswith(suffix):
            return self.endpoint[: -len(suffix)]
        return DEFAULT_PREFIX

    @property
    def model(self) -> str | None:
        model = self.kwargs.get("model")
        return model if isinstance(model, str) else None


def stored_request_body(recording: Recording) -> dict[str, Any] | None:
    """The stored SDK kwargs (`request.body`), or None when the request has none."""
    raw = recording.request_raw
    if isinstance(raw.get("request"), dict):  # tolerate a whole-file dict
        raw = raw["request"]
    body = raw.get("body") if isinstance(raw, dict) else None
    return body if isinstance(body, dict) else None


def _refuse_other_shapes(recording: Recording) -> None:
    endpoint = recording.endpoint or ""
    if recording.kind in _NOT_REISSUABLE:
        raise NotReissuable(f"cannot re-issue {_NOT_REISSUABLE[recording.kind]}")
    if endpoint.startswith("/api/"):
        raise NotReissuable(f"cannot re-issue an Ollama native call ({endpoint})")
    if (recording.url or "").startswith("grpc://"):  # read as chat, but its settings are xAI's own
        raise NotReissuable("cannot re-issue a gRPC call (xAI SDK)")
    raw = recording.request_raw
    if "payload" in raw and "body" not in raw:
        raise NotReissuable("cannot re-issue a raw HTTP payload")
    if "tool_name" in raw:
        raise NotReissuable(f"cannot re-issue {_NOT_REISSUABLE[Kind.TOOL]}")


def _operation(recording: Recording, body: dict[str, Any]) -> str:
    """Decide what the request is from the body's keys first: `endpoint` is sometimes wrong."""
    endpoint = recording.endpoint or ""
    if "messages" in body:
        return CHAT
    if "prompt" in body:
        return COMPLETION
    if "input" in body and (endpoint.endswith("/embeddings") or recording.kind is Kind.EMBEDDINGS):
        return EMBEDDINGS
    if recording.kind is Kind.MODELS or endpoint.endswith("/models"):
        return MODELS
    raise NotReissuable(f"cannot re-issue a {recording.kind} recording (endpoint {endpoint or 'none'})")


@cache
def _known_kwargs(operation: str) -> frozenset[str]:
    from openai.resources.chat.completions import AsyncCompletions as Chat
    from openai.resources.completions import AsyncCompletions as Text
    from openai.resources.embeddings import AsyncEmbeddings
    from openai.resources.models import AsyncModels

    method = {CHAT: Chat.create, COMPLETION: Text.create, EMBEDDINGS: AsyncEmbeddings.create}.get(
        operation, AsyncModels.list
    )
    return frozenset(name for name in inspect.signature(method).parameters if name != "self")


def plan_call(recording: Recording, model: str | None = None) -> LiveCall:
    """The call that re-issues `recording`, with `model` sent instead of the recorded one."""
    _refuse_other_shapes(recording)
    body = stored_request_body(recording)
    if body is None:
        if recording.kind is Kind.MODELS:
            body = {}
        else:
            raise NotReissuable(f"cannot re-issue: the stored {recording.kind} request has no SDK body")
    operation = _operation(recording, body)
    kwargs = copy.deepcopy(body)
    kwargs.pop("timeout", None)  # the timeout is ours to set
    if operation == MODELS:
        kwargs.pop("model", None)
    elif model:
        kwargs["model"] = model
    stream = bool(recording.streaming) and operation in (CHAT, COMPLETION)
    if operation in (CHAT, COMPLETION):
        if stream:
            kwargs["stream"] = True
        elif kwargs.get("stream"):
            kwargs["stream"] = False
    known = _known_kwargs(operation)
    unknown = {key: kwargs.pop(key) for key in list(kwargs) if key not in known}
    if unknown:
        extra = kwargs.get("extra_body")
        kwargs["extra_body"] = {**unknown, **(extra if isinstance(extra, dict) else {})}
    endpoint = recording.endpoint or ""
    if not endpoint.endswith(SUFFIX[operation]):
        # e.g. a chat body stored under "/v1/completions": keep the prefix, fix the operation.
        prefix = DEFAULT_PREFIX
        for suffix in SUFFIX.values():
            if endpoint.endswith(suffix):
                prefix = endpoint[: -len(suffix)]
                break
        endpoint = prefix + SUFFIX[operation]
    return LiveCall(operation=operation, endpoint=endpoint, stream=stream, kwargs=kwargs)
