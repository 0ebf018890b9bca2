"""The conversation pane opens at its last messages (what the model answered to); `g` goes to the start."""

from __future__ import annotations

from edited_corpus import corpus_file
from replay_helpers import ReplayTestApp, wait_loaded

from tui_replay.app.widgets.conversation import ConversationView, MessageBlock

WIDE = (120, 40)
MULTI_TURN = "73313ab37357"  # seven messages: system, user, tool calls and their results, ...


def visible(view: ConversationView, block: MessageBlock) -> bool:
    top, bottom = view.scroll_y, view.scroll_y + view.scrollable_content_region.height
    return block.virtual_region.y < bottom and block.virtual_region.bottom > top


async def test_opens_at_the_last_message_and_g_goes_to_the_first():
    app = ReplayTestApp(str(corpus_file(MULTI_TURN)), autoplay=False)
    async with app.run_test(size=WIDE) as pilot:
        screen = await wait_loaded(pilot)
        await pilot.pause()
        view = screen.query_one("#pane-conversation", ConversationView)
        blocks = list(view.query(MessageBlock))
        assert len(blocks) == 7 and view.max_scroll_y > 0  # longer than the pane
        assert view.scroll_y == view.max_scroll_y
        assert visible(view, blocks[-1]) and not visible(view, blocks[0])
        await pilot.press("g")
        await pilot.pause()
        assert view.scroll_y == 0 and visible(view, blocks[0])
        await pilot.press("G")
        await pilot.pause()
        assert view.scroll_y == view.max_scroll_y and visible(view, blocks[-1])
