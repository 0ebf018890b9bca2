"""The citations pane says when a citation resolved only through `attributes.file_id` or the id mapping."""

from __future__ import annotations

from edited_corpus import DOCUMENT_ID, cite_the_file_id, split_marker_with_original_id
from replay_helpers import ReplayTestApp, wait_loaded
from textual.widgets import OptionList

from tui_replay.app.widgets.citations_pane import FLAG_UNRESOLVED, CitationsPane

WIDE = (120, 40)


async def played_citation(tmp_path, build) -> tuple[str, str]:
    """(list prompt, detail text) of the only citation, after playing to the end."""
    app = ReplayTestApp(str(build(tmp_path)), autoplay=False)
    async with app.run_test(size=WIDE) as pilot:
        screen = await wait_loaded(pilot)
        await pilot.press("end")
        options = screen.query_one("#citation-list", OptionList)
        assert options.option_count == 1
        screen.query_one(CitationsPane).select(1)
        await pilot.pause()
        return str(options.get_option_at_index(0).prompt), str(screen.query_one("#citation-chunk").render())


async def test_file_id_fallback_is_flagged_as_such(tmp_path):
    prompt, detail = await played_citation(tmp_path, cite_the_file_id)
    assert prompt.startswith("[1] ogx_and_models.pdf") and "via file_id" in prompt
    assert FLAG_UNRESOLVED not in prompt + detail
    assert DOCUMENT_ID in detail and "attributes.file_id" in detail
    assert "128 experts" in detail  # the cited chunk is shown


async def test_split_original_id_resolves_through_the_mapping(tmp_path):
    prompt, detail = await played_citation(tmp_path, split_marker_with_original_id)
    assert prompt.startswith("[1] test_sequential_file_search.txt") and "via id mapping" in prompt
    assert FLAG_UNRESOLVED not in prompt + detail
    assert "id_normalization_mapping" in detail
