"""Two corpus-derived recordings for the diff screen: the seed answer and an edited copy."""

from __future__ import annotations

import json
from pathlib import Path

from .helpers import CORPUS

SEED = (
    "llama-stack-2025-10/responses/recordings/"
    "ccf305c14285e6c5788c9126f13bc02f786a1562614596c8ac5ffa38cb49e0a1.json"
)


def _chunks(obj: dict) -> list[dict]:
    return [item["__data__"] for item in obj["response"]["body"]]


def write_diff_pair(folder: Path) -> tuple[Path, Path, Path]:
    """recordings/diff/{seed,edited,rechunked}.json: the real seed answer; a copy with another model
    asked, a changed (markup-laden) word and other usage; a copy whose answer arrives in fewer chunks."""
    folder.mkdir(parents=True, exist_ok=True)
    obj = json.loads((CORPUS / SEED).read_text())
    seed = folder / "seed.json"
    seed.write_text(json.dumps(obj, indent=2))

    edited = json.loads(json.dumps(obj))
    edited["request"]["body"]["model"] = "gpt-4o-mini"
    for chunk in _chunks(edited):
        for choice in chunk.get("choices") or []:
            if choice["delta"].get("content") == "128":
                choice["delta"]["content"] = "[bold]64[/bold]"
        if chunk.get("usage"):
            chunk["usage"]["completion_tokens"] = 25
    (folder / "edited.json").write_text(json.dumps(edited, indent=2))

    rechunked = json.loads(json.dumps(obj))
    body = rechunked["response"]["body"]
    first, second = body[2]["__data__"]["choices"][0]["delta"], body[3]["__data__"]["choices"][0]["delta"]
    assert (first["content"], second["content"]) == (" L", "lama")
    first["content"] += second["content"]
    del body[3]
    (folder / "rechunked.json").write_text(json.dumps(rechunked, indent=2))
    return seed, folder / "edited.json", folder / "rechunked.json"
