"""Where two JSON values differ, as RFC 6901 JSON pointers (shared by `diff` and `explain`).

Pure data: no I/O, no Rich, no Textual.
"""

from __future__ import annotations

from typing import Any


class _Missing:
    """The side of a difference where the key or item does not exist (not the same as null)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


def pointer_token(key: str | int) -> str:
    """One reference token: `~` as `~0`, `/` as `~1` (RFC 6901, in that order)."""
    return str(key).replace("~", "~0").replace("/", "~1")


def json_pointer_differences(a: Any, b: Any, *, strict_numbers: bool = False) -> list[tuple[str, Any, Any]]:
    """(pointer, a value, b value) for every leaf where `a` and `b` differ; MISSING marks a side
    without that key or item. Objects are walked key by key (a's order, then keys only in b),
    arrays item by item; a value whose type changes is one difference at its pointer; `""` is
    the whole document. JSON types, not Python's: `true` is never `1`.

    `strict_numbers`: `1` and `1.0` differ (they serialize, and so hash, differently); by
    default they are the same number.
    """
    found: list[tuple[str, Any, Any]] = []
    stack: list[tuple[str, Any, Any]] = [("", a, b)]  # a stack, not recursion: any depth
    while stack:
        pointer, left, right = stack.pop()
        if isinstance(left, dict) and isinstance(right, dict):
            keys = [*left, *(key for key in right if key not in left)]
            children = [(key, left.get(key, MISSING), right.get(key, MISSING)) for key in keys]
        elif isinstance(left, list) and isinstance(right, list):
            children = [
                (
                    index,
                    left[index] if index < len(left) else MISSING,
                    right[index] if index < len(right) else MISSING,
                )
                for index in range(max(len(left), len(right)))
            ]
        else:
            if not _same(left, right, strict_numbers):
                found.append((pointer, left, right))
            continue
        for key, left_item, right_item in reversed(children):
            stack.append((f"{pointer}/{pointer_token(key)}", left_item, right_item))
    return found


def _same(a: Any, b: Any, strict_numbers: bool) -> bool:
    if a is MISSING or b is MISSING:
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if not strict_numbers and isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b
