"""Property tests: splits of text and arguments assemble back; arbitrary JSON never crashes."""

from __future__ import annotations

import contextlib
from itertools import pairwise

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_replay.recording.assemble import assemble_openai_stream
from tui_replay.recording.load import parse_json, recording_from_obj
from tui_replay.recording.model import RecordingError
from tui_replay.recording.summary import summarize_obj


def splits(text: str, cuts: list[int]) -> list[str]:
    points = sorted({min(c, len(text)) for c in cuts} | {0, len(text)})
    return [text[a:b] for a, b in pairwise(points)]


def text_chunk(content: str | None) -> dict:
    return {
        "id": "rec-1",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": {"content": content, "role": None}, "finish_reason": None}],
        "usage": None,
    }


def call_chunk(index: int, call_id: str | None, name: str | None, arguments: str) -> dict:
    fragment = {"index": index, "id": call_id, "type": "function" if call_id else None}
    fragment["function"] = {"name": name, "arguments": arguments}
    return {
        "choices": [{"index": 0, "delta": {"content": None, "tool_calls": [fragment]}, "finish_reason": None}]
    }


@given(st.text(), st.lists(st.integers(min_value=0, max_value=200), max_size=30), st.booleans())
def test_any_split_of_text_assembles_to_the_same_text(text, cuts, with_nulls):
    pieces = splits(text, cuts)
    chunks = [{"choices": []}]  # Azure filter chunk first
    for piece in pieces:
        chunks.append(text_chunk(piece))
        if with_nulls:
            chunks.append(text_chunk(None))
    chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    chunks.append({"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}})
    response, events = assemble_openai_stream(chunks)
    assert response.text == text
    assert response.finish_reason == "stop" and response.usage.total_tokens == 7
    assert "".join(e.text for e in events if e.kind == "text") == text


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)


@given(
    st.dictionaries(st.text(min_size=1, max_size=6), json_values, max_size=3),
    st.lists(st.integers(min_value=0, max_value=100), max_size=20),
    st.text(min_size=1, max_size=12),
    st.booleans(),
)
def test_any_split_of_arguments_assembles_to_the_same_call(arguments, cuts, name, repeat_name):
    text = orjson.dumps(arguments).decode()
    pieces = splits(text, cuts) or [""]
    chunks = [call_chunk(0, "call_1", name, pieces[0])]
    # llama.cpp repeats the name on every fragment: it must be taken once, not concatenated.
    chunks += [call_chunk(0, None, name if repeat_name else None, p) for p in pieces[1:]]
    chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    response, events = assemble_openai_stream(chunks)
    [call] = response.tool_calls
    assert (call.index, call.id, call.name, call.arguments) == (0, "call_1", name, text)
    assert call.parsed_arguments() == (arguments, None)
    assert sum(1 for e in events if e.tool_name) == 1


@given(
    st.lists(st.text(max_size=20), min_size=1, max_size=5),
    st.lists(st.text(max_size=20), min_size=1, max_size=5),
)
def test_parallel_calls_never_mix(first, second):
    chunks = [call_chunk(0, "call_a", "a", "")] + [call_chunk(0, None, None, p) for p in first]
    chunks += [call_chunk(1, "call_b", "b", "")] + [call_chunk(1, None, None, p) for p in second]
    response, _ = assemble_openai_stream(chunks)
    assert [(c.id, c.name, c.arguments) for c in response.tool_calls] == [
        ("call_a", "a", "".join(first)),
        ("call_b", "b", "".join(second)),
    ]


recording_like = st.fixed_dictionaries(
    {},
    optional={
        "test_id": json_values,
        "request": json_values
        | st.fixed_dictionaries(
            {},
            optional={
                "body": json_values,
                "payload": json_values,
                "url": st.sampled_from(
                    [
                        "vertexai:///x",
                        "http://h/v1/messages",
                        "https://g/v1beta/interactions",
                        "http://h/rerank",
                    ]
                )
                | json_values,
                "tool_name": json_values,
                "api": st.just("file_processors"),
                "model": json_values,
            },
        ),
        "response": json_values
        | st.fixed_dictionaries(
            {},
            optional={
                "body": json_values
                | st.lists(
                    st.fixed_dictionaries(
                        {
                            "__type__": st.sampled_from(
                                ["a.ChatCompletionChunk", "b.Completion", "c.Model", "x.Nope"]
                            )
                        },
                        optional={"__data__": json_values},
                    ),
                    max_size=3,
                )
                | st.lists(st.text(max_size=30).map(lambda s: "data: " + s), max_size=4),
                "is_streaming": json_values,
                "status": json_values,
                "is_exception": json_values,
                "exception_data": json_values,
                "exception_message": json_values,
            },
        ),
        "id_normalization_mapping": json_values,
        "tui_replay_chunk_times": json_values,
    },
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(json_values, recording_like))
def test_arbitrary_json_raises_nothing_but_recording_error(value):
    try:
        recording_from_obj(value, "fuzz.json")
    except RecordingError as exc:
        assert exc.reason and "\n" not in exc.reason
    try:
        summarize_obj(value, "fuzz.json")
    except RecordingError as exc:
        assert exc.reason and "\n" not in exc.reason
    try:
        obj = parse_json(orjson.dumps(value))
    except RecordingError:
        return
    with contextlib.suppress(RecordingError):
        recording_from_obj(obj, "fuzz.json")


@given(st.binary(max_size=200))
def test_arbitrary_bytes_raise_nothing_but_recording_error(data):
    try:
        parse_json(data)
    except RecordingError as exc:
        assert exc.reason and "\n" not in exc.reason
