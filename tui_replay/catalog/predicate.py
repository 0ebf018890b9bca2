"""The two callables a filter is built from: a Predicate tests a row; a TextSearch turns the text
of a `text:` filter into one.

Their own module so that textsearch.py (both ways of searching) needs nothing from filters.py,
which falls back on it: the two would otherwise import each other.
"""

from __future__ import annotations

from collections.abc import Callable

from tui_replay.recording.model import Summary

Predicate = Callable[[Summary], bool]
# needle -> predicate: how `text:` looks inside recordings (catalog/textsearch.py has both ways).
TextSearch = Callable[[str], Predicate]


def name_hints(predicate: Predicate) -> frozenset[str] | None:
    """The file names a row must have for `predicate` to hold, lowercased as the last line of its
    search text (`filters.search_text`: the name of `summary.path`), when the predicate says
    (an attribute `name_hints`): a listing can narrow 100,000 rows to those names in C before
    calling it on the few left. None: it does not say."""
    return getattr(predicate, "name_hints", None)
