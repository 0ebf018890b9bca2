"""`show --json` / `list --json` through the real command line for the issue-12 defects:
choices of n > 1 answers, the kind-specific `details`, endpoints, error text as recorded."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
from edited_corpus import (
    INTERACTIONS_SPACED_ERROR,
    TOOL_ERROR,
    WEATHER,
    corpus_file,
    failed_tool_invocation,
    interactions_function_turns,
    second_choice_stream,
)

from tui_replay.catalog.filters import filter_summaries
from tui_replay.recording.model import Summary


def rows(result) -> list[dict]:
    assert result.returncode == 0, result.stderr
    return [orjson.loads(line) for line in result.stdout.splitlines()]


def test_n2_stream_counts_and_shows_both_choices(run_cli, tmp_path):
    path = second_choice_stream(tmp_path)
    [listed] = rows(run_cli("list", "--json", str(tmp_path)))
    assert listed["choices"] == 2
    [shown] = rows(run_cli("show", "--json", str(path)))
    assert shown["choices"] == 2
    assert shown["response"]["text"] == "The Llama 4 Maverick model has 128 experts <|file-383513632278|>."
    [other] = shown["other_choices"]
    assert other["index"] == 1 and "one hundred twenty-eight experts" in other["text"]
    assert other["citations"][0]["document_id"] == "file-383513632278"
    text = run_cli("show", str(path)).stdout.decode()
    assert "choice 1 of 2" in text and "one hundred twenty-eight experts" in text


def test_single_answer_counts_one_choice(run_cli):
    path = corpus_file("ccf305c14285")
    [listed] = rows(run_cli("list", "--json", str(path)))
    [shown] = rows(run_cli("show", "--json", str(path)))
    assert listed["choices"] == shown["choices"] == 1 and shown["other_choices"] == []
    assert shown["details"] == {}


def test_details_of_each_kind(run_cli, tmp_path):
    paths = [
        corpus_file("7684dfce11db"),  # embeddings
        corpus_file("models-bd032f995f2a"),  # a model list
        corpus_file("268e65efffed"),  # file processor
        failed_tool_invocation(tmp_path),
    ]
    embeddings, models, processed, tool = rows(run_cli("show", "--json", *map(str, paths)))
    assert embeddings["details"] == {"count": 1, "dimensions": 384}
    assert models["details"]["model_count"] == len(models["details"]["models"]) > 100
    assert "meta/llama-3.1-8b-instruct" in models["details"]["models"]
    assert processed["details"] == {"chunks": 1, "pages": 1, "filename": "llama_stack_and_models.pdf"}
    assert tool["details"]["error"] == TOOL_ERROR


def test_endpoint_and_error_text_of_raw_http(run_cli, tmp_path):
    spaced = corpus_file(INTERACTIONS_SPACED_ERROR)
    recorded = json.loads(spaced.read_text())["response"]["body"]["error"]["message"]
    [error] = rows(run_cli("show", "--json", str(spaced)))
    assert error["endpoint"] == "/v1beta/interactions"
    assert error["response"]["exception"]["message"] == recorded
    [listed] = rows(run_cli("list", "--json", str(spaced)))
    assert listed["endpoint"] == "/v1beta/interactions"
    every = rows(run_cli("list", "--json", str(spaced.parents[2])))  # the whole llama-stack folder
    summaries = [Summary(**{k: v for k, v in row.items() if k in Summary.JSON_FIELDS}) for row in every]
    filtered = filter_summaries(summaries, "endpoint:/v1beta/interactions")
    assert len(filtered) == 9 and all(s.path.split("/")[-3] == "interactions" for s in filtered)
    tools = [s for s in summaries if "tool_name" in json.loads(Path(s.path).read_text())["request"]]
    assert tools and filter_summaries(summaries, "endpoint:tool_runtime/web_search") == tools


def test_interactions_function_parts_in_show(run_cli, tmp_path):
    [shown] = rows(run_cli("show", "--json", str(interactions_function_turns(tmp_path))))
    _, model, result = shown["messages"]
    assert json.loads(model["tool_calls"][0]["arguments"]) == {"location": "Paris"}
    assert result["role"] == "tool" and json.loads(result["text"]) == WEATHER
