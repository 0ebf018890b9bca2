"""Read a recording file safely and turn it into a `Recording`.

Everything here raises only `RecordingError` (one-line reason): a file that is
not a recording is an error row for the user, never a traceback.
"""

from __future__ import annotations

import gc
import json
import os
import stat
import threading
from collections.abc import Callable
from typing import Any

import orjson

from tui_replay.recording.assemble import assemble_response, parse_request, request_endpoint
from tui_replay.recording.citations import find_citations, retrieved_chunks
from tui_replay.recording.limits import (
    DEFAULT_MAX_SIZE,
    NESTING_REASON,
    ReadBudget,
    nests_too_deep,
    too_many_values,
)
from tui_replay.recording.model import (
    VCR,
    Choice,
    Recording,
    RecordingError,
    interaction_address,
    split_address,
)
from tui_replay.recording.shapes.common import as_str, nonempty_str

# O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused right after the fstat.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
CHUNK_TIMES_KEY = "tui_replay_chunk_times"


# Pausing the cyclic garbage collector while a file is parsed and summarized: orjson builds an
# acyclic tree that reference counting frees, yet its many containers trigger collections that
# scan them in vain (about a tenth of a cold listing). Counted under a lock so that threads
# summarizing at the same time never leave the collector off, nor turn on one a caller turned off.
_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_resume = False


def pause_gc() -> None:
    global _gc_pauses, _gc_resume
    with _gc_lock:
        if not _gc_pauses:
            _gc_resume = gc.isenabled()
            gc.disable()
        _gc_pauses += 1


def resume_gc() -> None:
    global _gc_pauses
    with _gc_lock:
        _gc_pauses -= 1
        if not _gc_pauses and _gc_resume:
            gc.enable()


def format_size(n_bytes: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n_bytes >= scale:
            value = n_bytes / scale
            return f"{value:.1f} {unit}" if value % 1 else f"{int(value)} {unit}"
    return f"{n_bytes} B"


def read_bytes(path: str | os.PathLike[str], max_size: int = DEFAULT_MAX_SIZE) -> bytes:
    """The whole file, refusing non-regular files and files over `max_size` before reading."""
    data, _ = read_bytes_stat(path, max_size)
    return data


def read_bytes_stat(
    path: str | os.PathLike[str], max_size: int = DEFAULT_MAX_SIZE
) -> tuple[bytes, os.stat_result]:
    """`read_bytes` plus the fstat of the opened file (size and mtime for the catalog)."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise RecordingError("file not found") from None
    except PermissionError:
        raise RecordingError("permission denied") from None
    except IsADirectoryError:
        raise RecordingError("not a regular file (a directory)") from None
    except OSError as exc:
        raise RecordingError(f"cannot open: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _with_stat(RecordingError(f"not a regular file ({_file_type(info.st_mode)})"), info)
        if info.st_size > max_size:
            limit = f"file is {format_size(info.st_size)}, over the {format_size(max_size)} limit"
            raise _with_stat(RecordingError(limit), info)
        # One read in the common case: exactly the size fstat gave means the whole file.
        data = os.read(fd, info.st_size + 1)
        if len(data) == info.st_size:
            return data, info
        # A short read (the file shrank, a network file system) or a grown file: read to the end,
        # never past the limit.
        chunks: list[bytes] = [data]
        remaining = max_size + 1 - len(data)
        while remaining > 0:
            try:
                block = os.read(fd, min(remaining, 1 << 22))
            except BlockingIOError:
                continue
            if not block:
                break
            chunks.append(block)
            remaining -= len(block)
        data = b"".join(chunks)
        if len(data) > max_size:
            raise _with_stat(
                RecordingError(f"file grew over the {format_size(max_size)} limit while reading"), info
            )
        return data, info
    except OSError as exc:
        raise RecordingError(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def _with_stat(error: RecordingError, info: os.stat_result) -> RecordingError:
    """Keep the fstat on the error: the catalog shows size and mtime even for refused files."""
    error.stat = info  # type: ignore[attr-defined]
    return error


def _file_type(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def _looks_binary(data: bytes) -> bool:
    head = data[:4096]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls > len(head) // 20


def _decode_error(data: bytes, exc: orjson.JSONDecodeError) -> str:
    message = str(exc).split(":", 1)[0].strip()
    pos = getattr(exc, "pos", 0) or 0
    if message.startswith(("Input is a zero-length", "input data is empty")):
        return "empty file"
    if data.startswith(b"\xef\xbb\xbf"):
        return "starts with a UTF-8 byte order mark (not allowed in JSON)"
    if _looks_binary(data):
        return "binary data, not JSON"
    if "UTF-8" in message:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as err:
            return f"not UTF-8 text at byte {err.start}"
        return "not UTF-8 text"
    if "depth limit" in message or "recursion" in message.lower():
        return NESTING_REASON
    rest = data[pos : pos + 9]
    for token in (b"NaN", b"Infinity", b"-Infinity"):
        if rest.startswith(token):
            return f"{token.decode()} is not valid JSON"
    if message.startswith("unexpected end of data"):
        return f"not valid JSON: truncated (unexpected end of data at byte {pos})"
    return f"not valid JSON: {message} at byte {pos}"


def parse_json(data: bytes) -> dict[str, Any]:
    """The top-level JSON object of a recording file."""
    refused = too_many_values(data)  # before parsing: tiny values cost ~100 bytes each parsed
    if refused:
        raise RecordingError(refused)
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "surrogate" in str(exc) and "UTF-8" not in str(exc):
            # A lone \\ud83c (emoji split by a broken writer): the stdlib parser accepts it.
            obj = _stdlib_loads(data, exc)
        else:
            raise RecordingError(_decode_error(data, exc)) from None
    except RecursionError:
        raise RecordingError(NESTING_REASON) from None
    if nests_too_deep(obj):  # within orjson's 1,024 levels, deeper than what every command can walk
        raise RecordingError(NESTING_REASON)
    if not isinstance(obj, dict):
        kind = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}.get(
            type(obj), "null"
        )
        raise RecordingError(f"top-level JSON is {kind}, not a recording object")
    return obj


def _stdlib_loads(data: bytes, original: orjson.JSONDecodeError) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        raise RecordingError(_decode_error(data, original)) from None


# Subtrees this shallow are serialized once to look for the ids before being walked: most of a
# file holds none and is then shared, not copied. Deeper down, the plain walk (bounded cost).
_PRUNE_DEPTH = 6


def apply_id_mapping(obj: dict[str, Any]) -> dict[str, Any]:
    """Apply a non-empty `id_normalization_mapping` as the recorder does (§8.2).

    Each original id is replaced by its normalized key in every string value,
    then the mapping is emptied. The recorder replaces in the serialized text, so
    object keys too; ids never occur as keys, and leaving keys alone means a short
    original string cannot break the structure ("body" stays "body").
    The result shares the subtrees that hold no id with `obj`.
    """
    mapping = obj.get("id_normalization_mapping")
    if not isinstance(mapping, dict) or not mapping:
        return obj
    pairs = [(original, key) for key, original in mapping.items() if isinstance(original, str) and original]
    # Longer ids first, so an id that contains another is replaced whole.
    pairs.sort(key=lambda pair: len(pair[0]), reverse=True)

    def replace(text: str) -> str:
        for original, key in pairs:
            if original in text:
                text = text.replace(original, key)
        return text

    # An id is in a string of a subtree only if its UTF-8 bytes are in the subtree's JSON, as
    # long as JSON escapes none of its characters (orjson escapes only ", \ and controls).
    needles = [original.encode("utf-8", "surrogatepass") for original, _ in pairs]
    if any(b'"' in n or b"\\" in n or min(n) < 0x20 for n in needles):
        needles = []

    def copy(value: Any, depth: int) -> Any:
        if isinstance(value, str):
            return replace(value)
        if not isinstance(value, (dict, list)):
            return value
        if not needles or depth >= _PRUNE_DEPTH:
            return _replace_strings(value, replace)
        try:
            dumped = orjson.dumps(value)
        except orjson.JSONEncodeError:  # e.g. a lone surrogate from the stdlib fallback
            return _replace_strings(value, replace)
        if not any(needle in dumped for needle in needles):
            return value
        if isinstance(value, dict):
            return {key: copy(item, depth + 1) for key, item in value.items()}
        return [copy(item, depth + 1) for item in value]

    return {key: {} if key == "id_normalization_mapping" else copy(value, 1) for key, value in obj.items()}


def _replace_strings(root: dict | list, replace: Callable[[str], str]) -> dict | list:
    """A copy of `root` with `replace` applied to every string value (keys left alone)."""
    result: Any = {} if isinstance(root, dict) else [None] * len(root)
    # Iterative walk: files may nest up to orjson's depth limit, deeper than Python recursion allows.
    stack: list[tuple[Any, Any]] = [(root, result)]
    while stack:
        source, target = stack.pop()
        entries = source.items() if isinstance(source, dict) else enumerate(source)
        for key, value in entries:
            if isinstance(value, dict):
                copy: Any = {}
                stack.append((value, copy))
            elif isinstance(value, list):
                copy = [None] * len(value)
                stack.append((value, copy))
            elif isinstance(value, str):
                copy = replace(value)
            else:
                copy = value
            target[key] = copy
    return result


def chunk_times(obj: dict[str, Any]) -> list[float] | None:
    """Per-chunk arrival times of our own live captures (`tui_replay_chunk_times`)."""
    raw = obj.get(CHUNK_TIMES_KEY)
    if not isinstance(raw, list) or not all(
        isinstance(t, (int, float)) and not isinstance(t, bool) for t in raw
    ):
        return None
    return [float(t) for t in raw]


def _envelope(obj: Any) -> tuple[dict, dict]:
    if not isinstance(obj, dict):
        raise RecordingError("top-level JSON is not a recording object")
    request, response = obj.get("request"), obj.get("response")
    if request is None and response is None:
        raise RecordingError("not a recording: no request/response")
    if not isinstance(request, dict):
        raise RecordingError("request: missing" if request is None else "request: expected an object")
    if not isinstance(response, dict):
        raise RecordingError("response: missing" if response is None else "response: expected an object")
    return request, response


def recording_from_obj(obj: dict[str, Any], path: str) -> Recording:
    """Assemble a parsed recording object; raises only RecordingError."""
    try:
        return _recording_from_obj(obj, path)
    except RecordingError:
        raise
    except Exception as exc:  # a wrong-typed field deep inside: one line, never a traceback
        raise RecordingError(f"malformed recording: {type(exc).__name__}: {exc}") from None


def _recording_from_obj(obj: dict[str, Any], path: str) -> Recording:
    request, response = _envelope(obj)
    id_mapping = obj.get("id_normalization_mapping")
    obj = apply_id_mapping(obj)
    request, response = obj["request"], obj["response"]
    times = chunk_times(obj)
    assembled = assemble_response(request, response, times)
    parts = parse_request(request, assembled.kind)
    model = nonempty_str(request.get("model")) or parts.model or assembled.response.model
    retrieved = retrieved_chunks(parts.messages)
    id_mapping = id_mapping if isinstance(id_mapping, dict) else None
    citations = find_citations(assembled.response.text, retrieved, id_mapping)
    choices = [
        Choice(
            index,
            answer,
            timeline,
            citations if answer is assembled.response else find_citations(answer.text, retrieved, id_mapping),
        )
        for index, answer, timeline in assembled.choices
    ]
    test_id = obj.get("test_id", request.get("test_id"))
    return Recording(
        path=path,
        kind=assembled.kind,
        test_id=test_id if isinstance(test_id, str) else None,
        endpoint=request_endpoint(request),
        url=as_str(request.get("url")),
        model=model,
        streaming=response.get("is_streaming") is True,
        messages=parts.messages,
        tools=parts.tools,
        params=parts.params,
        response=assembled.response,
        timeline=assembled.timeline,
        citations=citations,
        retrieved=retrieved,
        request_raw=request,
        response_raw=response,
        chunk_times=times,
        choices=choices,
    )


def resolve_address(address: str | os.PathLike[str]) -> tuple[str, int | None]:
    """(file, interaction) of what a user or a row names: a file, or `cassette.yaml#N`.

    A file that exists under the whole name wins (a JSON file may have `#` in its name).
    """
    name = os.fspath(address)
    file, index = split_address(name)
    if index is None or os.path.lexists(name) or not os.path.lexists(file):
        return name, None
    return file, index


def load_recording(path: str | os.PathLike[str], *, max_size: int = DEFAULT_MAX_SIZE) -> Recording:
    """Read, parse and assemble one recording (a file, or `cassette.yaml#N`); raises only RecordingError."""
    from tui_replay.recording.cassette import (
        cassette_test_id,
        is_cassette_name,
        parse_cassette,
        whole_cassette_recording,
    )

    file, index = resolve_address(path)
    try:
        data = read_bytes(file, max_size)
    except RecordingError:
        raise
    except (OSError, ValueError) as exc:
        raise RecordingError(f"cannot read: {exc}") from None
    if index is not None or is_cassette_name(file):
        budget = ReadBudget(max_size)
        interactions = parse_cassette(data, budget)
        whole = whole_cassette_recording(interactions, file, cassette_test_id(file))
        if whole is not None:  # a realtime session or an empty cassette: the file is the recording
            if index is not None:
                raise RecordingError(f"{file} is read whole ({whole.kind}): name it without #{index}")
            return whole
        if index is None:
            if len(interactions) != 1:
                raise RecordingError(
                    f"a cassette with {len(interactions)} interactions: name one as {file}#N (N from 0)"
                )
            index = 0
        if index >= len(interactions):
            raise RecordingError(f"no interaction #{index}: the cassette has {len(interactions)}")
        return cassette_recording(interactions[index], file, index, max_size, budget)
    return recording_from_obj(parse_json(data), file)


def cassette_recording(
    raw: Any, file: str, index: int, max_size: int = DEFAULT_MAX_SIZE, budget: ReadBudget | None = None
) -> Recording:
    """Interaction `index` of a cassette, assembled like any recording; raises only RecordingError.
    `budget`: the cassette's (parse_cassette), shared by its interactions."""
    from tui_replay.recording.cassette import cassette_test_id, convert_interaction, unknown_recording

    address = interaction_address(file, index)
    test_id = cassette_test_id(file)
    try:
        item = convert_interaction(raw, max_size, budget)
    except RecordingError as exc:
        raise RecordingError(f"interaction #{index}: {exc.reason}") from None
    except Exception as exc:
        raise RecordingError(f"interaction #{index}: malformed: {type(exc).__name__}: {exc}") from None
    if item.obj is None:
        return unknown_recording(item, address, test_id, index)
    recording = recording_from_obj({**item.obj, "test_id": test_id}, address)
    recording.format, recording.interaction = VCR, index
    return recording
