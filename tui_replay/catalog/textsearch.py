"""The two ways a `text:` filter looks inside recordings: the full-text index, or the files.

Both match the same text (`recording/text.py`, taken from the parsed file), case-insensitively,
as a substring; `parse_query(..., text_search=...)` takes either.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from tui_replay.catalog.cache import SummaryCache
from tui_replay.catalog.predicate import Predicate, TextSearch
from tui_replay.recording.model import RecordingError, Summary


def file_texts(file: str, max_size: int) -> tuple[list[str], int, int]:
    """What each row of a file says, in row order (a cassette: one per interaction), with the
    size and mtime_ns of the version read ((0, 0): unreadable, no text).

    A JSON recording is read and parsed, never summarized: the text of a row that is not an
    ok recording is never asked for (the searches check the status)."""
    from tui_replay.recording.cassette import is_cassette_name
    from tui_replay.recording.load import pause_gc, read_bytes_stat, resume_gc
    from tui_replay.recording.summary import summarize_cassette_file, summarize_json_texts

    texts: list[str] = []
    if is_cassette_name(file):
        rows = summarize_cassette_file(file, max_size, texts=texts)
        return texts, rows[0].size if rows else 0, rows[0].mtime_ns if rows else 0
    try:
        data, info = read_bytes_stat(file, max_size)
    except RecordingError:
        return [""], 0, 0
    pause_gc()
    try:
        return [summarize_json_texts(data)], info.st_size, info.st_mtime_ns
    finally:
        resume_gc()


def row_texts(file: str, max_size: int) -> list[str]:
    """What each row of a file says, in row order (a cassette: one per interaction)."""
    return file_texts(file, max_size)[0]


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


def search_index_text(
    cache: SummaryCache, roots: list[str], max_size: int, prepare: Callable[[], bool] = lambda: True
) -> TextSearch:
    """`text:` through the full-text index, for rows listed (and saved) under `roots`.

    `prepare` brings the index up to date for those rows before a query (False: it could not,
    the files are read instead)."""
    fallback = search_files_text(max_size)

    def search(needle: str) -> Predicate:
        if not prepare():
            return fallback(needle)
        found = cache.search(needle, roots)
        if found is None:  # the index failed on the way
            return fallback(needle)
        absolute: dict[str, str] = {}

        def matches(summary: Summary) -> bool:
            if summary.status != "ok":
                return False
            file = summary.file
            path = absolute.get(file)
            if path is None:
                if len(absolute) > 4096:
                    absolute.clear()
                path = absolute[file] = os.path.abspath(file)
            return (path, summary.interaction or 0) in found

        return matches

    return search
