"""`text:` in the app: answered by the full-text index (the texts stored on the first such filter,
the trigram index over them filled after it, on the same thread), and what it looked for is marked
in the replay panes of the recordings it found."""

from __future__ import annotations

import sqlite3

import orjson
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import Static

import tui_replay.recording.load as load_module
from tui_replay.app.playback import RUN_TEXT
from tui_replay.app.screens.replay import ReplayScreen
from tui_replay.app.widgets.answer_view import AnswerBase, AnswerView
from tui_replay.app.widgets.conversation import ConversationView
from tui_replay.app.widgets.markdown_answer_view import MarkdownAnswerView
from tui_replay.catalog.cache import SummaryCache
from tui_replay.recording.text import recording_text

from .helpers import SUBSET, make_app, screen_text, table_keys, wait_for, wait_loaded

SIZE = (160, 45)
WORD = "experts"


def _says(path: str, word: str) -> bool:
    with open(path, "rb") as handle:
        return word in recording_text(orjson.loads(handle.read())).lower()


def _marked_in_answer(answer: AnswerBase) -> list[str]:
    """The text of every cell range drawn in the match style, row by row of the whole answer."""
    marked = answer.get_component_rich_style("answer--match", partial=True)
    assert marked.bgcolor is not None
    words = []
    for row in range(answer.virtual_size.height):
        answer.scroll_to(y=row, animate=False, immediate=True, force=True)
        top = round(answer.scroll_offset.y)
        for segment in answer.render_line(row - top):
            if segment.style is not None and segment.style.bgcolor == marked.bgcolor:
                words.append(segment.text)
    return words


async def _marked_words(pilot, screen: ReplayScreen) -> dict[str, list[str]]:
    """The text of every marked cell range: in the rendered answer, the raw one and the conversation."""
    found = {"rendered": _marked_in_answer(screen.query_one(MarkdownAnswerView))}
    await pilot.press("m")  # the raw text
    await wait_for(pilot, lambda: screen.query_one(AnswerView).display, what="the raw answer")
    await pilot.pause()
    found["raw"] = _marked_in_answer(screen.query_one(AnswerView))
    await pilot.press("m")
    conversation = screen.query_one(ConversationView)
    style = conversation.get_component_rich_style("conversation--match", partial=True)
    words = []
    said = 0
    for static in conversation.query("MessageBlock Static").results(Static):
        content = static.content
        if isinstance(content, Text) and not static.has_class("heading"):
            said += content.plain.lower().count(WORD)
            words += [content.plain[span.start : span.end] for span in content.spans if span.style == style]
    assert len(words) == said  # every occurrence in the messages, nothing else
    found["conversation"] = words
    return found


def _trigram_index_filled(cache_dir) -> bool:
    """The trigram index covers every stored text (`SummaryCache.build_text_index`)."""
    cache = SummaryCache(str(cache_dir))
    cache.close()
    conn = sqlite3.connect(f"file:{cache.path}?mode=ro", uri=True)
    try:
        query = "SELECT upto >= (SELECT max(id) FROM texts) FROM texts_indexed"
        return conn.execute(query).fetchone()[0] == 1
    finally:
        conn.close()


async def _open(pilot, app, path: str) -> ReplayScreen:
    app.browse.open_recording(path)
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, ReplayScreen) and app.screen.ready and app.screen.query(AnswerView),
        what="the replay",
    )
    screen = app.screen
    assert isinstance(screen, ReplayScreen)
    player = screen.player
    if player is not None:  # the whole answer on screen
        await pilot.press("end")
    await pilot.pause()
    return screen


async def test_text_filter_uses_the_index_and_marks_the_word_in_the_recordings_it_found(
    corpus_subset, private_cache_dir, monkeypatch
):
    saying = sorted(str(corpus_subset / p) for p in SUBSET if _says(str(corpus_subset / p), WORD))
    silent = sorted(str(corpus_subset / p) for p in SUBSET if not _says(str(corpus_subset / p), WORD))
    assert saying and silent  # the subset has both
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        browse = app.browse
        assert browse.catalog is not None and browse.catalog.index_pending()
        browse.set_filter(f"text:{WORD}")
        await wait_for(pilot, lambda: len(table_keys(app)) == len(saying), what="the text: filter")
        assert not browse.catalog.index_pending()  # the index answered
        found = sorted(table_keys(app))
        assert [p.rsplit("/", 1)[-1] for p in found] == [p.rsplit("/", 1)[-1] for p in saying]
        cache = SummaryCache(str(private_cache_dir))
        try:
            indexed = cache.search(WORD, [str(corpus_subset)])
        finally:
            cache.close()
        assert indexed is not None and len(indexed) == len(saying)
        # Then the trigram index is filled in the background: the next filters ask it.
        await wait_for(pilot, lambda: _trigram_index_filled(private_cache_dir), what="the trigram index")
        # Later text: filters ask the index alone: no recording is read.
        reads: list[str] = []
        real_read = load_module.read_bytes_stat
        with monkeypatch.context() as patch:
            patch.setattr(load_module, "read_bytes_stat", lambda *a: reads.append(a[0]) or real_read(*a))
            browse.set_filter("text:zq-said-nowhere-qz")
            await wait_for(pilot, lambda: not table_keys(app), what="no rows")
            browse.set_filter(f"text:{WORD}")
            await wait_for(pilot, lambda: len(table_keys(app)) == len(saying), what="the text: filter again")
        assert reads == []

        # One whose answer says it: marked in both answer views (every occurrence, nothing
        # else) and in the conversation.
        screen = None
        for path in found:
            screen = await _open(pilot, app, path)
            if WORD in screen.query_one(AnswerView).text.lower():
                break
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is browse, what="the browse screen")
        assert screen is not None and app.screen is screen, "no found recording says it in its answer"
        occurrences = screen.query_one(AnswerView).text.lower().count(WORD)
        marked = await _marked_words(pilot, screen)
        for pane in ("rendered", "raw"):
            assert "".join(marked[pane]).lower() == WORD * occurrences, pane
        assert marked["conversation"] and all(word.lower() == WORD for word in marked["conversation"])
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is browse, what="the browse screen")

        browse.set_filter("")
        await wait_for(pilot, lambda: len(table_keys(app)) == len(SUBSET), what="the filter cleared")
        # One that says nothing of the word, shown in the same panes (a chat like the first).
        silent_names = {p.rsplit("/", 1)[-1] for p in silent}
        kind = browse.summaries[found[0]].kind
        other = next(
            key
            for key in table_keys(app)
            if key.rsplit("/", 1)[-1] in silent_names and browse.summaries[key].kind == kind
        )
        screen = await _open(pilot, app, other)
        assert await _marked_words(pilot, screen) == {"rendered": [], "raw": [], "conversation": []}


class _Answers(App[None]):
    """Both answer views, narrow: a phrase wraps over two rows."""

    def compose(self) -> ComposeResult:
        yield AnswerView()
        yield MarkdownAnswerView()


async def test_a_phrase_is_marked_over_wrapped_rows_as_it_streams_in_both_answer_views():
    app = _Answers()
    async with app.run_test(size=(24, 30)) as pilot:
        views: list[AnswerBase] = [app.query_one(AnswerView), app.query_one(MarkdownAnswerView)]
        for view in views:
            view.styles.height = 12
            view.highlight(["mixture of experts"])
        await pilot.pause()
        # It arrives in pieces, the phrase cut in the middle of a word, after the highlight.
        for piece in ("Sparse: a Mix", "ture of EXP", "erts, not a mixture of two."):
            for view in views:
                view.append([(piece, RUN_TEXT)])
            await pilot.pause()
        for view in views:
            marked = _marked_in_answer(view)
            assert len(marked) >= 2, type(view).__name__  # on two rows
            assert " ".join(word.strip() for word in marked) == "Mixture of EXPerts", type(view).__name__
            view.highlight([])
            await pilot.pause()
            assert _marked_in_answer(view) == []


async def test_the_first_text_filter_shows_how_many_recordings_are_read_and_the_rows_found_so_far(
    corpus_subset, private_cache_dir, monkeypatch
):
    """The recordings are read for their text on a thread; the note under the box counts them
    and the rows found so far to say the word show (each read slowed here, so that frames show
    them on the way), then every row found."""
    import time

    from tui_replay.app.screens import browse as browse_module
    from tui_replay.catalog import textsearch

    monkeypatch.setattr(textsearch, "PROGRESS_FILES", 1)
    monkeypatch.setattr(browse_module, "FOUND_SO_FAR_SECONDS", 0.0)
    real_keep = textsearch._keep

    def slow_keep(*args):
        time.sleep(0.05)
        real_keep(*args)

    monkeypatch.setattr(textsearch, "_keep", slow_keep)
    saying = {p.rsplit("/", 1)[-1] for p in SUBSET if _says(str(corpus_subset / p), WORD)}
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        app.browse.set_filter(f"text:{WORD}")
        await wait_for(pilot, lambda: f"of {len(SUBSET):,} read" in screen_text(app), what="the count")
        partial: list[set[str]] = []

        def found_so_far() -> bool:
            shown = {key.rsplit("/", 1)[-1] for key in table_keys(app)}
            if "found so far" in screen_text(app) and shown and len(shown) < len(saying):
                partial.append(shown)
            return bool(partial)

        await wait_for(pilot, found_so_far, what="some rows found so far")
        assert partial[-1] < saying
        await wait_for(pilot, lambda: len(table_keys(app)) == len(saying), what="the text: filter")
        assert {key.rsplit("/", 1)[-1] for key in table_keys(app)} == saying
        await wait_for(pilot, lambda: "read…" not in screen_text(app), what="the note gone")
