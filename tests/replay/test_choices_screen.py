"""The replay screen offers every answer of an `n: 2` recording (issue 12): tabs and the `n` key."""

from __future__ import annotations

from edited_corpus import corpus_file, second_choice_stream
from replay_helpers import ReplayTestApp, wait_loaded
from textual.widgets import Tabs

from tui_replay.app.widgets.answer_view import AnswerView
from tui_replay.app.widgets.citations_pane import CitationsPane

WIDE = (120, 40)


async def test_n_key_and_tabs_switch_between_choices(tmp_path):
    app = ReplayTestApp(str(second_choice_stream(tmp_path)), autoplay=False)
    async with app.run_test(size=WIDE) as pilot:
        screen = await wait_loaded(pilot)
        tabs = screen.query_one("#choice-tabs", Tabs)
        assert [str(tab.label) for tab in tabs.query("Tab")] == ["Choice 0", "Choice 1"]
        assert screen.query_one("#pane-answer").border_title.startswith("Answer (choice 0 of 2) · ")
        await pilot.press("end")
        assert screen.query_one(AnswerView).text.endswith("has 128 experts [1].")

        await pilot.press("n")
        await pilot.pause()
        assert screen.choice == 1
        assert screen.query_one("#choice-tabs", Tabs).active == "choice-1"
        assert screen.query_one("#pane-answer").border_title.startswith("Answer (choice 1 of 2) · ")
        await pilot.press("end")
        assert screen.query_one(AnswerView).text.endswith("has one hundred twenty-eight experts [1].")
        assert screen.query_one(CitationsPane).shown == [1]  # choice 1's own citation

        await pilot.click("#choice-tabs Tab#choice-0")
        await pilot.pause()
        assert screen.choice == 0
        await pilot.press("end")
        assert screen.query_one(AnswerView).text.endswith("has 128 experts [1].")


async def test_single_answer_has_no_choice_tabs():
    app = ReplayTestApp(str(corpus_file("ccf305c14285")), autoplay=False)
    async with app.run_test(size=WIDE) as pilot:
        screen = await wait_loaded(pilot)
        assert not screen.query("#choice-tabs")
        assert screen.check_action("next_choice", ()) is False
        await pilot.press("n")
        assert screen.choice == 0
