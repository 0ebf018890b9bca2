"""Where two JSON values differ, as RFC 6901 JSON pointers (shared by `diff` and `explain`).

Pure data: no I/O, no Rich, no Textual.
"""

from __future__ import annotations

from typing import Any


class _Missing:
    """The side of a difference where the key or item does not exist."""

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
    """One reference token: `~` as `~0`, `/` as `~1` (RFC 6901)."""
    return str(key).replace("~", "~0").replace("/", "~1")


def _same(a: Any, b: Any) -> bool:
    # JSON types, not Python's: true is not 1, 1 is 1.0
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def json_pointer_differences(a: Any, b: Any, pointer: str = "") -> list[tuple[str, Any, Any]]:
    """(pointer, a value, b value) for every leaf where `a` and `b` differ; MISSING marks a side
    without that key or item. Objects are walked key by key (a's order, then keys only in b),
    arrays item by item; a value whose type changes is one difference at its pointer."""
    found: list[tuple[str, Any, Any]] = []
    _walk(a, b, pointer, found)
    return found


def _walk(a: Any, b: Any, pointer: str, found: list[tuple[str, Any, Any]]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(key for key in b if key not in a)]:
            child = f"{pointer}/{pointer_token(key)}"
            if key not in b:
                found.append((child, a[key], MISSING))
            elif key not in a:
                found.append((child, MISSING, b[key]))
            else:
                _walk(a[key], b[key], child, found)
        return
    if isinstance(a, list) and isinstance(b, list):
        for index in range(max(len(a), len(b))):
            child = f"{pointer}/{index}"
            if index >= len(b):
                found.append((child, a[index], MISSING))
            elif index >= len(a):
                found.append((child, MISSING, b[index]))
            else:
                _walk(a[index], b[index], child, found)
        return
    if not _same(a, b):
        found.append((pointer, a, b))
