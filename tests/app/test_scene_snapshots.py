"""SVG snapshots (pytest-textual-snapshot) of every screen, reached as in scripts/screen_scenes.py:
the scenes the README's screenshots are taken from, and the screens the README does not show
(raw view, export, help, fix keys, serve traffic, realtime session, empty cassette).

A scene on the sample recordings runs from the repository root (its `recordings/`, shown as a
relative path); a scene on corpus files runs in the test's folder with those files under
`recordings/`. The compare scene re-issues a request to the real llama.cpp server and masks the
port and the timings. Textual is pinned in constraints.txt (install with `-c constraints.txt`),
so the pictures only change when the app does.
Update after an intended change with: pytest tests/app/test_scene_snapshots.py --snapshot-update
"""

from __future__ import annotations

import pytest
from screen_scenes import (
    MORE_SCENES,
    REPO,
    SCENES,
    SCREENSHOT_SCENES,
    Scene,
    place_corpus_files,
    play,
    scene_app,
)

OFFLINE_SCENES = [scene for scene in SCREENSHOT_SCENES + MORE_SCENES if not scene.live]


def in_scene_folder(scene: Scene, workdir, monkeypatch) -> None:
    """The current directory the scene expects: its corpus files under `recordings/`, or the
    repository root with the sample recordings."""
    if scene.corpus:
        place_corpus_files(scene, workdir)
    else:
        monkeypatch.chdir(REPO)


def snapshot_of(scene: Scene, snap_compare, base_url: str | None = None) -> bool:
    async def run_before(pilot) -> None:
        await play(scene, pilot)

    return snap_compare(scene_app(scene, base_url), terminal_size=scene.size, run_before=run_before)


@pytest.mark.parametrize("scene", OFFLINE_SCENES, ids=lambda scene: scene.name)
def test_scene(scene, workdir, monkeypatch, snap_compare):
    in_scene_folder(scene, workdir, monkeypatch)
    assert snapshot_of(scene, snap_compare)


def test_compare_live_scene(workdir, monkeypatch, live_server, snap_compare):
    scene = SCENES["compare-live"]
    in_scene_folder(scene, workdir, monkeypatch)
    assert snapshot_of(scene, snap_compare, live_server.base_url)
