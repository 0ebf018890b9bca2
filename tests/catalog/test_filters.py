"""The app's query language, column sorting, grouping by test, short test ids."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui_replay.catalog.filters import (
    SORT_COLUMNS,
    QueryError,
    filter_summaries,
    group_by_test,
    parse_query,
    sort_summaries,
)
from tui_replay.catalog.testids import NO_TEST_ID, short_test_id, split_test_id
from tui_replay.recording.model import Summary

FILE_SEARCH_ID = (
    "tests/integration/responses/test_tool_responses.py::test_response_non_streaming_file_search"
    "[openai_client-txt=openai/gpt-4o:emb=sentence-transformers/nomic-ai/nomic-embed-text-v1.5:dim=768-llama_experts_pdf]"
)


def _summary(path: str, **fields) -> Summary:
    fields.setdefault("status", "ok")
    return Summary(path=path, **fields)


ROWS = [
    _summary(
        "rec/responses/recordings/aaa.json",
        test_id=FILE_SEARCH_ID,
        kind="chat",
        endpoint="/v1/chat/completions",
        model="gpt-4o",
        streaming=True,
        chunks=40,
        tool_calls=1,
        citations=2,
        prompt_tokens=100,
        completion_tokens=20,
    ),
    _summary(
        "rec/common/recordings/models-bbb.json",
        test_id=None,
        kind="models",
        endpoint="/v1/models",
        streaming=False,
    ),
    _summary(
        "rec/inference/recordings/ccc.json",
        test_id="tests/integration/inference/test_openai_completion.py::test_openai_completion_streaming"
        "[txt=ollama/llama3.2:3b-instruct-fp16-inference:completion:sanity]",
        kind="completion",
        endpoint="/v1/completions",
        model="llama3.2:3b-instruct-fp16",
        streaming=True,
        chunks=12,
        prompt_tokens=None,
        completion_tokens=7,
    ),
    _summary("rec/agents/recordings/ddd.json", status="error", error="not JSON: unexpected end of data"),
    _summary(
        "rec/safety/recordings/eee.json",
        test_id="tests/integration/safety/test_safety.py::TestSafety::test_unsafe[shield=llama-guard]",
        kind="chat",
        endpoint="/v1/chat/completions",
        model="llama-guard3:1b",
        streaming=False,
        exception=True,
    ),
]


def _names(rows) -> list[str]:
    return [row.path.rsplit("/", 1)[-1] for row in rows]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["aaa.json", "models-bbb.json", "ccc.json", "ddd.json", "eee.json"]),
        ("GPT-4O", ["aaa.json"]),  # case-insensitive, over the model
        ("file_search llama_experts", ["aaa.json"]),  # all words must match
        ("file_search ollama", []),
        ("models-bbb", ["models-bbb.json"]),  # the file name
        ("/v1/completions", ["ccc.json"]),  # the endpoint
        ("txt=ollama/llama3.2:3b", ["ccc.json"]),  # colons inside a free word
        ("model:llama", ["ccc.json", "eee.json"]),
        ("kind:chat", ["aaa.json", "eee.json"]),
        ("kind:CHAT,models", ["aaa.json", "models-bbb.json", "eee.json"]),
        ("-kind:models", ["aaa.json", "ccc.json", "ddd.json", "eee.json"]),
        ("has:tools", ["aaa.json"]),
        ("has:citations", ["aaa.json"]),
        ("has:error", ["ddd.json"]),
        ("status:error", ["ddd.json"]),
        ("status:ok -has:exception", ["aaa.json", "models-bbb.json", "ccc.json"]),
        ("has:exception", ["eee.json"]),
        ("has:tokens", ["aaa.json", "ccc.json"]),
        ("test:file_search", ["aaa.json"]),
        ("test:TestSafety", ["eee.json"]),
        ("endpoint:chat", ["aaa.json", "eee.json"]),
        ("stream:yes", ["aaa.json", "ccc.json"]),
        ("stream:no", ["models-bbb.json", "ddd.json", "eee.json"]),
        ("stream:no kind:chat", ["eee.json"]),
        ("path:agents/", ["ddd.json"]),
        ("-gpt", ["models-bbb.json", "ccc.json", "ddd.json", "eee.json"]),
        ('"llama-guard"', ["eee.json"]),
        ("kind:chat -stream:yes model:guard", ["eee.json"]),
        ("unknownfield:x", []),  # not a field: a free word nobody matches
        ('"unclosed quote', []),
    ],
)
def test_queries(query, expected):
    assert _names(filter_summaries(ROWS, query)) == expected


@pytest.mark.parametrize(
    "query", ["has:colour", "stream:maybe", "status:fine", "model:", "kind:embedding", "kind:chat,bogus"]
)
def test_bad_field_values_raise_a_one_line_query_error(query):
    with pytest.raises(QueryError) as info:
        parse_query(query)
    assert "\n" not in str(info.value)


def test_predicate_on_a_summary_with_nothing_set():
    bare = Summary(path="x.json", status="ok")
    assert parse_query("x.json")(bare)
    assert not parse_query("model:gpt")(bare)
    assert not parse_query("stream:yes")(bare)
    assert parse_query("stream:no")(bare)


def test_sort_numbers_with_none_last_both_ways():
    ascending = sort_summaries(ROWS, "completion_tokens")
    assert _names(ascending)[:2] == ["ccc.json", "aaa.json"]
    descending = sort_summaries(ROWS, "completion_tokens", descending=True)
    assert _names(descending)[:2] == ["aaa.json", "ccc.json"]
    # rows without tokens come last either way, in path order
    assert _names(ascending)[2:] == _names(descending)[2:] == ["ddd.json", "models-bbb.json", "eee.json"]


def test_sort_strings_case_insensitive_and_ties_in_path_order():
    models = [("b", "Zeta"), ("a", "alpha"), ("c", "zeta")]
    rows = [_summary(f"{name}.json", model=model) for name, model in models]
    assert _names(sort_summaries(rows, "model")) == ["a.json", "b.json", "c.json"]
    assert _names(sort_summaries(rows, "model", descending=True)) == ["b.json", "c.json", "a.json"]


def test_sort_tokens_total_and_status():
    by_tokens = sort_summaries(ROWS, "tokens", descending=True)
    assert _names(by_tokens)[:2] == ["aaa.json", "ccc.json"]
    assert _names(sort_summaries(ROWS, "status"))[0] == "ddd.json"  # errors first


@pytest.mark.parametrize("column", sorted(SORT_COLUMNS))
def test_every_sort_column_handles_every_row(column):
    assert len(sort_summaries(ROWS, column)) == len(ROWS)
    assert len(sort_summaries(ROWS, column, descending=True)) == len(ROWS)


def test_group_by_test_splits_on_the_first_double_colon():
    groups = group_by_test(ROWS)
    assert list(groups) == [
        "tests/integration/inference/test_openai_completion.py",
        "tests/integration/responses/test_tool_responses.py",
        "tests/integration/safety/test_safety.py",
        NO_TEST_ID,
    ]
    safety = groups["tests/integration/safety/test_safety.py"]
    assert list(safety) == ["TestSafety::test_unsafe[shield=llama-guard]"]
    # the error row (no test id) and the model list (null test id) share the no-test group
    assert _names(groups[NO_TEST_ID][NO_TEST_ID]) == ["models-bbb.json", "ddd.json"]


def test_group_keeps_recordings_in_input_order_and_params_with_separators():
    test_id = "tests/a/test_x.py::test_y[p=a/b:c.d e::f]"
    rows = [_summary(f"{index}.json", test_id=test_id) for index in (3, 1, 2)]
    groups = group_by_test(rows)
    assert groups == {"tests/a/test_x.py": {"test_y[p=a/b:c.d e::f]": rows}}


@given(
    file_part=st.text(st.characters(blacklist_characters=":"), min_size=1),
    test_part=st.text(min_size=1),
)
def test_split_is_the_inverse_of_joining(file_part, test_part):
    assert split_test_id(f"{file_part}::{test_part}") == (file_part, test_part)


def test_split_without_double_colon():
    assert split_test_id("tests/test_x.py") == ("tests/test_x.py", "")


def test_short_test_id_keeps_the_parametrization_visible():
    assert short_test_id(None) == NO_TEST_ID
    assert short_test_id("tests/integration/safety/test_safety.py::TestSafety::test_unsafe[x]") == (
        "test_safety.py::TestSafety::test_unsafe[x]"
    )
    short = short_test_id(FILE_SEARCH_ID, max_len=80)
    assert len(short) <= 80
    assert short.startswith("test_response_non")  # the file name gave way first
    assert "_file_search[openai_client-txt=o" in short
    assert short.endswith("llama_experts_pdf]")
    assert short.count("…") == 2  # then the long test name and the long parametrization
    no_file = FILE_SEARCH_ID.split("::", 1)[1]
    assert short_test_id(FILE_SEARCH_ID, max_len=len(no_file)) == no_file
    full = "test_tool_responses.py::" + no_file
    assert short_test_id(FILE_SEARCH_ID, max_len=len(full)) == full
    tight = short_test_id(FILE_SEARCH_ID, max_len=len(no_file) - 1)
    assert len(tight) == len(no_file) - 1 and "…" in tight and tight.startswith("test_response_non")


@given(st.text(min_size=1), st.integers(min_value=20, max_value=200))
def test_short_test_id_never_exceeds_the_limit(test_id, max_len):
    assert len(short_test_id(test_id, max_len)) <= max_len


@given(st.text(max_size=60))
def test_any_query_text_gives_a_predicate_or_a_query_error(text):
    try:
        predicate = parse_query(text)
    except QueryError as exc:
        assert "\n" not in str(exc)
        return
    for row in ROWS:
        assert predicate(row) in (True, False)


FILTER_WORDS = ["kind:chat", "-kind:chat", "has:tools", "stream:no", "llama", "-gpt"]


@given(st.lists(st.sampled_from(FILTER_WORDS), max_size=4))
def test_combined_filters_are_the_intersection_of_each(words):
    combined = set(_names(filter_summaries(ROWS, " ".join(words))))
    expected = set(_names(ROWS))
    for word in words:
        expected &= set(_names(filter_summaries(ROWS, word)))
    assert combined == expected


def test_capture_filter_on_a_real_recording_and_its_capture(tmp_path):
    import json

    from support import CORPUS, require_corpus

    from tui_replay.catalog.view import status_text
    from tui_replay.recording.summary import summarize_file

    require_corpus()
    name = "75ae2f583e3eb3920933f9df9ff65fa5cc639daf97fd7d6b53061146a026cc22.json"
    source = CORPUS / "llama-stack/agents/recordings" / name
    obj = json.loads(source.read_text())
    chunks = len(obj["response"]["body"])
    obj["tui_replay_chunk_times"] = [0.01 * (i + 1) for i in range(chunks)]  # what a capture carries
    capture = tmp_path / "75ae2f583e3e.live-20250101-120000.json"
    capture.write_text(json.dumps(obj))
    rows = [summarize_file(source), summarize_file(capture)]
    assert [row.capture for row in rows] == [False, True]
    assert [row.path for row in filter_summaries(rows, "capture:yes")] == [str(capture)]
    assert [row.path for row in filter_summaries(rows, "-capture:yes")] == [str(source)]
    assert [status_text(row) for row in rows] == ["ok", "capture"]
    with pytest.raises(QueryError, match="capture:maybe"):
        parse_query("capture:maybe")
