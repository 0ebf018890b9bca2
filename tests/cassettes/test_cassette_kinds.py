"""The other kinds of cassette in pydantic-ai's tree, on the vendored real files: xAI gRPC
samples, realtime websocket sessions, empty cassettes, and shapes that used to read wrong.

Every expected value below was read off the YAML by hand (the line it comes from is named);
none is produced by our code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import orjson
from support import CORPUS, REPO, require_corpus, run_tui_replay

from tui_replay.catalog.filters import filter_summaries
from tui_replay.recording.cassette import cassette_test_id
from tui_replay.recording.cassette_source import interaction_source
from tui_replay.recording.load import load_recording
from tui_replay.recording.model import EventKind, Kind, RecordingError, Summary
from tui_replay.recording.summary import summarize_cassette_file

PYDANTIC = CORPUS / "cassettes" / "pydantic-ai"
GRPC_THINKING = PYDANTIC / "xai__test_thinking__test_xai_grok_45_thinking.xai.yaml"
GRPC_STREAM = PYDANTIC / "xai__test_search_tools__test_xai_builtin_x_search_tool_stream.xai.yaml"
GRPC_COLLECTIONS = PYDANTIC / "xai__test_search_tools__test_xai_builtin_file_search_tool.xai.yaml"
OPENAI_SESSION = PYDANTIC / "realtime__test_openai_ws__test_tool_call_round.yaml"
XAI_SESSION = PYDANTIC / "realtime__test_xai_ws__test_tool_call_round.yaml"
GOOGLE_SESSION = PYDANTIC / "realtime__test_google_ws__test_tool_call_round.yaml"
WEBRTC = PYDANTIC / "realtime__test_webrtc__test_answer_webrtc_offer.yaml"
EMPTY = PYDANTIC / (
    "test_multimodal_tool_returns__test_multimodal_tool_return_matrix"
    "[direct-uploaded_file-audio-xai].xai.yaml"
)
BEDROCK = PYDANTIC / "test_anthropic__test_anthropic_cache_bedrock_real_api.yaml"
BACKGROUND = PYDANTIC / "test_openai_responses__test_background_mode_with_tool_vcr.yaml"
MCP_STREAM = PYDANTIC / "test_anthropic__test_anthropic_mcp_servers_stream.yaml"
MCP = PYDANTIC / "test_anthropic__test_anthropic_mcp_servers.yaml"
ADVISOR = PYDANTIC / "test_anthropic__test_anthropic_advisor_tool_stream.yaml"
MISTRAL = PYDANTIC / (
    "tests_cassettes__test_thinking_wire_contract__test_reasoning_wire_contract"
    "[mistral-small-thinking-high].yaml"
)
MISTRAL_STREAM = PYDANTIC / "test_mistral__test_mistral_model_thinking_part_iter.yaml"


def _calls(recording) -> list[tuple[str | None, str, object]]:
    """(id, name, parsed arguments) of the answer's tool calls."""
    return [(c.id, c.name, json.loads(c.arguments)) for c in recording.response.tool_calls]


def _row(path: Path, index: int | None = None):
    rows = summarize_cassette_file(path)
    address = str(path) if index is None else f"{path}#{index}"
    return next(row for row in rows if row.path == address)


# ------------------------------------------------------------------ the whole vendored set


def test_list_over_the_vendored_cassettes_has_no_error_and_a_row_for_every_file(tmp_path):
    require_corpus()
    env = dict(os.environ, TUI_REPLAY_CACHE_DIR=str(tmp_path), PYTHONPATH=str(REPO), NO_COLOR="1")
    result = run_tui_replay(
        "list", "--json", "--no-cache", str(CORPUS / "cassettes"), cwd=REPO, env=env, timeout=120, text=False
    )
    assert result.returncode == 0, result.stderr
    rows = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert [(row["path"], row["error"]) for row in rows if row["status"] != "ok"] == []
    files = {str(path) for path in (CORPUS / "cassettes").rglob("*.yaml")}
    listed = {row["path"] if row["interaction"] is None else row["path"].rsplit("#", 1)[0] for row in rows}
    assert files == listed
    kinds = {row["kind"] for row in rows}
    assert {"realtime", "empty", "chat", "messages", "responses", "unknown"} <= kinds


# ------------------------------------------------------------------ xAI gRPC


def test_grpc_unary_sample_is_a_chat_with_reasoning_and_usage():
    recording = load_recording(f"{GRPC_THINKING}#0")
    assert recording.kind is Kind.CHAT and recording.model == "grok-4.5"  # request_sample.json.model
    assert [(m.role, m.text) for m in recording.messages] == [("user", "What is 2+2?")]
    response = recording.response
    assert response.text == "**4**"  # outputs[0].message.content
    assert response.reasoning == 'The question is: "What is 2+2?"\n'  # reasoning_content, a folded '' scalar
    assert response.finish_reason == "stop"  # REASON_STOP
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (213, 3)
    assert recording.test_id == "pydantic-ai/xai/test_thinking.py::test_xai_grok_45_thinking"  # no `::xai`
    row = _row(GRPC_THINKING, 0)
    assert (row.status, row.kind, row.model, row.answer_start) == ("ok", "chat", "grok-4.5", "**4**")


def test_grpc_stream_joins_its_chunks_and_keeps_the_server_tool_call():
    recording = load_recording(f"{GRPC_STREAM}#0")
    assert recording.kind is Kind.CHAT and recording.streaming
    assert recording.model == "grok-4-fast-reasoning"
    # The `content:` of the assistant deltas, in order.
    assert (
        recording.response.text
        == "PydanticAI v1.80: Tool call retry fixes and capability ordering primitives"
    )
    assert _calls(recording) == [
        ("call_80209424", "x_keyword_search", {"query": "PydanticAI", "limit": 10, "mode": "Latest"})
    ]  # the ROLE_TOOL delta repeats the call as the server's result: not a second call
    assert recording.response.usage.completion_tokens == 66  # the last chunk's usage
    assert (
        recording.messages[0].text
        == "Search X for the latest PydanticAI updates. Reply with just the key topic."
    )


def test_grpc_outputs_merge_into_one_answer_and_collection_calls_are_unknown():
    rows = summarize_cassette_file(GRPC_COLLECTIONS)
    # create, upload_document, the chat, delete (the four `- ` items of the file)
    assert [(row.kind, row.status) for row in rows] == [
        ("unknown", "ok"),
        ("unknown", "ok"),
        ("chat", "ok"),
        ("unknown", "ok"),
    ]
    chat = load_recording(f"{GRPC_COLLECTIONS}#2")
    assert chat.response.text.startswith("**2187**, by **Dr. Mira Calyx, Dr. Taren Ko, and Dr. Silas Rhen**.")
    assert [(c.id, c.name) for c in chat.response.tool_calls] == [
        ("call-ea6364ef-fc09-4f73-b49a-a869a33604a2-0", "collections_search")
    ]
    assert chat.model == "grok-4-fast-non-reasoning"  # what the request asked for
    assert (chat.response.usage.prompt_tokens, chat.response.usage.completion_tokens) == (2417, 120)
    created = load_recording(f"{GRPC_COLLECTIONS}#0")
    assert created.kind is Kind.UNKNOWN and created.request_raw["body"]["name"] == "pydantic-ai-test-8a7e057d"


# ------------------------------------------------------------------ realtime sessions


def test_openai_realtime_session_is_one_row_replayed_as_a_timeline():
    rows = summarize_cassette_file(OPENAI_SESSION)
    assert len(rows) == 1
    row = rows[0]
    assert (row.path, row.interaction, row.status, row.kind) == (str(OPENAI_SESSION), None, "ok", "realtime")
    assert row.model == "gpt-realtime" and row.chunks == 50  # 50 `- kind: message` frames
    assert row.test_id == "pydantic-ai/realtime/test_openai_ws.py::test_tool_call_round"
    assert (row.prompt_tokens, row.completion_tokens) == (63 + 103, 22 + 13)  # the two response.done
    recording = load_recording(OPENAI_SESSION)
    assert recording.kind is Kind.REALTIME and recording.response.chunks == 50
    assert recording.response.text == "It is foggy and 12 degrees in London."  # output_text deltas
    # The arguments as their 12 deltas join (`{`, `  \n`, ` `, ` "`, `city`, ...).
    assert [(c.id, c.name, c.arguments) for c in recording.response.tool_calls] == [
        ("call_uMNE0Myi2tDTPu0w", "get_weather", '{  \n  "city": "London" \n} \n')
    ]
    turns = [(m.role, m.text) for m in recording.messages]
    assert turns == [
        ("system", "Use the get_weather tool for any weather question, then answer in one short sentence."),
        ("user", "What is the weather in London?"),
        ("assistant", ""),  # the turn that only called the tool
        ("tool", "It is foggy and 12 degrees in London."),
        ("assistant", "It is foggy and 12 degrees in London."),
    ]
    assert [c.name for c in recording.messages[2].tool_calls] == ["get_weather"]
    notes = [e.text for e in recording.timeline if e.kind is EventKind.NOTE]
    assert "session.created (gpt-realtime)" in notes and "user: What is the weather in London?" in notes
    assert any(note.startswith("tool result for get_weather: It is foggy") for note in notes)
    chunks = [e.chunk for e in recording.timeline]
    assert chunks == sorted(chunks) and max(chunks) == 49  # one chunk per frame, in order
    sent = ["session.update", "conversation.item.create", "response.create"]
    sent += ["conversation.item.create", "response.create"]  # the tool's output, then the answer
    assert [data["type"] for data in recording.request_raw["sent"]] == sent  # `direction: sent`


def test_xai_realtime_session_answers_in_speech_transcripts_and_counts_audio():
    recording = load_recording(XAI_SESSION)
    assert recording.model == "grok-voice-latest"  # session.created
    # output_audio_transcript deltas, one paragraph per response
    assert recording.response.text == (
        "I'll check the weather for London right away.\n\n"
        "It is foggy and 12 degrees in London. The weather is foggy and 12 degrees."
    )
    assert _calls(recording) == [
        ("call-af8ed632-2074-4b5f-b719-7aa47250d3c6-0", "get_weather", {"city": "London"})
    ]
    usage = recording.response.usage  # `usage:` beside each response.done's response
    assert (usage.prompt_tokens, usage.completion_tokens) == (7 + 0, 113 + 269)
    audio = [e.text for e in recording.timeline if e.kind is EventKind.NOTE and e.text.startswith("audio")]
    assert len(audio) == 2 and all(note.startswith("audio received: ") and " s, " in note for note in audio)


def test_gemini_live_session_reads_setup_tool_call_and_transcription():
    recording = load_recording(GOOGLE_SESSION)
    assert recording.kind is Kind.REALTIME
    assert recording.model == "models/gemini-2.5-flash-native-audio-preview-09-2025"  # setup.model
    # outputTranscription texts: "I have", " recorded", " a reading", " of 5", " with the", " note",
    # ' "steady."'
    assert recording.response.text == 'I have recorded a reading of 5 with the note "steady."'
    assert _calls(recording) == [
        ("function-call-3225422447732038294", "record_reading", {"zqx_measurement": 5, "qbf_note": "steady"})
    ]
    assert [m.role for m in recording.messages] == ["system", "user", "assistant", "tool", "assistant"]
    assert recording.messages[1].text == 'Please record a reading of 5 with the note "steady".'
    assert recording.messages[3].text == '{"output":"Recorded 5 (steady)."}'
    usage = recording.response.usage  # usageMetadata
    assert (usage.prompt_tokens, usage.completion_tokens) == (1267, 103)
    assert [t.name for t in recording.tools] == ["record_reading"]


def test_unknown_and_odd_realtime_frames_are_notes_not_errors(tmp_path):
    path = tmp_path / "session.yaml"
    path.write_text(
        "interactions:\n"
        "- {kind: message, direction: received, data: {type: brand.new.event, x: 1}}\n"
        "- {kind: message, direction: received,"
        " data: {type: error, error: {message: '[bold]rate limited'}}}\n"
        "- {kind: message, direction: sent, data: [not, a, mapping]}\n"
        "- {kind: close, code: 1011, reason: gone, ok: false}\n"
        "- {kind: message, direction: received, data: {somethingLive: {}}}\n"
        "- {request: {method: POST, uri: 'https://x/v1/realtime/calls'}, response: {status: {code: 201}}}\n"
    )
    rows = summarize_cassette_file(path)
    assert [(row.status, row.kind, row.chunks) for row in rows] == [("ok", "realtime", 6)]
    recording = load_recording(path)
    notes = [e.text for e in recording.timeline if e.kind is EventKind.NOTE]
    assert notes[0] == "brand.new.event"
    assert notes[1] == "error: [bold]rate limited"  # recorded text kept as it is: data, not markup
    assert notes[2].startswith("sent message: ")
    assert notes[3] == "connection closed (1011: gone)"
    assert notes[4] == "somethingLive"
    assert notes[5] == "HTTP POST https://x/v1/realtime/calls (201)"
    assert recording.response.summary["errors"] == 1
    try:
        load_recording(f"{path}#0")
    except RecordingError as exc:
        assert "read whole" in exc.reason
    else:
        raise AssertionError("a realtime session has no interaction #0 of its own")


def test_webrtc_call_setup_reads_as_http():
    rows = summarize_cassette_file(WEBRTC)
    assert rows and all(row.interaction is not None and row.status == "ok" for row in rows)
    assert rows[0].first_user.startswith("POST https://api.openai.com/v1/realtime/calls")


# ------------------------------------------------------------------ empty cassettes


def test_an_empty_cassette_is_one_row_a_filter_finds():
    rows = summarize_cassette_file(EMPTY)
    assert [(row.path, row.status, row.kind, row.interaction, row.error) for row in rows] == [
        (str(EMPTY), "ok", "empty", None, None)
    ]
    assert "no interactions" in rows[0].first_user
    assert filter_summaries(rows, "kind:empty") == rows
    assert filter_summaries(rows, "status:error") == []
    recording = load_recording(EMPTY)
    assert recording.kind is Kind.EMPTY and recording.response.text == ""


# ------------------------------------------------------------------ shapes that read wrong


def test_mistral_thinking_parts_are_reasoning_not_text():
    recording = load_recording(f"{MISTRAL}#0")
    # content: [{type: thinking, thinking: [{type: text, text: ...}]}, {type: text, text: '4'}]
    assert recording.response.text == "4"
    assert recording.response.reasoning == (
        "The user is asking for the result of 2+2. The instruction is to reply with just the number, "
        'so I should respond with "4".'
    )
    assert "[thinking]" not in _row(MISTRAL, 0).answer_start
    streamed = load_recording(f"{MISTRAL_STREAM}#0")
    assert streamed.response.reasoning.startswith("Okay, the user is asking how to cross the street.")
    assert streamed.response.text.startswith("To cross the street safely, follow these steps:")
    assert "[thinking]" not in streamed.response.text


def test_anthropic_body_on_bedrock_invoke_is_messages_with_the_model_from_the_url():
    recording = load_recording(f"{BEDROCK}#0")
    assert recording.kind is Kind.MESSAGES
    assert recording.model == "eu.anthropic.claude-haiku-4-5-20251001-v1:0"  # /model/{id}/invoke
    assert recording.response.text.startswith("# Evolution of Python: Version 2 to 3.13")
    assert (recording.response.usage.prompt_tokens, recording.response.usage.completion_tokens) == (3, 1944)
    assert recording.messages[0].text.startswith("Describe the evolution of the Python programming language")
    second = _row(BEDROCK, 1)
    assert (second.kind, second.model, second.completion_tokens) == (
        "messages",
        "eu.anthropic.claude-haiku-4-5-20251001-v1:0",
        44,
    )


def test_background_responses_polled_by_get_are_parsed():
    polled = load_recording(f"{BACKGROUND}#4")  # GET /v1/responses/resp_0e6b…, status completed
    assert polled.kind is Kind.RESPONSES
    assert polled.response.text == "The weather in Paris is currently sunny with a temperature of 72°F."
    first_poll = load_recording(f"{BACKGROUND}#1")  # GET /v1/responses/resp_01b4…: the tool call
    assert _calls(first_poll) == [("call_JcaYgcpgGGTn4GjzjNDDB1xE", "get_weather", {"city": "Paris"})]
    assert first_poll.model == "gpt-4o-2024-08-06"


def test_anthropic_server_side_tool_blocks_keep_name_and_id():
    streamed = load_recording(f"{MCP_STREAM}#0")
    assert _calls(streamed) == [
        (
            "mcptoolu_01FZmJ5UspaX5BB9uU339UT1",
            "ask_question",
            {
                "repoName": "pydantic/pydantic-ai",
                "question": "What is this repository about? What are its main features and purpose?",
            },
        )
    ]
    whole = load_recording(f"{MCP}#0")
    assert _calls(whole) == [
        (
            "mcptoolu_01SAss3KEwASziHZoMR6HcZU",
            "ask_question",
            {
                "question": "What is pydantic-ai and what does this repository do?",
                "repoName": "pydantic/pydantic-ai",
            },
        )
    ]


def test_tool_input_given_whole_at_the_start_is_kept():
    recording = load_recording(f"{ADVISOR}#0")
    # content_block_start {type: server_tool_use, name: advisor, input: {}}; its only delta is ""
    assert [(c.id, c.name, c.arguments) for c in recording.response.tool_calls] == [
        ("srvtoolu_01DgsKYsJWQfJxubLmaKLEj6", "advisor", "{}")
    ]


# ------------------------------------------------------------------ the cassette's own YAML


def test_interaction_source_is_the_text_of_that_item_in_the_file():
    data = GRPC_COLLECTIONS.read_bytes()
    lines = data.decode().splitlines()
    # Item #2 starts at line 55 (`- request_sample:`) and item #3 at line 227.
    assert interaction_source(data, 2).splitlines()[0] == lines[54] == "- request_sample:"
    assert interaction_source(data, 2).splitlines()[-1] == lines[225]
    assert interaction_source(data, 3).startswith("- collections_method:\n    method: delete")
    try:
        interaction_source(data, 4)
    except RecordingError as exc:
        assert "no interaction #4" in exc.reason
    else:
        raise AssertionError("there are four interactions")
    long_line = interaction_source(OPENAI_SESSION.read_bytes(), None)
    assert long_line.startswith("version: 1\ninteractions:\n- kind: message")


def test_xai_suffix_is_not_a_test_class():
    assert cassette_test_id("tests/models/xai/cassettes/test_thinking/test_x[a-b].xai.yaml") == (
        "test_thinking.py::test_x[a-b]"
    )
    assert cassette_test_id("cassettes/agents/TestAgent.test_run.yaml") == "agents::TestAgent::test_run"


def test_a_session_an_empty_cassette_or_a_grpc_call_is_neither_exported_as_http_nor_reissued():
    from tui_replay.export import to_curl, to_python
    from tui_replay.live.plan import NotReissuable, plan_call

    for path in (OPENAI_SESSION, EMPTY, f"{GRPC_THINKING}#0"):
        recording = load_recording(path)
        assert "is not an HTTP request" in to_curl(recording)
        assert "is not an HTTP request" in to_python(recording)
        try:
            plan_call(recording)
        except NotReissuable as exc:
            assert "cannot re-issue" in str(exc)
        else:
            raise AssertionError(f"{path} was planned as a request")


def test_rows_of_the_new_kinds_agree_with_the_full_loader():
    """The listing's row and the opened recording say the same (kind, model, answer, calls, tokens)."""
    files = [GRPC_THINKING, GRPC_STREAM, GRPC_COLLECTIONS, OPENAI_SESSION, XAI_SESSION, GOOGLE_SESSION, EMPTY]
    for path in files:
        for row in summarize_cassette_file(path):
            recording = load_recording(row.path)
            usage = recording.response.usage
            assert (row.kind, row.model, row.streaming, row.tool_calls, row.chunks) == (
                str(recording.kind),
                recording.model,
                recording.streaming,
                len(recording.response.tool_calls),
                recording.response.chunks,
            ), row.path
            assert row.answer_start == recording.response.text[:200]
            assert (row.prompt_tokens, row.completion_tokens) == (
                (usage.prompt_tokens, usage.completion_tokens) if usage else (None, None)
            )


def test_rows_stored_by_an_older_reader_are_not_served(tmp_path):
    """Before this reader a realtime cassette listed as one error row per frame; a cache holding
    such rows (its `rows` mark older) is rebuilt, not served."""
    import dataclasses
    import shutil
    import sqlite3

    from tui_replay.catalog.cache import CACHE_FOLDER, DB_NAME
    from tui_replay.catalog.catalog import Catalog

    folder = tmp_path / "cassettes"
    folder.mkdir()
    shutil.copy(OPENAI_SESSION, folder / OPENAI_SESSION.name)
    cache_dir = tmp_path / "cache"
    [fresh] = Catalog(cache_dir=str(cache_dir), jobs=1).scan([str(folder)])
    assert (fresh.kind, fresh.status) == ("realtime", "ok")
    database = cache_dir / CACHE_FOLDER / DB_NAME
    fields = [f.name for f in dataclasses.fields(Summary) if f.name != "path"]  # as the cache stores them
    with sqlite3.connect(database) as conn:  # what an older reader left: an error row, rows mark 1
        [(stored,)] = conn.execute("SELECT rows FROM files").fetchall()
        row = orjson.loads(stored)[0]
        row[fields.index("status")], row[fields.index("kind")] = "error", None
        row[fields.index("error")] = "interaction #0: interaction without a request and a response mapping"
        conn.execute("UPDATE files SET rows = ?", (orjson.dumps([row]),))
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'rows'")
    conn.close()
    [again] = Catalog(cache_dir=str(cache_dir), jobs=1).scan([str(folder)])
    assert (again.kind, again.status, again.error) == ("realtime", "ok", None)


def test_text_and_kind_filters_find_sessions_and_empty_cassettes(tmp_path):
    env = dict(os.environ, TUI_REPLAY_CACHE_DIR=str(tmp_path), PYTHONPATH=str(REPO), NO_COLOR="1")

    def listed(query: str) -> list[str]:
        result = run_tui_replay(
            "list", "--json", "--filter", query, str(PYDANTIC), cwd=REPO, env=env, timeout=120, text=False
        )
        assert result.returncode == 0, result.stderr
        return sorted(Path(orjson.loads(line)["path"]).name for line in result.stdout.splitlines())

    # "foggy" is said in the OpenAI and xAI sessions (the Gemini one records a reading)
    assert listed("text:foggy kind:realtime") == [OPENAI_SESSION.name, XAI_SESSION.name]
    assert listed("kind:empty") == [EMPTY.name]
