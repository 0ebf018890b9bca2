"""Differences between two JSON values as RFC 6901 pointers (pure data, no Textual)."""

from __future__ import annotations

from typing import Any

_MISSING: Any = object()  # a side that has no value at that pointer (shown as None)


def escape_token(token: str | int) -> str:
    """One RFC 6901 reference token: `~` -> `~0`, `/` -> `~1` (in that order)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def json_pointer_differences(a: Any, b: Any) -> list[tuple[str, Any, Any]]:
    """(pointer, value in `a`, value in `b`) for each place where `a` and `b` differ.

    Objects are compared key by key (a key on one side only is one difference, the missing side
    None); lists of equal length item by item; lists of different lengths, and values of different
    types, are one difference at their own pointer. `""` is the whole document. Pointers come in
    document order (keys of `a`, then those only in `b`).
    """
    differences: list[tuple[str, Any, Any]] = []
    stack: list[tuple[str, Any, Any]] = [("", a, b)]
    while stack:
        pointer, left, right = stack.pop()
        if isinstance(left, dict) and isinstance(right, dict):
            children = [(key, left.get(key, _MISSING), right.get(key, _MISSING)) for key in left]
            children += [(key, _MISSING, right[key]) for key in right if key not in left]
        elif isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
            children = list(zip(range(len(left)), left, right, strict=True))
        else:
            if not _same(left, right):
                differences.append((pointer, _none(left), _none(right)))
            continue
        for key, left_item, right_item in reversed(children):
            stack.append((f"{pointer}/{escape_token(key)}", left_item, right_item))
    return differences


def _same(left: Any, right: Any) -> bool:
    # 1 == 1.0 == True in Python, but they are different JSON values.
    return type(left) is type(right) and left == right


def _none(value: Any) -> Any:
    return None if value is _MISSING else value
