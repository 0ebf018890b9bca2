"""The full-text index answers `text:` only for files as they are now: after the pass that stores
the texts, a query checks the stat of every folder and file against the snapshot the pass kept (no
pass over the tree), reads again only the files rewritten in place, and makes a new pass when a
folder changed. Real recordings from the corpus, the real cache and index in a private folder.

Every test runs three times: with the trigram index over the stored texts not filled (a search
tests every text with `instr`, as the first query does), half filled (the index for the texts it
covers, `instr` for the rest) and filled (`build_text_index` before each query); the triggers
keep what it covers current through rewrites, additions and removals."""

from __future__ import annotations

import os
import shlex
import shutil
import time

import pytest

from tui_replay.catalog import cache as cache_module
from tui_replay.catalog import textsearch
from tui_replay.catalog.catalog import Catalog
from tui_replay.catalog.textsearch import search_files_text
from tui_replay.recording.limits import MAX_NESTING

NEEDLE, OTHER = b"experts", b"novices"  # the same length: a rewrite can keep the size


@pytest.fixture
def tree(corpus, tmp_path):
    """A folder of real recordings (in two subfolders), some of them saying NEEDLE."""
    sources = sorted(corpus.rglob("*.json"))
    saying = [path for path in sources if NEEDLE in path.read_bytes()][:3]
    silent = [path for path in sources if NEEDLE not in path.read_bytes().lower()][:5]
    assert len(saying) == 3 and len(silent) == 5
    root = tmp_path / "recordings"
    for index, source in enumerate(saying + silent):
        folder = root / ("a" if index % 2 else "b")
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, folder / source.name)
    return root


@pytest.fixture
def trusted_at_once(monkeypatch):
    """Stats taken right after a write are kept (the default waits 2 s for the clock tick to
    pass); the tests wait a tick themselves before they change a file."""
    monkeypatch.setattr(textsearch, "RECENT_NS", 0)


@pytest.fixture(autouse=True, params=["texts only", "half indexed", "indexed"])
def trigram_index(request, monkeypatch):
    """Before each index query, the trigram index filled (or half filled, or left empty)."""
    if request.param == "texts only":
        yield request.param
        return
    monkeypatch.setattr(cache_module, "INDEX_CHUNK_ROWS", 2)
    real_search = cache_module.SummaryCache.search

    partly = []

    def search(self, needle, roots=()):
        # Half: one chunk more per query (the next query covers more, the last ones all).
        chunks = iter([False, True] if request.param == "half indexed" else [])
        built = self.build_text_index(stop=lambda: next(chunks, False))
        assert built or request.param == "half indexed"
        partly.append(not built)
        return real_search(self, needle, roots)

    monkeypatch.setattr(cache_module.SummaryCache, "search", search)
    yield request.param
    assert any(partly) == (request.param == "half indexed")


def _tick() -> None:
    time.sleep(0.05)  # past the file system's clock tick: a change shows in ctime


def _indexed(tree, needle: bytes) -> list[str]:
    """What a fresh catalog (a new `list` process) finds through the index, in listing order."""
    catalog = Catalog(jobs=1)
    narrowed = catalog.text_listing([str(tree)], f"text:{needle.decode()}")
    assert narrowed is not None  # the index answered
    rows, _ = narrowed
    return [row.path for row in rows]


def _scanned(tree, needle: bytes) -> list[str]:
    """What reading every file finds: the answer the index must give."""
    matches = search_files_text(10**9)(needle.decode())
    return [row.path for row in Catalog(use_cache=False).scan([str(tree)]) if matches(row)]


def _no_pass(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("a pass over the tree was made")

    monkeypatch.setattr(textsearch, "_index_pass", refuse)


def test_the_first_query_builds_the_index_and_the_next_one_makes_no_pass(tree, trusted_at_once, monkeypatch):
    first = _indexed(tree, NEEDLE)
    assert first == _scanned(tree, NEEDLE) and len(first) == 3
    _no_pass(monkeypatch)
    assert _indexed(tree, NEEDLE) == first
    assert _indexed(tree, b"the") == _scanned(tree, b"the")


@pytest.mark.parametrize("keep_mtime", [False, True], ids=["mtime changed", "size and mtime kept"])
def test_a_file_rewritten_in_place_is_searched_as_it_is_now(tree, trusted_at_once, monkeypatch, keep_mtime):
    saying = _indexed(tree, NEEDLE)
    _tick()
    target = saying[1]
    before = os.stat(target)
    folder_before = os.stat(os.path.dirname(target))
    with open(target, "r+b") as handle:  # in place: the folder does not change
        data = handle.read()
        handle.seek(0)
        handle.write(data.replace(NEEDLE, OTHER))
    if keep_mtime:  # the worst case: only the ctime tells
        os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(os.path.dirname(target)).st_ctime_ns == folder_before.st_ctime_ns
    _no_pass(monkeypatch)  # the snapshot check reads the one file again
    assert _indexed(tree, NEEDLE) == [path for path in saying if path != target] == _scanned(tree, NEEDLE)
    assert target in _indexed(tree, OTHER)
    assert _indexed(tree, OTHER) == _scanned(tree, OTHER)

    _tick()
    with open(target, "r+b") as handle:  # and back: found again
        handle.write(data)
    if keep_mtime:
        os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert _indexed(tree, NEEDLE) == saying


def test_a_file_added_or_removed_changes_the_answer(tree, trusted_at_once):
    saying = _indexed(tree, NEEDLE)
    _tick()
    copy = tree / "b" / "added" / "copy.json"
    copy.parent.mkdir()
    shutil.copyfile(saying[0], copy)
    assert str(copy) in _indexed(tree, NEEDLE)
    assert _indexed(tree, NEEDLE) == _scanned(tree, NEEDLE)
    _tick()
    os.unlink(saying[0])
    assert saying[0] not in _indexed(tree, NEEDLE)
    assert _indexed(tree, NEEDLE) == _scanned(tree, NEEDLE)


def test_stats_taken_a_moment_after_a_change_are_not_trusted(tree, monkeypatch):
    """A change within the clock tick of the stat kept would not show: a file written less than
    RECENT_NS before the pass makes the next query check by a pass again."""
    _indexed(tree, NEEDLE)
    passes = []
    real_pass = textsearch._index_pass

    def counted(*args, **kwargs):
        passes.append(1)
        return real_pass(*args, **kwargs)

    monkeypatch.setattr(textsearch, "_index_pass", counted)
    assert _indexed(tree, NEEDLE) == _scanned(tree, NEEDLE)
    assert passes == [1]


def test_the_app_query_trusts_the_index_the_watcher_keeps(tree, trusted_at_once, monkeypatch):
    """`text_search(assume_fresh=True)`: one pass before the first query, none after; a change
    the watcher hands the catalog (`summarize_path`) is in the index for the next query."""
    catalog = Catalog(jobs=1)
    rows = catalog.scan([str(tree)])
    search = catalog.text_search([str(tree)], assume_fresh=True)
    matches = search(NEEDLE.decode())
    assert [row.path for row in rows if matches(row)] == _scanned(tree, NEEDLE)
    _no_pass(monkeypatch)
    monkeypatch.setattr(textsearch, "_from_snapshot", lambda *args: pytest.fail("a stat pass was made"))
    target = next(row.path for row in rows if matches(row))
    _tick()
    with open(target, "r+b") as handle:
        data = handle.read()
        handle.seek(0)
        handle.write(data.replace(NEEDLE, OTHER))
    changed = catalog.summarize_path(target)  # what the watcher does
    catalog.save()
    rows = [changed[0] if row.path == target else row for row in rows]
    matches = search(NEEDLE.decode())
    assert [row.path for row in rows if matches(row)] == _scanned(tree, NEEDLE)
    assert target in [row.path for row in rows if search(OTHER.decode())(row)]


def test_the_index_finds_what_reading_the_files_finds_whatever_the_needle(corpus, tmp_path):
    """Case, wildcards of GLOB (`*`, `?`, `[`), needles shorter than a trigram, multi-byte
    characters next to a wildcard (FTS5's GLOB alone finds none of `** –`), and substrings of
    what the corpus says: the index's answer is the file scan's, row for row."""
    import random

    from tui_replay.catalog.parallel import file_texts

    rows = Catalog(use_cache=False).scan([str(corpus)])
    said = {}  # what each ok row says, lowercased, as the file scan reads it
    for row in rows:
        if row.status == "ok" and row.file not in said:
            said[row.file] = [text.lower() for text in file_texts(row.file, 10**9)[0]]
    texts = [text for file_texts_ in said.values() for text in file_texts_ if text]
    picked = random.Random(21)
    needles = ["EXPERTS", "*", "?", "[a", "e", "°c", "-100°c", "** –", "**", "[*]", "%", "_", "a_b"]
    needles += ["**the", "the *", "[1]", "? the", "what?", "* **"]
    for _ in range(40):
        text = picked.choice(texts)
        start = picked.randrange(len(text))
        needles.append(text[start : start + picked.choice([2, 3, 5, 9])])
    for needle in needles:
        if not needle.strip() or '"' in needle:
            continue
        expected = [
            row.path
            for row in rows
            if row.status == "ok" and needle.lower() in said[row.file][row.interaction or 0]
        ]
        narrowed = Catalog(jobs=1).text_listing([str(corpus)], f"text:{shlex.quote(needle)}")
        assert narrowed is not None
        assert [row.path for row in narrowed[0]] == expected, needle


@pytest.mark.parametrize(
    "damage",
    [
        b"not json",
        b'[3, [], [["a", "x.json", "zz", "", ""]]]',  # numbers that are no hex
        b'[3, [], [["a", "x.json\\u0000y.json", "0000000000000000", "", ""]]]',  # columns of other lengths
        b'[3, [], "groups"]',
    ],
    ids=["not JSON", "not hex", "uneven columns", "no groups"],
)
def test_a_damaged_snapshot_means_a_pass_never_a_wrong_answer(
    tree, trusted_at_once, private_cache_dir, damage
):
    import sqlite3

    from tui_replay.catalog.cache import SummaryCache

    assert _indexed(tree, NEEDLE) == _scanned(tree, NEEDLE)
    cache = SummaryCache(str(private_cache_dir))
    cache.close()
    conn = sqlite3.connect(cache.path)
    try:
        assert conn.execute("UPDATE text_snapshots SET snapshot = ?", (damage,)).rowcount == 1
        conn.commit()
    finally:
        conn.close()
    passes = []
    real_pass = textsearch._index_pass
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(textsearch, "_index_pass", lambda *args: passes.append(1) or real_pass(*args))
        assert _indexed(tree, NEEDLE) == _scanned(tree, NEEDLE)
    assert passes == [1]


def test_worker_processes_read_the_texts_and_report_their_progress(tree, monkeypatch):
    """The pass of the first query hands the files to worker processes in batches (many files:
    here forced with a tree of 8), and says how far it is after each batch."""
    from tui_replay.catalog import parallel

    monkeypatch.setattr(parallel, "PARALLEL_FROM", 2)
    monkeypatch.setattr(parallel, "BATCH_FILES", 3)
    catalog = Catalog(jobs=2)
    progress: list[tuple[int, int]] = []
    assert catalog.prepare_index([str(tree)], progress=lambda done, total: progress.append((done, total)))
    assert progress == [(3, 8), (6, 8), (8, 8)]
    assert _indexed(tree, NEEDLE) == _scanned(tree, NEEDLE)


@pytest.mark.parametrize("depth", [MAX_NESTING + 5, 1000])
def test_a_recording_nested_past_the_limit_is_an_error_row_that_no_text_search_finds(tree, depth):
    """The index reads texts without the reader's nesting check (a whole serialization of each
    recording): a file past the limit still says nothing, as its row is an error."""
    nested = "[" * depth + '{"content": "' + NEEDLE.decode() + '"}' + "]" * depth
    deep = tree / "a" / "deep.json"
    deep.write_text('{"request": {"body": {"messages": ' + nested + '}}, "response": {"body": {}}}')
    rows = Catalog(use_cache=False).scan([str(deep)])
    assert [row.status for row in rows] == ["error"]
    assert str(deep) not in _indexed(tree, NEEDLE)
    assert _indexed(tree, NEEDLE) == _scanned(tree, NEEDLE)


def test_a_listing_narrowed_by_file_names_keeps_the_rows_the_index_found(corpus, tmp_path):
    """The app's listing narrows a `text:` answer to the file names it allows (the last line of
    each row's search text) before testing each row: the same rows as the test on every row, for
    cassette interactions, names that differ only in case and a name holding a line break."""
    from tui_replay.catalog.predicate import name_hints
    from tui_replay.catalog.view import ListingView

    root = tmp_path / "recordings"
    shutil.copytree(corpus / "cassettes", root / "cassettes")
    for source in sorted(corpus.rglob("*.json"))[:20]:
        shutil.copyfile(source, root / source.name)
    saying = next(path for path in sorted(corpus.rglob("*.json")) if NEEDLE in path.read_bytes())
    shutil.copyfile(saying, root / "Said.json")
    shutil.copyfile(saying, root / "said.JSON.json")
    shutil.copyfile(saying, root / "SAID.json")
    catalog = Catalog(jobs=1)
    rows = catalog.scan([str(root)])
    search = catalog.text_search([str(root)])
    view = ListingView()
    view.text_search = search
    view.add(rows)
    narrowed = 0
    for needle in (NEEDLE.decode(), "the", "weather", "role", "nowhere-at-all"):
        predicate = search(needle)
        narrowed += name_hints(predicate) is not None
        view.set_query(f"text:{needle}")
        assert [row.path for row in view.visible()] == [row.path for row in rows if predicate(row)], needle
        if needle == "the":
            assert any("#" in row.path for row in view.visible())  # cassette interactions among them
    assert narrowed == 5

    (root / "line\nbreak.json").write_bytes(saying.read_bytes())  # not a search text's last line
    rows = catalog.scan([str(root)])
    search = catalog.text_search([str(root)], assume_fresh=False)
    view = ListingView()
    view.text_search = search
    view.add(rows)
    predicate = search(NEEDLE.decode())
    assert name_hints(predicate) is None
    view.set_query(f"text:{NEEDLE.decode()}")
    shown = [row.path for row in view.visible()]
    assert shown == [row.path for row in rows if predicate(row)] and str(root / "line\nbreak.json") in shown
