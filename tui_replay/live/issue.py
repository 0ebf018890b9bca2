"""Send a planned call with the official async OpenAI client and time what comes back.

Everything that can go wrong becomes a `LiveError` with one line naming the cause
(connection refused, timeout, the HTTP status with the server's message, a stream
that ended without a finish reason); nothing else escapes except cancellation.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from tui_replay.live.plan import CHAT, COMPLETION, EMBEDDINGS, MODELS, LiveCall
from tui_replay.live.target import LiveError, LiveTarget, client_base_url, display_url, redact

# Called for each stream item as it arrives: (index, seconds since sent, the item as a plain dict).
ChunkCallback = Callable[[int, float, dict[str, Any]], None]

MAX_MESSAGE = 400  # characters of a server's error message kept in the one-line cause


@dataclass(slots=True)
class LiveExchange:
    """One live answer: the SDK objects as received and when they arrived."""

    call: LiveCall
    base_url: str  # the SDK base URL the call went to
    objects: list[Any] = field(default_factory=list)  # stream items, or the one response (or models)
    chunk_times: list[float] = field(default_factory=list)  # per stream item, seconds since sent
    ttft_s: float | None = None  # first stream item (the whole answer when not streamed)
    total_s: float = 0.0
    started: str = ""  # UTC time the request was sent, ISO 8601

    @property
    def url(self) -> str:
        return self.base_url.rstrip("/") + self.call.endpoint.removeprefix(self.call.endpoint_prefix)

    def plain(self) -> list[dict[str, Any]]:
        return [plain(obj) for obj in self.objects]


def plain(obj: Any) -> Any:
    """An SDK object as the JSON dict it was received as."""
    if hasattr(obj, "model_dump"):
        # warnings=False: servers send shapes the SDK types do not expect (llama.cpp's
        # per-token embeddings); the data is kept as sent, without a warning on stderr.
        return obj.model_dump(mode="json", warnings=False)
    return obj


def _one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _server_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error") if isinstance(body.get("error"), dict) else body
        for key in ("message", "detail", "error"):
            value = inner.get(key)
            if isinstance(value, str) and value:
                return value
        return json.dumps(body)
    if isinstance(body, str) and body:
        return body
    message = str(getattr(exc, "message", "") or exc)
    return message.split(" - ", 1)[1] if message.startswith("Error code:") and " - " in message else message


def _connection_cause(exc: BaseException, url: str) -> str:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 8:
        chain.append(current)
        current = current.__cause__ or current.__context__
    host = urlsplit(display_url(url)).netloc or display_url(url)
    text = " ".join(str(e) for e in chain)
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "Connection refused" in text:
        return f"connection refused: nothing is listening at {host}"
    for error in chain[1:]:
        if str(error):
            return f"cannot connect to {host}: {_one_line(str(error), 200)}"
    return f"cannot connect to {host}"


def _is_transport_error(exc: BaseException) -> bool:
    """An error of the HTTP library under the SDK (httpx, or its successor), by module name,
    so that this module does not depend on which one the installed SDK uses."""
    return any(cls.__module__.split(".")[0].startswith(("httpx", "httpcore")) for cls in type(exc).__mro__)


def describe_error(exc: BaseException, *, url: str, timeout: float, chunks: int) -> str:
    """One line naming why a live call failed."""
    import openai

    transport = _is_transport_error(exc)
    if isinstance(exc, openai.APITimeoutError | TimeoutError) or (
        transport and "Timeout" in type(exc).__name__
    ):
        return f"timeout: no complete answer within {timeout:g} s" + (
            f" (after {chunks} chunks)" if chunks else ""
        )
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code} from the server: {_one_line(_server_message(exc))}"
    if isinstance(exc, openai.APIConnectionError) and not chunks:
        return _connection_cause(exc, url)
    if chunks and (transport or isinstance(exc, openai.APIConnectionError)):
        return (
            f"stream ended without a finish reason: the connection broke after {chunks} chunks "
            f"({_one_line(str(exc) or type(exc).__name__, 200)})"
        )
    if transport:
        return f"HTTP error: {_one_line(str(exc) or type(exc).__name__, 200)}"
    if isinstance(exc, openai.APIError):  # e.g. an error event inside the stream
        return f"the server reported an error: {_one_line(_server_message(exc))}"
    return f"{type(exc).__name__}: {_one_line(str(exc), 200)}"


async def _send(
    client: Any, call: LiveCall, exchange: LiveExchange, sent: float, on_chunk: ChunkCallback | None
) -> None:
    kwargs = dict(call.kwargs)
    if call.operation == MODELS:
        page = await client.models.list(**kwargs)
        exchange.ttft_s = time.perf_counter() - sent
        exchange.objects = list(page.data)
        return
    if call.operation == EMBEDDINGS:
        exchange.objects = [await client.embeddings.create(**kwargs)]
        exchange.ttft_s = time.perf_counter() - sent
        return
    resource = client.chat.completions if call.operation == CHAT else client.completions
    if not call.stream:
        exchange.objects = [await resource.create(**kwargs)]
        exchange.ttft_s = time.perf_counter() - sent
        return
    stream = await resource.create(**kwargs)
    try:
        async for item in stream:
            at = time.perf_counter() - sent
            if exchange.ttft_s is None:
                exchange.ttft_s = at
            exchange.objects.append(item)
            exchange.chunk_times.append(at)
            if on_chunk is not None:
                on_chunk(len(exchange.objects) - 1, at, plain(item))
    finally:
        await stream.close()


def stream_finished(exchange: LiveExchange) -> bool:
    """Whether some stream item carried a finish reason (a normal end)."""
    for item in exchange.plain():
        for choice in item.get("choices") or []:
            if isinstance(choice, dict) and choice.get("finish_reason"):
                return True
    return False


async def issue(target: LiveTarget, call: LiveCall, on_chunk: ChunkCallback | None = None) -> LiveExchange:
    """Send `call` to `target` once; raise LiveError with a one-line cause on any failure."""
    from openai import AsyncOpenAI

    base_url = client_base_url(target.require_base_url(), call.endpoint_prefix)
    exchange = LiveExchange(call=call, base_url=base_url)
    client = AsyncOpenAI(base_url=base_url, api_key=target.api_key(), timeout=target.timeout, max_retries=0)
    exchange.started = datetime.now(UTC).isoformat(timespec="milliseconds")
    sent = time.perf_counter()
    try:
        async with asyncio.timeout(target.timeout):
            await _send(client, call, exchange, sent, on_chunk)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        cause = describe_error(exc, url=exchange.url, timeout=target.timeout, chunks=len(exchange.objects))
        raise LiveError(redact(cause, target)) from None
    finally:
        exchange.total_s = time.perf_counter() - sent
        await client.close()
    if call.stream and call.operation in (CHAT, COMPLETION) and not stream_finished(exchange):
        raise LiveError(f"stream ended without a finish reason after {len(exchange.objects)} chunks")
    return exchange
