"""The watcher on cassettes: one changed file adds, changes and removes a row per interaction."""

from __future__ import annotations

import os
import shutil

from test_watch_catalog import Follower, settle_watcher
from watch_helpers import CORPUS

CASSETTES = CORPUS / "cassettes"
THREE = CASSETTES / "pydantic-ai/test_groq__test_tool_use_failed_error.yaml"  # 3 interactions
ONE = CASSETTES / "crewai/test_handle_streaming_tool_calls_no_available_functions.yaml"  # 1


async def test_a_cassette_written_replaced_and_deleted(tmp_path):
    follower = Follower([str(tmp_path)], {})
    await settle_watcher()
    target = tmp_path / "case.yaml"
    shutil.copyfile(THREE, target)
    os.utime(target, (0, 0))  # old: nothing is still being written
    added = await follower.changes(3)
    assert sorted((c.event, c.path) for c in added) == [("added", f"{target}#{n}") for n in range(3)]
    assert all(c.summary.format == "vcr" and c.summary.status == "ok" for c in added)

    tmp = tmp_path / ".case.tmp"
    shutil.copyfile(ONE, tmp)
    os.replace(tmp, target)  # now one interaction: #0 changes, #1 and #2 go
    got = await follower.changes(3)
    assert sorted((c.event, c.path) for c in got) == [
        ("changed", f"{target}#0"),
        ("removed", f"{target}#1"),
        ("removed", f"{target}#2"),
    ]
    assert next(c for c in got if c.event == "changed").summary.kind == "chat"

    target.unlink()
    (gone,) = await follower.changes(1)
    assert (gone.event, gone.path) == ("removed", f"{target}#0")
    assert await follower.nothing_more(0.5) == []
    await follower.close()
