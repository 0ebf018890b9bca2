"""Recorded exceptions (§6.10): `exception_data` and/or `exception_message`, body null."""

from __future__ import annotations

from tui_replay.recording.model import ExceptionInfo, Kind, Response
from tui_replay.recording.shapes.common import Assembled, as_dict, as_int, as_str, compact_json, nonempty_str

KIND = Kind.ERROR


def exception_info(response: dict) -> ExceptionInfo | None:
    """The recorded exception of a `response` envelope, or None when there is none."""
    data = response.get("exception_data")
    message = response.get("exception_message")
    if not response.get("is_exception") and data is None and message is None:
        return None
    data = as_dict(data)
    text = as_str(data.get("message")) or as_str(message)
    if text is None:
        text = compact_json(message) if message is not None else "exception recorded without a message"
    status = as_int(data.get("status_code"))
    if status is None:
        status = as_int(data.get("status"))
    return ExceptionInfo(type=nonempty_str(data.get("type")), status=status, message=text)  # as recorded


def assemble(response: dict) -> Assembled:
    info = exception_info(response)
    return Assembled(KIND, Response(exception=info, status=info.status if info else None), [])
