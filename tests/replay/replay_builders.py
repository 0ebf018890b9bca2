"""Small Recording builders for replay tests (synthetic cases the corpus does not have)."""

from __future__ import annotations

from tui_replay.recording.model import (
    Citation,
    Event,
    EventKind,
    Kind,
    Message,
    Recording,
    Response,
    RetrievedChunk,
    ToolCall,
    ToolSpec,
)


def streamed_text(deltas: list[str], **fields) -> Recording:
    """A streamed chat recording whose chunk i carries deltas[i]."""
    timeline = [Event(chunk=i, kind=EventKind.TEXT, text=d) for i, d in enumerate(deltas)]
    defaults = dict(
        path="/tmp/synthetic.json",
        kind=Kind.CHAT,
        test_id="tests/integration/x/test_x.py::test_x[p]",
        endpoint="/v1/chat/completions",
        url="https://api.openai.com/v1/v1/chat/completions",
        model="gpt-test",
        streaming=True,
        messages=[Message(role="user", text="hello")],
        response=Response(text="".join(deltas), chunks=len(deltas), finish_reason="stop"),
        timeline=timeline,
    )
    defaults.update(fields)
    return Recording(**defaults)


WEATHER_TOOL = ToolSpec(
    name="get_weather",
    description="weather",
    parameters={
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "days": {"type": "integer"},
            "unit": {"type": "string", "enum": ["c", "f"]},
        },
        "required": ["city"],
    },
)


def tool_call_recording(fragments_by_call: dict[int, tuple[str, list[str]]]) -> Recording:
    """A streamed response with tool calls: {index: (name, [argument fragments])}, calls one after another."""
    timeline: list[Event] = []
    calls = []
    chunk = 0
    for index, (name, fragments) in fragments_by_call.items():
        timeline.append(Event(chunk, EventKind.TOOL_CALL, "", index, f"call_{index}", name))
        chunk += 1
        for fragment in fragments:
            timeline.append(Event(chunk, EventKind.TOOL_CALL, fragment, index))
            chunk += 1
        calls.append(ToolCall(index, f"call_{index}", name, "".join(fragments)))
    timeline.append(Event(chunk, EventKind.FINISH, finish_reason="tool_calls"))
    return Recording(
        path="/tmp/tools.json",
        kind=Kind.CHAT,
        test_id=None,
        endpoint="/v1/chat/completions",
        url=None,
        model="gpt-test",
        streaming=True,
        messages=[Message(role="user", text="weather?")],
        tools=[WEATHER_TOOL],
        response=Response(tool_calls=calls, chunks=chunk + 1, finish_reason="tool_calls"),
        timeline=timeline,
    )


def cited_recording() -> Recording:
    """An answer with a resolved marker split over chunks, an unresolved one, and an uncited chunk."""
    deltas = ["Fact one <|", "file-1", "|>. Fact two <|file-", "9|>. Fact three <|file-1|>."]
    text = "".join(deltas)
    first = text.index("<|file-1|>")
    unresolved = text.index("<|file-9|>")
    again = text.index("<|file-1|>", first + 1)
    retrieved = [
        RetrievedChunk(
            1,
            "file-1",
            "alpha.pdf",
            0.9,
            {"filename": "alpha.pdf"},
            "alpha text",
            "<|file-1|>",
            2,
            True,
        ),
        RetrievedChunk(
            2, "file-2", "beta.pdf", 0.5, {"filename": "beta.pdf"}, "beta chunk text", "<|file-2|>", 2, False
        ),
    ]
    citations = [
        Citation("<|file-1|>", "file-1", first, first + 10, [0], "alpha.pdf", 0.9, "alpha text"),
        Citation("<|file-9|>", "file-9", unresolved, unresolved + 10, [], None, None, ""),
        Citation("<|file-1|>", "file-1", again, again + 10, [0], "alpha.pdf", 0.9, "alpha text"),
    ]
    return streamed_text(deltas, citations=citations, retrieved=retrieved)


MARKDOWN_ANSWER = (
    "# Key Concepts\n\n"
    "Some **strong** words, `inline code`, [bold]x[/bold] and \x1b[31mred\x1b[0m.\n\n"
    "```python\ndef square(x):\n    return x * x\n```\n\n"
    "- first item\n- second item\n\n"
    "<think>kept as text</think> [link=x]L[/link] the end.\n"
)


def markdown_recording(text: str = MARKDOWN_ANSWER, size: int = 3) -> Recording:
    """A Markdown answer streamed in pieces of `size` characters (splitting every construct mid-way)."""
    return streamed_text([text[i : i + size] for i in range(0, len(text), size)])
