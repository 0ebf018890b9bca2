"""Reading the recorded requests and answers the serve tests send and expect (never hard-coded)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from support import CORPUS

from tui_replay.recording.cassette import convert_interaction, parse_cassette

LLAMA = CORPUS / "llama-stack"
OLD = CORPUS / "llama-stack-2025-10"
PYDANTIC = CORPUS / "cassettes" / "pydantic-ai"
CREWAI = CORPUS / "cassettes" / "crewai"


def recording(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def data(item: Any) -> Any:
    return item["__data__"] if isinstance(item, dict) and "__data__" in item else item


def interaction(path: Path, index: int = 0):
    """Interaction `index` of a cassette: (request body, the converted recording object)."""
    raw = parse_cassette(path.read_bytes())[index]
    item = convert_interaction(raw, 32 << 20)
    return item.request_raw["body"], item.obj


def sdk_kwargs(body: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    """A recorded body as keyword arguments of the SDK call that sends it again, with the query the
    recorded URI had (vcrpy matches it; older pydantic-ai SDKs sent `?beta=true`)."""
    query = dict(parse_qsl(urlsplit(obj["request"]["url"]).query))
    return {**body, "extra_query": query} if query else dict(body)
