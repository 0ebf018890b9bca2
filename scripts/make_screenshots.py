"""Regenerate screenshots/*.svg from the real app on the sample recordings in recordings/.

    .venv/bin/python scripts/make_screenshots.py            # all of them, into screenshots/
    .venv/bin/python scripts/make_screenshots.py --only citations --out /tmp/shots

Each screenshot starts a fresh `TuiReplayApp` on `["recordings"]` (a relative root, run
from the repository root, so no absolute path is shown) headless at a fixed size, with
watching off, the built-in default config (no user or project file) and a private summary
cache in a temporary folder. It is driven with keys like a user would: `/` and a filter,
Enter to open, `home` then `right` steps to pause at a fixed chunk, Tab to the citations,
`m` and `d` for the diff screen.
Nothing on screen depends on the clock, so the same recordings give the same SVGs.
How each screen is reached is a scene of scripts/screen_scenes.py, which the snapshot tests
(tests/app/test_scene_snapshots.py) play too.

One shot, `compare-live`, re-issues a stored request to the real llama.cpp server
(scripts/live_server.py: Qwen2.5-Coder-0.5B, started for the run unless `--base-url` names
one already running). Its answer repeats exactly (the sample was recorded from the same
server with temperature 0, seed 42 and `--n_ubatch 1`); what does not repeat is masked
before the picture is taken: the server's port in the title, the total time in the status
line, and the live timings in the table (time to first chunk, total time, tokens per second).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: import the package from this checkout
    sys.path.insert(0, str(REPO))

from screen_scenes import (  # noqa: E402
    NARROW,  # noqa: F401 (the sizes and `masked` are read by tests/screenshots)
    SCREENSHOT_SCENES,
    TITLE,
    WIDE,  # noqa: F401
    Scene,
    SceneError,
    masked,  # noqa: F401
    play,
    scene_app,
)

ScreenshotError = SceneError  # the app did not reach the state a screenshot needs


@dataclass(frozen=True)
class Shot:
    scene: Scene  # how the app gets there (shared with the snapshot tests)
    caption: str

    @property
    def name(self) -> str:  # file name without .svg
        return self.scene.name

    @property
    def size(self) -> tuple[int, int]:
        return self.scene.size

    @property
    def live(self) -> bool:  # needs the live llama.cpp server (its base URL goes into the config)
        return self.scene.live


CAPTIONS = {
    "browse": "Browse: every sample recording, the highlighted one previewed below.",
    "browse-grouped": "Browse grouped by test file and test (`g`).",
    "replay-tool-call": "Replay paused mid-stream (chunk 6/9) while a tool call's arguments arrive.",
    "citations": "A file-search answer played to the end, its citation selected: the cited chunk and file.",
    "recorded-error": "A recorded provider error (HTTP 500, no body).",
    "markdown-answer": (
        "A streamed answer rendered as Markdown: highlighted code, a heading, a list (`m`: raw text)."
    ),
    "narrow": "An 80x24 terminal: one pane at a time behind tabs.",
    "diff": "Diff (`m` on one row, `d` on another): a streamed tool call against a non-streamed one.",
    "compare-live": (
        "Compare (`r` in replay): the stored answer beside a live re-issue to the local llama.cpp server;"
        " port and timings masked."
    ),
}
SHOTS: tuple[Shot, ...] = tuple(Shot(scene, CAPTIONS[scene.name]) for scene in SCREENSHOT_SCENES)

# --- taking them ---------------------------------------------------------------------------------


def write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


async def take(shot: Shot, out_dir: Path, base_url: str | None) -> Path:
    app = scene_app(shot.scene, base_url)
    async with app.run_test(size=shot.size) as pilot:
        app.title = TITLE
        await play(shot.scene, pilot)
        svg = app.export_screenshot(title=TITLE)
    target = out_dir / f"{shot.name}.svg"
    write_atomically(target, svg)
    return target


async def take_all(shots: list[Shot], out_dir: Path, base_url: str | None) -> list[Path]:
    return [await take(shot, out_dir, base_url) for shot in shots]


@contextlib.contextmanager
def live_base_url(shots: list[Shot], base_url: str | None) -> Iterator[str | None]:
    """The server the live shots talk to: `base_url`, else a llama.cpp server started for the run
    (and stopped by its PID after); None when no chosen shot is live."""
    if base_url or not any(shot.live for shot in shots):
        yield base_url
        return
    sys.path.insert(0, str(REPO / "scripts"))
    from live_server import LiveServer, LiveServerError

    try:
        server = LiveServer().start()
    except LiveServerError as exc:
        raise ScreenshotError(f"compare-live needs the live server: {exc}") from None
    try:
        yield server.base_url
    finally:
        server.stop()


def make_screenshots(
    out_dir: Path | str = "screenshots", only: list[str] | None = None, base_url: str | None = None
) -> list[Path]:
    """Write the chosen screenshots (all by default) into `out_dir`; return their paths.

    Works from the repository root (the app must see the relative root `recordings`) with a
    private summary cache; the working directory and the environment are restored after.
    The live shot uses the server at `base_url`, else one started for the run.
    """
    shots = [shot for shot in SHOTS if not only or shot.name in only]
    unknown = sorted(set(only or ()) - {shot.name for shot in SHOTS})
    if unknown:
        raise ScreenshotError(f"unknown screenshot(s): {', '.join(unknown)}")
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    old_cwd = Path.cwd()
    old_cache = os.environ.get("TUI_REPLAY_CACHE_DIR")
    with (
        tempfile.TemporaryDirectory(prefix="tui-replay-shots-") as cache,
        live_base_url(shots, base_url) as server_url,
    ):
        os.environ["TUI_REPLAY_CACHE_DIR"] = cache
        os.chdir(REPO)
        try:
            return asyncio.run(take_all(shots, out, server_url))
        finally:
            os.chdir(old_cwd)
            if old_cache is None:
                os.environ.pop("TUI_REPLAY_CACHE_DIR", None)
            else:
                os.environ["TUI_REPLAY_CACHE_DIR"] = old_cache


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "screenshots"), help="folder to write into")
    parser.add_argument(
        "--only", action="append", metavar="NAME", help=f"one of: {', '.join(s.name for s in SHOTS)}"
    )
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help="a running llama.cpp server for compare-live (default: start one for the run)",
    )
    args = parser.parse_args(argv)
    try:
        written = make_screenshots(args.out, args.only, args.base_url)
    except ScreenshotError as exc:
        print(f"make_screenshots: {exc}", file=sys.stderr)
        return 1
    captions = {shot.name: shot.caption for shot in SHOTS}
    for path in written:
        try:
            shown = path.relative_to(Path.cwd())
        except ValueError:
            shown = path
        print(f"wrote {shown}: {captions[path.stem]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
