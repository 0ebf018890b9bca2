"""Specific facts about named corpus files (§4-§8 of the format spec)."""

from __future__ import annotations

import json

from tui_replay.recording.load import load_recording
from tui_replay.recording.model import EventKind, Kind

from .corpus import corpus_file


def test_seed_turn_1_streams_a_knowledge_search_call():
    recording = load_recording(corpus_file("d30a3a9a90ea3ba6"))
    assert recording.kind == Kind.CHAT and recording.streaming
    assert recording.model == "gpt-4o"
    [call] = recording.response.tool_calls
    assert call.name == "knowledge_search"
    assert call.id and call.id.startswith("call_")
    assert call.parsed_arguments() == ({"query": "Llama 4 Maverick model number of experts"}, None)
    fragments = [e for e in recording.timeline if e.kind == EventKind.TOOL_CALL and e.text]
    assert len(fragments) == 14
    assert "".join(e.text for e in fragments) == call.arguments
    # The id and name come once, on the first fragment (chunk 0 has role + name, empty arguments).
    named = [e for e in recording.timeline if e.kind == EventKind.TOOL_CALL and e.tool_name]
    assert len(named) == 1 and named[0].tool_name == "knowledge_search" and named[0].tool_id == call.id
    assert recording.response.finish_reason == "tool_calls"
    assert recording.timeline[-1].kind == EventKind.USAGE  # the usage-only last chunk
    assert recording.response.text == ""


def test_seed_turn_2_answer_cites_the_pdf():
    recording = load_recording(corpus_file("ccf305c14285e6c5"))
    assert recording.response.text == "The Llama 4 Maverick model has 128 experts <|file-383513632278|>."
    assert recording.response.finish_reason == "stop"
    roles = [m.role for m in recording.messages]
    assert roles[-2:] == ["assistant", "tool"] and "user" in roles
    assistant, tool = recording.messages[-2], recording.messages[-1]
    assert assistant.tool_calls[0].name == "knowledge_search"
    assert tool.tool_call_id == assistant.tool_calls[0].id  # the result is linked to its call
    assert len(tool.parts) == 5
    [citation] = recording.citations
    assert citation.resolved
    assert citation.marker == "<|file-383513632278|>" and citation.document_id == "file-383513632278"
    assert citation.filename == "llama_stack_and_models.pdf"
    text = recording.response.text
    assert text[citation.start : citation.end] == citation.marker
    # Two chunks of the same document were retrieved; both are linked, the best score wins.
    assert len(citation.chunks) == 2
    scores = [recording.retrieved[i].score for i in citation.chunks]
    assert citation.score == max(scores)
    assert all(recording.retrieved[i].cited for i in citation.chunks)
    first = recording.retrieved[0]
    assert first.rank == 1 and first.attributes["token_count"] == 98.0
    assert first.marker == "<|file-383513632278|>" and first.message_index == len(recording.messages) - 1
    # The marker was split over several chunks: no single TEXT event holds it whole.
    assert not any("<|file-383513632278|>" in e.text for e in recording.timeline)


def test_id_normalization_mapping_makes_the_citation_resolve():
    path = corpus_file("1b0c005eb4b93c22")
    raw = json.loads(path.read_text())
    [(key, original)] = raw["id_normalization_mapping"].items()
    assert key == "file-1" and original in path.read_text()
    recording = load_recording(path)
    assert "<|file-1|>" in recording.response.text
    [citation] = recording.citations
    assert citation.resolved and citation.document_id == "file-1"
    assert original not in json.dumps(recording.request_raw)


def test_parallel_tool_calls_are_grouped_by_index():
    recording = load_recording(corpus_file("e73b8fbb6fe7f956"))
    calls = recording.response.tool_calls
    assert [(c.index, c.name) for c in calls] == [(0, "file_search"), (1, "file_search")]
    assert [c.parsed_arguments()[0] for c in calls] == [{"query": "marketing"}, {"query": "sales"}]
    assert calls[0].id != calls[1].id


def test_azure_first_chunk_without_choices():
    path = corpus_file("fb785db7fafd")
    raw = json.loads(path.read_text())
    assert raw["response"]["body"][0]["__data__"]["choices"] == []
    recording = load_recording(path)
    assert recording.response.tool_calls[0].name == "get_weather"
    assert recording.response.tool_calls[0].parsed_arguments()[0] == {"city": "Tokyo"}
    assert all(e.chunk >= 1 for e in recording.timeline)


def test_mislabelled_completions_endpoint_holding_a_chat_stream():
    recording = load_recording(corpus_file("632ce0140a65d711"))
    assert recording.endpoint == "/v1/completions"
    assert recording.kind == Kind.CHAT
    assert recording.response.text.startswith("Hello! It's nice to meet you.")
    assert recording.messages and recording.messages[0].role in ("system", "user")


def test_genai_function_call_has_object_args_and_no_id():
    recording = load_recording(corpus_file("29403c77d6e7142b"))
    assert recording.kind == Kind.GEMINI
    [call] = recording.response.tool_calls
    assert call.id is None and call.name == "get_weather"
    assert call.arguments == '{"location":"Paris, France"}'
    assert recording.tools and recording.tools[0].name == "get_weather"
    assert recording.tools[0].parameters is not None


def test_genai_roles_and_function_responses():
    recording = load_recording(corpus_file("7b3f2bd0e0061742"))
    roles = [m.role for m in recording.messages]
    assert "model" not in roles and "assistant" in roles and "tool" in roles
    tool = next(m for m in recording.messages if m.role == "tool")
    assert tool.name == "get_weather" and json.loads(tool.text) == {"temp": 65}


def test_anthropic_sse_with_thinking():
    recording = load_recording(corpus_file("f22657bfd86db634"))
    assert recording.kind == Kind.MESSAGES and recording.streaming
    assert recording.response.text == "1, 2, 3, 4, 5"
    assert recording.response.reasoning.startswith("We need to count from 1 to 5")
    assert recording.response.finish_reason == "end_turn"
    usage = recording.response.usage
    assert (usage.prompt_tokens, usage.completion_tokens) == (79, 64)
    kinds = {e.kind for e in recording.timeline}
    assert {EventKind.TEXT, EventKind.REASONING, EventKind.FINISH, EventKind.USAGE} <= kinds
    first_text = next(i for i, e in enumerate(recording.timeline) if e.kind == EventKind.TEXT)
    assert all(e.kind != EventKind.REASONING for e in recording.timeline[first_text:])


def test_anthropic_non_streamed_tool_use_and_tool_result():
    recording = load_recording(corpus_file("d13b333401fa1212"))
    assert recording.kind == Kind.MESSAGES and recording.response.status == 200
    [call] = recording.response.tool_calls
    assert (call.id, call.name, call.arguments) == (
        "call_kp56ga0b",
        "get_weather",
        '{"location":"San Francisco"}',
    )
    assert recording.response.reasoning and recording.response.finish_reason == "tool_use"
    assert recording.tools[0].name == "get_weather" and recording.tools[0].parameters["type"] == "object"
    follow_up = load_recording(corpus_file("f55988509902a617"))
    assistant, tool = follow_up.messages[1], follow_up.messages[2]
    assert tool.role == "tool" and tool.tool_call_id == assistant.tool_calls[0].id
    assert "105" in follow_up.response.text


def test_interactions_sse():
    recording = load_recording(corpus_file("72df7be9f414b6d0"))
    assert recording.kind == Kind.INTERACTIONS
    assert recording.response.text == "Hi there! How can I help you today?"
    assert recording.response.finish_reason == "completed"
    assert recording.response.usage.total_tokens == 12
    assert recording.messages[0].role == "user" and recording.messages[0].text == "Hi"


def test_interactions_function_call_body():
    recording = load_recording(corpus_file("e216e7d123ca9479"))
    assert recording.kind == Kind.INTERACTIONS and recording.response.exception is None
    [call] = recording.response.tool_calls
    assert (call.id, call.name, call.arguments) == ("lsdifx64", "get_weather", '{"location":"Tokyo"}')
    assert recording.response.finish_reason == "requires_action"
    assert recording.tools[0].name == "get_weather"


def test_emoji_surrogate_pairs_are_joined():
    recording = load_recording(corpus_file("8752115f8d0c"))
    assert "👋" in recording.response.text
    recording = load_recording(corpus_file("82cfd5545e24ca4b"))
    assert recording.response.text.endswith("🏴\u200d☠️")


def test_python_tag_is_not_a_citation():
    recording = load_recording(corpus_file("2df04abf54a00cc2"))
    assert recording.response.text.startswith("<|python_tag|>")
    assert recording.citations == []


def test_recorded_exception():
    recording = load_recording(corpus_file("f300a8b24123c89c"))
    assert recording.kind == Kind.ERROR
    exception = recording.response.exception
    assert exception.type == "BadRequestError" and exception.status == 400
    assert "Invalid service_tier argument" in exception.message
    assert recording.messages  # the request still shows


def test_raw_http_400_bodies():
    messages = load_recording(corpus_file("cf0be7f9e2ebfc78"))
    assert messages.kind == Kind.MESSAGES and messages.response.status == 400
    assert messages.response.exception.type == "invalid_request_error"
    assert messages.response.exception.message == "messages is required"
    interactions = load_recording(corpus_file("36a00e747aef2ae3"))
    assert interactions.kind == Kind.INTERACTIONS and interactions.response.status == 400
    assert interactions.response.exception.type == "invalid_request"
    assert interactions.response.exception.message == "Missing key 'type' in input 'tools'."


def test_other_kinds_digest():
    embeddings = load_recording(corpus_file("8ff1d58683cc480f"))
    assert embeddings.kind == Kind.EMBEDDINGS
    assert embeddings.response.summary == {"count": 1, "dimensions": 1536}
    models = load_recording(corpus_file("models-3a641f25d6569576"))
    assert models.kind == Kind.MODELS and models.response.summary == {"models": ["qwen2.5"]}
    assert not models.streaming and models.response.chunks == 0
    ps = load_recording(corpus_file("llama-stack-2025-10/providers/recordings/1748d5358e4c3440"))
    assert ps.kind == Kind.MODELS and "llama3.2:3b" in ps.response.summary["models"]
    tool = load_recording(corpus_file("661e959c98b894f6"))
    assert tool.kind == Kind.TOOL and tool.response.summary["error"] is None
    assert "top_k" in json.loads(tool.response.summary["result"])
    assert tool.messages[0].tool_calls[0].name == "web_search"
    pdf = load_recording(corpus_file("268e65efffed6ba4"))
    assert pdf.kind == Kind.FILE and pdf.response.summary["chunks"] >= 1
    assert pdf.response.summary["filename"] and pdf.response.summary["pages"] == 1


def test_ollama_generate_and_chat_with_images():
    generate = load_recording(corpus_file("e96152610712"))
    assert generate.kind == Kind.GENERATE and generate.response.text
    chat = load_recording(corpus_file("f1592dee71e5"))
    assert chat.kind == Kind.CHAT and "golden retriever" in chat.response.text
    user = chat.messages[0]
    assert user.parts[-1].type == "image" and user.parts[-1].text.startswith("[image: image, ")
    assert chat.response.usage.completion_tokens == 56
    legacy = load_recording(corpus_file("53d2488c9ea9"))
    assert legacy.kind == Kind.GENERATE and legacy.response.finish_reason == "load"


def test_completion_stream():
    recording = load_recording(corpus_file("c03bc36fc4c19495"))
    assert recording.kind == Kind.COMPLETION and recording.streaming
    assert recording.response.chunks > 1 and recording.response.text
