"""How big a recording may be: what keeps one file from eating the machine.

Two limits, both checked before a file is parsed, so that within them no single file pushes
a listing's or `show`'s peak memory over 1 GiB (tests/cli/test_memory.py measures it):

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
"""

from __future__ import annotations

DEFAULT_MAX_SIZE = 32 * 1024 * 1024
MAX_JSON_VALUES = 5_000_000
_VALUE_BYTES = (b"{", b"[", b",", b":")


def count_json_values(data: bytes) -> int:
    """An upper bound of the number of values (and keys) in a JSON text, in a few ms per MB."""
    return sum(data.count(byte) for byte in _VALUE_BYTES)


def too_many_values(data: bytes, limit: int = MAX_JSON_VALUES) -> str | None:
    """The one-line reason to refuse `data` unparsed, or None when it may be parsed."""
    if len(data) <= limit:
        return None
    count = count_json_values(data)
    if count <= limit:
        return None
    size = f"{len(data) / (1 << 20):.1f} MiB"
    return (
        f"too many JSON values ({count:,}) for its size ({size}): "
        f"the limit is {limit:,}, so that reading a file stays under 1 GiB of memory"
    )
