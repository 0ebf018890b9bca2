"""The per-file catalog row: `summarize_file` never raises.

The catalog lists thousands of files cold, so this must add little on top of
`orjson.loads`. The common shapes (streamed and plain chat completions, legacy
completions, model lists, embeddings, Gemini, recorded exceptions) take lean readers here that
compute only the row's fields; anything they do not expect, and every other
shape, goes through the full assembler. The test suite checks that both paths
agree with `load_recording`, on the corpus and on variants built to leave the
lean paths.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

import orjson

from tui_replay.recording.assemble import assemble_response, parse_request, request_endpoint
from tui_replay.recording.citations import count_markers
from tui_replay.recording.limits import ReadBudget
from tui_replay.recording.load import (
    CHUNK_TIMES_KEY,
    DEFAULT_MAX_SIZE,
    apply_id_mapping,
    parse_json,
    pause_gc,
    read_bytes,
    read_bytes_stat,
    resume_gc,
)
from tui_replay.recording.model import LLAMA_STACK, VCR, Kind, Recording, RecordingError, Summary
from tui_replay.recording.shapes import (
    TYPED_SHAPES,
    embeddings,
    genai,
    models,
    openai_chat,
    openai_completion,
    plain_dict_shape,
)
from tui_replay.recording.shapes.common import (
    as_dict,
    as_int,
    as_list,
    as_str,
    fix_surrogates,
    nonempty_str,
)
from tui_replay.recording.text import recording_text

PREVIEW_CHARS = 200
# Smaller files hold too few containers to set off a collection (700 new ones): no GC pause needed.
_GC_PAUSE_BYTES = 32 * 1024

# (kind, text, tool-call count, prompt tokens, completion tokens, chunks, model) of a response
# body: what a Summary takes from it.
_Lean = tuple[Kind, str, int, int | None, int | None, int, str | None]
_Tokens = tuple[int | None, int | None]
_NO_TOKENS: _Tokens = (None, None)
_MODEL_LISTS = frozenset(name for name, shape in TYPED_SHAPES.items() if shape is models)
_EMBEDDINGS = frozenset(name for name, shape in TYPED_SHAPES.items() if shape is embeddings)


# orjson hands out the same str object for a short key on every parse (its key cache). A
# lookup with that very object matches by identity; a literal is another object, compared
# character by character on every chunk. (Should the cache ever give another object, the
# lookups still match by value, only slower.)
_K_DATA, _K_CHOICES, _K_INDEX, _K_DELTA, _K_CONTENT, _K_TOOL_CALLS, _K_USAGE, _K_MODEL = orjson.loads(
    b'{"__data__":0,"choices":0,"index":0,"delta":0,"content":0,"tool_calls":0,"usage":0,"model":0}'
)


class _Unusual(Exception):
    """A lean reader met something it does not handle: use the full assembler."""


def _usage_tokens(value: Any) -> _Tokens | None:
    """(prompt, completion) tokens of `openai_usage(value)`, None where it gives None."""
    if not isinstance(value, dict):
        return None
    prompt, completion = value.get("prompt_tokens"), value.get("completion_tokens")
    if type(prompt) is int and type(completion) is int:  # the common case, as as_int reads it
        return prompt, completion
    prompt = as_int(value.get("prompt_tokens"))
    if prompt is None:
        prompt = as_int(value.get("input_tokens"))
    completion = as_int(value.get("completion_tokens"))
    if completion is None:
        completion = as_int(value.get("output_tokens"))
    if prompt is None and completion is None and as_int(value.get("total_tokens")) is None:
        return None
    return prompt, completion


def _lean_response(request: dict, body: Any) -> _Lean | None:
    """The summary fields of the common shapes without the full assembler, else None.

    Each branch reads exactly what the shape module reads for these fields, and gives
    up (None: the caller assembles in full) wherever that module would take another path.
    """
    if type(body) is list and body:
        first = body[0]
        if type(first) is not dict:
            return None
        type_path = first.get("__type__")
        if type(type_path) is str:
            if type_path.endswith(".ChatCompletionChunk"):
                try:
                    return _lean_chat_stream(body)
                except _Unusual:
                    return None
            name = type_path.rsplit(".", 1)[-1]
            if name in _MODEL_LISTS:  # a list of ids: nothing a row shows
                return Kind.MODELS, "", 0, None, None, 0, None
            if name == "Completion":
                return _lean_completion(body)
            return None
        if plain_dict_shape(as_str(request.get("url")) or "", first) is genai:
            return _lean_gemini(body, True)
        return None
    if type(body) is dict:
        type_path = body.get("__type__")
        if type(type_path) is str:
            name = type_path.rsplit(".", 1)[-1]
            if name in _MODEL_LISTS:
                return Kind.MODELS, "", 0, None, None, 0, None
            data = body.get("__data__")
            if type(data) is not dict:
                return None
            if name == "ChatCompletion":
                return _lean_chat_completion(data)
            if name == "Completion":
                return _lean_completion_items([data], False)
            if name in _EMBEDDINGS and "embeddings" not in data:  # OpenAI's (Ollama's has "embeddings")
                return (
                    Kind.EMBEDDINGS,
                    "",
                    0,
                    *(_usage_tokens(data.get("usage")) or _NO_TOKENS),
                    0,
                    nonempty_str(data.get("model")),
                )
            return None
        if plain_dict_shape(as_str(request.get("url")) or "", body) is genai:
            return _lean_gemini([body], False)
        return None
    if body is None:  # a recorded exception (the caller tells), or nothing at all
        return Kind.UNKNOWN, "", 0, None, None, 0, None
    return None


def _lean_chat_stream(body: list) -> _Lean:
    """A ChatCompletionChunk list in one tight pass; raises _Unusual off the common path.

    The common path: every chunk's first choice has index 0 (or there is no choice),
    text and tool-call fragments in its delta, a model name, usage in one chunk.
    """
    try:
        text, indexes, usage, model = _strict_chat_stream(body)
    except KeyError:  # a chunk without one of the keys the SDK always writes
        text, indexes, usage, model = _tolerant_chat_stream(body)
    if (indexes and any(type(index) is not int for index in indexes)) or (model and type(model) is not str):
        raise _Unusual
    tokens = _usage_tokens(usage) if usage else _NO_TOKENS
    if tokens is None:  # the last usage says nothing: the assembler takes an earlier one
        raise _Unusual
    return Kind.CHAT, fix_surrogates(text), len(indexes), *tokens, len(body), model or None


def _strict_chat_stream(body: list) -> tuple[str, Any, Any, Any]:
    # Back to front: the end of the body was parsed last, so it is still in the CPU cache.
    pieces: list[str] = []
    append = pieces.append
    indexes: set | None = None
    usage: Any = None
    k_data, k_choices, k_index, k_delta = _K_DATA, _K_CHOICES, _K_INDEX, _K_DELTA
    k_content, k_tool_calls, k_usage = _K_CONTENT, _K_TOOL_CALLS, _K_USAGE
    try:
        for item in reversed(body):
            data = item[k_data]
            choices = data[k_choices]
            if choices:
                choice = choices[0]
                if choice[k_index] != 0 or len(choices) > 1:  # n > 1: the assembler counts the choices
                    raise _Unusual
                delta = choice[k_delta]
                content = delta[k_content]
                if content:
                    append(content)
                if delta[k_tool_calls]:
                    if indexes is None:
                        indexes = set()
                    for fragment in delta[k_tool_calls]:
                        indexes.add(fragment[k_index])
            elif type(choices) is not list:
                raise _Unusual
            if usage is None and data[k_usage]:
                usage = data[k_usage]
        pieces.reverse()
        text = "".join(pieces)
        model: Any = None
        for item in body:
            model = item[k_data][_K_MODEL]
            if model:
                break
    except (TypeError, AttributeError, IndexError):
        raise _Unusual from None
    return text, indexes or (), usage, model


def _tolerant_chat_stream(body: list) -> tuple[str, Any, Any, Any]:
    pieces: list[str] = []
    append = pieces.append
    indexes: set = set()
    usage: Any = None
    model: Any = None
    try:
        for item in body:
            data = item["__data__"]
            choices = data["choices"]
            if choices:
                choice = choices[0]
                if choice["index"] != 0 or len(choices) > 1:
                    raise _Unusual
                delta = choice["delta"]
                content = delta.get("content")
                if content:
                    append(content)
                calls = delta.get("tool_calls")
                if calls:
                    for fragment in calls:
                        indexes.add(fragment["index"])
            elif type(choices) is not list:
                raise _Unusual
            chunk_usage = data.get("usage")
            if chunk_usage:
                usage = chunk_usage
            if not model:
                model = data.get("model")
        text = "".join(pieces)
    except (KeyError, TypeError, AttributeError, IndexError):
        raise _Unusual from None
    return text, indexes, usage, model


def _lean_chat_completion(data: dict) -> _Lean | None:
    """A non-streamed ChatCompletion, as openai_chat.assemble_completion reads it."""
    choices = data.get("choices")
    if isinstance(choices, list) and len(choices) > 1:  # n > 1: the assembler counts the choices
        return None
    choice = openai_chat._choice_zero(choices) or {}
    message = as_dict(choice.get("message"))
    content = message.get("content")
    if isinstance(content, list):  # content parts: the full assembler joins them
        return None
    text = fix_surrogates(as_str(content) or "")
    calls = len(as_list(message.get("tool_calls")))
    prompt, completion = _usage_tokens(data.get("usage")) or _NO_TOKENS
    return Kind.CHAT, text, calls, prompt, completion, 0, nonempty_str(data.get("model"))


def _lean_completion(body: list) -> _Lean | None:
    """A streamed legacy Completion: wrapped items only (the assembler unwraps others otherwise)."""
    items = []
    for item in body:
        data = item.get("__data__") if type(item) is dict and "__type__" in item else None
        if type(data) is not dict:
            return None
        items.append(data)
    return _lean_completion_items(items, True)


def _lean_completion_items(items: list[dict], is_list: bool) -> _Lean:
    """Completion dicts, as openai_completion.assemble reads them for these fields."""
    pieces: list[str] = []
    tokens = _NO_TOKENS
    model = None
    for data in items:
        model = model or nonempty_str(data.get("model"))
        piece = openai_completion._choice_zero(data).get("text")
        if isinstance(piece, str) and piece:
            pieces.append(piece)
        found = _usage_tokens(data.get("usage"))
        if found is not None:
            tokens = found
    text = fix_surrogates("".join(pieces))
    return Kind.COMPLETION, text, 0, *tokens, len(items) if is_list else 0, model


def _lean_gemini(items: list, is_list: bool) -> _Lean | None:
    """genai generate_content(_stream) dicts, as genai.assemble reads them for these fields."""
    pieces: list[str] = []
    calls = 0
    tokens = _NO_TOKENS
    model = None
    for data in items:
        if not isinstance(data, dict) or "__type__" in data:  # the full assembler dispatches those otherwise
            return None
        model = model or nonempty_str(data.get("model_version"))
        candidate = as_dict(next(iter(as_list(data.get("candidates"))), {}))
        for part in as_list(as_dict(candidate.get("content")).get("parts")):
            part = as_dict(part)
            piece = part.get("text")
            if isinstance(piece, str) and piece and part.get("thought") is not True:
                pieces.append(piece)
            if "function_call" in part:
                calls += 1
        meta = data.get("usage_metadata")
        if meta:  # as genai._usage: the last chunk with any of the three counts
            meta = as_dict(meta)
            prompt = as_int(meta.get("prompt_token_count"))
            completion = as_int(meta.get("candidates_token_count"))
            if (
                prompt is not None
                or completion is not None
                or as_int(meta.get("total_token_count")) is not None
            ):
                tokens = prompt, completion
    text = fix_surrogates("".join(pieces))
    return Kind.GEMINI, text, calls, *tokens, len(items) if is_list else 0, model


def _first_user(request: dict, kind: Kind) -> str:
    """First user message text; for a tool call or file the thing it acts on."""
    if "body" in request:  # the inference request variant
        body = request["body"]
        if type(body) is dict:
            messages = body.get("messages")
            if type(messages) is list:
                for raw in messages:
                    if type(raw) is dict and raw.get("role") == "user":
                        content = raw.get("content")
                        # The common case, as parse_message reads it.
                        if type(content) is str and "images" not in raw:
                            return content[:PREVIEW_CHARS]
                        return openai_chat.parse_message(raw).text[:PREVIEW_CHARS]
                return ""
            if "contents" in body:
                found = _first_gemini_user(body)
                if found is not None:
                    return found
            elif "messages" not in body and "prompt" not in body:
                found = _first_embedding_input(request, body)
                if found is not None:
                    return found
    parts = parse_request(request, kind)
    for message in parts.messages:
        if message.role == "user":
            return message.text[:PREVIEW_CHARS]
    for message in parts.messages:
        for call in message.tool_calls:
            return f"{call.name} {call.arguments}"[:PREVIEW_CHARS]
    file_id = as_str(request.get("file_id"))
    return file_id or ""


def _first_gemini_user(body: dict) -> str | None:
    """The first user message of a genai request, parsing contents only up to it (None: not found)."""
    if type(as_dict(body.get("config")).get("system_instruction")) is list:
        return None  # read recursively by genai.parse_request: let it meet any problem first
    contents = body.get("contents")
    if isinstance(contents, str):
        return contents[:PREVIEW_CHARS]
    for content in as_list(contents):
        if isinstance(content, str):
            return content[:PREVIEW_CHARS]
        for message in genai._content_message(content):
            if message.role == "user":
                return message.text[:PREVIEW_CHARS]
    return None


def _first_embedding_input(request: dict, body: dict) -> str | None:
    """An embeddings request's input as embeddings.parse_request joins it, up to the preview.

    A body parse_request reads as a model list has no message: the file id, as below.
    None: let parse_request read it.
    """
    if "input" not in body:
        return as_str(request.get("file_id")) or ""
    raw = body["input"]
    if isinstance(raw, str):
        return raw[:PREVIEW_CHARS]
    if not isinstance(raw, list) or not raw or not all(isinstance(item, str) for item in raw):
        return None
    # join_parts: a newline between parts unless the previous one already ends a line.
    out: list[str] = []
    length = 0
    for text in raw:
        if out and not out[-1].endswith("\n") and text:
            out.append("\n")
            length += 1
        out.append(text)
        length += len(text)
        if length >= PREVIEW_CHARS:
            break
    return "".join(out)[:PREVIEW_CHARS]


def _request_model(request: dict) -> str | None:
    return (
        nonempty_str(request.get("model"))
        or nonempty_str(as_dict(request.get("body")).get("model"))
        or nonempty_str(as_dict(request.get("payload")).get("model"))
    )


def summarize_obj(obj: dict[str, Any], path: str) -> Summary:
    """The catalog row of a parsed recording; raises only RecordingError."""
    try:
        return _summarize_obj(obj, path)
    except RecordingError:
        raise
    except Exception as exc:
        raise RecordingError(f"malformed recording: {type(exc).__name__}: {exc}") from None


def _summarize_obj(obj: dict[str, Any], path: str) -> Summary:
    if type(obj) is not dict:
        raise RecordingError("top-level JSON is not a recording object")
    request, response = obj.get("request"), obj.get("response")
    if request is None and response is None:
        raise RecordingError("not a recording: no request/response")
    if type(request) is not dict or type(response) is not dict:
        bad = "request" if type(request) is not dict else "response"
        raise RecordingError(f"{bad}: expected an object")
    mapping = obj.get("id_normalization_mapping")
    if mapping and type(mapping) is dict:
        obj = apply_id_mapping(obj)
        request, response = obj["request"], obj["response"]

    body = response.get("body")
    lean = _lean_response(request, body)
    if lean is not None:
        kind, text, tool_calls, prompt, completion, chunks, response_model = lean
        # As exception.exception_info decides that there is one.
        exception = bool(
            response.get("is_exception")
            or response.get("exception_data") is not None
            or response.get("exception_message") is not None
        )
        if body is None and exception:
            kind = Kind.ERROR
        choices = 1
    else:
        assembled = assemble_response(request, response)
        kind = assembled.kind
        result = assembled.response
        text, tool_calls, chunks = result.text, len(result.tool_calls), result.chunks
        usage = result.usage
        prompt, completion = (usage.prompt_tokens, usage.completion_tokens) if usage else _NO_TOKENS
        exception = result.exception is not None
        response_model = result.model
        choices = max(1, len(assembled.choices))
    test_id = obj.get("test_id", request.get("test_id"))
    # Positional (the field order of Summary): a third of the cost of keywords, per file.
    summary = Summary(
        path,
        "ok",
        None,  # error
        test_id if type(test_id) is str else None,
        str(kind),
        request_endpoint(request),
        _request_model(request) or response_model,
        response.get("is_streaming") is True,
        chunks,
        tool_calls,
        count_markers(text),
        exception,
        prompt,
        completion,
        0,  # size, set by summarize_file
        0,  # mtime_ns
        _first_user(request, kind),
        text[:PREVIEW_CHARS],
        choices,
        None,  # key: computed on demand (`summary_key`), it costs twice the rest of the row
    )
    summary.capture = CHUNK_TIMES_KEY in obj  # only our captures write it: a dict lookup
    return summary


def key_pending(summary: Summary) -> bool:
    """The row's key status is not computed yet but can be (`summary_key` would read the file)."""
    return summary.key is None and summary.status == "ok" and summary.format == LLAMA_STACK


def summary_key(summary: Summary, max_size: int = DEFAULT_MAX_SIZE) -> str | None:
    """The row's key status (`Summary.key`), read from its file the first time and kept on the row.

    Not part of summarizing: hashing the request under every rule set costs twice as much as the
    rest of the row, and a listing rarely needs it. None for an unreadable file, a cassette
    interaction (keyed by order, not by hash) and a file that can no longer be read.
    """
    if not key_pending(summary):
        return summary.key
    key = file_key_status(summary.path, max_size)
    if key is not None:
        summary.key = key
    return key


def classify_file(obj: dict[str, Any], path: str):  # -> request_hash.KeyStatus
    """`request_hash.classify_file`, imported on first use: hashing is half the summarizer's
    imports, and a listing never asks for a key (a cold `list` imports the summarizer before
    it forks its workers)."""
    from tui_replay.recording.request_hash import classify_file as classify

    return classify(obj, path)


def file_key_status(path: str, max_size: int = DEFAULT_MAX_SIZE) -> str | None:
    """The key status of a llama-stack recording file (`Summary.key`), read now; None when the
    file cannot be read or is no recording (gone, changed or odd since the listing)."""
    try:
        obj = parse_json(read_bytes(path, max_size))
        if type(obj) is not dict:
            return None
        mapping = obj.get("id_normalization_mapping")
        if mapping and type(mapping) is dict:
            obj = apply_id_mapping(obj)
        return classify_file(obj, path).summary_label
    except Exception:  # never a traceback
        return None


def summarize_json_texts(data: bytes) -> str:
    """What a JSON recording's bytes say (`recording_text`), "" when they cannot be parsed."""
    try:
        return recording_text(parse_json(data))
    except RecordingError:
        return ""


def summarize_file(
    path: str | os.PathLike[str], max_size: int = DEFAULT_MAX_SIZE, texts: list[str] | None = None
) -> Summary:
    """The catalog row of one file. Never raises: a bad file is an error row with a one-line reason.

    `texts`: what the recording says (`recording_text`, "" for an error row) is appended there.
    """
    name = os.fspath(path)
    size = mtime_ns = 0
    if texts is not None:
        texts.append("")  # replaced once the file is read
    try:
        data, info = read_bytes_stat(name, max_size)
        size, mtime_ns = info.st_size, info.st_mtime_ns
        if len(data) >= _GC_PAUSE_BYTES:
            pause_gc()
        try:
            obj = parse_json(data)
            summary = summarize_obj(obj, name)
            if texts is not None:
                texts[-1] = recording_text(obj)
        finally:
            if len(data) >= _GC_PAUSE_BYTES:
                resume_gc()
    except RecordingError as exc:
        info = getattr(exc, "stat", None)
        if info is not None:
            size, mtime_ns = info.st_size, info.st_mtime_ns
        return Summary(path=name, status="error", error=exc.reason, size=size, mtime_ns=mtime_ns)
    except Exception as exc:  # last resort: the catalog must never see a traceback
        reason = " ".join(f"unexpected error: {type(exc).__name__}: {exc}".split())
        return Summary(path=name, status="error", error=reason, size=size, mtime_ns=mtime_ns)
    summary.size, summary.mtime_ns = size, mtime_ns
    return summary


class NotACassette(RecordingError):
    """A YAML file that is valid but holds no `interactions` list (a config file, say)."""


def summarize_cassette(
    data: bytes, file: str, max_size: int = DEFAULT_MAX_SIZE, texts: list[str] | None = None
) -> list[Summary]:
    """One row per interaction of a cassette's bytes (an interaction that cannot be read is an
    error row of its own); raises RecordingError when the file is not a readable cassette.
    `texts`: what each row says is appended there (see summarize_file)."""
    from tui_replay.recording.cassette import (
        cassette_test_id,
        convert_interaction,
        parse_cassette,
        whole_cassette_recording,
    )
    from tui_replay.recording.model import interaction_address

    budget = ReadBudget(max_size)  # the file's, shared by its interactions
    try:
        interactions = parse_cassette(data, budget)
    except RecordingError as exc:
        if exc.reason.startswith("not a cassette"):
            raise NotACassette(exc.reason) from None
        raise
    test_id = cassette_test_id(file)
    whole = whole_cassette_recording(interactions, file, test_id)
    if whole is not None:  # a realtime session or an empty cassette: one row for the file
        if texts is not None:
            texts.append(_recording_text(whole))
        return [_summary_of(whole)]
    rows: list[Summary] = []
    for index, raw in enumerate(interactions):
        address = interaction_address(file, index)
        text = ""
        try:
            item = convert_interaction(raw, max_size, budget)
            if item.obj is not None:
                row = summarize_obj({**item.obj, "test_id": test_id}, address)
                if texts is not None:
                    text = recording_text(item.obj)
            else:
                status = item.status
                row = Summary(
                    path=address,
                    status="ok",
                    test_id=test_id,
                    kind=str(Kind.UNKNOWN),
                    endpoint=urlsplit(item.url).path or None,
                    model=item.model,
                    streaming=item.streaming,
                    exception=status is not None and status >= 400,
                    first_user=f"{item.method} {item.url}"[:PREVIEW_CHARS],
                )
        except RecordingError as exc:
            row = Summary(path=address, status="error", error=f"interaction #{index}: {exc.reason}")
        except Exception as exc:
            reason = " ".join(f"interaction #{index}: malformed: {type(exc).__name__}: {exc}".split())
            row = Summary(path=address, status="error", error=reason)
        row.format, row.interaction = VCR, index
        rows.append(row)
        if texts is not None:
            texts.append(text)
    return rows


def _summary_of(recording: Recording) -> Summary:
    """The row of a recording already assembled (a realtime session, an empty cassette)."""
    response = recording.response
    usage = response.usage
    first_user = next((m.text for m in recording.messages if m.role == "user" and m.text), "")
    return Summary(
        path=recording.path,
        status="ok",
        test_id=recording.test_id,
        kind=str(recording.kind),
        endpoint=recording.endpoint,
        model=recording.model,
        streaming=recording.streaming,
        chunks=response.chunks,
        tool_calls=len(response.tool_calls),
        exception=response.exception is not None,
        prompt_tokens=usage.prompt_tokens if usage else None,
        completion_tokens=usage.completion_tokens if usage else None,
        first_user=(first_user or response.summary.get("note", ""))[:PREVIEW_CHARS],
        answer_start=response.text[:PREVIEW_CHARS],
        format=recording.format,
        interaction=recording.interaction,
    )


def _recording_text(recording: Recording) -> str:
    """What an assembled recording says, for `text:` (messages, tool calls, the answer)."""
    out = [m.text for m in recording.messages if m.text]
    out.extend(f"{c.name} {c.arguments}" for c in recording.response.tool_calls)
    out.extend(t for t in (recording.response.reasoning, recording.response.text) if t)
    return "\n".join(out)


def summarize_cassette_file(
    path: str | os.PathLike[str],
    max_size: int = DEFAULT_MAX_SIZE,
    *,
    skip_other_yaml: bool = False,
    texts: list[str] | None = None,
) -> list[Summary]:
    """The catalog rows of a cassette file, one per interaction. Never raises.

    `skip_other_yaml`: a YAML file that is no cassette gives no row (a folder scan meets
    config files), instead of an error row (a file named on its own).
    """
    name = os.fspath(path)
    size = mtime_ns = 0
    try:
        data, info = read_bytes_stat(name, max_size)
        size, mtime_ns = info.st_size, info.st_mtime_ns
        pause_gc()
        try:
            found: list[str] = []
            rows = summarize_cassette(data, name, max_size, found if texts is not None else None)
            if texts is not None:
                texts.extend(found)
        finally:
            resume_gc()
    except NotACassette as exc:
        if skip_other_yaml:
            return []
        rows = [Summary(path=name, status="error", error=exc.reason, format=VCR)]
    except RecordingError as exc:
        info = getattr(exc, "stat", None)
        if info is not None:
            size, mtime_ns = info.st_size, info.st_mtime_ns
        rows = [Summary(path=name, status="error", error=exc.reason, format=VCR)]
    except Exception as exc:  # last resort: the catalog must never see a traceback
        reason = " ".join(f"unexpected error: {type(exc).__name__}: {exc}".split())
        rows = [Summary(path=name, status="error", error=reason, format=VCR)]
    for row in rows:
        row.size, row.mtime_ns = size, mtime_ns
    if texts is not None and len(rows) == 1 and rows[0].status == "error" and rows[0].interaction is None:
        texts.append("")  # the whole file failed: one error row, nothing said
    return rows


__all__ = [
    "as_list",
    "key_pending",
    "summarize_cassette",
    "summarize_cassette_file",
    "summarize_file",
    "summarize_obj",
    "summary_key",
]
