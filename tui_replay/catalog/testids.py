"""Pytest node ids as the recorder writes them: split, shorten.

`tests/integration/responses/test_x.py::TestY::test_z[openai_client-txt=openai/gpt-4o:dim=768]`
The parametrization in `[...]` may hold `/`, `:`, `=`, `.`, spaces and even `::`,
so the id is split on the first `::` only.
"""

from __future__ import annotations

NO_TEST_ID = "(no test id)"


def split_test_id(test_id: str) -> tuple[str, str]:
    """(test file, test) split on the first `::`; an id without `::` is all file, test ""."""
    file_part, sep, test_part = test_id.partition("::")
    if not sep:
        return test_id, ""
    return file_part, test_part


def short_test_id(test_id: str | None, max_len: int = 80) -> str:
    """A readable id: the file's name without its folders, the test, and the parametrization.

    When still longer than `max_len`, the middle of the parametrization is elided, so its
    start and its end (often the case name) stay visible.
    """
    if not test_id:
        return NO_TEST_ID
    file_part, test_part = split_test_id(test_id)
    name = file_part.rsplit("/", 1)[-1]
    short = f"{name}::{test_part}" if test_part else name
    if len(short) <= max_len:
        return short
    bracket = short.find("[")
    if bracket == -1 or not short.endswith("]"):
        return short[: max_len - 1] + "…"
    head, params = short[: bracket + 1], short[bracket + 1 : -1]
    room = max_len - len(head) - 2  # "…" and "]"
    if room < 8:
        # A very long test name: keep its end and the parameters' end.
        return "…" + short[-(max_len - 1) :]
    keep_start = room // 2
    keep_end = room - keep_start
    return f"{head}{params[:keep_start]}…{params[len(params) - keep_end :]}]"
