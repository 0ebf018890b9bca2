"""vLLM /rerank via raw HTTP (`payload`)."""

from __future__ import annotations

from tui_replay.recording.model import Kind, Response
from tui_replay.recording.shapes.common import (
    Assembled,
    BodyContext,
    RequestParts,
    as_dict,
    as_list,
    as_str,
    compact_json,
    error_from_body,
    first_item,
    message_from_text,
    nonempty_str,
    openai_usage,
    single_timeline,
)

KIND = Kind.RERANK


def parse_request(payload: dict) -> RequestParts:
    query = payload.get("query")
    text = query if isinstance(query, str) else compact_json(query) if query is not None else ""
    messages = [message_from_text("user", text)] if text else []
    return RequestParts(
        messages=messages,
        params={k: v for k, v in payload.items() if k not in ("query", "model")},
        model=nonempty_str(payload.get("model")),
    )


def assemble(ctx: BodyContext) -> Assembled:
    data = first_item(ctx)
    if "error" in data or (ctx.status is not None and ctx.status >= 400):
        response = Response(exception=error_from_body(data, ctx.status), status=ctx.status)
        return Assembled(KIND, response, single_timeline(response))
    results = as_list(data.get("results"))
    scores = [as_dict(r).get("relevance_score") for r in results]
    response = Response(
        usage=openai_usage(data.get("usage")),
        status=ctx.status,
        model=as_str(data.get("model")),
        summary={"results": len(results), "scores": scores},
    )
    return Assembled(KIND, response, single_timeline(response))
