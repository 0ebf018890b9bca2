"""The guard of `compare --save PATH` looks at where the path really leads (issue 17, item 11)."""

from __future__ import annotations

import json

from live.fake_server import ScriptedServer, echo_authorization
from live.helpers import run_cli
from live.test_bounds import _stored


def test_a_link_into_a_recordings_folder_does_not_pass_the_guard(tmp_path):
    recordings = tmp_path / "suite" / "recordings"
    recordings.mkdir(parents=True)
    stored = _stored(recordings, stream=False)
    (tmp_path / "savet").mkdir()
    (tmp_path / "savet" / "link").symlink_to(recordings)
    through_link = tmp_path / "savet" / "link" / "c.json"
    with ScriptedServer(answer=echo_authorization()) as server:
        done = run_cli(
            "compare", str(stored), "--base-url", server.base_url, "--json", "--save", str(through_link)
        )
        assert server.requests == []  # refused before anything is sent
    assert done.returncode == 2
    error = json.loads(done.stdout)["error"]
    assert "inside the recordings folder" in error and str(recordings) in error
    assert done.stderr.count("\n") == 1
    assert sorted(path.name for path in recordings.iterdir()) == ["plain.json"]
    # --force still writes there on purpose
    with ScriptedServer(answer=echo_authorization()) as server:
        forced = run_cli(
            "compare",
            str(stored),
            "--base-url",
            server.base_url,
            "--json",
            "--save",
            str(through_link),
            "--force",
        )
    assert forced.returncode in (0, 1), forced.stderr
    assert (recordings / "c.json").is_file()
