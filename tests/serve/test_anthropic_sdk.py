"""The real `anthropic` SDK against vcrpy cassettes served by a real `serve` process."""

from __future__ import annotations

import json

import anthropic
import pytest

from serve.helpers import CREWAI, PYDANTIC, interaction, sdk_kwargs

TOOL_OUTPUT = PYDANTIC / "test_anthropic__test_anthropic_tool_output.yaml"
REDACTED_STREAM = PYDANTIC / "test_anthropic__test_anthropic_model_thinking_part_redacted_stream.yaml"
TWO_CALLS = CREWAI / "llms__anthropic__test_anthropic_async_multiple_calls.yaml"


@pytest.fixture
def cassette_server(start_serve):
    return start_serve(str(PYDANTIC), str(CREWAI), "--timing", "none")


def sdk(serving) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=serving.url, api_key="unused", max_retries=0)


def test_each_interaction_of_a_cassette_answers_its_request(cassette_server):
    for index in (0, 1):
        body, obj = interaction(TOOL_OUTPUT, index)
        raw = sdk(cassette_server).beta.messages.with_raw_response.create(**sdk_kwargs(body, obj))
        assert raw.headers["x-tui-replay-match"] == "hit"
        assert raw.headers["x-tui-replay-recording"] == f"{TOOL_OUTPUT}#{index}"
        message = raw.parse()
        recorded = obj["response"]["body"]
        assert message.id == recorded["id"]
        assert [block.type for block in message.content] == [block["type"] for block in recorded["content"]]


def test_a_streamed_message_comes_back_event_by_event(cassette_server):
    body, obj = interaction(REDACTED_STREAM)
    kwargs = sdk_kwargs({key: value for key, value in body.items() if key != "stream"}, obj)
    with sdk(cassette_server).beta.messages.stream(**kwargs) as stream:
        events = list(stream)
        final = stream.get_final_message()
    recorded = [
        json.loads(line[len("data: ") :]) for line in obj["response"]["body"] if line.startswith("data: ")
    ]
    raw_types = [event.type for event in events if event.type in {item["type"] for item in recorded}]
    assert raw_types == [item["type"] for item in recorded if item["type"] != "ping"]  # the SDK drops pings
    assert final.id == recorded[0]["message"]["id"]


def test_a_request_recorded_twice_is_played_in_order(cassette_server):
    recorded = [interaction(TWO_CALLS, index) for index in range(4)]
    body = recorded[0][0]
    same = [obj["response"]["body"]["id"] for other, obj in recorded if other == body]
    assert len(same) == 2  # the cassette asks the same question twice
    answers = [sdk(cassette_server).messages.create(**body).id for _ in range(3)]
    assert answers == [*same, same[-1]]  # in turn, then the last one again


def test_a_miss_is_an_anthropic_not_found_error_naming_the_nearest(cassette_server):
    body, obj = interaction(TOOL_OUTPUT, 0)
    body = {**body, "max_tokens": body["max_tokens"] + 1}
    with pytest.raises(anthropic.NotFoundError) as caught:
        sdk(cassette_server).beta.messages.create(**sdk_kwargs(body, obj))
    assert caught.value.body["error"]["type"] == "recording_not_found"
    assert str(TOOL_OUTPUT) in str(caught.value)
