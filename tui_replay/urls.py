"""A base URL and a recorded request path joined into one URL: the one way every export
(curl, Python) and `compare` build where a request goes.

The path comes from a recording (its `endpoint`, or the path of its `url`): data from the
folder being inspected. Pasted after a base URL, `@host/v1/...` would make the base a user
name and send the request (and its key) to another host; `?...`, `#...` or `//host` would
change the query or the authority. So the path must be a plain absolute path (RFC 3986
segment characters, no `@`, no `.`/`..` segments), refused otherwise in one line, and it is
put into the base URL's path component, never after its text.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

# One or more `/segment`s of unreserved, percent-encoded and sub-delimiter characters (and
# `:`); `@` is left out although RFC 3986 allows it: no API path has one, and curl or a
# reader could still take it for a user name.
_PATH = re.compile(r"(/[A-Za-z0-9\-._~!$&'()*+,;=:%]*)*")


class NotAPath(ValueError):
    """A recorded endpoint that is not a plain URL path; the message is one line."""


def check_path(path: str) -> str:
    """`path` when it is a plain absolute URL path ("" included: the base itself), else NotAPath."""
    segments = path.split("/")[1:]
    if path and (not path.startswith("/") or path.startswith("//") or not _PATH.fullmatch(path)):
        raise NotAPath(f"the recorded endpoint is not a URL path: {path!r}")
    if any(segment in (".", "..") for segment in segments):
        raise NotAPath(f"the recorded endpoint is not a plain URL path (it has . or ..): {path!r}")
    return path


def path_on_base(base_url: str, path: str) -> str:
    """What `path` adds to the base URL's path: segments the base already ends with are shared,
    so "/v1/chat/completions" on ".../v1" adds "/chat/completions" (never /v1/v1)."""
    check_path(path)
    base_segments = [segment for segment in urlsplit(base_url).path.split("/") if segment]
    path_segments = path.split("/")[1:]
    for shared in range(min(len(base_segments), len(path_segments)), 0, -1):
        if base_segments[-shared:] == path_segments[:shared]:
            rest = path_segments[shared:]
            return "/" + "/".join(rest) if rest else ""
    return path


def join_url(base_url: str, path: str, *, keep_query: bool = True) -> str:
    """The URL of `path` on `base_url` (NotAPath when `path` is not a path). The base's
    scheme, host and query stay as they are (`keep_query=False` drops the query)."""
    parts = urlsplit(base_url)
    joined = parts.path.rstrip("/") + path_on_base(base_url, path)
    return urlunsplit((parts.scheme, parts.netloc, joined, parts.query if keep_query else "", ""))
