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
