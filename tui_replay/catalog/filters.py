"""Filter, sort and group Summary rows (pure Python; the app's search box and tree use these).

Query language (`parse_query`), words separated by spaces, all must hold:

    word            case-insensitive substring of the test id, model, endpoint or file name
    "two words"     a quoted phrase is one word
    model:gpt-4o    substring of the model          endpoint:/v1/chat   substring of the endpoint
    test:file_search substring of the test id       path:responses/     substring of the whole path
    kind:chat       the kind, exactly (kind:chat,embeddings = either; an unknown kind is an error)
    status:ok|error has:error (= status:error)     has:tools  has:citations  has:exception  has:tokens
    stream:yes|no   streamed or not (also true/false, 1/0)
    key:current|older|mis-keyed|opaque   the file name against the request hash (`tui-replay check`)
    capture:yes|no  a live capture of ours (`compare --save`, the app's `s`) or not
    text:experts    inside the recording: messages, answer, reasoning, tool calls and results,
    text:"a phrase" error messages (case-insensitive substring; through the full-text index
                    when the caller gives one, see `text_search`, else by reading the files)
    -anything       negates a word or a field filter: -kind:models  -gemini

A `name:` prefix that is not one of the fields above is part of a free word, so ids with
colons (`txt=ollama/llama3.2:3b`) can be typed as they are.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from operator import contains, itemgetter, methodcaller
from typing import Any

from tui_replay.catalog.predicate import Predicate, TextSearch, name_hints
from tui_replay.catalog.testids import NO_TEST_ID, split_test_id
from tui_replay.recording.model import Kind, Summary

KeyStatus = Callable[[Summary], "str | None"]  # a row's key status (`Summary.key`), or None

FIELDS = ("model", "kind", "has", "status", "test", "endpoint", "stream", "path", "key", "capture", "text")
KEY_VALUES = ("current", "older", "mis-keyed", "opaque")
HAS_VALUES = ("tools", "citations", "error", "exception", "tokens")
KINDS = frozenset(Kind)
_YES = ("yes", "y", "true", "1", "on")
_NO = ("no", "n", "false", "0", "off")


class QueryError(ValueError):
    """A filter that cannot be understood, e.g. `has:colour`; the message is one line."""


def _lower(value: str | None) -> str:
    return value.lower() if value else ""


def search_text(summary: Summary) -> str:
    """What a free word is looked for in, lowercased: test id, model, endpoint and file name, one
    per line (typed words hold no newline). A listing computes it once per row (`Query.select`,
    which also takes the last line as the row's file name: keep it last)."""
    return "\n".join(
        (
            _lower(summary.test_id),
            _lower(summary.model),
            _lower(summary.endpoint),
            os.path.basename(summary.path).lower(),
        )
    )


_SPLIT_LAST_LINE = methodcaller("rpartition", "\n")
_LAST_LINE = itemgetter(2)  # of a search text: the row's file name


class _WordPredicate:
    """A free word: a substring of the test id, model, endpoint or file name."""

    __slots__ = ("needle",)

    def __init__(self, word: str) -> None:
        self.needle = word.lower()

    def __call__(self, summary: Summary) -> bool:
        return self.needle in search_text(summary)


def _has_predicate(value: str) -> Predicate:
    if value == "tools":
        return lambda s: s.tool_calls > 0
    if value == "citations":
        return lambda s: s.citations > 0
    if value == "error":
        return lambda s: s.status == "error"
    if value == "exception":
        return lambda s: bool(s.exception)
    if value == "tokens":
        return lambda s: s.prompt_tokens is not None or s.completion_tokens is not None
    raise QueryError(f"has:{value} is not known (use one of: {', '.join(HAS_VALUES)})")


def _field_predicate(name: str, value: str, key_status: KeyStatus | None = None) -> Predicate:
    value = value.lower()
    if name == "model":
        return lambda s: value in _lower(s.model)
    if name == "endpoint":
        return lambda s: value in _lower(s.endpoint)
    if name == "test":
        return lambda s: value in _lower(s.test_id)
    if name == "path":
        return lambda s: value in s.path.lower()
    if name == "kind":
        kinds = {kind for kind in value.split(",") if kind}
        unknown = sorted(kinds - KINDS)
        if unknown:  # a typo (kind:embedding) would otherwise silently match nothing
            raise QueryError(f"kind:{unknown[0]} is not known (use one of: {', '.join(Kind)})")
        return lambda s: _lower(s.kind) in kinds
    if name == "status":
        if value not in ("ok", "error"):
            raise QueryError(f"status:{value} is not known (use status:ok or status:error)")
        return lambda s: s.status == value
    if name == "has":
        return _has_predicate(value)
    if name == "stream":
        if value in _YES:
            return lambda s: s.streaming is True
        if value in _NO:
            return lambda s: not s.streaming
        raise QueryError(f"stream:{value} is not known (use stream:yes or stream:no)")
    if name == "capture":
        if value in _YES:
            return lambda s: s.capture
        if value in _NO:
            return lambda s: not s.capture
        raise QueryError(f"capture:{value} is not known (use capture:yes or capture:no)")
    if name == "key":
        if value not in KEY_VALUES:
            raise QueryError(f"key:{value} is not known (use one of: {', '.join(KEY_VALUES)})")
        if key_status is None:
            # The key status is computed here for the rows tested (once per row: kept on it).
            from tui_replay.recording.summary import summary_key  # (a listing without key: needs none)

            key_status = summary_key
        status_of = key_status
        return lambda s: (status_of(s) or "").split(" ", 1)[0] == value
    raise AssertionError(name)


def _tokens(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:  # an unclosed quote while typing: take the words as they are
        return text.replace('"', " ").replace("'", " ").split()


def _field_token(token: str) -> tuple[str, str, bool] | None:
    """(field name lowercased, value, negated) of a `name:value` token, else None."""
    negate = token.startswith("-") and len(token) > 1
    name, sep, value = (token[1:] if negate else token).partition(":")
    return (name.lower(), value, negate) if sep else None


def _text_value(token: str) -> tuple[str, bool] | None:
    """(searched text, negated) of a `text:` token, else None."""
    field = _field_token(token)
    return (field[1], field[2]) if field is not None and field[0] == "text" else None


def text_terms(text: str) -> list[str]:
    """What the `text:` filters of a query look for (not the negated ones): what to highlight."""
    terms = []
    for token in _tokens(text):
        found = _text_value(token)
        if found is not None and found[0] and not found[1]:
            terms.append(found[0])
    return terms


def has_key_filter(text: str) -> bool:
    """The query asks for the key status (`key:`), which is read from each file the first time."""
    return any((field := _field_token(token)) is not None and field[0] == "key" for token in _tokens(text))


def has_text_filter(text: str) -> bool:
    """The query looks inside recordings (its answer then needs the files or the index)."""
    return any(_text_value(token) is not None for token in _tokens(text))


def parse_query(
    text: str, *, text_search: TextSearch | None = None, key_status: KeyStatus | None = None
) -> Query:
    """A predicate over Summary for the query `text` (see the module doc). Raises QueryError.

    `text_search` answers `text:` filters (default: by reading each row's file); `key_status`
    gives a row's key status for `key:` (default: `summary_key`, which reads the file once).
    """
    predicates: list[tuple[Predicate, bool]] = []
    inside: list[tuple[Predicate, bool]] = []  # text: filters, tested last (they cost the most)
    terms: list[_Term] = []
    for token in _tokens(text):
        negate = token.startswith("-") and len(token) > 1
        body = token[1:] if negate else token
        name, sep, value = body.partition(":")
        field = name.lower() if sep and name.lower() in FIELDS else ""
        terms.append(_Term(field, value if field else body, negate))
        if field:
            if not value:
                raise QueryError(f"{name}: needs a value, e.g. {name}:something")
            if field == "text":
                if text_search is None:
                    from tui_replay.catalog.textsearch import search_files_text
                    from tui_replay.recording.limits import DEFAULT_MAX_SIZE

                    text_search = search_files_text(DEFAULT_MAX_SIZE)
                inside.append((text_search(value), negate))
                continue
            predicate = _field_predicate(field, value, key_status)
        else:
            predicate = _WordPredicate(body)
        predicates.append((predicate, negate))
    predicates.extend(inside)
    return Query(predicates, terms)


# Fields whose value is a substring: a longer value keeps fewer rows.
_SUBSTRING_FIELDS = ("", "model", "endpoint", "test", "path")


@dataclass(frozen=True, slots=True)
class _Term:
    field: str  # "" for a free word
    value: str
    negate: bool


class Query:
    """A parsed query: call it on a Summary, or `select` the matching rows of a whole listing."""

    def __init__(self, predicates: list[tuple[Predicate, bool]], terms: list[_Term]) -> None:
        self._predicates = predicates
        self._terms = terms

    def __call__(self, summary: Summary) -> bool:
        return all(predicate(summary) != negate for predicate, negate in self._predicates)

    @property
    def key(self) -> tuple[_Term, ...]:
        """Equal for queries that mean the same (`gpt  kind:chat` and `gpt kind:chat`)."""
        return tuple(self._terms)

    def select(self, summaries: Sequence[Summary], texts: Sequence[str], among: Iterable[int]) -> list[int]:
        """The indexes in `among` whose summary matches; `texts[i]` is `search_text(summaries[i])`.

        One pass per word over the rows still in, free words first (a substring test on a
        precomputed string: ~20 times cheaper than lowercasing four fields per row)."""
        selected = list(among)
        ordered = sorted(self._predicates, key=lambda pair: not isinstance(pair[0], _WordPredicate))
        for predicate, negate in ordered:
            if isinstance(predicate, _WordPredicate):
                needle = predicate.needle
                if negate:
                    selected = [index for index in selected if needle not in texts[index]]
                else:  # the same test as a loop, a third faster: the iteration stays in C
                    found = map(contains, map(texts.__getitem__, selected), repeat(needle))
                    selected = list(compress(selected, found))
                continue
            hints = None if negate else name_hints(predicate)
            if hints is not None:  # narrowed to the names it allows first, in C (the text's last line)
                names = map(_LAST_LINE, map(_SPLIT_LAST_LINE, map(texts.__getitem__, selected)))
                selected = list(compress(selected, map(hints.__contains__, names)))
            selected = [index for index in selected if predicate(summaries[index]) != negate]
        return selected

    def narrows(self, previous: Query | None) -> bool:
        """Every row this query keeps, `previous` kept too (so its result can be filtered further):
        the same words, the last ones grown (`gpt` -> `gpt-4o`), more words after them."""
        if previous is None:
            return True
        old, new = previous._terms, self._terms
        if len(new) < len(old):
            return False
        for was, now in zip(old, new, strict=False):
            if was == now:
                continue
            if was.negate or now.negate or was.field != now.field or was.field not in _SUBSTRING_FIELDS:
                return False
            if was.value.lower() not in now.value.lower():
                return False
        return True


def readable_part(
    text: str, *, text_search: TextSearch | None = None, key_status: KeyStatus | None = None
) -> Query | None:
    """The query of the words of `text` that can be read on their own (None when none can):
    what still applies while a field filter is half typed (`model:gpt has:to`)."""
    kept = []
    for token in _tokens(text):
        try:
            parse_query(shlex.join([token]))
        except QueryError:
            continue
        kept.append(token)
    return parse_query(shlex.join(kept), text_search=text_search, key_status=key_status) if kept else None


def filter_summaries(summaries: Iterable[Summary], text: str) -> list[Summary]:
    predicate = parse_query(text)
    return [summary for summary in summaries if predicate(summary)]


# -- sorting -----------------------------------------------------------------------


def _total_tokens(summary: Summary) -> int | None:
    if summary.prompt_tokens is None and summary.completion_tokens is None:
        return None
    return (summary.prompt_tokens or 0) + (summary.completion_tokens or 0)


# Column name -> value to sort on (None = unknown, always sorted last).
SORT_COLUMNS: dict[str, Callable[[Summary], Any]] = {
    "path": lambda s: s.path,
    "file": lambda s: os.path.basename(s.path).lower(),
    "test": lambda s: s.test_id.lower() if s.test_id else None,
    "kind": lambda s: s.kind,
    "endpoint": lambda s: s.endpoint.lower() if s.endpoint else None,
    "model": lambda s: s.model.lower() if s.model else None,
    "streaming": lambda s: s.streaming,
    "chunks": lambda s: s.chunks,
    "tool_calls": lambda s: s.tool_calls,
    "citations": lambda s: s.citations,
    "tokens": _total_tokens,
    "prompt_tokens": lambda s: s.prompt_tokens,
    "completion_tokens": lambda s: s.completion_tokens,
    "status": lambda s: (s.status != "error", s.error or ""),
    "error": lambda s: s.error.lower() if s.error else None,
    "size": lambda s: s.size,
    "mtime": lambda s: s.mtime_ns,
}


def sort_key(column: str) -> Callable[[Summary], Any]:
    """The key function for `column` (see SORT_COLUMNS). Raises KeyError for an unknown column."""
    return SORT_COLUMNS[column]


def sort_summaries(summaries: Iterable[Summary], column: str, *, descending: bool = False) -> list[Summary]:
    """Sorted on `column`; rows without a value come last in both directions; ties keep path order."""
    key = sort_key(column)
    known: list[tuple[Any, Summary]] = []
    unknown: list[Summary] = []
    for summary in summaries:
        value = key(summary)
        if value is None:
            unknown.append(summary)
        else:
            known.append((value, summary))
    known.sort(key=lambda pair: pair[1].path)
    known.sort(key=lambda pair: pair[0], reverse=descending)  # stable: path order within ties
    unknown.sort(key=lambda summary: summary.path)
    return [summary for _, summary in known] + unknown


# -- grouping ----------------------------------------------------------------------


def group_by_test(summaries: Iterable[Summary]) -> dict[str, dict[str, list[Summary]]]:
    """test file -> test -> recordings, files and tests sorted, `(no test id)` last.

    The test is everything after the first `::` (class, name and parametrization);
    recordings keep their input order.
    """
    groups: dict[str, dict[str, list[Summary]]] = {}
    orphans: list[Summary] = []
    for summary in summaries:
        if not summary.test_id:
            orphans.append(summary)
            continue
        file_part, test_part = split_test_id(summary.test_id)
        groups.setdefault(file_part, {}).setdefault(test_part, []).append(summary)
    ordered = {file_part: dict(sorted(tests.items())) for file_part, tests in sorted(groups.items())}
    if orphans:
        ordered[NO_TEST_ID] = {NO_TEST_ID: orphans}
    return ordered
