"""The real `openai` SDK against a real `serve` process over the vendored corpus."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx2
import openai
import pytest
from support import CORPUS, REPO

from serve.helpers import LLAMA, OLD, PYDANTIC, data, interaction, recording

CHAT = LLAMA / "inference/recordings/a1e4350b0157d85e74c9f661b2d0510434212d7f36fbc1eddacdaf5a62520dd3.json"
STREAM = LLAMA / "inference/recordings/3dcb9e38f66c96323546ef8d7fee216ad11a4dd6f7fe44c4b602671eea12382e.json"
ERROR = LLAMA / "responses/recordings/e680c971b64c915cb1794551da3cc4c5114e26120c5c59f2c89343925adee462.json"
RESPONSES = PYDANTIC / "test_openai_responses__test_text_output_function.yaml"
RESPONSES_STREAM = PYDANTIC / "test_openai_responses__test_openai_responses_moderation_stream.yaml"
OLLAMA_STREAM = OLD / "recordings/responses/53d2488c9ea9.json"
OLLAMA_CHAT = OLD / "recordings/responses/f1592dee71e5.json"  # a request with a base64 image
# The stored body holds `extra_body: {}` (SDK keyword arguments), which the SDK never sends as a key.
COMPLETION = (
    LLAMA / "batches/recordings/cb4673f5ab80c45bc13140600f423c7cd5ca750b1a732c92ba6710c2b2742d81.json"
)
EMBEDDINGS = (
    OLD / "inference/recordings/1774e408dada8623a932f20fd67ab722cbff2a2213309d8a33ec2ed5a444e5d4.json"
)


def client(serving, **headers) -> openai.OpenAI:
    return openai.OpenAI(base_url=serving.base_url, api_key="unused", default_headers=headers, max_retries=0)


@pytest.fixture
def corpus_server(start_serve):
    return start_serve(str(CORPUS), "--timing", "none")


def test_a_non_streamed_chat_completion_comes_back_as_recorded(corpus_server):
    stored = recording(CHAT)
    raw = client(corpus_server).chat.completions.with_raw_response.create(**stored["request"]["body"])
    assert raw.headers["x-tui-replay-match"] == "hit"
    assert raw.headers["x-tui-replay-recording"] == str(CHAT)
    assert json.loads(raw.http_response.text) == data(stored["response"]["body"])
    completion = raw.parse()
    recorded_call = data(stored["response"]["body"])["choices"][0]["message"]["tool_calls"][0]
    assert completion.choices[0].message.tool_calls[0].function.name == recorded_call["function"]["name"]
    lines = corpus_server.log_lines(1)
    assert " hit 200 " in lines[0] and str(CHAT) in lines[0]


def test_a_streamed_chat_completion_comes_back_chunk_by_chunk(corpus_server):
    stored = recording(STREAM)
    chunks = list(client(corpus_server).chat.completions.create(**stored["request"]["body"]))
    recorded = [data(item) for item in stored["response"]["body"]]
    assert [chunk.model_dump(mode="json", exclude_unset=True) for chunk in chunks] == recorded


def test_a_named_test_is_matched_by_the_recorders_hash(corpus_server):
    stored = recording(CHAT)
    header = json.dumps({"__test_id": stored["test_id"]})
    raw = client(
        corpus_server, **{"X-LlamaStack-Provider-Data": header}
    ).chat.completions.with_raw_response.create(**stored["request"]["body"])
    assert raw.headers["x-tui-replay-match"] == "hit"
    assert raw.headers["x-tui-replay-recording"] == str(CHAT)
    # Another test id: the recorder's hash differs, so it is a miss even though the body matches.
    other = client(corpus_server, **{"X-Test-Id": stored["test_id"] + "x"})
    with pytest.raises(openai.NotFoundError):
        other.chat.completions.create(**stored["request"]["body"])


def test_a_miss_names_the_nearest_file_and_pointer_in_the_sdk_exception(corpus_server, tmp_path):
    stored = recording(CHAT)
    body = json.loads(json.dumps(stored["request"]["body"]))
    body["messages"][-1]["content"] = "Something nobody recorded"
    with pytest.raises(openai.NotFoundError) as caught:
        client(
            corpus_server, **{"X-OGX-Provider-Data": json.dumps({"__test_id": stored["test_id"]})}
        ).chat.completions.create(**body)
    message = str(caught.value)
    assert str(CHAT) in message
    pointer = f"/messages/{len(body['messages']) - 1}/content"
    assert pointer in message
    error = caught.value.body
    assert error["type"] == "recording_not_found"
    assert "--inference-mode=record-if-missing" in error["rerecord"]
    # The same result and ranking as `explain --json` for this request.
    body_file = tmp_path / "body.json"
    body_file.write_text(json.dumps(body))
    explained = subprocess.run(
        [
            sys.executable,
            "-m",
            "tui_replay",
            "explain",
            str(CORPUS),
            "--json",
            "--body",
            str(body_file),
            "--url",
            stored["request"]["url"],
            "--test-id",
            stored["test_id"],
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert explained.returncode == 1, explained.stderr
    expected = json.loads(explained.stdout)
    assert error["hash"] == expected["hash"]
    assert error["nearest"] == expected["nearest"]


def test_a_recorded_error_is_replayed_with_its_status_and_body(corpus_server):
    stored = recording(ERROR)
    exception = stored["response"]["exception_data"]
    with pytest.raises(openai.APIStatusError) as caught:
        client(corpus_server).chat.completions.create(**stored["request"]["body"])
    assert caught.value.status_code == exception["status_code"]
    assert caught.value.response.json() == exception["body"]


def test_responses_api_non_streamed_and_retrieved_by_id(corpus_server):
    body, obj = interaction(RESPONSES)
    answer = client(corpus_server).responses.create(**body)
    recorded = obj["response"]["body"]
    assert answer.id == recorded["id"]
    assert answer.output_text == "".join(
        part["text"] for item in recorded["output"] if item["type"] == "message" for part in item["content"]
    )
    again = client(corpus_server).responses.retrieve(recorded["id"])
    assert again.id == recorded["id"]


def test_responses_api_streamed_event_by_event(corpus_server):
    body, obj = interaction(RESPONSES_STREAM)
    events = list(client(corpus_server).responses.create(**body))
    recorded = [
        json.loads(line[len("data: ") :]) for line in obj["response"]["body"] if line.startswith("data: ")
    ]
    assert [event.type for event in events] == [item["type"] for item in recorded]
    assert events[-1].response.id == recorded[-1]["response"]["id"]


def test_the_same_under_a_recorded_path_prefix(corpus_server):
    stored = recording(CHAT)
    prefixed = openai.OpenAI(base_url=corpus_server.url + "/v1/openai/v1", api_key="unused", max_retries=0)
    completion = prefixed.chat.completions.create(**stored["request"]["body"])
    assert completion.id == data(stored["response"]["body"])["id"]


def test_model_lists_of_one_hash_are_merged_and_others_make_it_ambiguous(corpus_server):
    raw = client(corpus_server).models.with_raw_response.list()
    assert raw.headers["x-tui-replay-match"] == "ambiguous"  # lists of several hashes in the tree
    answering = Path(raw.headers["x-tui-replay-recording"])
    hash_hex = answering.name.split("-")[1]
    same_hash = list(CORPUS.rglob(f"models-{hash_hex}-*.json"))
    assert len(same_hash) > 1  # one per server, as the recorder names them
    expected = sorted(
        {data(item)["id"] for path in same_hash for item in recording(path)["response"]["body"]}
    )
    assert [model.id for model in raw.parse().data] == expected  # merged by id, as the recorder does
    assert " ambiguous 200 " in corpus_server.log_lines(1)[0]


def test_ollama_generate_streams_json_lines(corpus_server):
    stored = recording(OLLAMA_STREAM)
    response = httpx2.post(corpus_server.url + "/api/generate", json=stored["request"]["body"], timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert lines == [data(item) for item in stored["response"]["body"]]


def test_a_completion_recorded_with_sdk_only_arguments_is_matched_as_sent(corpus_server):
    stored = recording(COMPLETION)
    assert "extra_body" in stored["request"]["body"]
    for headers in ({}, {"X-Test-Id": stored["test_id"]}):
        raw = client(corpus_server, **headers).completions.with_raw_response.create(
            **stored["request"]["body"]
        )
        assert raw.headers["x-tui-replay-match"] == "hit"
        assert raw.parse().choices[0].text == data(stored["response"]["body"])["choices"][0]["text"]


def test_embeddings_come_back_as_recorded(corpus_server):
    stored = recording(EMBEDDINGS)
    answer = client(corpus_server).embeddings.create(**stored["request"]["body"])
    recorded = data(stored["response"]["body"])
    assert answer.data[0].embedding == recorded["data"][0]["embedding"]


def test_ollama_chat_comes_back_as_recorded(corpus_server):
    stored = recording(OLLAMA_CHAT)
    response = httpx2.post(corpus_server.url + "/api/chat", json=stored["request"]["body"], timeout=30)
    assert response.status_code == 200
    assert response.headers["x-tui-replay-match"] == "hit"
    assert response.json() == data(stored["response"]["body"])
