"""How big a recording may be: what keeps one file from eating the machine.

Two limits, both checked before a file is parsed, so that within them no single file pushes
a listing's or `show`'s peak memory over 1 GiB (tests/cli/test_memory.py measures it; every
command: bench/bench_bombs.py):

* DEFAULT_MAX_SIZE, 32 MiB: the size of a file (configurable: `max_size`, `--max-size`).
  The largest real recordings are about 10 MB. Text-heavy files cost up to ~18 times
  their size in memory (a non-ASCII string is stored 4 bytes a character, and assembling
  and id normalization copy it), ~600 MB at 32 MiB; 256 MiB allowed several GB.

* MAX_JSON_VALUES, 5,000,000: the number of JSON values a file may hold, counted cheaply as
  the `{`, `[`, `,` and `:` bytes (an overcount: those inside strings count too). Parsed, a
  tiny value costs up to ~100 bytes (`[{},{},...]`: a dict and a slot per 3 bytes of
  file), so 60 MB of them took 1.86 GB; 5 million stay near 500 MB. Real recordings hold
  under 0.1 value per byte (under a million in 10 MB), so no real file is refused.
  Files under MAX_JSON_VALUES bytes cannot hold that many and are not counted.

What a file expands to once read is held to the same limits (`ReadBudget`): a cassette's
compressed bodies and YAML aliases may add at most DEFAULT_MAX_SIZE (max_size) bytes between
them, and its YAML nodes, aliases and the JSON in its bodies count against MAX_JSON_VALUES.

And one nesting limit, MAX_NESTING lists/objects, for every file (JSON and YAML) and for the
JSON found inside a recording's strings (tool-call arguments, SSE lines): every command walks
the data recursively somewhere (exports, diff, explain, orjson.dumps stops at 255 levels), and
real recordings nest at most 16 levels.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import orjson

DEFAULT_MAX_SIZE = 32 * 1024 * 1024
MAX_JSON_VALUES = 5_000_000
MAX_NESTING = 100
_VALUE_BYTES = (b"{", b"[", b",", b":")


_VALUE_CHARS = ("{", "[", ",", ":")


def count_json_values(data: bytes | str) -> int:
    """An upper bound of the number of values (and keys) in a JSON text, in a few ms per MB."""
    if isinstance(data, str):
        return sum(data.count(char) for char in _VALUE_CHARS)
    return sum(data.count(byte) for byte in _VALUE_BYTES)


def too_many_values(data: bytes | str, limit: int = MAX_JSON_VALUES) -> str | None:
    """The one-line reason to refuse `data` unparsed, or None when it may be parsed."""
    if len(data) <= limit:
        return None
    count = count_json_values(data)
    if count <= limit:
        return None
    size = f"{len(data) / (1 << 20):.1f} MiB"  # of a str: characters, near enough
    return (
        f"too many JSON values ({count:,}) for its size ({size}): "
        f"the limit is {limit:,}, so that reading a file stays under 1 GiB of memory"
    )


class ReadBudget:
    """What one file may still expand to while it is read: JSON values (its YAML nodes, what
    its aliases repeat, the JSON of its bodies) and bytes beyond its own (inflated bodies, text
    repeated by aliases). One per file: a cassette's interactions share it."""

    __slots__ = ("extra_bytes", "values")

    def __init__(self, max_size: int = DEFAULT_MAX_SIZE, values: int = MAX_JSON_VALUES) -> None:
        self.values = values
        self.extra_bytes = max_size


# orjson.dumps refuses more than this many levels; wrapped in (this - MAX_NESTING) lists, a value
# is refused exactly when it nests deeper than MAX_NESTING: a depth check at orjson's speed (a few
# percent of reading a file), where a walk in Python would cost as much as the parse.
# Measured on the real 3,162-file tree (87 MB): this check 50 ms, orjson.loads 160 ms. Skipping it
# for files with at most MAX_NESTING `[`/`{` bytes is sound but costs more than it saves
# (bytes.count of both: 57 ms; check + gate 110 ms): half the files pass the gate, but they are
# the small ones, and the large files that hold the bytes all have thousands of brackets.
_ORJSON_DUMPS_DEPTH = 254
_wrappers = threading.local()


def nests_too_deep(value: Any) -> bool:
    """Whether `value` holds lists/dicts more than MAX_NESTING levels deep."""
    if type(value) is not dict and type(value) is not list:
        return False
    chain = getattr(_wrappers, "chain", None)
    if chain is None:  # built once per thread: (outermost list, the innermost one, to fill)
        hole: list[Any] = [None]
        outer = hole
        for _ in range(_ORJSON_DUMPS_DEPTH - MAX_NESTING - 1):
            outer = [outer]
        chain = _wrappers.chain = (outer, hole)
    outer, hole = chain
    hole[0] = value
    try:
        orjson.dumps(outer)
        return False
    except orjson.JSONEncodeError as exc:
        if "Recursion limit" in str(exc):
            return True
        return _depth_over(value, MAX_NESTING)  # a value orjson cannot write (a lone surrogate)
    finally:
        hole[0] = None


def _depth_over(root: Any, limit: int) -> bool:
    stack = [(root, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        for item in value.values() if isinstance(value, dict) else value:
            if isinstance(item, (dict, list)):
                stack.append((item, depth + 1))
    return False


NESTING_REASON = f"JSON nesting too deep (more than {MAX_NESTING} levels)"


# JSON inside a string (tool-call arguments) is parsed again by each use, pretty-printed and
# diffed: 2.5 million tiny values there took `diff --json` to 750 MB. Real arguments hold a few.
MAX_NESTED_JSON_VALUES = MAX_JSON_VALUES // 5


def loads_nested_json(text: str | bytes) -> Any:
    """`json.loads` for JSON found inside a recording's strings (tool-call arguments, SSE lines),
    held to the files' nesting limit and a fifth of their values; raises ValueError for invalid,
    too big or too deep JSON."""
    refused = too_many_values(text, MAX_NESTED_JSON_VALUES)
    if refused:
        raise ValueError(refused)
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        try:  # what Python reads and orjson does not: NaN, a lone surrogate, a 100-digit number
            value = json.loads(text)
        except RecursionError:
            raise ValueError(NESTING_REASON) from None
    opening = ("[", "{") if isinstance(text, str) else (b"[", b"{")
    if sum(text.count(bracket) for bracket in opening) > MAX_NESTING and nests_too_deep(value):
        raise ValueError(NESTING_REASON)
    return value


def pretty_arguments(arguments: str) -> str:
    """Tool-call arguments as indented JSON when they parse, else the string as sent."""
    try:
        return json.dumps(loads_nested_json(arguments), indent=2, ensure_ascii=False)
    except ValueError:
        return arguments
