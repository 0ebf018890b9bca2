"""Recorded text is data: markup and escape sequences in every field render literally."""

from __future__ import annotations

from replay_builders import WEATHER_TOOL
from replay_helpers import ReplayTestApp, screen_text, wait_loaded

from tui_replay.app.widgets.answer_view import AnswerView
from tui_replay.recording.model import (
    Citation,
    Event,
    EventKind,
    ExceptionInfo,
    Kind,
    Message,
    Recording,
    Response,
    RetrievedChunk,
    ToolCall,
)

MARKUP = "[bold]x[/bold] [red]y[/] [@click=app.quit]z[/]"
ESCAPES = "\x1b[31mred\x1b[0m \x1b]0;pwned\x07 bell\x07 \u202eevil"


def hostile_recording() -> Recording:
    deltas = [f"{MARKUP} ", f"{ESCAPES} <|file-", "1|>", "\n[link=x]L[/link]\t."]
    text = "".join(deltas)
    start = text.index("<|file-1|>")
    timeline = [Event(i, EventKind.TEXT, d) for i, d in enumerate(deltas)]
    timeline.append(Event(4, EventKind.TOOL_CALL, "", 0, "call_[b]", "get_weather"))
    timeline.append(Event(5, EventKind.TOOL_CALL, '{"city": "[bold]P\\u001b[0m"}', 0))
    return Recording(
        path="/tmp/[bold]evil[/bold]\x1b[2J.json",
        kind=Kind.CHAT,
        test_id="tests/x.py::test[\x1b]0;title\x07]",
        endpoint="/v1/chat/completions",
        url=None,
        model="[blink]m[/blink]",
        streaming=True,
        messages=[
            Message("system", f"sys {MARKUP}"),
            Message("user", f"user {ESCAPES}"),
            Message("assistant", "", tool_calls=[ToolCall(0, "call_1", "[i]tool[/i]", '{"a": "[u]b[/u]"}')]),
            Message("tool", f"result {MARKUP} {ESCAPES}", tool_call_id="call_1"),
        ],
        tools=[WEATHER_TOOL],
        response=Response(text=text, chunks=6, finish_reason="[b]stop[/b]"),
        timeline=timeline,
        citations=[Citation("<|file-1|>", "file-1", start, start + 10, [0], "[b]f.pdf[/b]", 0.5, "chunk")],
        retrieved=[
            RetrievedChunk(
                1, "file-1", "[b]f.pdf[/b]", 0.5, {"k": "[i]v[/i]\x1b[1m"}, f"{MARKUP}", "<|file-1|>", 3, True
            ),
            RetrievedChunk(2, "file-2", "\x1b[7mrev.pdf", 0.1, {}, "other", "<|file-2|>", 3, False),
        ],
        request_raw={
            "body": {"model": "[blink]m[/blink]", "messages": [{"role": "user", "content": ESCAPES}]}
        },
        response_raw={"body": [{"__data__": {"x": MARKUP + ESCAPES}}] * 6, "is_streaming": True},
    )


def assert_literal(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "[bold]x[/bold]" in text
    assert "␛[31mred␛[0m" in text


async def test_markup_and_escapes_render_literally():
    app = ReplayTestApp(recording=hostile_recording(), autoplay=False)
    async with app.run_test(size=(160, 60)) as pilot:
        screen = await wait_loaded(pilot)
        await pilot.press("end")
        screen.query_one("#citation-list").highlighted = 0
        await pilot.pause()
        text = screen_text(app)
        assert_literal(text)
        assert "[@click=app.quit]z[/]" in text  # an action link stays text
        assert "␛]0;pwned␇" in text  # the terminal-title sequence is visible, not sent
        assert "<U+202E>evil" in text
        assert "[link=x]L[/link]" in text
        answer = screen.query_one(AnswerView).text
        assert answer.startswith("[bold]x[/bold] [red]y[/] [@click=app.quit]z[/] ␛[31mred␛[0m")
        assert "[1]" in answer and "\t" not in answer
        assert "[i]tool[/i]" in text and "[u]b[/u]" in text  # earlier tool call name and arguments
        assert "[blink]m[/blink]" in text  # model in the title
        assert "finish: [b]stop[/b]" in text  # the finish reason in the answer border
        for segment_text in (
            seg.text
            for y in range(answer.count("\n") + 1)
            for seg in screen.query_one(AnswerView).render_line(y)
        ):
            assert "\x1b" not in segment_text
        await pilot.press("v")
        await pilot.pause()
        assert "\x1b" not in screen_text(app)
        await pilot.press("escape", "x")
        await pilot.pause()
        exported = screen_text(app)
        assert "\x1b" not in exported and "\x07" not in exported
    assert app.return_code in (None, 0)  # [@click=app.quit] did not quit the app


async def test_recorded_error_text_is_literal():
    recording = hostile_recording()
    recording.response = Response(exception=ExceptionInfo("[b]Bad[/b]", 400, f"{MARKUP} {ESCAPES}"))
    recording.timeline = []
    app = ReplayTestApp(recording=recording)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot)
        text = screen_text(app)
        assert_literal(text)
        assert "[b]Bad[/b]" in text
