"""Regenerate screenshots/*.svg from the real app on the sample recordings in recordings/.

    .venv/bin/python scripts/make_screenshots.py            # all of them, into screenshots/
    .venv/bin/python scripts/make_screenshots.py --only citations --out /tmp/shots

Each screenshot starts a fresh `TuiReplayApp` on `["recordings"]` (a relative root, run
from the repository root, so no absolute path is shown) headless at a fixed size, with
watching off, the built-in default config (no user or project file) and a private summary
cache in a temporary folder. It is driven with keys like a user would: `/` and a filter,
Enter to open, `home` then `right` steps to pause at a fixed chunk, Tab to the citations.
Nothing on screen depends on the clock, so the same recordings give the same SVGs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: import the package from this checkout
    sys.path.insert(0, str(REPO))

from textual.pilot import Pilot  # noqa: E402
from textual.widgets import OptionList  # noqa: E402

from tui_replay.app.app import TuiReplayApp  # noqa: E402
from tui_replay.app.screens.replay import ReplayScreen  # noqa: E402
from tui_replay.config import Config  # noqa: E402
from tui_replay.playback import SEEK_FRACTION  # noqa: E402

ROOTS = ["recordings"]
TITLE = "tui-replay"
WIDE = (140, 42)
NARROW = (80, 24)
TIMEOUT = 20.0  # seconds any one wait may take before the screenshot is given up

Drive = Callable[[Pilot], Awaitable[None]]


class ScreenshotError(RuntimeError):
    """The app did not reach the state a screenshot needs; the message says which."""


@dataclass(frozen=True)
class Shot:
    name: str  # file name without .svg
    size: tuple[int, int]
    caption: str
    drive: Drive


# --- waiting -------------------------------------------------------------------------------------


async def until(pilot: Pilot, condition: Callable[[], bool], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while not condition():
        if loop.time() > deadline:
            raise ScreenshotError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
    await pilot.pause()


async def browse_loaded(pilot: Pilot) -> None:
    app = pilot.app
    assert isinstance(app, TuiReplayApp)
    await until(pilot, lambda: app.browse.loaded, "the recordings to load")


async def replay_ready(pilot: Pilot) -> ReplayScreen:
    await until(
        pilot,
        lambda: isinstance(pilot.app.screen, ReplayScreen) and pilot.app.screen.ready,
        "the replay screen to show its recording",
    )
    screen = pilot.app.screen
    assert isinstance(screen, ReplayScreen)
    return screen


async def settle(pilot: Pilot) -> None:
    """Let pending messages, layout and repaints finish before the picture is taken."""
    await pilot.app.workers.wait_for_complete()
    for _ in range(3):
        await pilot.pause()
    await pilot.wait_for_scheduled_animations()


# --- what a user does ----------------------------------------------------------------------------


async def type_filter(pilot: Pilot, query: str) -> None:
    """`/`, the query, Enter: the table keeps only the matching rows and takes the focus back."""
    await pilot.press("slash")
    await pilot.press(*query)
    await pilot.press("enter")
    await pilot.pause()


async def highlight_test(pilot: Pilot, test_name: str) -> None:
    """Arrow down the table until the row of `test_name` is highlighted."""
    app = pilot.app
    assert isinstance(app, TuiReplayApp)
    table = app.browse.table
    for _ in range(len(table.rows) + 1):
        row = table.highlighted_row
        if row is not None and row.summary is not None and f"::{test_name}[" in (row.summary.test_id or ""):
            return
        await pilot.press("down")
    raise ScreenshotError(f"no row for {test_name} in the table")


async def open_test(pilot: Pilot, test_name: str) -> ReplayScreen:
    """Filter down to one test and open its recording with Enter."""
    await browse_loaded(pilot)
    await type_filter(pilot, f"test:{test_name}")
    await highlight_test(pilot, test_name)
    await pilot.press("enter")
    return await replay_ready(pilot)


async def pause_at(pilot: Pilot, screen: ReplayScreen, chunk: int | None) -> None:
    """Space (pause the auto-play), then End, or Home, `]` jumps of 10 % and `right` steps to `chunk`."""
    if screen.player is not None and screen.player.playing:
        await pilot.press("space")
    if chunk is None:
        await pilot.press("end")
    else:
        await pilot.press("home")
        jump = max(1, round(screen.player.count * SEEK_FRACTION)) if screen.player else 1
        await pilot.press(*["right_square_bracket"] * (chunk // jump), *["right"] * (chunk % jump))
    player = screen.player
    if player is None or player.playing:
        raise ScreenshotError("the replay did not pause")
    if chunk is not None and player.position != chunk:
        raise ScreenshotError(f"paused at chunk {player.position}, not {chunk}")


# --- the screenshots -----------------------------------------------------------------------------


async def drive_browse(pilot: Pilot) -> None:
    await browse_loaded(pilot)
    await highlight_test(pilot, "test_file_search_answer")


async def drive_browse_grouped(pilot: Pilot) -> None:
    await browse_loaded(pilot)
    await pilot.press("g")
    await highlight_test(pilot, "test_streamed_tool_call")


async def drive_tool_call(pilot: Pilot) -> None:
    screen = await open_test(pilot, "test_streamed_tool_call")
    await pause_at(pilot, screen, 6)  # the arguments are half streamed: {"city": "Paris


async def drive_citations(pilot: Pilot) -> None:
    screen = await open_test(pilot, "test_file_search_answer")
    await pause_at(pilot, screen, None)
    citations = screen.query_one("#citation-list", OptionList)
    for _ in range(8):  # Tab through the panes to the citation list
        if citations.has_focus:
            break
        await pilot.press("tab")
    else:
        raise ScreenshotError("Tab never reached the citation list")
    await pilot.press("down")  # highlight the first citation: its chunk shows below
    if citations.highlighted is None:
        raise ScreenshotError("no citation to select")


async def drive_recorded_error(pilot: Pilot) -> None:
    await open_test(pilot, "test_recorded_error")


async def drive_markdown(pilot: Pilot) -> None:
    screen = await open_test(pilot, "test_long_streamed_answer")
    await pause_at(pilot, screen, 150)  # the code block, the heading and the list streaming in
    if not screen.rendered:
        raise ScreenshotError("the answer is not rendered as Markdown")


async def drive_narrow(pilot: Pilot) -> None:
    screen = await open_test(pilot, "test_long_streamed_answer")
    await pause_at(pilot, screen, 120)
    if not screen.narrow:
        raise ScreenshotError("the replay screen is not in its narrow (tabs) layout")


SHOTS: tuple[Shot, ...] = (
    Shot(
        "browse", WIDE, "Browse: every sample recording, the highlighted one previewed below.", drive_browse
    ),
    Shot("browse-grouped", WIDE, "Browse grouped by test file and test (`g`).", drive_browse_grouped),
    Shot(
        "replay-tool-call",
        WIDE,
        "Replay paused mid-stream (chunk 6/9) while a tool call's arguments arrive.",
        drive_tool_call,
    ),
    Shot(
        "citations",
        WIDE,
        "A file-search answer played to the end, its citation selected: the cited chunk and file.",
        drive_citations,
    ),
    Shot("recorded-error", WIDE, "A recorded provider error (HTTP 500, no body).", drive_recorded_error),
    Shot(
        "markdown-answer",
        WIDE,
        "A streamed answer rendered as Markdown: highlighted code, a heading, a list (`m`: raw text).",
        drive_markdown,
    ),
    Shot("narrow", NARROW, "An 80x24 terminal: one pane at a time behind tabs.", drive_narrow),
)


# --- taking them ---------------------------------------------------------------------------------


def write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


async def take(shot: Shot, out_dir: Path) -> Path:
    app = TuiReplayApp(ROOTS, Config(watch=False))
    async with app.run_test(size=shot.size) as pilot:
        app.title = TITLE
        await shot.drive(pilot)
        await settle(pilot)
        svg = app.export_screenshot(title=TITLE)
    target = out_dir / f"{shot.name}.svg"
    write_atomically(target, svg)
    return target


async def take_all(shots: list[Shot], out_dir: Path) -> list[Path]:
    return [await take(shot, out_dir) for shot in shots]


def make_screenshots(out_dir: Path | str = "screenshots", only: list[str] | None = None) -> list[Path]:
    """Write the chosen screenshots (all by default) into `out_dir`; return their paths.

    Works from the repository root (the app must see the relative root `recordings`) with a
    private summary cache; the working directory and the environment are restored after.
    """
    shots = [shot for shot in SHOTS if not only or shot.name in only]
    unknown = sorted(set(only or ()) - {shot.name for shot in SHOTS})
    if unknown:
        raise ScreenshotError(f"unknown screenshot(s): {', '.join(unknown)}")
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    old_cwd = Path.cwd()
    old_cache = os.environ.get("TUI_REPLAY_CACHE_DIR")
    with tempfile.TemporaryDirectory(prefix="tui-replay-shots-") as cache:
        os.environ["TUI_REPLAY_CACHE_DIR"] = cache
        os.chdir(REPO)
        try:
            return asyncio.run(take_all(shots, out))
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
    args = parser.parse_args(argv)
    try:
        written = make_screenshots(args.out, args.only)
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
