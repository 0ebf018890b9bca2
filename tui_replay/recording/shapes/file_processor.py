"""File processors (pypdf): `ProcessFileResponse`."""

from __future__ import annotations

from tui_replay.recording.model import Kind, Response
from tui_replay.recording.shapes.common import (
    Assembled,
    BodyContext,
    RequestParts,
    as_dict,
    as_list,
    as_str,
    first_item,
)

KIND = Kind.FILE
TYPE_NAMES = ("ProcessFileResponse",)


def parse_request(request: dict) -> RequestParts:
    return RequestParts(params={k: v for k, v in request.items() if k != "test_id"})


def assemble(ctx: BodyContext) -> Assembled:
    data = first_item(ctx)
    chunks = as_list(data.get("chunks"))
    metadata = as_dict(data.get("metadata"))
    first = as_dict(as_dict(chunks[0]).get("metadata")) if chunks else {}
    summary = {
        "chunks": len(chunks),
        "pages": metadata.get("page_count", first.get("page_count")),
        "filename": as_str(first.get("filename")) or as_str(metadata.get("filename")),
    }
    return Assembled(KIND, Response(summary=summary), [])
