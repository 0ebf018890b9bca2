"""Send a planned call with the official async OpenAI client and time what comes back.

Everything that can go wrong becomes a `LiveError` with one line naming the cause
(connection refused, timeout, the HTTP status with the server's message, a stream
that ended without a finish reason); nothing else escapes except cancellation.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from tui_replay.live.plan import CHAT, COMPLETION, EMBEDDINGS, MODELS, LiveCall
from tui_replay.live.target import (
    LiveError,
    LiveTarget,
    base_url_query,
    client_base_url,
    display_url,
    redact,
    redact_data,
)
from tui_replay.urls import join_url

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
        suffix = self.call.endpoint.removeprefix(self.call.endpoint_prefix)
        try:
            return join_url(self.base_url, suffix)
        except ValueError:  # (refused before anything is sent: client_base_url)
            return self.base_url

    def plain(self) -> list[dict[str, Any]]:
        return [plain(obj) for obj in self.objects]


def plain(obj: Any) -> Any:
    """An SDK object as the JSON dict it was received as."""
    if hasattr(obj, "model_dump"):
        # warnings=False: servers send shapes the SDK types do not expect (llama.cpp's
        # per-token embeddings); the data is kept as sent, without a warning on stderr.
        return obj.model_dump(mode="json", warnings=False)
    return obj


class AnswerTooLarge(Exception):
    """The answer passed the size limit while it downloaded (raised inside the HTTP stream)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"answer larger than {format_size(limit)}")
        self.limit = limit


class NotOpenAIReply(Exception):
    """A reply that is not what an OpenAI-compatible server sends (an HTML page, other JSON)."""


def format_size(size: int) -> str:
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor:
            return f"{size / factor:g} {unit}"
    return f"{size} bytes"


def _http_library() -> Any:
    """The HTTP library under the SDK (httpx, or its successor), found from the SDK's own client."""
    import openai

    for cls in openai.DefaultAsyncHttpxClient.__mro__:
        root = cls.__module__.split(".")[0]
        if root.startswith("httpx"):
            return sys.modules[root]
    raise RuntimeError("the OpenAI SDK's HTTP client is not httpx-based")


@cache
def _bounded_client_class() -> type:
    """An SDK HTTP client that refuses answers over a size limit while they download, and HTML pages.

    Bytes are counted as they arrive, before any parsing, so a 200 MB single-chunk stream
    stops at the limit instead of filling memory. Compression is refused (identity is asked
    for): a compressed reply could expand far past the limit after it was counted.
    """
    import openai

    library = _http_library()

    class LimitedStream(library.AsyncByteStream):  # type: ignore[misc,name-defined]
        def __init__(self, inner: Any, limit: int) -> None:
            self.inner = inner
            self.limit = limit

        async def __aiter__(self) -> Any:
            received = 0
            async for piece in self.inner:
                received += len(piece)
                if received > self.limit:
                    raise AnswerTooLarge(self.limit)
                yield piece

        async def aclose(self) -> None:
            await self.inner.aclose()

    class BoundedClient(openai.DefaultAsyncHttpxClient):  # type: ignore[misc,valid-type]
        def __init__(self, *, max_answer: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.max_answer = max_answer

        async def send(self, request: Any, *, stream: bool = False, **kwargs: Any) -> Any:
            request.headers["Accept-Encoding"] = "identity"
            response = await super().send(request, stream=True, **kwargs)
            try:
                self._check(response)
                response.stream = LimitedStream(response.stream, self.max_answer)
                if not stream:
                    await response.aread()
            except BaseException:
                await response.aclose()
                raise
            return response

        def _check(self, response: Any) -> None:
            headers = response.headers
            encoding = headers.get("content-encoding", "identity").strip().lower()
            if encoding not in ("", "identity"):
                raise NotOpenAIReply(f"compressed ({encoding}) although an uncompressed answer was asked for")
            length = headers.get("content-length", "")
            if length.isdigit() and int(length) > self.max_answer:
                raise AnswerTooLarge(self.max_answer)
            content_type = headers.get("content-type", "").lower()
            if response.is_success and "html" in content_type:
                where = display_url(str(response.request.url))
                raise NotOpenAIReply(f"an HTML page ({_one_line(content_type, 60)}) from {where}")

    return BoundedClient


def _own_error(exc: BaseException) -> BaseException | None:
    """Our AnswerTooLarge / NotOpenAIReply, also when the SDK wrapped it in its own error."""
    current: BaseException | None = exc
    for _ in range(8):
        if current is None:
            return None
        if isinstance(current, AnswerTooLarge | NotOpenAIReply):
            return current
        current = current.__cause__ or current.__context__
    return None


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

    if isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        # the HTTP library's task group (happy eyeballs) wraps the one error that matters
        return describe_error(exc.exceptions[0], url=url, timeout=timeout, chunks=chunks)
    own = _own_error(exc)
    if isinstance(own, AnswerTooLarge):
        return f"{own} (the limit is --max-answer or [live] max_answer)"
    if isinstance(own, NotOpenAIReply):
        return f"not an OpenAI-compatible reply: {_one_line(str(own), 200)}"
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
    if isinstance(exc, json.JSONDecodeError):  # an SSE event or a body that is not JSON
        where = f"line {exc.lineno} column {exc.colno}"
        return f"not an OpenAI-compatible reply: not JSON ({exc.msg} at {where}" + (
            f", after {chunks} chunks)" if chunks else ")"
        )
    if isinstance(exc, openai.APIError):  # e.g. an error event inside the stream
        return f"the server reported an error: {_one_line(_server_message(exc))}"
    return f"{type(exc).__name__}: {_one_line(str(exc), 200)}"


async def _send(
    client: Any,
    call: LiveCall,
    exchange: LiveExchange,
    sent: float,
    on_chunk: ChunkCallback | None,
    target: LiveTarget,
) -> None:
    kwargs = dict(call.kwargs)
    if call.operation == MODELS:
        page = await client.models.list(**kwargs)
        exchange.ttft_s = time.perf_counter() - sent
        items = getattr(page, "data", None)
        if not isinstance(items, list):
            raise NotOpenAIReply("a model list without a `data` array")
        exchange.objects = list(items)
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
                on_chunk(len(exchange.objects) - 1, at, redact_data(plain(item), target))
    finally:
        await stream.close()


def _describe_json(value: Any) -> str:
    if isinstance(value, dict):
        keys = ", ".join(str(key) for key in list(value)[:6])
        return f"a JSON object with keys {keys}" if keys else "an empty JSON object"
    if isinstance(value, str):
        return f"text instead of JSON: {_one_line(repr(value), 80)}"
    names = {list: "a JSON array", bool: "a JSON boolean", int: "a JSON number", float: "a JSON number"}
    return names.get(type(value), "null" if value is None else type(value).__name__)


def check_reply_shape(exchange: LiveExchange) -> None:
    """Raise NotOpenAIReply unless every object has the operation's shape (choices, data, id)."""
    call = exchange.call
    if call.stream and not exchange.objects:
        raise NotOpenAIReply("the stream carried no data events")
    for obj in exchange.objects:
        # only the keys the server sent (the SDK fills missing fields with None)
        if hasattr(obj, "model_dump"):
            item = obj.model_dump(mode="json", exclude_unset=True, warnings=False)
        else:
            item = obj
        if call.operation in (CHAT, COMPLETION):
            good = isinstance(item, dict) and isinstance(item.get("choices"), list)
            good = good and all(isinstance(choice, dict) for choice in item["choices"])
            wanted = "`choices`"
        elif call.operation == EMBEDDINGS:
            good = isinstance(item, dict) and isinstance(item.get("data"), list)
            wanted = "`data`"
        else:
            good = isinstance(item, dict) and isinstance(item.get("id"), str)
            wanted = "an `id` (each model)"
        if not good:
            raise NotOpenAIReply(f"{_describe_json(item)}; expected an object with {wanted}")


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

    requested = target.require_base_url()
    base_url = client_base_url(requested, call.endpoint_prefix)
    exchange = LiveExchange(call=call, base_url=base_url)
    client = AsyncOpenAI(
        base_url=base_url,
        default_query=base_url_query(requested),
        api_key=target.api_key(),
        timeout=target.timeout,
        max_retries=0,
        http_client=_bounded_client_class()(max_answer=target.max_answer, timeout=target.timeout),
    )
    exchange.started = datetime.now(UTC).isoformat(timespec="milliseconds")
    sent = time.perf_counter()
    try:
        async with asyncio.timeout(target.timeout):
            await _send(client, call, exchange, sent, on_chunk, target)
        check_reply_shape(exchange)
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
