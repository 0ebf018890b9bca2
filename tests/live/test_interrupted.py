"""A stream really cut short by the real server.

llama.cpp started without `--interrupt_requests false` silently ends a running stream
(no finish reason, no error) when a second request arrives. The re-issue must report
that as an incomplete stream, not as a normal (and shorter) answer.
"""

from __future__ import annotations

import asyncio

import pytest
from live_server import LiveServer
from openai import AsyncOpenAI
from support import serve_or_fail

from live.helpers import long_story
from tui_replay.live.plan import plan_call
from tui_replay.live.session import run_once
from tui_replay.live.target import LiveError, LiveTarget
from tui_replay.recording.load import load_recording


@pytest.fixture(scope="module")
def interrupting_server():
    yield from serve_or_fail(LiveServer(interrupt_requests=True), "the second llama.cpp server")


async def test_second_request_cuts_the_stream(interrupting_server, stored, tmp_path):
    recording = load_recording(long_story(stored.chat_stream, 300, tmp_path / "long.json"))
    call = plan_call(recording, "qwen-tiny")
    target = LiveTarget(interrupting_server.base_url, "qwen-tiny", "OPENAI_API_KEY", 120)
    started = asyncio.Event()
    received: list[int] = []

    def on_chunk(index: int, at: float, chunk: dict) -> None:
        received.append(index)
        if len(received) >= 3:
            started.set()

    first = asyncio.create_task(run_once(recording, call, target, on_chunk))
    await asyncio.wait_for(started.wait(), 60)
    client = AsyncOpenAI(base_url=interrupting_server.base_url, api_key="unused", max_retries=0)
    async with client:
        second = await client.chat.completions.create(
            model="qwen-tiny", messages=[{"role": "user", "content": "Say hi"}], max_tokens=3
        )
    assert second.choices[0].message.content
    with pytest.raises(LiveError) as failure:
        await asyncio.wait_for(first, 60)
    assert failure.value.cause == f"stream ended without a finish reason after {len(received)} chunks"
    assert len(received) < 300
