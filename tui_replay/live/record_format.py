"""Write recordings exactly as the llama-stack / OGX recorder does.

Pure Python, no Textual and no network: `compare --save` and `scripts/make_samples.py`
use it to turn a request (the SDK keyword arguments) and what came back into a file
that any reader of the recorder's format (ours included) opens like a real recording.

What it follows (see recordings-format.md):
  * §9  the request hash (file name): sha256 of the normalized request, current rules;
  * §3-§5 the file layout: test_id, request, response, id_normalization_mapping;
  * §6.1 typed wrappers {"__type__", "__data__"}; §8.1 id/created normalization;
  * §6.10 recorded exceptions; §2.3 pretty, pure-ASCII JSON with one trailing newline.

Our only addition is the top-level key `tui_replay_chunk_times` (seconds since the
request was sent, one per stream item) on live captures, which the recorder never writes.
Headers are always stored as {}: nothing that could hold an API key is written.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tui_replay.atomic import write_atomic
from tui_replay.recording import request_hash as request_hashing

CHUNK_TIMES_KEY = "tui_replay_chunk_times"

# Endpoints (as stored in request.endpoint) whose files are named models-<hash>-<digest8>.json (§2.1).
MODEL_LIST_ENDPOINTS = frozenset(request_hashing.MODEL_LIST_ENDPOINTS)

# SDK keyword arguments that can carry credentials; never stored (and so not hashed either).
_SECRET_KWARGS = frozenset({"extra_headers", "api_key"})


def normalize(value: Any, *, drop_stream_options: bool = False) -> Any:
    """The recorder's body normalization for hashing (§9, current rules)."""
    return request_hashing.normalize_body(value, drop_stream_options=drop_stream_options)


def _current_hash(request: dict[str, Any], test_id: str | None) -> str:
    digest = request_hashing.request_hash(request, test_id)
    assert digest is not None  # every request built here has a known variant
    return digest


def request_hash(url: str, body: Mapping[str, Any], test_id: str | None, *, method: str = "POST") -> str:
    """The 64-hex hash the recorder names an inference recording by (§9).

    `url` is the stored request.url (its path is hashed, not request.endpoint);
    `body` the SDK keyword arguments as stored; `test_id` the pytest node id or None.
    """
    return _current_hash({"url": url, "method": method, "body": body}, test_id)


def raw_http_request_hash(url: str, payload: Mapping[str, Any], test_id: str | None) -> str:
    """Hash of a raw-HTTP (`payload`) recording (§9)."""
    return _current_hash({"url": url, "method": "POST", "payload": payload}, test_id)


def tool_request_hash(provider: str, tool_name: str, kwargs: Mapping[str, Any]) -> str:
    """Hash of a tool-invocation recording (§9): no test id, no normalization."""
    return _current_hash({"provider": provider, "tool_name": tool_name, "kwargs": kwargs}, None)


def recorded_hash(data: Mapping[str, Any]) -> str | None:
    """Recompute the current-rules hash of a loaded recording; None for variants that cannot be.

    The file name stays an opaque key (§9): a different result does not mean the file is bad.
    """
    request = data.get("request")
    if not isinstance(request, Mapping):
        return None
    if "body" in request and isinstance(request.get("url"), str):
        return request_hash(request["url"], request["body"] or {}, data.get("test_id"))
    if "payload" in request and isinstance(request.get("url"), str):
        return raw_http_request_hash(request["url"], request["payload"], request.get("test_id"))
    if "tool_name" in request:
        return tool_request_hash(request.get("provider"), request["tool_name"], request.get("kwargs") or {})
    return None


def recording_url(base_url: str, endpoint: str) -> str:
    """request.url as the recorder builds it: base URL + endpoint (hence the usual /v1/v1/)."""
    url = base_url.rstrip("/") + endpoint
    if "cloud.databricks.com" in url:  # the recorder masks the workspace host
        url = "__databricks__" + url.split("cloud.databricks.com")[-1]
    return url


def _is_not_given(value: Any) -> bool:
    # openai's NOT_GIVEN / Omit sentinels, recognized without importing the SDK.
    return type(value).__name__ in ("NotGiven", "Omit")


def sdk_body(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The request.body the recorder stores: the SDK kwargs minus unset sentinels and secrets."""
    return {
        key: _plain(value)
        for key, value in kwargs.items()
        if not _is_not_given(value) and key not in _SECRET_KWARGS
    }


def _plain(value: Any) -> Any:
    """Pydantic objects inside request kwargs become their JSON dump."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def normalize_data(data: dict[str, Any], hash_hex: str) -> dict[str, Any]:
    """The recorder's response normalization of one `__data__` (§8.1), in place; returns it."""
    if "id" in data and data.get("object") != "model":
        data["id"] = f"rec-{hash_hex[:12]}"
    if "created" in data and data.get("object") != "model":
        data["created"] = 0
    if "created_at" in data:
        data["created_at"] = "1970-01-01T00:00:00.000000Z"
    for key in ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration"):
        if data.get(key) is not None:
            data[key] = 0
    return data


def typed(obj: Any, *, normalize_ids_with: str | None = None) -> Any:
    """Wrap an SDK (pydantic) object as {"__type__", "__data__"} (§6.1).

    A dict that already is a wrapper is copied; other plain values pass through unchanged.
    With `normalize_ids_with` (the request hash) id/created are normalized as the recorder does.
    """
    if hasattr(obj, "model_dump"):
        cls = type(obj)
        wrapper = {
            "__type__": f"{cls.__module__}.{cls.__qualname__}",
            "__data__": obj.model_dump(mode="json"),
        }
    elif isinstance(obj, Mapping) and "__type__" in obj and "__data__" in obj:
        wrapper = {"__type__": obj["__type__"], "__data__": json.loads(json.dumps(obj["__data__"]))}
    else:
        return obj
    if normalize_ids_with is not None and isinstance(wrapper["__data__"], dict):
        normalize_data(wrapper["__data__"], normalize_ids_with)
    return wrapper


def exception_data(exc: BaseException | Mapping[str, Any]) -> dict[str, Any]:
    """§6.10 exception_data for an exception (a dict is taken as already serialized)."""
    if isinstance(exc, Mapping):
        return dict(exc)
    exc_type = type(exc).__name__
    message = str(exc)
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        module = type(exc).__module__.split(".")[0]
        return {
            "category": "provider_sdk",
            "provider": module if module in ("openai", "anthropic", "ollama", "google") else "unknown",
            "type": exc_type,
            "message": message,
            "status_code": status,
            "body": getattr(exc, "body", None),
        }
    return {"category": "unknown", "type": exc_type, "message": message}


def recording_dict(
    *,
    test_id: str | None,
    endpoint: str,
    base_url: str,
    body: Mapping[str, Any],
    model: str | None = None,
    response_body: Any,
    is_streaming: bool,
    chunk_times: Sequence[float] | None = None,
    exception: BaseException | Mapping[str, Any] | None = None,
    normalize_ids: bool = False,
    provider_metadata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A whole recording in the recorder's layout (§3, §4.1, §5).

    `body` is the SDK kwargs as sent; `response_body` an SDK object, a list of them (stream
    chunks or a model list), already-wrapped dicts, or None with `exception`.
    `normalize_ids=True` gives ids/created like the recorder (§8.1); live captures keep real ones.
    """
    stored_body = sdk_body(body)
    url = recording_url(base_url, endpoint)
    hash_hex = request_hash(url, stored_body, test_id)
    norm = hash_hex if normalize_ids else None
    request: dict[str, Any] = {
        "method": "POST",
        "url": url,
        "headers": {},
        "body": stored_body,
        "endpoint": endpoint,
        "model": model if model is not None else stored_body.get("model", ""),
    }
    if provider_metadata:
        request["provider_metadata"] = dict(provider_metadata)
    if isinstance(response_body, list | tuple):
        stored_response: Any = [typed(item, normalize_ids_with=norm) for item in response_body]
    else:
        stored_response = typed(response_body, normalize_ids_with=norm)
    response: dict[str, Any] = {"body": stored_response, "is_streaming": bool(is_streaming)}
    if exception is not None:
        data = exception_data(exception)
        response["is_exception"] = True
        response["exception_data"] = data
        response["exception_message"] = (
            str(exception) if isinstance(exception, BaseException) else data.get("message", "")
        )
    result: dict[str, Any] = {
        "test_id": test_id,
        "request": request,
        "response": response,
        "id_normalization_mapping": {},
    }
    if chunk_times is not None:
        result[CHUNK_TIMES_KEY] = [round(float(t), 6) for t in chunk_times]
    return result


def models_digest(ids: Sequence[str]) -> str:
    """First 8 hex digits of sha256 over the sorted, de-duplicated model ids joined by "|" (§2.1)."""
    return hashlib.sha256("|".join(sorted(set(ids))).encode("utf-8")).hexdigest()[:8]


def recording_file_name(recording: Mapping[str, Any]) -> str:
    """The name the recorder gives this recording: <hash>.json or models-<hash>-<digest8>.json."""
    request = recording["request"]
    hash_hex = request_hash(request["url"], request["body"], recording.get("test_id"))
    if request.get("endpoint") in MODEL_LIST_ENDPOINTS and isinstance(recording["response"]["body"], list):
        ids = [
            item["__data__"]["id"]
            for item in recording["response"]["body"]
            if isinstance(item, Mapping) and isinstance(item.get("__data__"), Mapping)
        ]
        return f"models-{hash_hex}-{models_digest(ids)}.json"
    return f"{hash_hex}.json"


def dumps_recording(obj: Mapping[str, Any]) -> str:
    """The recorder's text: 2-space indent, pure ASCII (\\u escapes), one trailing newline."""
    return json.dumps(obj, indent=2, ensure_ascii=True, default=str) + "\n"


def write_recording_atomic(
    path: str | os.PathLike[str], obj: Mapping[str, Any], *, overwrite: bool = False
) -> Path:
    """Write `obj` to `path` atomically (temp file in the same folder, fsync, then the name).

    Refuses to replace an existing file unless `overwrite=True`. On any failure no
    partial file is left behind and an existing file is untouched.
    """
    text = dumps_recording(obj)  # serialize first: a bad object never creates a file
    return write_atomic(path, text, overwrite=overwrite, encoding="ascii")
