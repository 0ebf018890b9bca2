"""Shapes the corpus lacks, built here in the recorder's exact envelope."""

from __future__ import annotations

import base64
import json

from tui_replay.recording.assemble import assemble_openai_response, assemble_openai_stream
from tui_replay.recording.citations import find_citations, parse_attributes, retrieved_chunks
from tui_replay.recording.load import parse_json, recording_from_obj
from tui_replay.recording.model import ContentPart, EventKind, Kind, Message
from tui_replay.recording.summary import summarize_obj


def sse(*events: dict | str) -> list[str]:
    lines: list[str] = []
    for event in events:
        name = event["type"] if isinstance(event, dict) else "done"
        data = json.dumps(event, separators=(",", ":")) if isinstance(event, dict) else event
        lines += [f"event: {name}", f"data: {data}", ""]
    return lines


def raw_http(url: str, payload: dict, body, status: int | None = 200, streaming: bool = False) -> dict:
    response = {"body": body, "is_streaming": streaming}
    if status is not None:
        response["status"] = status
    return {
        "test_id": "tests/integration/x/test_x.py::test_x",
        "request": {
            "test_id": "tests/integration/x/test_x.py::test_x",
            "url": url,
            "method": "POST",
            "payload": payload,
        },
        "response": response,
        "id_normalization_mapping": {},
    }


def inference(
    endpoint: str, body: dict, response_body, streaming: bool = False, url: str | None = None
) -> dict:
    return {
        "test_id": None,
        "request": {
            "method": "POST",
            "url": url or f"http://localhost:11434{endpoint}",
            "headers": {},
            "body": body,
            "endpoint": endpoint,
            "model": body.get("model", ""),
        },
        "response": {"body": response_body, "is_streaming": streaming},
    }


def test_anthropic_stream_with_input_json_delta_tool_use():
    body = sse(
        {
            "type": "message_start",
            "message": {"model": "claude-x", "usage": {"input_tokens": 20, "output_tokens": 0}},
        },
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Let me check."}},
        {"type": "content_block_stop", "index": 0},
        {"type": "ping"},
        {
            "type": "content_block_start",
            "index": 1,
            "content_block": {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}},
        },
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": '{"loc'},
        },
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": 'ation": '},
        },
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": '"Paris"}'},
        },
        {"type": "content_block_delta", "index": 1, "delta": {"type": "signature_delta", "signature": "abc"}},
        {"type": "content_block_stop", "index": 1},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 15}},
        {"type": "message_stop"},
    )
    obj = raw_http(
        "http://0.0.0.0:11434/v1/messages",
        {
            "model": "claude-x",
            "system": "Be brief.",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"}]}],
            "tools": [{"name": "get_weather", "description": "d", "input_schema": {"type": "object"}}],
            "max_tokens": 64,
            "stream": True,
        },
        body,
        status=None,
        streaming=True,
    )
    recording = recording_from_obj(obj, "a.json")
    assert recording.kind == Kind.MESSAGES
    assert recording.response.text == "Let me check."
    [call] = recording.response.tool_calls
    assert (call.index, call.id, call.name) == (0, "toolu_1", "get_weather")
    assert call.parsed_arguments() == ({"location": "Paris"}, None)
    assert recording.response.finish_reason == "tool_use"
    usage = recording.response.usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (20, 15, 35)
    assert recording.response.chunks == 13
    fragments = [e.text for e in recording.timeline if e.kind == EventKind.TOOL_CALL]
    assert "".join(fragments) == call.arguments
    assert [m.role for m in recording.messages] == ["system", "user"]
    assert recording.tools[0].parameters == {"type": "object"}
    assert recording.params == {"max_tokens": 64, "stream": True}
    summary = summarize_obj(obj, "a.json")
    assert (summary.kind, summary.tool_calls, summary.chunks) == ("messages", 1, 13)


def test_anthropic_request_blocks_images_and_tool_results():
    png = base64.b64encode(b"\x89PNG" + b"\x00" * 3000).decode()
    payload = {
        "model": "m",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png}},
                ],
            },
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "t1", "name": "calc", "input": {"x": 1}}],
            },
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "42"}]},
        ],
    }
    body = {
        "type": "message",
        "model": "m",
        "content": [{"type": "text", "text": "ok"}],
        "stop_reason": "end_turn",
    }
    recording = recording_from_obj(raw_http("http://h/v1/messages", payload, body), "a.json")
    user, assistant, tool = recording.messages
    assert user.parts[1].type == "image" and user.parts[1].text == "[image: image/png, 3 KB]"
    assert png not in user.text
    assert assistant.tool_calls[0].arguments == '{"x":1}'
    assert tool.role == "tool" and tool.tool_call_id == "t1" and tool.text == "42"


def test_ollama_api_tags_and_pull():
    tags = inference(
        "/api/tags",
        {},
        {
            "__type__": "ollama._types.ListResponse",
            "__data__": {
                "models": [
                    {"model": "llama3.2:3b", "modified_at": "x", "digest": "d", "size": 1, "details": {}},
                    {
                        "model": "all-minilm:l6-v2",
                        "modified_at": "x",
                        "digest": "e",
                        "size": 2,
                        "details": {},
                    },
                ]
            },
        },
    )
    recording = recording_from_obj(tags, "models-abc-12345678.json")
    assert recording.kind == Kind.MODELS
    assert recording.response.summary == {"models": ["llama3.2:3b", "all-minilm:l6-v2"]}
    pull = inference(
        "/api/pull",
        {"model": "llama3.2:3b"},
        [
            {
                "__type__": "ollama._types.ProgressResponse",
                "__data__": {"status": "pulling", "completed": 1, "total": 9},
            },
            {"__type__": "ollama._types.ProgressResponse", "__data__": {"status": "success"}},
        ],
        streaming=True,
    )
    assert recording_from_obj(pull, "p.json").response.summary["status"] == "success"


def test_ollama_chat_stream_with_images_without_content():
    image = base64.b64encode(b"\xff" * 319_488).decode()
    chunks = [
        {
            "__type__": "ollama._types.ChatResponse",
            "__data__": {"model": "llava", "done": False, "message": {"role": "assistant", "content": piece}},
        }
        for piece in ["A ", "dog."]
    ]
    chunks.append(
        {
            "__type__": "ollama._types.ChatResponse",
            "__data__": {
                "model": "llava",
                "done": True,
                "done_reason": "stop",
                "prompt_eval_count": 10,
                "eval_count": 3,
                "message": {"role": "assistant", "content": ""},
            },
        }
    )
    obj = inference(
        "/api/chat",
        {"model": "llava", "messages": [{"role": "user", "images": [image]}], "stream": True},
        chunks,
        True,
    )
    recording = recording_from_obj(obj, "o.json")
    assert recording.kind == Kind.CHAT and recording.response.text == "A dog."
    assert recording.response.finish_reason == "stop" and recording.response.usage.total_tokens == 13
    [user] = recording.messages
    assert user.text == "[image: image, 312 KB]" and user.parts[0].type == "image"


def test_rerank_payload():
    obj = raw_http(
        "http://localhost:8000/rerank",
        {
            "model": "Qwen/Qwen3-Reranker-0.6B",
            "query": "string_1",
            "documents": ["string_1", "string_2"],
            "top_n": 10,
        },
        {
            "id": "rerank-1",
            "model": "Qwen/Qwen3-Reranker-0.6B",
            "usage": {"prompt_tokens": 14, "total_tokens": 14},
            "results": [
                {"index": 0, "document": {"text": "string_1", "multi_modal": None}, "relevance_score": 1.0},
                {"index": 1, "document": {"text": "string_2", "multi_modal": None}, "relevance_score": 0.1},
            ],
        },
    )
    recording = recording_from_obj(obj, "r.json")
    assert recording.kind == Kind.RERANK
    assert recording.response.summary["results"] == 2
    assert recording.model == "Qwen/Qwen3-Reranker-0.6B"
    assert recording.messages[0].text == "string_1"
    assert recording.params == {"documents": ["string_1", "string_2"], "top_n": 10}


def test_unknown_type_and_unknown_plain_shape_open_raw():
    obj = inference("/v1/whatever", {"model": "m"}, {"__type__": "some.pkg.NewThing", "__data__": {"x": 1}})
    recording = recording_from_obj(obj, "u.json")
    assert recording.kind == Kind.UNKNOWN
    assert recording.response.summary == {"raw_type": "some.pkg.NewThing"}
    assert recording.response_raw["body"]["__data__"] == {"x": 1}
    obj = raw_http("http://h/v2/other", {"q": 1}, {"something": True})
    assert recording_from_obj(obj, "u.json").kind == Kind.UNKNOWN
    assert summarize_obj(obj, "u.json").kind == "unknown"


def test_chunk_times_from_live_captures():
    chunks = [
        {"__type__": "openai.types.chat.chat_completion_chunk.ChatCompletionChunk", "__data__": c}
        for c in [
            {"choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hel"}}], "model": "m"},
            {"choices": [{"index": 0, "delta": {"content": "lo"}, "finish_reason": "stop"}]},
        ]
    ]
    obj = inference("/v1/chat/completions", {"model": "m", "messages": [], "stream": True}, chunks, True)
    obj["tui_replay_chunk_times"] = [0.25, 0.5]
    recording = recording_from_obj(obj, "live.json")
    assert recording.chunk_times == [0.25, 0.5]
    assert [(e.chunk, e.at) for e in recording.timeline] == [(0, 0.25), (1, 0.5), (1, 0.5)]


def test_live_helpers_go_through_the_same_code():
    response, events = assemble_openai_stream(
        [
            {"choices": [{"index": 0, "delta": {"reasoning_content": "think", "content": None}}]},
            {"choices": [{"index": 0, "delta": {"content": "Answer"}, "finish_reason": "stop"}]},
            {"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}},
        ],
        times=[0.1, 0.2, 0.3],
    )
    assert (response.text, response.reasoning, response.chunks) == ("Answer", "think", 3)
    assert [e.at for e in events] == [0.1, 0.2, 0.2, 0.3]
    response, events = assemble_openai_response(
        {
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "message": {
                        "content": None,
                        "tool_calls": [
                            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                        ],
                    },
                }
            ],
            "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
        }
    )
    assert response.tool_calls[0].name == "f" and response.finish_reason == "tool_calls"
    assert {e.kind for e in events} == {EventKind.TOOL_CALL, EventKind.FINISH, EventKind.USAGE}
    assert all(e.chunk == 0 for e in events)
    completion, _ = assemble_openai_stream(
        [{"object": "text_completion", "choices": [{"index": 0, "text": "Blue"}]}]
    )
    assert completion.text == "Blue"


def test_request_params_and_image_parts():
    png = "data:image/png;base64," + base64.b64encode(b"\x00" * 319_488).decode()
    body = {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "sys"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Describe"},
                    {"type": "image_url", "image_url": {"url": png}},
                    {"type": "image_url", "image_url": {"url": "https://example.com/dog.png"}},
                ],
            },
        ],
        "tools": [
            {
                "type": "function",
                "function": {"name": "f", "description": "d", "parameters": {"type": "object"}},
            }
        ],
        "temperature": 0.2,
        "stream": False,
        "tool_choice": "auto",
    }
    obj = inference(
        "/v1/chat/completions", body, {"__type__": "x.ChatCompletion", "__data__": {"choices": []}}
    )
    recording = recording_from_obj(obj, "c.json")
    user = recording.messages[1]
    assert [p.text for p in user.parts] == [
        "Describe",
        "[image: image/png, 312 KB]",
        "[image: https://example.com/dog.png]",
    ]
    assert recording.params == {"temperature": 0.2, "stream": False, "tool_choice": "auto"}
    assert recording.tools[0].name == "f" and recording.tools[0].parameters == {"type": "object"}


def test_llama_cpp_repeated_name_is_taken_once():
    chunks = [
        {
            "choices": [
                {
                    "index": 0,
                    "delta": {
                        "tool_calls": [{"index": 0, "id": "c", "function": {"name": "get", "arguments": ""}}]
                    },
                }
            ]
        },
        {
            "choices": [
                {
                    "index": 0,
                    "delta": {
                        "tool_calls": [
                            {"index": 0, "id": "c", "function": {"name": "get", "arguments": '{"a":'}}
                        ]
                    },
                }
            ]
        },
        {
            "choices": [
                {
                    "index": 0,
                    "delta": {"tool_calls": [{"index": 0, "function": {"name": "get", "arguments": "1}"}}]},
                }
            ]
        },
    ]
    response, _ = assemble_openai_stream(chunks)
    [call] = response.tool_calls
    assert (call.id, call.name, call.arguments) == ("c", "get", '{"a":1}')


def tool_message(content) -> Message:
    parts = (
        [ContentPart("text", c) for c in content]
        if isinstance(content, list)
        else [ContentPart("text", content)]
    )
    return Message(role="tool", text="".join(p.text for p in parts), parts=parts)


UUID = "001495fd-aa35-4072-957d-b72df11b8603"


def test_citations_uuid_bare_cite_and_string_content():
    content = (
        "file_search tool found 2 chunks:\nBEGIN of file_search tool results.\n"
        f"[1] document_id: {UUID}, score: 1.5e-01, "
        "attributes: {'filename': 'a.pdf', 'flag': True, 'n': None}"
        f" cite as <|{UUID}|>\nfirst chunk text\n"
        "[2] document_id: file-99, score: 0.3, attributes: {'filename': 'b.pdf'} "
        "cite as <|file-99|>\nsecond\n"
        "END of file_search tool results.\n"
    )
    messages = [Message(role="user", text="q"), tool_message(content)]
    retrieved = retrieved_chunks(messages)
    assert [(c.rank, c.document_id, c.filename, c.score, c.text) for c in retrieved] == [
        (1, UUID, "a.pdf", 0.15, "first chunk text"),
        (2, "file-99", "b.pdf", 0.3, "second"),
    ]
    assert retrieved[0].attributes == {"filename": "a.pdf", "flag": True, "n": None}
    answer = f"A <|{UUID}|>. B <|file-404|>. C <|python_tag|> <|eot_id|> <|FILE-1|>."
    citations = find_citations(answer, retrieved)
    assert [(c.document_id, c.resolved, c.filename) for c in citations] == [
        (UUID, True, "a.pdf"),
        ("file-404", False, None),
    ]
    assert citations[1].chunks == []
    assert retrieved[0].cited and not retrieved[1].cited


def test_attributes_that_are_not_a_literal_keep_the_raw_text():
    assert parse_attributes("{'a': 1.0}") == {"a": 1.0}
    assert parse_attributes("{'a': __import__('os')}") == {"_raw": "{'a': __import__('os')}"}
    assert parse_attributes("{'a': ") == {"_raw": "{'a': "}


def test_only_tool_results_count_as_retrieved():
    block = "[1] document_id: file-1, score: 0.5, attributes: {} (cite as <|file-1|>)\ntext\n"
    messages = [
        Message(role="user", text=block, parts=[ContentPart("text", block)]),
        Message(role="assistant", text=block),
    ]
    assert retrieved_chunks(messages) == []
    assert find_citations("x <|file-1|>", retrieved_chunks(messages))[0].resolved is False


def test_emoji_split_between_chunks_as_lone_surrogates():
    # A broken writer could split one emoji's surrogate pair over two chunks; orjson rejects the
    # lone halves, the loader falls back to the stdlib parser and the assembler joins them.
    def chunk(piece: str) -> str:
        delta = '{"content": "' + piece + '"}'
        return (
            '{"__type__": "x.ChatCompletionChunk", "__data__": {"choices": [{"index": 0, "delta": '
            + delta
            + "}]}}"
        )

    body = ", ".join(chunk(piece) for piece in ["Hi \\ud83c", "\\udf1f!"])
    data = (
        '{"request": {"body": {"messages": []}}, "response": {"is_streaming": true, "body": [' + body + "]}}"
    ).encode()
    assert b"\\ud83c" in data
    recording = recording_from_obj(parse_json(data), "s.json")
    assert recording.response.text == "Hi 🌟!"
    assert summarize_obj(parse_json(data), "s.json").answer_start == "Hi 🌟!"


def test_interactions_turns_with_function_results_and_genai_system_instruction():
    payload = {
        "model": "gemini-2.5-flash-lite",
        "system_instruction": "Be terse.",
        "input": [
            {"role": "user", "content": "Weather?"},
            {
                "role": "model",
                "content": [{"type": "function_call", "id": "f1", "name": "w", "arguments": {"c": "P"}}],
            },
            {
                "role": "user",
                "content": [{"type": "function_result", "call_id": "f1", "name": "w", "result": "sunny"}],
            },
        ],
        "tools": [{"type": "function", "name": "w", "description": "d", "parameters": {"type": "object"}}],
    }
    body = {
        "status": "completed",
        "outputs": [{"type": "text", "text": "Sunny."}],
        "model": "gemini-2.5-flash-lite",
    }
    recording = recording_from_obj(raw_http("https://g/v1beta/interactions", payload, body), "i.json")
    assert [m.role for m in recording.messages] == ["system", "user", "assistant", "tool"]
    assert recording.messages[2].tool_calls[0].arguments == '{"c":"P"}'
    assert recording.messages[3].tool_call_id == "f1" and recording.messages[3].text == "sunny"
    assert recording.response.text == "Sunny." and recording.tools[0].name == "w"
    genai_body = {
        "model": "gemini",
        "contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
        "config": {"system_instruction": "Be nice.", "temperature": 0.5},
    }
    obj = inference(
        "/generate_content", genai_body, {"candidates": [{"content": {"parts": [{"text": "Hello"}]}}]}
    )
    obj["request"]["url"] = "vertexai:///generate_content"
    recording = recording_from_obj(obj, "g.json")
    assert [(m.role, m.text) for m in recording.messages] == [("system", "Be nice."), ("user", "Hi")]
    assert recording.params == {"temperature": 0.5} and recording.response.text == "Hello"
