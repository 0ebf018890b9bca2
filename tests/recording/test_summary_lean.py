"""The catalog row's lean readers agree with the full assembler, on and off their common path.

`summarize_obj` reads the common shapes without assembling them; every row here is
compared field by field with one derived from `recording_from_obj` (the full parser),
for the corpus and for variants of it built to take each branch of the lean readers.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_replay.recording.load import parse_json, recording_from_obj
from tui_replay.recording.model import RecordingError
from tui_replay.recording.summary import summarize_obj

from .corpus import CORPUS, corpus_files

FIELDS = (
    "kind",
    "test_id",
    "endpoint",
    "model",
    "streaming",
    "chunks",
    "tool_calls",
    "citations",
    "exception",
    "prompt_tokens",
    "completion_tokens",
    "first_user",
    "answer_start",
    "choices",
)


def full_row(obj: dict) -> dict | str:
    """The row's fields from the full assembler (or the error it raises)."""
    try:
        recording = recording_from_obj(copy.deepcopy(obj), "x.json")
    except RecordingError as exc:
        return exc.reason
    usage = recording.response.usage
    user = next((m for m in recording.messages if m.role == "user"), None)
    call = next((c for m in recording.messages for c in m.tool_calls), None)
    if user is not None:
        first_user = user.text[:200]
    elif call is not None:
        first_user = f"{call.name} {call.arguments}"[:200]
    else:
        file_id = recording.request_raw.get("file_id")
        first_user = file_id if isinstance(file_id, str) else ""
    return {
        "kind": recording.kind.value,
        "test_id": recording.test_id,
        "endpoint": recording.endpoint,
        "model": recording.model,
        "streaming": recording.streaming,
        "chunks": recording.response.chunks,
        "tool_calls": len(recording.response.tool_calls),
        "citations": len(recording.citations),
        "exception": recording.response.exception is not None,
        "prompt_tokens": usage.prompt_tokens if usage else None,
        "completion_tokens": usage.completion_tokens if usage else None,
        "first_user": first_user,
        "answer_start": recording.response.text[:200],
        "choices": recording.choice_count,
    }


def lean_row(obj: dict) -> dict | str:
    try:
        summary = summarize_obj(copy.deepcopy(obj), "x.json")
    except RecordingError as exc:
        return exc.reason
    return {name: getattr(summary, name) for name in FIELDS}


def assert_agree(obj: dict) -> None:
    assert lean_row(obj) == full_row(obj)


def load(path: Path) -> dict:
    return parse_json(path.read_bytes())


FILES = corpus_files()
IDS = [str(p.relative_to(CORPUS)) for p in FILES]


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_corpus_rows_agree_in_every_field(path):
    assert_agree(load(path))


# ------------------------------------------------------------------ variants of corpus files


def chunk_data(obj: dict) -> list[dict] | None:
    body = obj["response"].get("body")
    first = body[0] if isinstance(body, list) and body else None
    if isinstance(first, dict) and str(first.get("__type__", "")).endswith(".ChatCompletionChunk"):
        return [item["__data__"] for item in body]
    return None


def completion_data(obj: dict) -> dict | None:
    body = obj["response"].get("body")
    if isinstance(body, dict) and str(body.get("__type__", "")).endswith(".ChatCompletion"):
        return body["__data__"]
    return None


def gemini_items(obj: dict) -> list[dict] | None:
    body = obj["response"].get("body")
    items = body if isinstance(body, list) else [body]
    if all(isinstance(i, dict) and "__type__" not in i and "candidates" in i for i in items):
        return items
    return None


def deltas(chunks: list[dict]) -> list[dict]:
    return [c["choices"][0]["delta"] for c in chunks if c.get("choices")]


def drop_everywhere(key: str) -> Callable[[dict], bool]:
    def mutate(obj: dict) -> bool:
        chunks = chunk_data(obj)
        if chunks is None:
            return False
        for chunk in chunks:
            chunk.pop(key, None)
        return True

    return mutate


def drop_in_deltas(key: str) -> Callable[[dict], bool]:
    def mutate(obj: dict) -> bool:
        chunks = chunk_data(obj)
        if chunks is None or not deltas(chunks):
            return False
        for delta in deltas(chunks):
            delta.pop(key, None)
        return True

    return mutate


def on_last_choice(change: Callable[[dict], None]) -> Callable[[dict], bool]:
    def mutate(obj: dict) -> bool:
        chunks = chunk_data(obj)
        with_choices = [c for c in chunks or [] if c.get("choices")]
        if not with_choices:
            return False
        change(with_choices[-1])
        return True

    return mutate


def on_first_chunk(change: Callable[[dict], None]) -> Callable[[dict], bool]:
    def mutate(obj: dict) -> bool:
        chunks = chunk_data(obj)
        if not chunks:
            return False
        change(chunks[0])
        return True

    return mutate


def second_choice(chunk: dict) -> None:
    chunk["choices"].append({"index": 1, "delta": {"content": "other", "tool_calls": None}})


def set_choice(key: str, value) -> Callable[[dict], None]:
    def change(chunk: dict) -> None:
        chunk["choices"][0][key] = value

    return change


def set_delta(key: str, value) -> Callable[[dict], None]:
    def change(chunk: dict) -> None:
        chunk["choices"][0]["delta"][key] = value

    return change


def set_chunk(key: str, value) -> Callable[[dict], None]:
    def change(chunk: dict) -> None:
        chunk[key] = value

    return change


def on_completion(change: Callable[[dict], None]) -> Callable[[dict], bool]:
    def mutate(obj: dict) -> bool:
        data = completion_data(obj)
        if data is None:
            return False
        change(data)
        return True

    return mutate


def legacy_completions(obj: dict) -> list[dict] | None:
    body = obj["response"].get("body")
    items = body if isinstance(body, list) else [body]
    if items and all(
        isinstance(i, dict) and str(i.get("__type__", "")).endswith(".Completion") for i in items
    ):
        return [item["__data__"] for item in items]
    return None


def on_legacy(change: Callable[[list[dict]], None]) -> Callable[[dict], bool]:
    def mutate(obj: dict) -> bool:
        items = legacy_completions(obj)
        if not items:
            return False
        change(items)
        return True

    return mutate


def legacy_oddities(items: list[dict]) -> None:
    items[0]["choices"] = [{"index": 1, "text": "not this"}, {"text": "this", "index": None}]
    items[-1]["usage"] = {"total_tokens": 4}
    items[-1].pop("model", None)
    if len(items) > 1:
        items[1]["choices"] = [{"index": 0, "text": 5}]


def plain_legacy_item(response: dict) -> None:
    """A streamed legacy completion with one unwrapped item: the assembler keeps it as is."""
    body = response.get("body")
    if isinstance(body, list) and legacy_completions({"response": response}):
        body.append({"choices": [{"text": "x"}]})


def on_message(key: str, value) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        for choice in data.get("choices") or []:
            choice["message"][key] = value

    return change


def on_gemini(change: Callable[[list[dict]], None]) -> Callable[[dict], bool]:
    def mutate(obj: dict) -> bool:
        items = gemini_items(obj)
        if items is None:
            return False
        change(items)
        return True

    return mutate


def gemini_parts(items: list[dict]) -> list[dict]:
    parts = []
    for item in items:
        for candidate in item.get("candidates") or []:
            parts.extend(candidate.get("content", {}).get("parts") or [])
    return parts


def thought_and_call(items: list[dict]) -> None:
    parts = items[0]["candidates"][0]["content"].setdefault("parts", [])
    parts.append({"text": "thinking", "thought": True})
    parts.append({"function_call": {"name": "f", "args": {"a": 1}}})
    parts.append("not a part")


def only_total_usage(items: list[dict]) -> None:
    for item in items:
        item.pop("usage_metadata", None)
    items[0]["usage_metadata"] = {"total_token_count": 9}


def typed_late_item(items: list[dict]) -> None:
    items.append({"__type__": "google.genai.types.GenerateContentResponse", "__data__": {}})


def gemini_request(change: Callable[[dict], None]) -> Callable[[dict], bool]:
    def mutate(obj: dict) -> bool:
        body = obj["request"].get("body")
        if not isinstance(body, dict) or "contents" not in body:
            return False
        change(body)
        return True

    return mutate


def contents_as(value) -> Callable[[dict], None]:
    def change(body: dict) -> None:
        body["contents"] = value

    return change


def no_user_role(body: dict) -> None:
    body["contents"] = [{"role": "model", "parts": [{"function_call": {"name": "lookup", "args": {}}}]}]


def system_list(body: dict) -> None:
    body.setdefault("config", {})["system_instruction"] = ["be brief", {"parts": [{"text": "x"}]}]


def embeddings_request(change: Callable[[dict], None]) -> Callable[[dict], bool]:
    def mutate(obj: dict) -> bool:
        request = obj["request"]
        body = request.get("body")
        if not isinstance(body, dict) or "input" not in body:
            return False
        change(request)
        return True

    return mutate


def input_as(value) -> Callable[[dict], None]:
    def change(request: dict) -> None:
        request["body"]["input"] = value
        request["file_id"] = "file-9"  # read only when there is no message

    return change


def models_body_with_file_id(request: dict) -> None:
    request["body"] = {"model": "m"}
    request["file_id"] = "file-9"


def messages_null_with_file_id(request: dict) -> None:
    request["body"] = {"model": "m", "messages": None}
    request["file_id"] = "file-9"


def on_response(change: Callable[[dict], None]) -> Callable[[dict], bool]:
    def mutate(obj: dict) -> bool:
        change(obj["response"])
        return True

    return mutate


def null_body(response: dict) -> None:
    response["body"] = None


def null_body_with_exception(response: dict) -> None:
    response["body"] = None
    response["exception_message"] = "boom"


def ollama_embeddings(response: dict) -> None:
    body = response.get("body")
    if isinstance(body, dict) and isinstance(body.get("__data__"), dict):
        body["__data__"]["embeddings"] = [[0.5, 0.25]]


MUTATIONS: dict[str, Callable[[dict], bool]] = {
    "chunks without usage": drop_everywhere("usage"),
    "chunks without model": drop_everywhere("model"),
    "deltas without tool_calls": drop_in_deltas("tool_calls"),
    "deltas without content": drop_in_deltas("content"),
    "a second choice": on_last_choice(second_choice),
    "completion second choice": on_completion(
        lambda d: d["choices"].append({**d["choices"][0], "index": 1}) if d.get("choices") else None
    ),
    "choice index 1": on_last_choice(set_choice("index", 1)),
    "choice index null": on_last_choice(set_choice("index", None)),
    "choice index false": on_last_choice(set_choice("index", False)),
    "delta null": on_last_choice(set_choice("delta", None)),
    "content parts": on_last_choice(set_delta("content", [{"type": "text", "text": "hi"}])),
    "content number": on_last_choice(set_delta("content", 7)),
    "tool call index text": on_last_choice(
        set_delta("tool_calls", [{"index": "0", "id": "c", "function": {"name": "f", "arguments": "{}"}}])
    ),
    "tool call without index": on_last_choice(
        set_delta("tool_calls", [{"id": "c", "function": {"name": "f", "arguments": "{}"}}])
    ),
    "choices null": on_first_chunk(set_chunk("choices", None)),
    "model number": on_first_chunk(set_chunk("model", 5)),
    "usage as input/output": on_first_chunk(set_chunk("usage", {"input_tokens": 3, "output_tokens": 4})),
    "usage a list": on_first_chunk(set_chunk("usage", [1])),
    "completion content parts": on_completion(on_message("content", [{"type": "text", "text": "a"}, "b"])),
    "completion content number": on_completion(on_message("content", 3)),
    "completion message null": on_completion(lambda d: [c.update(message=None) for c in d["choices"]]),
    "completion tool_calls object": on_completion(on_message("tool_calls", {"id": "x"})),
    "completion choice index 1": on_completion(lambda d: [c.update(index=1) for c in d["choices"]]),
    "completion usage float": on_completion(lambda d: d.update(usage={"prompt_tokens": 2.0})),
    "completion no model": on_completion(lambda d: d.pop("model", None)),
    "last usage says nothing": on_last_choice(lambda chunk: chunk.update(usage={"cached": 1})),
    "legacy completion oddities": on_legacy(legacy_oddities),
    "legacy completion plain item": on_response(plain_legacy_item),
    "gemini thought, call, odd part": on_gemini(thought_and_call),
    "gemini total usage only": on_gemini(only_total_usage),
    "gemini typed item": on_gemini(typed_late_item),
    "gemini candidates object": on_gemini(lambda items: items[0].update(candidates={"content": {}})),
    "gemini contents text": gemini_request(contents_as("hello there")),
    "gemini contents texts": gemini_request(contents_as(["first", {"role": "user", "parts": []}])),
    "gemini no user": gemini_request(no_user_role),
    "gemini system list": gemini_request(system_list),
    "embeddings input text": embeddings_request(input_as("just one")),
    "embeddings inputs": embeddings_request(input_as(["a\n", "b", "", "c" * 300, "d"])),
    "embeddings no inputs": embeddings_request(input_as([])),
    "embeddings input null": embeddings_request(input_as(None)),
    "embeddings input tokens": embeddings_request(input_as(["a", [1, 2]])),
    "models body, file id": embeddings_request(models_body_with_file_id),
    "messages null, file id": embeddings_request(messages_null_with_file_id),
    "null body": on_response(null_body),
    "null body, exception": on_response(null_body_with_exception),
    "ollama embeddings": on_response(ollama_embeddings),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_variants_agree_in_every_field(corpus, name):
    mutate = MUTATIONS[name]
    applied = 0
    for path in corpus:
        obj = load(path)
        if mutate(obj):
            applied += 1
            assert lean_row(obj) == full_row(obj), path
    assert applied, f"no corpus file has the shape that {name!r} changes"


# ------------------------------------------------------------------ generated chat streams

indexes = st.sampled_from([0, 0, 0, 1, None, False, "0"])
contents = st.one_of(st.none(), st.text(max_size=8), st.just(["x"]), st.just(3))
fragments = st.lists(
    st.fixed_dictionaries(
        {
            "function": st.fixed_dictionaries(
                {"name": st.sampled_from(["f", None]), "arguments": st.text(max_size=4)}
            )
        },
        optional={"index": indexes, "id": st.sampled_from(["c1", "c2", None])},
    ),
    max_size=2,
)
deltas_strategy = st.fixed_dictionaries(
    {}, optional={"content": contents, "tool_calls": st.none() | fragments}
)
choices = st.fixed_dictionaries({"delta": deltas_strategy}, optional={"index": indexes})
usages = st.none() | st.fixed_dictionaries(
    {},
    optional={
        "prompt_tokens": st.integers(0, 9),
        "completion_tokens": st.integers(0, 9),
        "total_tokens": st.integers(0, 9),
        "cached": st.just(1),
    },
)
chunks = st.fixed_dictionaries(
    {"choices": st.lists(choices, max_size=2)},
    optional={"usage": usages, "model": st.sampled_from(["m", "", None, 5])},
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(chunks, min_size=1, max_size=6))
def test_generated_chat_streams_agree(chunk_list):
    obj = {
        "test_id": "t",
        "request": {
            "body": {"model": "", "messages": [{"role": "user", "content": "q"}]},
            "endpoint": "/v1/x",
        },
        "response": {
            "body": [
                {"__type__": "openai.types.chat.chat_completion_chunk.ChatCompletionChunk", "__data__": chunk}
                for chunk in chunk_list
            ],
            "is_streaming": True,
        },
    }
    obj = orjson.loads(orjson.dumps(obj))
    assert_agree(obj)
