"""ListingSession on the real vendored recordings: loading in batches, the filter and what it waits
for (every row, the full-text index, the key status), headless filtering, changes on disk."""

from __future__ import annotations

import asyncio
import copy
import os
import shutil

import pytest
from support import CORPUS, require_corpus, rewrite_model

from tui_replay.catalog import session as session_module
from tui_replay.catalog.catalog import Catalog
from tui_replay.catalog.filters import filter_summaries
from tui_replay.catalog.session import (
    WAITS_FOR_INDEX,
    WAITS_FOR_KEYS,
    WAITS_FOR_LOADING,
    ListingSession,
    LoadedBatch,
    filter_error,
)
from tui_replay.catalog.watch import Change


@pytest.fixture
def tree(tmp_path):
    """A private copy of the real llama-stack recordings (168 files): the session may write nothing
    there, but the watcher tests do."""
    require_corpus()
    target = tmp_path / "tree"
    shutil.copytree(CORPUS / "llama-stack", target)
    return str(target)


def _batch_sizes(monkeypatch, *, first: int, rows: int, most: int) -> None:
    """Small batches, ended by their size alone (never by the time a batch took)."""
    monkeypatch.setattr(session_module, "FIRST_BATCH", first)
    monkeypatch.setattr(session_module, "BATCH_ROWS", rows)
    monkeypatch.setattr(session_module, "MAX_BATCH_ROWS", most)
    monkeypatch.setattr(session_module, "BATCH_SECONDS", 60.0)


def _loaded(tree: str, tmp_path, **options) -> ListingSession:
    session = ListingSession([tree], cache_dir=str(tmp_path / "cache"), jobs=1, **options)
    session.load_all()
    return session


def test_rows_come_in_batches_with_progress_and_the_last_one_finishes(tree, tmp_path, monkeypatch):
    _batch_sizes(monkeypatch, first=3, rows=20, most=20)
    session = ListingSession([tree], cache_dir=str(tmp_path / "cache"), jobs=1)
    batches: list[LoadedBatch] = []
    seen: list[tuple[bool, tuple[int, int] | None, int]] = []

    def take(batch: LoadedBatch) -> None:
        batches.append(batch)
        appended = session.add_batch(batch)
        if batch.first:
            assert appended is None  # nothing shown yet: the caller asks for the rows
            session.view.rows()
        else:  # unsorted, ungrouped, unfiltered: every new row goes at the end of what is shown
            assert appended == batch.summaries
        seen.append((session.view.partial, session.progress, len(session.summaries)))

    session.load(take)
    assert [batch.first for batch in batches] == [True] + [False] * (len(batches) - 1)
    assert len(batches[0].summaries) == 3 and all(len(batch.summaries) <= 20 for batch in batches)
    assert [batch.finished for batch in batches] == [False] * (len(batches) - 1) + [True]
    for batch in batches:
        assert batch.done <= batch.found <= 168
    assert batches[-1].done == batches[-1].found == 168
    # Partial until the last batch, with the progress the status bar shows.
    assert all(partial and progress is not None for partial, progress, _ in seen[:-1])
    assert seen[-1] == (False, None, 168)
    assert session.loaded
    expected = Catalog(use_cache=False).scan([tree])
    assert list(session.summaries) == [row.path for row in expected]


def test_batches_grow_after_the_first_ones_so_loading_costs_the_ui_fewer_passes(tree, tmp_path, monkeypatch):
    _batch_sizes(monkeypatch, first=3, rows=10, most=40)
    session = ListingSession([tree], cache_dir=str(tmp_path / "cache"), jobs=1)
    sizes: list[int] = []
    session.load(lambda batch: sizes.append(len(batch.summaries)))
    # (A file gives one row or, a cassette, several: a batch ends at the file that fills it.)
    full = sizes[:-1]
    assert full[0] >= 3 and 10 <= full[1] < 20 and 20 <= full[2] < 40
    assert all(size >= 40 for size in full[3:]) and len(full) > 4
    assert sum(sizes) == len(Catalog(use_cache=False).scan([tree]))


def test_grouped_counts_say_they_are_partial_while_loading(tree, tmp_path, monkeypatch):
    monkeypatch.setattr(session_module, "FIRST_BATCH", 10)
    session = ListingSession([tree], cache_dir=str(tmp_path / "cache"), jobs=1)
    session.view.grouped = True
    details: list[set[str]] = []

    def take(batch: LoadedBatch) -> None:
        session.add_batch(batch)
        details.append({row.detail for row in session.view.rows() if row.is_group and row.depth == 0})

    session.load(take)
    assert all(detail.endswith("so far") for detail in details[0])
    assert not any("so far" in detail for detail in details[-1])


def test_a_cancelled_load_hands_out_nothing_more(tree, tmp_path):
    session = ListingSession([tree], cache_dir=str(tmp_path / "cache"), jobs=1)
    batches: list[LoadedBatch] = []
    session.load(batches.append, cancelled=lambda: bool(batches))
    assert len(batches) == 1 and not batches[0].finished


def test_a_plain_filter_typed_while_loading_applies_at_once_and_is_complete(tree, tmp_path):
    session = ListingSession([tree], cache_dir=str(tmp_path / "cache"), jobs=1)
    assert session.set_filter("kind:chat").waits_for is None
    session.load_all()
    assert not session.filter_incomplete()  # the rows added since were filtered as they came
    assert session.view.visible() == filter_summaries(session.summaries.values(), "kind:chat")
    assert session.set_filter("key:current").waits_for == WAITS_FOR_KEYS
    assert session.filter_incomplete()


def test_a_plain_filter_applies_at_once_and_a_bad_one_keeps_the_readable_part(tree, tmp_path):
    session = _loaded(tree, tmp_path)
    outcome = session.set_filter("kind:chat")
    assert outcome.waits_for is None and outcome.error is None
    chat = [summary.path for summary in session.view.visible()]
    assert chat == [row.path for row in filter_summaries(session.summaries.values(), "kind:chat")]
    outcome = session.set_filter("kind:chat has:colour")
    assert outcome.waits_for is None and "has:colour" in (outcome.error or "")
    assert [summary.path for summary in session.view.visible()] == chat


def test_a_text_filter_waits_for_every_row_then_for_the_index(tree, tmp_path):
    session = ListingSession([tree], cache_dir=str(tmp_path / "cache"), jobs=1)
    outcome = session.set_filter("text:experts")
    assert outcome.waits_for == WAITS_FOR_LOADING and outcome.start is None and outcome.note
    assert session.filter_incomplete()
    session.load_all()
    outcome = session.refilter()
    assert outcome.waits_for == WAITS_FOR_INDEX and outcome.start == WAITS_FOR_INDEX
    assert session.indexing
    # Typed again while the index is prepared: nothing more to start.
    assert session.set_filter("text:experts kind:chat").start is None
    progress: list[tuple[int, int]] = []
    assert session.prepare_index(lambda done, total: progress.append((done, total)))
    assert progress and progress[-1][0] == progress[-1][1] > 0  # every file read for its text
    assert [done for done, _ in progress] == sorted({done for done, _ in progress})
    session.index_done()
    outcome = session.set_filter("text:experts")
    assert outcome.waits_for is None and not session.filter_incomplete()
    found = [summary.path for summary in session.view.visible()]
    assert found
    # The trigram index filled after (the app does it on the thread that prepared the index;
    # cancelled, it stops): the same rows.
    assert not session.fill_text_index(cancelled=lambda: True)
    assert session.fill_text_index()
    session.set_filter("")
    session.set_filter("text:experts")
    assert [summary.path for summary in session.view.visible()] == found
    # The same rows as the headless `list --filter` (a new session, the same cache).
    headless = ListingSession([tree], cache_dir=str(tmp_path / "cache"), jobs=1)
    assert [row.path for row in headless.iter_matching("text:experts")] == found
    # And as reading every file (no cache at all).
    uncached = ListingSession([tree], use_cache=False, jobs=1)
    assert [row.path for row in uncached.iter_matching("text:experts")] == found


def test_an_app_session_keeps_no_file_listing_from_the_index_pass(tree, tmp_path):
    """The app asks the index for each filter: the pass's listing of every file (kept for a
    headless `text_listing`) is let go, and a `text_listing` after it checks the files again."""
    session = ListingSession([tree], cache_dir=str(tmp_path / "cache"), jobs=1)
    session.load_all()
    session.set_filter("text:experts")
    assert session.prepare_index()
    session.index_done()
    state = session.catalog._index_state
    assert state is not None and state.files == [] and state.listing_dropped
    assert session.set_filter("text:experts").waits_for is None
    found = [summary.path for summary in session.view.visible()]
    assert found
    listed = session.catalog.text_listing([tree], "text:experts")
    assert listed is not None and session.catalog._index_state.files  # listed again
    rows, _ = listed
    assert [row.path for row in rows] == found


def test_while_the_index_is_prepared_the_rows_found_so_far_are_shown(tree, tmp_path, monkeypatch):
    """The first `text:` filter reads every file for its text: after each file the rows found so
    far to say the filter's words can be shown, each a true match, growing to the whole answer;
    once the index answers, none of those partial results is served again."""
    from tui_replay.catalog import textsearch

    query = "text:experts kind:chat"
    expected = [row.path for row in ListingSession([tree], use_cache=False, jobs=1).iter_matching(query)]
    assert len(expected) >= 2
    monkeypatch.setattr(textsearch, "PROGRESS_FILES", 1)  # a report after each file read
    session = _loaded(tree, tmp_path)
    assert session.set_filter(query).start == WAITS_FOR_INDEX
    shown: list[list[str]] = []

    def progress(done: int, total: int) -> None:  # (the app: on its own thread, throttled)
        if shown and shown[-1]:
            return  # the last partial answer shown: some rows, not all
        count = session.show_found_so_far()
        assert count is not None
        shown.append([summary.path for summary in session.view.visible()])
        assert len(shown[-1]) == count

    assert session.prepare_index(progress)
    assert all(set(rows) <= set(expected) for rows in shown)
    assert [len(rows) for rows in shown] == sorted(len(rows) for rows in shown)
    assert 0 < len(shown[-1]) < len(expected)
    session.index_done()
    assert session.set_filter(query).waits_for is None
    assert [summary.path for summary in session.view.visible()] == expected


def test_rows_found_so_far_are_not_shown_for_a_negated_text_word(tree, tmp_path, monkeypatch):
    session = _loaded(tree, tmp_path)
    assert session.set_filter("-text:experts").start == WAITS_FOR_INDEX
    answers: list[int | None] = []
    assert session.prepare_index(lambda done, total: answers.append(session.show_found_so_far()))
    assert answers and set(answers) == {None}


def test_a_key_filter_waits_for_the_key_status_read_once(tree, tmp_path):
    session = _loaded(tree, tmp_path)
    outcome = session.set_filter("key:mis-keyed")
    assert outcome.waits_for == WAITS_FOR_KEYS and outcome.start == WAITS_FOR_KEYS
    assert len(outcome.keys_to_read) == 168 and outcome.note
    assert session.set_filter("key:mis-keyed kind:chat").start is None  # already reading
    progress: list[tuple[int, int]] = []
    read = session.read_keys(
        outcome.keys_to_read, progress=lambda done, total: progress.append((done, total))
    )
    assert progress[-1] == (168, 168)
    session.keys_done(read)
    outcome = session.refilter()
    assert outcome.waits_for is None
    assert session.view.query_text == "key:mis-keyed kind:chat"  # the filter typed last
    mis_keyed_chat = filter_summaries(session.summaries.values(), "key:mis-keyed kind:chat")
    assert session.view.visible() == mis_keyed_chat and mis_keyed_chat
    assert len(session.set_filter("key:mis-keyed").keys_to_read) == 0
    assert len(session.view.visible()) == 14  # as `tui-replay check` counts the corpus
    # Kept in the cache: a new session's `key:` filter reads no file again.
    again = _loaded(tree, tmp_path)
    assert again.set_filter("key:mis-keyed").waits_for is None
    assert len(again.view.visible()) == 14


def test_headless_filtering_matches_the_filter_over_every_row(tree, tmp_path):
    rows = Catalog(use_cache=False).scan([tree])
    for text in ("kind:chat", "has:tools -stream:yes", "key:older"):
        session = ListingSession([tree], cache_dir=str(tmp_path / "cache"), jobs=1)
        assert [row.path for row in session.iter_matching(text)] == [
            row.path for row in filter_summaries(copy.deepcopy(rows), text)
        ]


def test_filter_error_is_one_line_for_the_command_line():
    assert filter_error("kind:chat") is None
    error = filter_error("has:colour")
    assert error is not None and error.startswith("bad filter: ") and "\n" not in error


def test_changes_on_disk_update_the_rows_and_say_what_is_new(tree, tmp_path):
    session = _loaded(tree, tmp_path)
    paths = list(session.summaries)
    gone, changed = paths[0], paths[1]
    new_row = copy.copy(session.summaries[paths[2]])
    new_row.key = None
    edited = copy.copy(session.summaries[changed])
    edited.model = "edited-model"
    session.set_filter("key:current")
    applied = session.apply_changes(
        [
            Change("removed", gone, session.summaries[gone]),
            Change("changed", changed, edited),
            Change("added", f"{tree}/new.json", new_row),
        ]
    )
    assert applied.added == [f"{tree}/new.json"] and session.new_paths == {f"{tree}/new.json"}
    assert gone not in session.summaries and session.summaries[changed].model == "edited-model"
    assert session.summaries[f"{tree}/new.json"].path == f"{tree}/new.json"
    assert applied.needs_keys  # a `key:` filter, and a new row without its status
    session.apply_changes([Change("removed", f"{tree}/new.json", None)])
    assert session.new_paths == set()


async def test_the_watcher_reports_a_new_file_and_the_session_takes_it(tree, tmp_path):
    session = _loaded(tree, tmp_path)
    source = next(path for path in session.summaries if path.endswith(".json"))
    stop = asyncio.Event()
    target = f"{tree}/inference/recordings/copied.json"

    async def first_batch():
        async for batch in session.watch(stop):
            if any(change.path == target for change in batch):
                return batch
        return None

    waiting = asyncio.ensure_future(first_batch())
    await asyncio.sleep(0.5)  # the watcher's start
    shutil.copyfile(source, target)
    try:
        batch = await asyncio.wait_for(waiting, timeout=30)
    finally:
        stop.set()
    assert batch is not None
    applied = session.apply_changes(batch)
    assert target in applied.added and session.summaries[target].status == "ok"


async def test_an_app_session_freezes_again_once_the_watcher_has_settled(tree, tmp_path):
    # Loading froze the rows; the watcher's start-up state comes after: frozen too once its
    # start-up walk is over, so full collections while the user types do not walk it.
    import gc

    session = _loaded(tree, tmp_path)
    session.freeze_when_loaded = True
    stop = asyncio.Event()
    before = gc.get_freeze_count()

    async def follow() -> None:
        async for _batch in session.watch(stop):
            pass

    task = asyncio.ensure_future(follow())
    try:
        async with asyncio.timeout(30):
            while gc.get_freeze_count() <= before:
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
        gc.unfreeze()  # (the test process goes on collecting normally)


def _a_plain_recording(session: ListingSession) -> tuple[str, str]:
    return next(
        (path, summary.model)
        for path, summary in session.summaries.items()
        if summary.status == "ok" and summary.model and summary.interaction is None
    )


def test_a_trusted_load_lists_what_a_checked_one_does_when_nothing_changed(tree, tmp_path):
    checked = _loaded(tree, tmp_path)  # (fills the cache)
    trusted = _loaded(tree, tmp_path, trust_cache=True)
    assert list(trusted.summaries) == list(checked.summaries)
    assert list(trusted.summaries.values()) == list(checked.summaries.values())


def test_a_trusted_load_reads_what_the_cache_lacks_and_stores_it(tree, tmp_path, monkeypatch):
    first = _loaded(tree, tmp_path, trust_cache=True)  # an empty cache: every file read
    assert first.summaries and all(summary.mtime_ns for summary in first.summaries.values())

    def no_reading(*args, **kwargs):
        raise AssertionError("read again: the first load did not store its rows")

    monkeypatch.setattr(Catalog, "read_rows", no_reading)
    second = _loaded(tree, tmp_path, trust_cache=True)
    assert list(second.summaries.values()) == list(first.summaries.values())


def test_recheck_finds_what_changed_since_a_trusted_load(tree, tmp_path):
    path, model = _a_plain_recording(_loaded(tree, tmp_path))
    rewrite_model(path, model)  # after the cache was filled: its row there is stale
    session = _loaded(tree, tmp_path, trust_cache=True)
    assert session.summaries[path].model == model  # taken on trust, unchecked so far
    gone = next(other for other in session.summaries if other != path and "#" not in other)
    os.remove(gone)
    added = f"{tree}/added.json"
    shutil.copyfile(path, added)

    changes = session.recheck(dict(session.summaries))

    assert {(change.event, change.path) for change in changes} == {
        ("changed", path),
        ("removed", gone),
        ("added", added),
    }
    session.apply_changes(changes)
    assert session.summaries[path].model == "edited-model"
    assert gone not in session.summaries and session.summaries[added].model == "edited-model"
    assert session.recheck(dict(session.summaries)) == []  # now as on disk


async def test_the_watcher_corrects_a_row_a_trusted_load_took_from_the_cache(tree, tmp_path):
    path, model = _a_plain_recording(_loaded(tree, tmp_path))
    rewrite_model(path, model)
    session = _loaded(tree, tmp_path, trust_cache=True)
    assert session.summaries[path].model == model
    stop = asyncio.Event()

    async def correction():
        async for batch in session.watch(stop):
            session.apply_changes(batch)
            if session.summaries[path].model == "edited-model":
                return

    try:
        await asyncio.wait_for(correction(), timeout=30)  # the watcher's start-up walk
    finally:
        stop.set()


def test_an_app_load_collects_less_often_and_restores_the_thresholds(tree, tmp_path):
    import gc

    before = gc.get_threshold()
    session = ListingSession([tree], cache_dir=str(tmp_path / "cache"), jobs=1, freeze_when_loaded=True)
    during: list[int] = []

    def take(batch: LoadedBatch) -> None:
        during.append(gc.get_threshold()[0])
        session.add_batch(batch)

    try:
        session.load(take)
    finally:
        gc.unfreeze()  # (the test process goes on collecting normally)
    assert during and min(during) >= session_module.LOADING_GC_THRESHOLD
    assert gc.get_threshold() == before
