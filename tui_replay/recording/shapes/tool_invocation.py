"""Tool-runtime invocations (Tavily web search): `ToolInvocationResult`."""

from __future__ import annotations

from tui_replay.recording.model import Kind, Message, Response
from tui_replay.recording.shapes.common import (
    Assembled,
    BodyContext,
    RequestParts,
    as_dict,
    as_list,
    as_str,
    compact_json,
    first_item,
    new_tool_call,
    nonempty_str,
    single_timeline,
)

KIND = Kind.TOOL
TYPE_NAMES = ("ToolInvocationResult",)


def parse_request(request: dict) -> RequestParts:
    """The invocation as an assistant turn calling the tool with `kwargs`."""
    call = new_tool_call(0, None, request.get("tool_name"), request.get("kwargs", {}))
    return RequestParts(
        messages=[Message(role="assistant", text="", tool_calls=[call])],
        params={k: v for k, v in request.items() if k not in ("kwargs", "test_id", "tool_name")},
    )


def _content_text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # a list of content items
        texts = [as_str(as_dict(c).get("text")) for c in as_list(content)]
        if all(t is not None for t in texts):
            return "\n".join(t for t in texts if t is not None)
    return "" if content is None else compact_json(content)


def assemble(ctx: BodyContext) -> Assembled:
    data = first_item(ctx)
    result = _content_text(data.get("content"))
    error = nonempty_str(data.get("error_message"))
    response = Response(text=result, summary={"result": result, "error": error})
    return Assembled(KIND, response, single_timeline(response))
