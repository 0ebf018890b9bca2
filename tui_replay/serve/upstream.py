"""Record if missing: a miss goes to a real server, its answer streams to the client as it arrives
and is saved as a new recording in the recorder's layout (`live/record_format.recording_dict`),
atomically, named by the recorder's hash. The next identical request is a hit.

The API key is read from the environment variable `--api-key-env` names (OPENAI_API_KEY by
default), as `compare` does; it is sent upstream only, never saved and never logged.

Where a recording goes under `--record-dir`: `<test folder>/recordings/<hash>.json` when the
request names a test (where the recorder itself would look it up), else `recordings/<hash>.json`.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx2
import orjson
from starlette.responses import Response, StreamingResponse

from tui_replay.live.record_format import recording_dict, recording_file_name, write_recording_atomic
from tui_replay.live.target import PLACEHOLDER_KEY, display_url
from tui_replay.recording.request_hash import test_folder
from tui_replay.serve.index import RECORDED, ClientRequest

if TYPE_CHECKING:
    from tui_replay.serve.state import ServeState

# API -> (the endpoint as the recorder stores it, the typed wrapper of an answer or a chunk)
RECORDABLE = {
    "chat": ("/v1/chat/completions", "openai.types.chat.chat_completion.ChatCompletion"),
    "completions": ("/v1/completions", "openai.types.completion.Completion"),
    "embeddings": ("/v1/embeddings", "openai.types.create_embedding_response.CreateEmbeddingResponse"),
    "models": ("/v1/models", "openai.types.model.Model"),
}
CHUNK_TYPES = {"chat": "openai.types.chat.chat_completion_chunk.ChatCompletionChunk"}
TIMEOUT = httpx2.Timeout(300.0, connect=10.0)


def upstream_url(upstream: str, endpoint: str) -> str:
    """`endpoint` (/v1/...) at the upstream base URL, without doubling a /v1 it already ends in."""
    base = upstream.rstrip("/")
    if urlsplit(base).path.endswith("/v1") and endpoint.startswith("/v1/"):
        return base + endpoint[len("/v1") :]
    return base + endpoint


def record_path(record_dir: str, test_id: str | None, name: str) -> str:
    folder = test_folder(test_id)
    parts = [record_dir, *(folder.split("/") if folder else []), "recordings", name]
    return os.path.join(*parts)


def _wrap(type_path: str, data: Any) -> dict[str, Any]:
    return {"__type__": type_path, "__data__": data}


async def record(
    state: ServeState, client: ClientRequest, headers: Any, done: Callable[..., None]
) -> Response | None:
    """Forward a miss upstream and answer with what comes back; None when it cannot be recorded
    (an API we do not record): the caller answers with the miss."""
    api = client.api
    if api not in RECORDABLE or state.upstream is None:
        return None
    endpoint, _ = RECORDABLE[api]
    body = client.body if isinstance(client.body, dict) else {}
    url = upstream_url(state.upstream, endpoint)
    key = os.environ.get(state.api_key_env) or PLACEHOLDER_KEY
    send_headers = {"authorization": f"Bearer {key}", "content-type": "application/json"}
    http = httpx2.AsyncClient(timeout=TIMEOUT)
    try:
        if api == "models":
            upstream_request = http.build_request("GET", url, headers=send_headers)
        else:
            upstream_request = http.build_request(
                "POST", url, headers=send_headers, content=orjson.dumps(body)
            )
        answer = await http.send(upstream_request, stream=True)
    except httpx2.HTTPError as exc:
        await http.aclose()
        note = f"upstream {display_url(url)} failed: {type(exc).__name__}"
        done("error", 502, note=note)
        error = {"error": {"type": "upstream_error", "message": note}}
        return Response(orjson.dumps(error), status_code=502, media_type="application/json")
    streaming = bool(body.get("stream")) and answer.status_code == 200
    if not streaming:
        try:
            content = await answer.aread()
        finally:
            await answer.aclose()
            await http.aclose()
        saved = None
        if answer.status_code == 200:
            with contextlib.suppress(orjson.JSONDecodeError):
                saved = _save(state, client, api, body, orjson.loads(content), None)
        done(RECORDED if saved else "error", answer.status_code, recording=saved, note="upstream")
        media = answer.headers.get("content-type", "application/json")
        headers = {"x-tui-replay-match": RECORDED if saved else "error"}
        if saved:
            headers["x-tui-replay-recording"] = saved
        return Response(content, status_code=answer.status_code, media_type=media, headers=headers)
    done(RECORDED, 200, note="upstream stream")
    return StreamingResponse(
        _relay(state, client, api, body, answer, http),
        status_code=200,
        media_type=answer.headers.get("content-type", "text/event-stream"),
        headers={"x-tui-replay-match": RECORDED},
    )


async def _relay(
    state: ServeState, client: ClientRequest, api: str, body: dict[str, Any], answer: Any, http: Any
) -> AsyncIterator[bytes]:
    """The upstream stream passed on line by line as it arrives; saved once it ended whole."""
    started = time.perf_counter()
    chunks: list[Any] = []
    times: list[float] = []
    try:
        async for line in answer.aiter_lines():
            if line.strip() == "data: [DONE]" and chunks:
                # Saved before the client sees the end: its next request is already a hit.
                _save(state, client, api, body, chunks, times)
            elif line.startswith("data: "):
                with contextlib.suppress(orjson.JSONDecodeError):
                    chunks.append(orjson.loads(line[len("data: ") :]))
                    times.append(time.perf_counter() - started)
            yield (line + "\n").encode()
    finally:
        await answer.aclose()
        await http.aclose()


def _save(
    state: ServeState,
    client: ClientRequest,
    api: str,
    body: dict[str, Any],
    answer: Any,
    chunk_times: list[float] | None,
) -> str | None:
    """Write the exchange as a recording and serve it from now on; returns its path."""
    if state.record_dir is None or state.upstream is None:
        return None
    endpoint, type_path = RECORDABLE[api]
    if chunk_times is not None:
        response_body: Any = [_wrap(CHUNK_TYPES.get(api, type_path), chunk) for chunk in answer]
    elif api == "models":
        items = answer.get("data") if isinstance(answer, dict) else None
        response_body = [_wrap(type_path, item) for item in items or []]
    else:
        response_body = _wrap(type_path, answer)
    obj = recording_dict(
        test_id=client.test_id,
        endpoint=endpoint,
        base_url=state.upstream,
        body=body,
        response_body=response_body,
        is_streaming=chunk_times is not None,
        chunk_times=chunk_times,
        normalize_ids=True,
    )
    path = record_path(state.record_dir, client.test_id, recording_file_name(obj))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # The same request recorded by another client just before: keep that one.
    with contextlib.suppress(FileExistsError):
        write_recording_atomic(path, obj)
    index = state.index
    for summary in index.catalog.summarize_path(path):
        index.add_summary(summary)
    return path
