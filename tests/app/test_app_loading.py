"""Loading with a warm cache: the app takes the stored rows without a stat of each file, and a
file changed since it was cached still shows as it is now (the watcher's start-up walk, or one
check pass when watching was turned off while loading)."""

from __future__ import annotations

import threading

from support import rewrite_model

from tui_replay.app.screens.browse import BrowseScreen
from tui_replay.catalog.catalog import Catalog
from tui_replay.catalog.session import ListingSession

from .helpers import make_app, wait_for, wait_loaded


async def _until_corrected(pilot, browse, path: str, what: str) -> None:
    """Until the row of `path` shows the file as rewritten (`rewrite_model`)."""
    await wait_for(pilot, lambda: browse.summaries[path].model == "edited-model", timeout=30, what=what)


def _cache_then_change(root: str) -> str:
    """Fill the cache, then change one recording behind its back; returns its path."""
    rows = Catalog().scan([root])
    changed = next(row for row in rows if row.status == "ok" and row.model and row.interaction is None)
    rewrite_model(changed.path, changed.model)
    return changed.path


async def test_a_file_changed_since_it_was_cached_shows_as_it_is_now(corpus_subset):
    path = _cache_then_change("recordings")
    app = make_app(watch=True)
    async with app.run_test(size=(160, 30)) as pilot:
        await wait_loaded(pilot)
        browse = app.browse
        assert browse.session.trust_cache  # loaded without a stat of each file
        await _until_corrected(pilot, browse, path, "the watcher's start-up walk to correct the row")
        assert browse.table.rows[browse.table.index_of(path)].summary.model == "edited-model"


async def test_watching_turned_off_while_loading_still_checks_the_rows_once(corpus_subset, monkeypatch):
    path = _cache_then_change("recordings")
    go_on = threading.Event()
    load = ListingSession.load

    def held_load(self, emit, cancelled=lambda: False):
        go_on.wait(20)  # until the test has turned watching off
        load(self, emit, cancelled)

    monkeypatch.setattr(ListingSession, "load", held_load)
    app = make_app(watch=True)
    async with app.run_test(size=(160, 30)) as pilot:
        await pilot.press("w")  # watching off, before any row is loaded
        assert not app.browse.watch_wanted
        go_on.set()
        await wait_loaded(pilot)
        browse = app.browse
        await _until_corrected(pilot, browse, path, "the check pass to correct the row")
        assert browse.watch_state == "off"


async def test_a_watcher_that_fails_at_once_still_leaves_the_rows_checked(corpus_subset, monkeypatch):
    path = _cache_then_change("recordings")

    async def failing_watch(self, stop, quiet=None):
        raise OSError("no watching here")
        yield  # (an async generator, as the real one)

    monkeypatch.setattr(ListingSession, "watch", failing_watch)
    app = make_app(watch=True)
    async with app.run_test(size=(160, 30)) as pilot:
        await wait_loaded(pilot)
        browse = app.browse
        await wait_for(pilot, lambda: browse.watch_state == "failed", what="the watcher's failure")
        await _until_corrected(pilot, browse, path, "the check pass to correct the row")


def _worker_descriptions(monkeypatch) -> list[str]:
    """The description of each worker the browse screen starts from now on."""
    descriptions: list[str] = []
    run_worker = BrowseScreen.run_worker

    def recording_run_worker(self, *args, **kwargs):
        descriptions.append(kwargs.get("description", ""))
        return run_worker(self, *args, **kwargs)

    monkeypatch.setattr(BrowseScreen, "run_worker", recording_run_worker)
    return descriptions


async def test_without_a_watcher_one_check_pass_corrects_the_rows(corpus_subset, monkeypatch):
    path = _cache_then_change("recordings")
    descriptions = _worker_descriptions(monkeypatch)
    app = make_app(watch=False)
    async with app.run_test(size=(160, 30)) as pilot:
        await wait_loaded(pilot)
        browse = app.browse
        assert browse.session.trust_cache
        await _until_corrected(pilot, browse, path, "the check pass to correct the row")
        assert browse.watch_state == "off"
    # Not Textual's description, the repr of every row (at 100,000 rows: 900 MB and a 1 s stall).
    assert "recheck_rows" in descriptions and max(map(len, descriptions)) < 200


async def test_the_key_status_worker_is_described_in_a_few_words(corpus_subset, monkeypatch):
    descriptions = _worker_descriptions(monkeypatch)
    app = make_app()
    async with app.run_test(size=(160, 30)) as pilot:
        await wait_loaded(pilot)
        app.browse.set_filter("key:current")
        await wait_for(pilot, lambda: "read_keys" in descriptions, what="the key status worker")
    # Not the repr of every row it reads (100,000 of them: 900 MB and a second's stall).
    assert max(map(len, descriptions)) < 200
