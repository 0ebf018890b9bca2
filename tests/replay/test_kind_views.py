"""Recordings that are not a streamed answer open in their own view (real corpus files)."""

from __future__ import annotations

import pytest
from replay_helpers import HEAD, OLD, ReplayTestApp, corpus_file, screen_text, wait_loaded
from textual.widgets import DataTable

from tui_replay.app.widgets.kind_views import EmbeddingsView, ErrorView, ModelsView, RawBodyView, ResultView
from tui_replay.recording.model import Kind, Recording, Response

EMBEDDINGS = (
    OLD / "inference/recordings/1774e408dada8623a932f20fd67ab722cbff2a2213309d8a33ec2ed5a444e5d4.json"
)
MODELS = (
    OLD
    / "common/recordings"
    / "models-64a2277c90f0f42576f60c1030e3a020403d34a95f56931b792d5939f4cebc57-fb68f5a6.json"
)
OLLAMA_PS = OLD / "providers/recordings/1748d5358e4c3440db43059e7fe37918bea64f182bf3d38effdebd59139129c7.json"
TOOL = OLD / "responses/recordings/54aa690e31b5c33a0488a5d7403393e5712917253462292829b37b9320d6df82.json"
FILE = HEAD / "responses/recordings/268e65efffed6ba43c3c66d97dddf134f48456bf3a9ac1ba5ecf38fe50c39044.json"
ERROR = HEAD / "responses/recordings/1f7f4726b3271546e67f50afb573d25464cb32df99289e4bb9a6a816912a47b8.json"
HTTP_400 = HEAD / "common/recordings/cf0be7f9e2ebfc78903aa4ada30204585952f77bc5acb3ff7702bd7878d44b44.json"


async def open_view(path, size=(100, 40)):
    app = ReplayTestApp(corpus_file(path))
    async with app.run_test(size=size) as pilot:
        screen = await wait_loaded(pilot)
        assert screen.player is None and not screen.query("#panes")  # no replay panes for these
        view = screen.query_one("#kind-view")
        return type(view), screen_text(app), view


async def test_embeddings_view():
    kind, text, _ = await open_view(EMBEDDINGS)
    assert kind is EmbeddingsView
    assert "count       1" in text and "dimensions  16" in text and "Test dimensions parameter" in text


@pytest.mark.parametrize(
    ("path", "rows"),
    [
        (MODELS, [("Qwen/Qwen3-0.6B", "vllm")]),
        (
            OLLAMA_PS,
            [
                ("llama3.2:3b", "llama"),
                ("nomic-embed-text:latest", "nomic-bert"),
                ("llama-guard3:1b", "llama"),
            ],
        ),
    ],
)
async def test_model_list_table(path, rows):
    app = ReplayTestApp(corpus_file(path))
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await wait_loaded(pilot)
        assert isinstance(screen.query_one("#kind-view"), ModelsView)
        table = screen.query_one("#models-table", DataTable)
        shown = [tuple(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)]
        assert shown == rows


async def test_tool_invocation_result():
    kind, text, _ = await open_view(TOOL)
    assert kind is ResultView
    assert "tavily" in text and "web_search" in text
    assert '"query": "Llama 4 Maverick model number of experts"' in text and '"top_k": [' in text


async def test_file_processor_result():
    kind, text, _ = await open_view(FILE)
    assert kind is ResultView
    assert "pypdf" in text and "llama_stack_and_models.pdf" in text and "Llama Stack Overview" in text


async def test_recorded_exception_view():
    kind, text, _ = await open_view(ERROR, size=(200, 50))
    assert kind is ErrorView
    assert "BadRequestError" in text and "status      400" in text
    assert "Model does not support image modality" in text
    assert "Describe this image" in text and "[image: https://example.com/test.jpg]" in text  # the request


async def test_http_error_body_view():
    kind, text, _ = await open_view(HTTP_400)
    assert kind is ErrorView
    assert "invalid_request_error" in text and "messages is required" in text


async def test_unknown_shape_shows_raw_body():
    recording = Recording(
        path="/tmp/odd.json",
        kind=Kind.UNKNOWN,
        test_id=None,
        endpoint="/v1/odd",
        url=None,
        model=None,
        streaming=False,
        response=Response(),
        response_raw={"body": {"something": "[b]new[/b]", "vector": list(range(100))}, "is_streaming": False},
    )
    app = ReplayTestApp(recording=recording)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_loaded(pilot)
        assert isinstance(screen.query_one("#kind-view"), RawBodyView)
        text = screen_text(app)
        assert '"something": "[b]new[/b]"' in text and "92 more numbers" in text


async def test_error_message_is_shown_as_the_server_sent_it():
    name = "1151b20ef79f0f44639f8133c3d0595d224611608c17d4076a325169e5dbf81e.json"
    kind, text, _ = await open_view(HEAD / "interactions/recordings" / name, size=(200, 40))
    assert kind is ErrorView
    # Runs of spaces, as recorded (they were collapsed to one before).
    assert "invalid JSON in genai.Interaction @  tools[0].function:  message  genai.Function," in text
    assert "near   1:35 (offset   34)" in text
