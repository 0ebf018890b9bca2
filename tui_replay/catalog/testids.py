"""Names of recordings as shown: pytest node ids as the recorder writes them (split, shorten),
and file names.

`tests/integration/responses/test_x.py::TestY::test_z[openai_client-txt=openai/gpt-4o:dim=768]`
The parametrization in `[...]` may hold `/`, `:`, `=`, `.`, spaces and even `::`,
so the id is split on the first `::` only.
"""

from __future__ import annotations

import os
import re

NO_TEST_ID = "(no test id)"


_HEX_NAME = re.compile(r"^(models-)?([0-9a-f]{12})[0-9a-f]{8,}(.*)$")


def short_file_name(path: str) -> str:
    """`d30a3a9a90ea….json` for the 64-hex names the recorder writes; other names whole.

    Only the path separator splits (a backslash is part of a POSIX file name). The result is
    raw text: show it through `textsafe` (`single_line=True`), it may hold a newline.
    """
    name = os.path.basename(path)
    match = _HEX_NAME.match(name)
    if match:
        return f"{match.group(1) or ''}{match.group(2)}…{match.group(3)}"
    return name


def split_test_id(test_id: str) -> tuple[str, str]:
    """(test file, test) split on the first `::`; an id without `::` is all file, test ""."""
    file_part, sep, test_part = test_id.partition("::")
    if not sep:
        return test_id, ""
    return file_part, test_part


def short_test_id(test_id: str | None, max_len: int = 80) -> str:
    """A readable id: the file's name without its folders, the test, and the parametrization.

    When that is longer than `max_len`, the file name goes first (the test and its
    parametrization tell recordings apart; the file is in the group view and the
    preview). When still too long, the middle of the test name and of the
    parametrization are elided, so their starts and ends (often the case name) stay visible.
    """
    if not test_id:
        return NO_TEST_ID
    file_part, test_part = split_test_id(test_id)
    name = file_part.rsplit("/", 1)[-1]
    short = f"{name}::{test_part}" if test_part else name
    if len(short) <= max_len:
        return short
    if test_part:
        short = test_part
        if len(short) <= max_len:
            return short
    bracket = short.find("[")
    if bracket == -1 or not short.endswith("]"):
        return _elide_middle(short, max_len)
    head, params = short[: bracket + 1], short[bracket + 1 : -1]
    # The parametrization gets at least half the room; a long test name gives way first.
    params_room = max(max_len // 2, max_len - len(head) - 1)
    head_room = max_len - min(len(params), params_room) - 1
    return f"{_elide_middle(head, head_room)}{_elide_middle(params, params_room)}]"


def short_test_name(test_id: str | None, max_len: int = 10_000) -> str:
    """The Test column: the test (class and function name) whole, its parametrization shortened
    in the middle to fit `max_len`; the module path is always dropped (the grouped view and the
    preview show it). An id without `::` shows its file's name.

    `TestSafety::test_unsafe[shield=llama-guard]`, `test_response_file_search[openai_cl…perts_pdf]`.
    Longer than `max_len` only when the test name alone is (then it ends `[…]`).
    """
    if not test_id:
        return NO_TEST_ID
    file_part, test_part = split_test_id(test_id)
    if not test_part:
        return file_part.rsplit("/", 1)[-1]
    if len(test_part) <= max_len:
        return test_part
    bracket = test_part.find("[")
    if bracket == -1 or not test_part.endswith("]"):
        return _elide_middle(test_part, max(max_len, 1))
    head, params = test_part[: bracket + 1], test_part[bracket + 1 : -1]
    return f"{head}{_elide_middle(params, max(1, max_len - len(head) - 1))}]"


def _elide_middle(text: str, limit: int) -> str:
    """`text` cut to `limit` characters by replacing its middle with "…"."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return "…"[:limit]
    keep_start = (limit - 1) // 2
    keep_end = limit - 1 - keep_start
    return text[:keep_start] + "…" + (text[len(text) - keep_end :] if keep_end else "")


# Where a parametrization's ids split into parameters: pytest joins them with "-", and the
# values hold "=", "/", ":", "," and ".". The part a row shows is made of whole pieces.
_PARAM_SEPARATORS = frozenset("-=/:,. ")


class CommonParams:
    """What the parametrized ids of each test share, over the rows listed: the start and end
    of their parameters common to all (`openai_client-txt=ollama/llama3.2:3b-instruct-fp16-`),
    so a narrow column can show the part that differs (`False`, `True`) instead of that."""

    def __init__(self) -> None:
        # test (file::function) -> (first parameters, common start, common end, more than one)
        self._tests: dict[str, tuple[str, str, str, bool]] = {}
        self.version = 0  # goes up whenever what is common changes

    def add(self, test_id: str | None) -> None:
        test, params = _test_and_params(test_id)
        if params is None:
            return
        known = self._tests.get(test)
        if known is None:
            self._tests[test] = (params, params, params, False)
            return
        first, start, end, varies = known
        if params == first and not varies:
            return
        start = _common_start(start, params)
        end = _common_start(end[::-1], params[::-1])[::-1]
        updated = (first, start, end, varies or params != first)
        if updated != known:
            self._tests[test] = updated
            self.version += 1

    def common(self, test_id: str | None) -> tuple[int, int]:
        """How many characters of `test_id`'s parameters are shared at the start and at the end
        with the other ids of its test, cut to whole pieces; (0, 0) when it has no other."""
        test, params = _test_and_params(test_id)
        known = self._tests.get(test) if params is not None else None
        if params is None or known is None or not known[3]:
            return (0, 0)
        start = len(known[1])
        while start > 0 and params[start - 1] not in _PARAM_SEPARATORS:
            start -= 1  # back to the end of a whole piece: `gpt-4o` against `gpt-4o-mini` shows `4o`
        end = len(params) - min(len(known[2]), len(params) - start)
        while end < len(params) and params[end] not in _PARAM_SEPARATORS:
            end += 1
        if end <= start:
            return (0, 0)
        return (start, len(params) - end)


def _common_start(a: str, b: str) -> str:
    size = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        size += 1
    return a[:size]


def _test_and_params(test_id: str | None) -> tuple[str, str | None]:
    """(`file::function`, its parameters) of a parametrized id; parameters None otherwise."""
    if not test_id:
        return "", None
    file_part, test_part = split_test_id(test_id)
    bracket = test_part.find("[")
    if bracket == -1 or not test_part.endswith("]"):
        return test_id, None
    return f"{file_part}::{test_part[:bracket]}", test_part[bracket + 1 : -1]


def fit_test_name(test_id: str | None, width: int, common: tuple[int, int] = (0, 0)) -> str:
    """The Test column in `width` characters: the test (class and function) and its parameters,
    like `short_test_name`. When it must shorten, the parameters keep the part that differs
    from the other ids of the test (`common`, from `CommonParams`) and give up what they share
    (`…rails_unsafe_content[…False]`); the test's name gives way down to half the width first,
    its end kept."""
    name = short_test_name(test_id)
    if len(name) <= width:
        return name
    bracket = name.find("[")
    if bracket == -1 or not name.endswith("]"):
        return _elide_start(name, width)
    head, params = name[:bracket], name[bracket + 1 : -1]
    if common == (0, 0):  # nothing shared with other ids of the test: the parameters give way
        if len(head) + 3 <= width:
            return short_test_name(test_id, max_len=width)
        return f"{_elide_start(head, width - 3)}[…]"
    start, end = common
    prefix, distinct, suffix = params[:start], params[start : len(params) - end], params[len(params) - end :]
    marks = ("…" if prefix else "", "…" if suffix else "")
    least = len(distinct) + len(marks[0]) + len(marks[1])
    head_room = max(min(len(head), width - 2 - least), min(len(head), width // 2))
    room = width - 2 - head_room
    if room < len(marks[0]) + len(marks[1]) + 1:
        return _elide_middle(name, width)
    if least > room:  # the differing part alone is too long: cut in its middle
        shown = marks[0] + _elide_middle(distinct, room - len(marks[0]) - len(marks[1])) + marks[1]
    else:  # what is left shows the start of the shared part (its middle elided)
        tail = suffix if len(suffix) <= 1 else marks[1]
        shown = _elide_middle(prefix, room - len(distinct) - len(tail)) + distinct + tail
    return f"{_elide_start(head, head_room)}[{shown}]"


def _elide_start(text: str, limit: int) -> str:
    """`text` cut to `limit` characters from its start (`…rails_unsafe_content`): the end of a
    test's name tells it from its neighbours, its start is mostly `test_`."""
    if len(text) <= limit:
        return text
    return "…" + text[len(text) - max(limit - 1, 0) :] if limit > 0 else ""
