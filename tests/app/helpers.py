"""Shared constants and helpers of the app tests (fixtures are in conftest.py)."""

from __future__ import annotations

import asyncio
import io

from rich.console import Console
from support import CORPUS, REPO, record_calls  # noqa: F401 (re-exported to the app tests)

from tui_replay.app.app import TuiReplayApp
from tui_replay.config import Config

# A fixed subset covering the shapes the browse screen shows differently.
SUBSET = (
    # the seed case: a streamed tool call, then the answer that cites a file
    "llama-stack-2025-10/responses/recordings/d30a3a9a90ea3ba6ea62417aec80e79ee502a2e75b58f7c87ee65c446200af0e.json",
    "llama-stack-2025-10/responses/recordings/ccf305c14285e6c5788c9126f13bc02f786a1562614596c8ac5ffa38cb49e0a1.json",
    "llama-stack/responses/recordings/2443581bf4a71f7b26e3aef9715a65a1cb5ab62249e691e77dcfec2e00be302b.json",
    # a recorded exception (no body)
    "llama-stack/responses/recordings/f300a8b24123c89ca028f21f6cf29326be28a95f61b23ec98fd75ed257ade6d7.json",
    # no test id: a model list, an Ollama generate in the old shared layout
    "llama-stack/common/recordings/02c93bb3c314427bae2b7a7a6f054792b9f22d2cb4522eab802810be8672d3dc.json",
    "llama-stack-2025-10/recordings/responses/53d2488c9ea9.json",
    # embeddings, Gemini with a tool call, an Anthropic stream, a legacy completion
    "llama-stack/responses/recordings/0cfaf068f17082684adb234fa8dce33568fc73f43ed2a9d0858f97ffa2347fda.json",
    "llama-stack/responses/recordings/86173aaf2711983be162981db93ecfb3ccf702bbe89f810dc893445daf205f1f.json",
    "llama-stack/messages/recordings/f22657bfd86db6348c0a0d0b17332dcfc038b345d2a7be8da4b880a433d36a52.json",
    "llama-stack/batches/recordings/cb4673f5ab80c45bc13140600f423c7cd5ca750b1a732c92ba6710c2b2742d81.json",
    # a streamed chat with one tool call
    "llama-stack/agents/recordings/75ae2f583e3eb3920933f9df9ff65fa5cc639daf97fd7d6b53061146a026cc22.json",
    # five recordings of one test (a group that starts folded)
    "llama-stack/agents/recordings/11e26e730d6f4d150b43967135b4969f8cd585a32527fe0d557a7356578e5e97.json",
    "llama-stack/agents/recordings/205477727d30890404a99ee4931240212a3a475cb80450bf455d23c6ea258e5c.json",
    "llama-stack/agents/recordings/602d09721ce4b8b120ee2eb699d47dd1d2eb515d3cdb9272246706fd6aea8ae0.json",
    "llama-stack/agents/recordings/ae5fbe1305cad035af3745bab08c3bfd9549886e65c95ed7887e2d43df42d0ee.json",
    "llama-stack/agents/recordings/b2ef31dcb089fcf39c5a11cf56551c16246fb78e21e7c3e7e17d6f8e93ec97b6.json",
)
GUARDRAIL_TEST = "test_output_safety_guardrails_safe_content"
SEED_ANSWER = "ccf305c14285"
SEED_TOOL_CALL = "d30a3a9a90ea"

HOSTILE_TEST_ID = "tests/integration/hostile/test_markup.py::test_markup[[bold red]boom[/]-\x1b]0;pwned\x07]"
HOSTILE_USER = (
    "[bold]hi[/bold] \x1b[31mred\x1b[0m \x1b]0;title\x07 $accent [link=http://evil]x[/link] \u202eabc"
)
HOSTILE_ANSWER = "[blink]answer[/blink] \x1b[2J\x1b[H cleared? [/]"
HOSTILE_MODEL = "[reverse]evil-model[/reverse]"


def hostile_recording() -> dict:
    """A valid chat recording whose every text field is markup, escapes and control characters."""
    return {
        "test_id": HOSTILE_TEST_ID,
        "request": {
            "method": "POST",
            "url": "http://localhost/v1/chat/completions",
            "headers": {},
            "body": {"model": HOSTILE_MODEL, "messages": [{"role": "user", "content": HOSTILE_USER}]},
            "endpoint": "/v1/chat/completions",
            "model": HOSTILE_MODEL,
        },
        "response": {
            "body": {
                "__type__": "openai.types.chat.chat_completion.ChatCompletion",
                "__data__": {
                    "id": "x",
                    "object": "chat.completion",
                    "created": 0,
                    "model": HOSTILE_MODEL,
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": HOSTILE_ANSWER},
                        }
                    ],
                    "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
                },
            },
            "is_streaming": False,
        },
    }


def make_app(paths: list[str] | None = None, **config: object) -> TuiReplayApp:
    config.setdefault("watch", False)
    return TuiReplayApp(paths or ["recordings"], Config(**config))  # type: ignore[arg-type]


async def wait_loaded(pilot, timeout: float = 20.0) -> None:
    """Until the browse screen has every row (the loading worker is done)."""
    app = pilot.app
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not app.browse.loaded:
        if loop.time() > deadline:
            raise AssertionError("the recordings did not finish loading")
        await asyncio.sleep(0.02)
    await pilot.pause()


async def wait_for(pilot, condition, timeout: float = 10.0, what: str = "condition") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
    await pilot.pause()


def table_keys(app) -> list[str]:
    return [row.key for row in app.browse.table.rows]


def screen_text(app) -> str:
    """What the terminal shows now, as plain text lines (the screenshot's console, as text)."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    render = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    console.print(render)
    return console.export_text()


async def search_palette(pilot, query: str, hit: str) -> None:
    """Open the command palette, type `query` and wait until `hit` shows (not yet run)."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "CommandPalette", what="the palette")
    await pilot.press(*query)
    await wait_for(pilot, lambda: hit in screen_text(app), what=f"the palette hit {hit!r}")


async def run_palette_command(pilot, query: str, hit: str) -> None:
    """`search_palette`, then run the top hit."""
    await search_palette(pilot, query, hit)
    await pilot.press("enter")
