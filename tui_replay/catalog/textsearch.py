"""The two ways a `text:` filter looks inside recordings: the full-text index, or the files.

Both match the same text (`recording/text.py`, taken while summarizing), case-insensitively,
as a substring; `parse_query(..., text_search=...)` takes either.
"""

from __future__ import annotations

import os

from tui_replay.catalog.cache import SummaryCache
from tui_replay.catalog.filters import Predicate, TextSearch
from tui_replay.recording.cassette import is_cassette_name
from tui_replay.recording.model import Summary
from tui_replay.recording.summary import summarize_cassette_file, summarize_file


def row_texts(file: str, max_size: int) -> list[str]:
    """What each row of a file says, in row order (a cassette: one per interaction)."""
    texts: list[str] = []
    if is_cassette_name(file):
        summarize_cassette_file(file, max_size, texts=texts)
    else:
        summarize_file(file, max_size, texts=texts)
    return texts


def search_files_text(max_size: int) -> TextSearch:
    """`text:` by reading each row's file (no index, or one that misses rows)."""
    last: dict[str, list[str]] = {}  # one file: a cassette's rows come one after the other

    def texts_of(file: str) -> list[str]:
        texts = last.get(file)
        if texts is None:
            last.clear()
            texts = last[file] = [text.lower() for text in row_texts(file, max_size)]
        return texts

    def search(needle: str) -> Predicate:
        needle = needle.lower()

        def matches(summary: Summary) -> bool:
            if summary.status != "ok":
                return False
            texts = texts_of(summary.file)
            index = summary.interaction or 0
            return index < len(texts) and needle in texts[index]

        return matches

    return search


def search_index_text(cache: SummaryCache, roots: list[str], max_size: int) -> TextSearch:
    """`text:` through the full-text index, for rows listed (and saved) under `roots`."""
    fallback = search_files_text(max_size)

    def search(needle: str) -> Predicate:
        found = cache.search(needle, roots)
        if found is None:  # the index failed on the way
            return fallback(needle)
        absolute: dict[str, str] = {}

        def matches(summary: Summary) -> bool:
            file = summary.file
            path = absolute.get(file)
            if path is None:
                if len(absolute) > 4096:
                    absolute.clear()
                path = absolute[file] = os.path.abspath(file)
            return (path, summary.interaction or 0) in found

        return matches

    return search
