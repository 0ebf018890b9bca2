"""Embeddings: OpenAI `CreateEmbeddingResponse` and Ollama `EmbedResponse`."""

from __future__ import annotations

from tui_replay.recording.model import Kind, Response, Usage
from tui_replay.recording.shapes.common import (
    Assembled,
    BodyContext,
    ContentPart,
    Message,
    RequestParts,
    as_dict,
    as_int,
    as_list,
    compact_json,
    join_parts,
    nonempty_str,
    openai_usage,
    single_timeline,
)

KIND = Kind.EMBEDDINGS
TYPE_NAMES = ("CreateEmbeddingResponse", "EmbedResponse", "EmbeddingsResponse")


def parse_request(body: dict) -> RequestParts:
    raw = body.get("input", body.get("prompt"))
    inputs = raw if isinstance(raw, list) else [raw] if raw is not None else []
    parts = [ContentPart(type="text", text=i if isinstance(i, str) else compact_json(i)) for i in inputs]
    messages = [Message(role="user", text=join_parts(parts), parts=parts)] if parts else []
    return RequestParts(
        messages=messages,
        params={k: v for k, v in body.items() if k not in ("input", "prompt", "model")},
        model=nonempty_str(body.get("model")),
    )


def _dimensions(vector: object) -> int | None:
    if isinstance(vector, list):
        return len(vector)
    if isinstance(vector, str):  # base64 float32 (never seen decoded this way, but valid on the wire)
        return len(vector) * 3 // 4 // 4
    return None


def assemble(ctx: BodyContext) -> Assembled:
    data = next((i for i in ctx.items if isinstance(i, dict)), {})
    if "embeddings" in data:  # Ollama
        vectors = as_list(data.get("embeddings"))
        if not vectors and isinstance(data.get("embedding"), list):
            vectors = [data["embedding"]]
        prompt = as_int(data.get("prompt_eval_count"))
        usage = Usage(prompt_tokens=prompt, total_tokens=prompt) if prompt is not None else None
    else:
        vectors = [as_dict(d).get("embedding") for d in as_list(data.get("data"))]
        usage = openai_usage(data.get("usage"))
    dimensions = _dimensions(vectors[0]) if vectors else None
    response = Response(
        usage=usage,
        model=nonempty_str(data.get("model")),
        summary={"count": len(vectors), "dimensions": dimensions},
    )
    return Assembled(KIND, response, single_timeline(response))
