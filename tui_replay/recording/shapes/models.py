"""Model lists: OpenAI `Model` lists (not a stream), Ollama /api/tags (`ListResponse`) and /api/ps."""

from __future__ import annotations

from tui_replay.recording.model import Kind, Response
from tui_replay.recording.shapes.common import Assembled, BodyContext, RequestParts, as_dict, as_list, as_str

KIND = Kind.MODELS
TYPE_NAMES = ("Model", "ListResponse", "ProcessResponse", "SyncPage", "ModelsPage")


def parse_request(body: dict) -> RequestParts:
    return RequestParts(params=dict(body))


def assemble(ctx: BodyContext) -> Assembled:
    ids: list[str] = []
    for item in ctx.items:
        name = item.get("id") if type(item) is dict else None
        if type(name) is str:  # the common case: an OpenAI Model
            ids.append(name)
            continue
        item = as_dict(item)
        if "models" in item or "data" in item:  # Ollama ListResponse / ProcessResponse, or a page
            for model in as_list(item.get("models")) + as_list(item.get("data")):
                model = as_dict(model)
                name = as_str(model.get("model")) or as_str(model.get("name")) or as_str(model.get("id"))
                if name is not None:
                    ids.append(name)
        else:
            name = as_str(item.get("id")) or as_str(item.get("model")) or as_str(item.get("name"))
            if name is not None:
                ids.append(name)
    return Assembled(KIND, Response(summary={"models": ids}), [])
