"""Exports: curl, Python (openai), Markdown transcript, re-record command, and the no-clobber file writer."""

from __future__ import annotations

import json
import shlex

import pytest
from replay_builders import streamed_text
from replay_helpers import CITED_FILE, HEAD, OLD, corpus_file

from tui_replay.export import (
    DEFAULT_BASE_URL,
    model_options,
    request_url,
    rerecord_command,
    to_curl,
    to_markdown,
    to_python,
    wire_body,
    write_new_file,
)
from tui_replay.recording.load import load_recording
from tui_replay.recording.model import Kind

SEED_TEST_ID = (
    "tests/integration/responses/test_tool_responses.py::test_response_non_streaming_file_search"
    "[openai_client-txt=openai/gpt-4o:emb=Nomic-v1.5:dim=768-llama_experts_pdf]"
)


@pytest.fixture(scope="module")
def seed():
    return load_recording(corpus_file(CITED_FILE))


def test_curl_uses_endpoint_on_the_base_url_and_a_key_reference(seed):
    assert "/v1/v1/" in seed.url  # the recorded url is malformed, so it must not be used
    curl = to_curl(seed)
    assert curl.startswith(
        "#!/usr/bin/env bash\ncurl -sS -N -X POST http://localhost:8321/v1/chat/completions \\"
    )  # -N: a streamed answer is printed as it comes
    assert '-H "Authorization: Bearer ${OPENAI_API_KEY}"' in curl
    assert "/v1/v1/" not in curl
    # the -d argument is the request body as JSON, shell-quoted
    argv = shlex.split(curl.replace("\\\n", " "), comments=True)
    body = json.loads(argv[argv.index("-d") + 1])
    assert body["model"] == "gpt-4o" and body["stream"] is True
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "tool"]
    assert body == wire_body(seed)


def test_curl_with_a_configured_base_url(seed):
    curl = to_curl(seed, "http://127.0.0.1:9000/v1/", "MY_KEY")
    assert "http://127.0.0.1:9000/v1/chat/completions" in curl and "${MY_KEY}" in curl


def test_extra_body_is_merged_into_the_wire_body():
    recording = streamed_text(["x"])
    recording.request_raw = {"body": {"model": "m", "messages": [], "extra_body": {"top_k": 3}, "timeout": 5}}
    assert wire_body(recording) == {"model": "m", "messages": [], "top_k": 3}


def test_python_snippet_is_valid_and_keyless(seed):
    code = to_python(seed)
    compile(code, "snippet.py", "exec")
    assert f"base_url={DEFAULT_BASE_URL!r}" in code
    assert "api_key=os.environ.get('OPENAI_API_KEY', 'none')" in code  # a keyless server still works
    assert "client.chat.completions.create(**kwargs)" in code
    assert "for chunk in response:" in code  # the recording was streamed
    namespace: dict = {}
    exec(
        code.split("client = ")[0] + "\n" + code[code.index("kwargs = ") : code.index("response = ")],
        namespace,
    )
    assert namespace["kwargs"] == json.loads(json.dumps(seed.request_raw["body"]))


def test_markdown_transcript(seed):
    markdown = to_markdown(seed)
    assert markdown.startswith(f"# `{SEED_TEST_ID}`")
    assert "## user\n\n```\nHow many experts does the Llama 4 Maverick model have?\n```" in markdown
    assert "Tool call `knowledge_search` (`call_d6FUctD26fVVvlnYAbWc4m6u`)" in markdown
    assert "The Llama 4 Maverick model has 128 experts <|file-383513632278|>." in markdown
    assert "- `<|file-383513632278|>` → `llama_stack_and_models.pdf`, score 0.0911" in markdown


def test_rerecord_command_from_test_id(seed):
    command = rerecord_command(seed)
    assert command.startswith("#!/usr/bin/env bash\n")
    argv = shlex.split(command.replace("\\\n", " "), comments=True)
    # the conftest options that make pytest generate this very node id, in record mode
    assert argv == [
        "uv", "run", "--group", "test", "pytest", "-sv",
        "--stack-config=server:ci-tests",
        "--inference-mode=record",  # the conftest sets *_TEST_INFERENCE_MODE from it: env alone replays
        "--setup=gpt",
        "--text-model=openai/gpt-4o",
        "--embedding-model=nomic-ai/nomic-embed-text-v1.5",  # `Nomic-v1.5` is the short id of this model
        "--embedding-dimension=768",
        SEED_TEST_ID,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("params", "model", "expected"),
    [
        ("txt=ollama/llama3.2:3b-instruct-fp16-inference:completion:sanity", None,
         [("--text-model", "ollama/llama3.2:3b-instruct-fp16")]),
        ("openai_client-txt=openai/gpt-4o-saturn", "gpt-4o", [("--text-model", "openai/gpt-4o")]),
        ("client_with_models-txt=bedrock/openai.gpt-oss-20b-1:0-True", None,
         [("--text-model", "bedrock/openai.gpt-oss-20b-1:0")]),
        ("emb=ollama/all-minilm:l6-v2:dim=384-test_case1", None,
         [("--embedding-model", "ollama/all-minilm:l6-v2"), ("--embedding-dimension", "384")]),
        ("client_with_models-vector_io=faiss-txt=ollama/llama3.2:3b-instruct-fp16:emb=MiniLM:dim=384", None,
         [("--text-model", "ollama/llama3.2:3b-instruct-fp16"), ("--embedding-model", "all-MiniLM-L6-v2"),
          ("--embedding-dimension", "384")]),
        ("vis=ollama/llama3.2-vision:11b", None, [("--vision-model", "ollama/llama3.2-vision:11b")]),
        ("nvidia", None, []),
    ],
)  # fmt: skip
def test_model_options_from_the_parametrization(params, model, expected):
    assert model_options(f"tests/integration/x/test_x.py::test_y[{params}]", model) == expected


def test_no_rerecord_command_without_test_id():
    name = "a6ad8748dce1ebe53352c6ac4ccd9b209d614ce5c6ff86992b4aed3dc344eafc.json"
    recording = load_recording(corpus_file(OLD / "common" / "recordings" / name))
    assert recording.test_id is None
    assert rerecord_command(recording) is None


def test_non_http_kinds_have_no_request_to_export():
    path = HEAD / "responses/recordings/268e65efffed6ba43c3c66d97dddf134f48456bf3a9ac1ba5ecf38fe50c39044.json"
    recording = load_recording(corpus_file(path))
    assert recording.kind is Kind.FILE
    assert request_url(recording, None) is None
    assert to_curl(recording).startswith("#!/usr/bin/env bash\n# A file recording is not an HTTP request")
    assert "--inference-mode=record" in rerecord_command(recording)


def test_raw_http_payload_uses_the_url_path():
    path = HEAD / "common/recordings/cf0be7f9e2ebfc78903aa4ada30204585952f77bc5acb3ff7702bd7878d44b44.json"
    recording = load_recording(corpus_file(path))
    assert request_url(recording, "http://localhost:11434") == "http://localhost:11434/v1/messages"
    code = to_python(recording)
    compile(code, "snippet.py", "exec")
    # the client joins paths to its base URL (.../v1): "/v1/messages" would go to /v1/v1/messages
    assert "client.post('/messages'" in code and "/v1/v1" not in code
    assert "client.post('/v1/messages'" in to_python(recording, "http://localhost:11434")


def test_raw_get_endpoints_are_a_get_in_python_too():
    path = HEAD / "common/recordings/02c93bb3c314427bae2b7a7a6f054792b9f22d2cb4522eab802810be8672d3dc.json"
    recording = load_recording(corpus_file(path))
    assert to_curl(recording).startswith(
        "#!/usr/bin/env bash\ncurl -sS -X GET http://localhost:8321/v1/api/ps"
    )
    code = to_python(recording)
    compile(code, "snippet.py", "exec")
    assert "client.get('/api/ps', cast_to=object)" in code and "post" not in code


def test_write_new_file_never_overwrites(tmp_path):
    existing = tmp_path / "a.curl.sh"
    existing.write_text("keep me")
    first = write_new_file(tmp_path, "a.curl.sh", "one")
    second = write_new_file(tmp_path, "a.curl.sh", "two")
    assert existing.read_text() == "keep me"
    assert first.name == "a-1.curl.sh" and first.read_text() == "one"
    assert second.name == "a-2.curl.sh" and second.read_text() == "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-1.curl.sh", "a-2.curl.sh", "a.curl.sh"]


def test_exports_never_contain_the_api_key_value(seed, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret-value")
    monkeypatch.setenv("MY_KEY", "sk-other-secret")
    exports = [to_curl(seed), to_python(seed), to_curl(seed, None, "MY_KEY"), to_python(seed, None, "MY_KEY")]
    for export in exports:
        assert "sk-very-secret-value" not in export and "sk-other-secret" not in export
