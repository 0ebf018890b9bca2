"""The HTTP side of `serve`: one Starlette route that answers every endpoint from the index.

Starlette (on uvicorn) rather than aiohttp: its StreamingResponse stops our generator when the
client goes away (a disconnect mid-stream costs nothing), requests run concurrently on one
event loop, and the same ASGI app runs under uvicorn in the CLI and in the app's worker thread.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import anyio
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from tui_replay.recording.model import RecordingError
from tui_replay.serve.index import (
    AMBIGUOUS,
    HIT,
    MISS,
    MODEL_LIST_APIS,
    RECORDED,
    ClientRequest,
    Entry,
    Match,
)
from tui_replay.serve.replies import JSON, Reply, merged_model_list
from tui_replay.serve.state import ServeState, Traffic

if TYPE_CHECKING:
    from tui_replay.recording.miss import Probe

MATCH_HEADER = "x-tui-replay-match"  # hit | ambiguous | miss | recorded
RECORDING_HEADER = "x-tui-replay-recording"  # the file that answered
# Request bodies this process has read so far (files): 0 on a warm start that found every key
# in the cache, which is what the tests and the bench check.
FILES_READ_HEADER = "x-tui-replay-files-read"
PROVIDER_DATA_HEADERS = ("x-ogx-provider-data", "x-llamastack-provider-data")
TEST_ID_HEADER = "x-test-id"


def test_id_of(headers: Any) -> str | None:
    """The test a request names: llama-stack's provider-data header (`__test_id`), else X-Test-Id."""
    for name in PROVIDER_DATA_HEADERS:
        raw = headers.get(name)
        if raw:
            try:
                data = orjson.loads(raw)
            except orjson.JSONDecodeError:
                continue
            if isinstance(data, dict) and isinstance(data.get("__test_id"), str):
                return data["__test_id"]
    return headers.get(TEST_ID_HEADER) or None


def parse_body(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw.decode("utf-8", errors="replace")


def _json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=JSON, headers=headers)


def _version(entry: Entry) -> tuple[int, int]:
    info = os.stat(entry.file)
    return info.st_size, info.st_mtime_ns


def create_app(state: ServeState) -> Starlette:
    async def handle(request: Request) -> Response:
        started = time.perf_counter()
        arrived = time.time()
        raw = await request.body()
        client = ClientRequest(
            request.method, request.url.path, request.url.query, parse_body(raw), test_id_of(request.headers)
        )
        model = client.body.get("model") if isinstance(client.body, dict) else None
        model = model if isinstance(model, str) else None

        def done(verdict: str, status: int, **extra: Any) -> None:
            latency = (time.perf_counter() - started) * 1000
            state.publish(
                Traffic(
                    arrived,
                    client.method,
                    client.path,
                    model,
                    verdict,
                    status,
                    latency,
                    request=client,
                    **extra,
                )
            )

        if client.method == "GET" and "/responses/" in client.path:
            return _stored_response(state, client, done)
        if client.api is None:
            done("error", 404, note="unknown endpoint")
            return _json_response(
                404, {"error": {"type": "unknown_endpoint", "message": f"no such endpoint: {client.path}"}}
            )
        index = state.index
        if index.ready(client.api):
            match = index.match(client)
        else:  # the first request of an API reads its files: off the event loop
            match = await anyio.to_thread.run_sync(index.match, client)
        if match.entry is not None:
            try:
                version = _version(match.entry)
                reply = state.replies.cached(match.entry, version)
                if reply is None:  # read, parsed and (a stream) paced once: off the event loop
                    reply = await anyio.to_thread.run_sync(state.replies.get, match.entry, version)
            except (RecordingError, OSError, ValueError) as exc:
                done("error", 500, recording=match.entry.address, note=str(exc))
                return _json_response(
                    500,
                    {"error": {"type": "recording_unreadable", "message": f"{match.entry.address}: {exc}"}},
                )
            verdict = match.verdict
            note = f"{len({e.answer for e in match.candidates})} answers" if verdict == AMBIGUOUS else ""
            siblings = _same_hash_model_lists(client, match)
            if len(siblings) > 1:
                replies = [
                    await anyio.to_thread.run_sync(state.replies.get, e, _version(e)) for e in siblings
                ]
                reply = merged_model_list(replies, ollama=client.api == "ollama_tags")
                others = any(e.name_hash != match.entry.name_hash for e in match.candidates)
                verdict = AMBIGUOUS if others else HIT
                note = f"{len(siblings)} lists of one hash merged" + (", other lists too" if others else "")
            headers = {
                MATCH_HEADER: verdict,
                RECORDING_HEADER: match.entry.address,
                FILES_READ_HEADER: str(index.files_read),
            }
            done(verdict, reply.status, recording=match.entry.address, note=note)
            return _send(state, reply, headers, client, match.entry.address)
        if state.upstream:
            from tui_replay.serve.upstream import record

            recorded = await record(state, client, request.headers, done)
            if recorded is not None:
                return recorded
        return await _miss(state, client, match, done)

    return Starlette(routes=[Route("/{path:path}", handle, methods=["GET", "POST"])])


def _same_hash_model_lists(client: ClientRequest, match: Match) -> list[Entry]:
    """The model lists recorded under the answering file's hash (the recorder merges them)."""
    entry = match.entry
    if client.api not in MODEL_LIST_APIS or entry is None or entry.name_hash is None:
        return []
    return [candidate for candidate in match.candidates if candidate.name_hash == entry.name_hash]


def _send(
    state: ServeState, reply: Reply, headers: dict[str, str], client: ClientRequest, address: str
) -> Response:
    if reply.events is None:
        return Response(reply.body, status_code=reply.status, media_type=reply.media_type, headers=headers)
    times = state.timing.schedule(reply.times or [0.0] * len(reply.events), len(reply.events))
    return StreamingResponse(
        _paced(state, reply.events, times, client, address),
        status_code=reply.status,
        media_type=reply.media_type,
        headers={**headers, "cache-control": "no-cache"},
    )


async def _paced(
    state: ServeState, events: list[bytes], times: list[float], client: ClientRequest, address: str
) -> AsyncIterator[bytes]:
    start = time.perf_counter()
    sent = 0
    try:
        for event, due in zip(events, times, strict=False):
            wait = due - (time.perf_counter() - start)
            if wait > 0:
                await asyncio.sleep(wait)
            yield event
            sent += 1
    finally:
        if sent < len(events):  # the client went away: stop here, nothing else to free
            state.publish(
                Traffic(
                    time.time(),
                    client.method,
                    client.path,
                    None,
                    "disconnect",
                    0,
                    0.0,
                    recording=address,
                    note=f"client left after {sent} of {len(events)} events",
                )
            )


def _stored_response(state: ServeState, client: ClientRequest, done: Callable[..., None]) -> Response:
    response_id = client.path.rstrip("/").rsplit("/", 1)[-1]
    entry = state.index.response_by_id(response_id)
    if entry is None:
        done(MISS, 404, note="no recorded response with this id")
        return _json_response(
            404,
            {"error": {"type": "recording_not_found", "message": f"no recorded response {response_id}"}},
        )
    obj_reply = state.replies.get(entry, _version(entry))
    if obj_reply.events is not None:  # recorded as a stream: the final response is its last event
        done(MISS, 404, note="recorded only as a stream")
        return _json_response(
            404, {"error": {"type": "recording_not_found", "message": "recorded only as a stream"}}
        )
    done(HIT, obj_reply.status, recording=entry.address)
    return Response(
        obj_reply.body,
        status_code=obj_reply.status,
        media_type=JSON,
        headers={MATCH_HEADER: HIT, RECORDING_HEADER: entry.address},
    )


# -- a miss ------------------------------------------------------------------------------


def probe_for(state: ServeState, client: ClientRequest) -> Probe:
    """The request as the explain engine sees it, at the URL its recordings were made against."""
    from tui_replay.recording.miss import Probe, probe_from_body

    url = state.index.example_url(client) or f"http://{state.host}{client.path}"
    label = f"{client.method} {client.path}"
    if client.api in ("messages", "responses"):
        request = state.index.as_stored_request(client, url)
        body = client.body if isinstance(client.body, dict) else {}
        model = body.get("model") if isinstance(body.get("model"), str) else None
        return Probe(label, client.test_id, url, model, request)
    body = {} if client.api in MODEL_LIST_APIS and not client.body else client.body
    return probe_from_body(body, test_id=client.test_id, url=url, label=label)


def explain_miss(state: ServeState, client: ClientRequest, match: Match) -> dict[str, Any]:
    """The 404 body: `explain --json`'s result for this request, in the provider's error shape."""
    from tui_replay.commands.explain import explanation_json  # a miss only: start-up stays light

    state.index.read_all()
    state.index.prepare_explainer()
    probe = probe_for(state, client)
    with state.index.lock:
        explanation = state.index.explainer.explain(probe)
    result = explanation_json(explanation)
    hash_hex = match.hash or probe.hash
    if client.test_id:
        rerecord = rerecord_command(client.test_id, explanation)
    else:
        rerecord = (
            f"tui-replay serve {' '.join(state.index.roots)} --upstream URL --record-dir DIR"
            "  # then send the request again"
        )
    message = f"no recording for {client.method} {client.path}"
    message += f" (test {client.test_id})" if client.test_id else " (no test id)"
    message += f", recorder hash {hash_hex}"
    nearest = result["nearest"]
    if nearest:
        first = nearest[0]
        message += f"; nearest {first['path']} ({first['score']} differences"
        shown = [
            f"{d['pointer']}: stored {_short(d['stored'])} != request {_short(d['request'])}"
            for d in first["differences"][:3]
        ]
        message += (": " + "; ".join(shown) if shown else "") + ")"
    error = {
        "type": "recording_not_found",
        "message": message,
        "hash": hash_hex,
        "nearest": nearest,
        "rerecord": rerecord,
    }
    return error


def rerecord_command(test_id: str, explanation: Any) -> str | None:
    """`explain --log`'s re-record command for one missing test, as if a log had reported it."""
    from tui_replay.commands import explain as explain_command
    from tui_replay.recording.miss import LogMiss, LogReport

    probe = explanation.probe
    report = LogReport(
        misses=[LogMiss(test_id, probe.hash, probe.model, probe.url, 0, "")], node_ids=[test_id]
    )
    # The explain engine's newer entry point (branch `explain`: grouped by setup and model
    # options) when it is there, else the one before it.
    commands = getattr(explain_command, "rerecord_commands", None)
    if commands is not None:
        found = commands(report, [explanation])
        return found[0][1] if found else None
    return report.rerecord_command()


def _short(value: Any, limit: int = 60) -> str:
    text = orjson.dumps(value).decode() if value is not None else "(absent)"
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def _miss(
    state: ServeState, client: ClientRequest, match: Match, done: Callable[..., None]
) -> Response:
    error = await anyio.to_thread.run_sync(explain_miss, state, client, match)
    body: dict[str, Any] = {"error": error}
    if client.api == "messages":  # Anthropic's error envelope
        body = {"type": "error", "error": error}
    done(MISS, 404, note=error["message"], nearest=error["nearest"])
    return _json_response(404, body, {MATCH_HEADER: MISS})


__all__ = ["HIT", "RECORDED", "ServeState", "Traffic", "create_app"]
