"""Where a re-issued request goes: base URL, model, key variable and timeout.

The API key itself is read from the environment only when a client is made and
is never stored in these objects, printed or written.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from tui_replay.config import DEFAULT_MAX_ANSWER, Config
from tui_replay.urls import join_url

# Sent when the named variable is unset: local servers ignore the key, but the
# SDK refuses to build a client without one.
PLACEHOLDER_KEY = "not-needed"


class LiveError(Exception):
    """A re-issue that could not be completed; `cause` is one line for the user."""

    def __init__(self, cause: str) -> None:
        cause = " ".join(str(cause).split())
        super().__init__(cause)
        self.cause = cause


@dataclass(frozen=True, slots=True)
class LiveTarget:
    base_url: str | None
    model: str | None  # None: send the recorded model
    api_key_env: str
    timeout: float
    max_answer: int = DEFAULT_MAX_ANSWER  # bytes of one answer, refused beyond

    @classmethod
    def from_config(cls, config: Config) -> LiveTarget:
        live = config.live
        return cls(
            base_url=live.base_url,
            model=live.model,
            api_key_env=live.api_key_env,
            timeout=live.timeout,
            max_answer=live.max_answer,
        )

    def require_base_url(self) -> str:
        if not self.base_url:
            raise LiveError(
                "no base URL: pass --base-url, set OPENAI_BASE_URL, or set [live] base_url in the config"
            )
        try:
            parts = urlsplit(self.base_url)
            port = parts.port  # ValueError: not a number, or not 0-65535
        except ValueError as exc:
            # (not shown: the URL may hold credentials and does not parse to drop them)
            raise LiveError(f"base URL is not a valid URL: {exc}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise LiveError(f"base URL is not an http(s) URL with a host: {display_url(self.base_url)}")
        if port == 0:
            raise LiveError(f"base URL has port 0, which no server listens on: {display_url(self.base_url)}")
        base_url_query(self.base_url)  # refuses a query it cannot carry
        return self.base_url

    def api_key(self) -> str:
        return os.environ.get(self.api_key_env) or PLACEHOLDER_KEY


MASK = "***"


def _secret(target: LiveTarget | None) -> str | None:
    key = os.environ.get(target.api_key_env) if target is not None else None
    return key if key and len(key) >= 4 else None  # (a 1-3 character "key" would mask everything)


def redact(text: str, target: LiveTarget | None) -> str:
    """`text` with the API key value masked, for anything shown or written."""
    key = _secret(target)
    if key and key in text:
        text = text.replace(key, MASK)
    return text


def redact_open_end(text: str, target: LiveTarget | None) -> str:
    """`text` that is still growing (a stream shown as it arrives), masked, without a tail that
    could be the start of the key: the next chunk may complete it (it shows once it cannot)."""
    key = _secret(target)
    if key is None:
        return text
    text = redact(text, target)
    for length in range(min(len(key) - 1, len(text)), 0, -1):
        if text.endswith(key[:length]):
            return text[:-length]
    return text


def redact_data(value: Any, target: LiveTarget | None) -> Any:
    """`value` (JSON-like data, e.g. a live answer a server filled with the key it was sent)
    with the key masked in every string, keys of objects included."""
    if isinstance(value, str):
        return redact(value, target)
    if isinstance(value, dict):
        return {redact_data(k, target): redact_data(v, target) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(item, target) for item in value]
    return value


def redact_stream(items: list[Any], target: LiveTarget | None) -> list[Any]:
    """Stream items (JSON-like) with the key masked where the server split it across items:
    the strings at the same place of every item (`choices.0.delta.content`, ...) are joined,
    the key is looked for in the joined text, and each masked span is mapped back onto the
    pieces (its first piece says MASK, the rest of it is dropped). Then `redact_data` each."""
    key = _secret(target)
    if key is None:
        return items
    items = copy.deepcopy(items)
    pieces: dict[tuple, list[tuple[Any, Any]]] = {}  # place -> (container, its key) in item order
    for item in items:
        _string_places(item, (), pieces)
    for places in pieces.values():
        texts = [container[name] for container, name in places]
        joined = "".join(texts)
        spans = [(start, start + len(key)) for start in _occurrences(joined, key)]
        if not spans or all(key in text for text in texts):
            continue  # nowhere split: redact_data masks it below
        offset = 0
        for (container, name), text in zip(places, texts, strict=True):
            container[name] = _mask_piece(text, offset, spans)
            offset += len(text)
    return [redact_data(item, target) for item in items]


def _string_places(value: Any, place: tuple, found: dict[tuple, list[tuple[Any, Any]]]) -> None:
    if isinstance(value, dict):
        children: Any = value.items()
    elif isinstance(value, list):
        children = enumerate(value)
    else:
        return
    for name, child in children:
        if isinstance(child, str):
            found.setdefault((*place, name), []).append((value, name))
        else:
            _string_places(child, (*place, name), found)


def _occurrences(text: str, key: str) -> list[int]:
    starts, start = [], text.find(key)
    while start != -1:
        starts.append(start)
        start = text.find(key, start + len(key))
    return starts


def _mask_piece(text: str, offset: int, spans: list[tuple[int, int]]) -> str:
    """The piece of the joined text at [offset, offset + len(text)) with the spans masked."""
    out, position = [], offset
    for start, end in spans:
        if end <= position or start >= offset + len(text):
            continue
        out.append(text[position - offset : max(start, position) - offset])
        if start >= position:  # the span starts in this piece: it says MASK here
            out.append(MASK)
        position = min(end, offset + len(text))
    out.append(text[position - offset :])
    return "".join(out)


def client_base_url(base_url: str, endpoint_prefix: str) -> str:
    """The SDK base URL for an endpoint such as /v1/chat/completions (prefix "/v1").

    The call is built from the logical endpoint and the user's base URL, never from
    the recorded `url` (which often reads /v1/v1/...): the prefix is appended only
    when the base URL does not already end with it (`urls.join_url`, as every export).
    LiveError when the recorded endpoint is not a URL path.
    """
    # The query travels apart (base_url_query): the SDK appends the endpoint to the path,
    # which must not land after a query string (/v1?api-version=1chat/completions).
    try:
        return join_url(base_url, endpoint_prefix.rstrip("/"), keep_query=False)
    except ValueError as exc:
        raise LiveError(f"cannot re-issue: {exc}") from None


def base_url_query(base_url: str) -> dict[str, str]:
    """The base URL's query parameters, sent with every request (e.g. Azure's api-version).

    A name given twice cannot be carried as one parameter each: refused in one line.
    """
    pairs = parse_qsl(urlsplit(base_url).query, keep_blank_values=True)
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise LiveError(f"base URL query repeats the parameter {name!r}: give it once")
        params[name] = value
    return params


def display_url(url: str) -> str:
    """`url` without user:password@ and without a query string (either may carry a secret),
    for anything shown or written (the request itself still uses the full URL)."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
