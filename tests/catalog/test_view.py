"""The listing's model without Textual: columns, filter (narrowing, half-typed words), sort, group, names."""

from __future__ import annotations

import os
import random
import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st
from support import CORPUS, require_corpus
from test_filters import FILE_SEARCH_ID, ROWS

from tui_replay.catalog.catalog import list_summaries
from tui_replay.catalog.filters import SORT_COLUMNS, parse_query, sort_summaries
from tui_replay.catalog.testids import NO_TEST_ID, short_file_name, short_test_name
from tui_replay.catalog.view import COLUMNS, SORTABLE, FileNames, ListingView, first_descending, status_text
from tui_replay.recording.model import Summary, share_repeated_strings


def _view(rows=ROWS) -> ListingView:
    view = ListingView()
    view.add(list(rows))
    return view


def _names(summaries) -> list[str]:
    return [summary.path.rsplit("/", 1)[-1] for summary in summaries]


def test_every_column_has_a_cell_for_every_row_and_sortable_columns_have_a_sort_key():
    for column in COLUMNS:
        for row in ROWS:
            value = column.value(row)
            assert isinstance(value, str) and "\n" not in value
        if column.sortable:
            assert column.sort_key is SORT_COLUMNS[column.key]
    assert {"test", "chunks", "tokens", "status"} <= set(SORTABLE)


def test_status_cell_says_error_and_why_in_one_line():
    error = Summary(path="x.json", status="error", error="not JSON:\n  bad")
    assert status_text(error) == "error: not JSON: bad"
    assert status_text(ROWS[4]) == "exception" and status_text(ROWS[0]) == "ok"


def test_numbers_sort_biggest_first_and_words_a_to_z():
    assert first_descending("chunks") and first_descending("tokens") and first_descending("citations")
    assert not first_descending("test") and not first_descending("model")
    view = _view()
    view.set_sort("chunks")
    assert view.descending
    assert [row.chunks for row in view.visible()][:2] == [40, 12]
    view.set_sort("model")
    assert not view.descending


def test_test_label_keeps_the_name_whole_and_cuts_the_parameters_in_the_middle():
    assert short_test_name(None) == NO_TEST_ID
    assert short_test_name("tests/a/test_x.py") == "test_x.py"
    safety = "tests/safety/test_safety.py::TestSafety::test_unsafe[x]"
    assert short_test_name(safety) == "TestSafety::test_unsafe[x]"
    name = "test_response_non_streaming_file_search"
    short = short_test_name(FILE_SEARCH_ID, max_len=60)
    assert short.startswith(name + "[openai_cl") and short.endswith("perts_pdf]")
    assert len(short) == 60 and short.count("…") == 1
    assert short_test_name(FILE_SEARCH_ID, max_len=10).startswith(name + "[")  # the name is never cut


@given(st.text(), st.text(min_size=1), st.integers(min_value=1, max_value=200))
def test_the_test_name_is_never_longer_than_the_limit_unless_the_name_is(module, test, max_len):
    label = short_test_name(f"{module}::{test}", max_len)
    name = test.partition("[")[0]
    assert len(label) <= max(max_len, len(name) + 3)


def test_same_names_in_different_folders_get_the_folder_that_differs():
    names = FileNames()
    for file in ("a/recordings/x.json", "b/recordings/x.json", "c/agents/x.json", "d/y.json"):
        names.add(file)
    assert names.label("a/recordings/x.json") == "a/…/x.json"
    assert names.label("c/agents/x.json") == "agents/x.json"
    assert names.label("d/y.json") == "y.json"
    names.discard("b/recordings/x.json")
    names.discard("c/agents/x.json")
    assert names.label("a/recordings/x.json") == "x.json"


_FOLDER = st.sampled_from(["a", "b", "recordings", "tests", ".", ""])
_FILE = st.builds(
    lambda folders, name: "/".join([*folders, name]),
    st.lists(_FOLDER, max_size=5),
    st.sampled_from(["x.json", "y.json"]),
)


@given(st.lists(st.tuples(st.booleans(), _FILE), min_size=1, max_size=30))
def test_a_label_looks_at_two_neighbours_and_says_what_comparing_with_every_file_says(steps):
    """Same-named files are kept sorted by their folders from the nearest: the label from the two
    neighbours is the one from comparing with every file of that name (32 copies of a tree)."""
    names = FileNames()
    files: set[str] = set()
    for remove, file in steps:
        if remove and files:
            gone = min(files)
            names.discard(gone)
            files.discard(gone)
        else:
            names.add(file)
            files.add(file)
        for known in files:
            name = os.path.basename(known)
            same = [other for other in files if os.path.basename(other) == name]
            short = short_file_name(known)
            assert names.label(known) == FileNames._label_by_scan(known, short, name, same)


def test_a_growing_query_filters_the_previous_result_and_gives_the_same_rows(monkeypatch):
    require_corpus()
    rows = list_summaries([str(CORPUS)], use_cache=False)
    view = _view(rows)
    calls: list[int] = []
    select = type(parse_query("x")).select

    def counting(self, summaries, texts, among):
        among = list(among)
        calls.append(len(among))
        return select(self, summaries, texts, among)

    monkeypatch.setattr(type(parse_query("x")), "select", counting)
    typed = ""
    for character in "llama gu":
        typed += character
        view.set_query(typed)
        got = view.visible()
        expected = [row for row in rows if parse_query(typed)(row)] if typed.strip() else rows
        assert got == expected, typed
    # After the first word, each key looked only at the rows the previous query kept.
    assert calls[0] == len(rows) and calls[-1] < len(rows) / 4, calls
    count = len(calls)
    view.set_query("llama")  # a backspace to a query seen lately: its result, no pass at all
    assert view.visible() == [row for row in rows if parse_query("llama")(row)]
    assert len(calls) == count
    view.set_query("gu")  # a query neither seen nor narrower: every row once
    assert view.visible() == [row for row in rows if parse_query("gu")(row)]
    assert calls[-1] == len(rows)


QUERY_WORDS = ["gpt", "-gpt", "kind:chat", "kind:chat,models", "model:ll", "model:llama", "a", "am"]


@given(st.lists(st.sampled_from(QUERY_WORDS), max_size=4), st.lists(st.sampled_from(QUERY_WORDS), max_size=4))
def test_any_sequence_of_queries_gives_what_a_fresh_filter_gives(first, second):
    view = _view()
    for words in (first, second, first + second):
        text = " ".join(words)
        view.set_query(text)
        assert view.visible() == [row for row in ROWS if parse_query(text)(row)], text


def test_narrowing_is_refused_for_negated_or_exact_words():
    assert parse_query("gpt-4o").narrows(parse_query("gpt"))
    assert parse_query("gpt kind:chat").narrows(parse_query("gpt"))
    assert parse_query("model:gpt-4").narrows(parse_query("model:gpt"))
    assert not parse_query("-gpt-4").narrows(parse_query("-gpt"))  # excludes less
    assert not parse_query("kind:chat,models").narrows(parse_query("kind:chat"))
    assert not parse_query("gpt").narrows(parse_query("gpt kind:chat"))


def test_a_half_typed_field_word_leaves_the_rest_of_the_query():
    view = _view()
    assert view.set_query("llama has:") == "has: needs a value, e.g. has:something"
    assert _names(view.visible()) == _names(r for r in ROWS if parse_query("llama")(r))
    error = view.set_query("llama has:tool")
    assert error is not None and error.startswith("has:tool is not known")
    assert _names(view.visible()) == _names(r for r in ROWS if parse_query("llama")(r))
    assert view.set_query("has:colour") is not None and len(view.visible()) == len(ROWS)
    assert view.set_query("llama has:tools") is None and _names(view.visible()) == ["aaa.json"]


def test_rows_added_while_unsorted_are_appended_through_the_filter():
    view = ListingView()
    assert view.add(ROWS[:2]) is None  # nothing shown yet: the caller builds the rows
    view.set_query("kind:chat")
    assert _names(view.visible()) == ["aaa.json"]
    appended = view.add(ROWS[2:])
    assert appended is not None and _names(appended) == ["eee.json"]
    assert _names(view.visible()) == ["aaa.json", "eee.json"]
    view.set_sort("test")
    assert view.add([Summary(path="rec/z.json", status="ok", kind="chat")]) is None
    assert _names(view.visible()) == ["aaa.json", "eee.json", "z.json"]  # no test id last


def test_replacing_and_removing_rows_keeps_counts_and_order():
    view = _view()
    assert view.errors == 1
    fixed = Summary(path=ROWS[3].path, status="ok", kind="chat")
    view.add([fixed])
    assert view.errors == 0 and view.summaries[ROWS[3].path] is fixed
    view.remove([ROWS[0].path])
    assert ROWS[0].path not in {row.path for row in view.visible()}
    assert len(view.visible()) == len(ROWS) - 1


def test_grouped_rows_fold_and_unfold():
    view = _view()
    view.grouped = True
    rows = view.rows()
    assert [row.key for row in rows if row.depth == 0][-1] == f"file:{NO_TEST_ID}"
    assert rows[0].label == "inference/test_openai_completion.py" and rows[0].expanded
    view.fold_all(False)
    assert all(row.is_group and row.depth == 0 for row in view.rows())
    view.fold_all(True)
    assert sum(1 for row in view.rows() if not row.is_group) == len(ROWS)
    view.toggle_group(rows[0].key, False)
    assert not view.rows()[0].expanded


def test_sorting_matches_sort_summaries_both_ways():
    shuffled = list(ROWS)
    random.Random(4).shuffle(shuffled)
    view = _view(shuffled)
    for key in SORTABLE:
        for descending in (False, True):
            view.set_sort(key, descending)
            assert view.visible() == sort_summaries(shuffled, key, descending=descending), key


def test_the_view_imports_neither_textual_nor_rich():
    """`list --json` and other tools reuse the view: it costs them no UI library."""
    code = (
        "import sys, tui_replay.catalog.view\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'rich'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_rows_kept_in_memory_share_one_string_per_repeated_value(tmp_path):
    """Two copies of a recording, read from the cache, hold their own strings until shared."""
    require_corpus()
    source = next(CORPUS.glob("llama-stack/inference/recordings/*.json"))
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_bytes(source.read_bytes())
    cache = str(tmp_path / "cache")
    list_summaries([str(tmp_path)], cache_dir=cache)
    first, second = list_summaries([str(tmp_path)], cache_dir=cache)
    assert first.test_id == second.test_id and first.model == second.model
    assert first.test_id is not second.test_id  # each decoded on its own
    share_repeated_strings([first, second])
    for name in ("status", "test_id", "kind", "endpoint", "model", "format"):
        assert getattr(first, name) is getattr(second, name), name
    assert first.path != second.path
