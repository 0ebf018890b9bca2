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
import re
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: import the package from this checkout
    sys.path.insert(0, str(REPO))

from rich.text import Text  # noqa: E402
from textual.pilot import Pilot  # noqa: E402
from textual.widgets import DataTable, OptionList, Static  # noqa: E402

from tui_replay.app.app import TuiReplayApp  # noqa: E402
from tui_replay.app.screens.compare import CompareScreen  # noqa: E402
from tui_replay.app.screens.diff import DiffScreen  # noqa: E402
from tui_replay.app.screens.replay import ReplayScreen  # noqa: E402
from tui_replay.config import Config  # noqa: E402
from tui_replay.playback import SEEK_FRACTION  # noqa: E402

ROOTS = ["recordings"]
TITLE = "tui-replay"
WIDE = (140, 42)
NARROW = (80, 24)
TIMEOUT = 20.0  # seconds any one wait may take before the screenshot is given up
LIVE_TIMEOUT = 180.0  # a live answer: the 0.5B model on a busy 2-core machine takes 5 to 20 s
MASK = "(masked)"  # stands for a value that changes from run to run (a time, a port)
MASKED_METRICS = ("time to first chunk", "total time", "tokens per second")

Drive = Callable[[Pilot], Awaitable[None]]


class ScreenshotError(RuntimeError):
    """The app did not reach the state a screenshot needs; the message says which."""


@dataclass(frozen=True)
class Shot:
    name: str  # file name without .svg
    size: tuple[int, int]
    caption: str
    drive: Drive
    live: bool = False  # needs the live llama.cpp server (its base URL goes into the config)


# --- waiting -------------------------------------------------------------------------------------


async def until(pilot: Pilot, condition: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
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


async def highlight_test(pilot: Pilot, test_name: str, *, from_top: bool = False) -> None:
    """Arrow down the table (from the first row with `from_top`) until the row of `test_name`
    is highlighted."""
    app = pilot.app
    assert isinstance(app, TuiReplayApp)
    table = app.browse.table
    if from_top:
        await pilot.press("home")
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


# --- masking what a live run does not repeat ----------------------------------------------------


def masked(text: Text, pattern: str, replacement: str = MASK) -> Text:
    """`text` with every match of `pattern` replaced, the styles of the rest kept."""
    out = text.blank_copy()
    end = 0
    for match in re.finditer(pattern, text.plain):
        out.append_text(text[end : match.start()])
        out.append(replacement, "italic")
        end = match.end()
    out.append_text(text[end:])
    return out


def mask_static(screen: CompareScreen, selector: str, pattern: str, replacement: str = MASK) -> None:
    widget = screen.query_one(selector, Static)
    content = widget.content
    if not isinstance(content, Text) or not re.search(pattern, content.plain):
        raise ScreenshotError(f"nothing to mask in {selector}: {content!r}")
    widget.update(masked(content, pattern, replacement))


def mask_metrics(table: DataTable) -> None:
    """Rebuild the metrics table with the live timings masked; rebuilt, not edited in place,
    so the column widths come from what is shown (a wider time would widen the column)."""
    labels = [column.label for column in table.ordered_columns]
    rows = [list(table.get_row_at(index)) for index in range(table.row_count)]
    found = set()
    for row in rows:
        name = row[0].plain if isinstance(row[0], Text) else str(row[0])
        if name in MASKED_METRICS:
            row[2] = Text(MASK, "italic")
            found.add(name)
    if found != set(MASKED_METRICS):
        raise ScreenshotError(f"the metrics table lacks {sorted(set(MASKED_METRICS) - found)}")
    table.clear(columns=True)
    table.add_columns(*labels)
    for row in rows:
        table.add_row(*row)


def mask_compare(screen: CompareScreen) -> None:
    mask_static(screen, "#compare-title", r"(?<=:)\d{2,5}(?=/)", "PORT")
    mask_static(screen, "#compare-status", r"(?<=total )\d+\.\d+ s")
    mask_metrics(screen.query_one("#metrics", DataTable))


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


async def drive_diff(pilot: Pilot) -> None:
    await browse_loaded(pilot)
    await highlight_test(pilot, "test_streamed_tool_call", from_top=True)
    await pilot.press("m")
    await highlight_test(pilot, "test_non_streamed_tool_call", from_top=True)
    await pilot.press("d")
    await until(
        pilot,
        lambda: isinstance(pilot.app.screen, DiffScreen) and pilot.app.screen.comparison is not None,
        "the diff screen to compare the two recordings",
    )


async def drive_compare_live(pilot: Pilot) -> None:
    replay = await open_test(pilot, "test_streamed_answer")
    await pause_at(pilot, replay, None)
    await pilot.press("r")
    await until(pilot, lambda: isinstance(pilot.app.screen, CompareScreen), "the compare screen")
    screen = pilot.app.screen
    assert isinstance(screen, CompareScreen)

    def answered() -> bool:
        return not screen.busy and bool(screen.runs or screen.error)

    await until(pilot, answered, "the live answer", LIVE_TIMEOUT)
    if screen.error:
        raise ScreenshotError(f"the live re-issue failed: {screen.error}")
    mask_compare(screen)


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
    Shot(
        "diff",
        WIDE,
        "Diff (`m` on one row, `d` on another): a streamed tool call against a non-streamed one.",
        drive_diff,
    ),
    Shot(
        "compare-live",
        WIDE,
        "Compare (`r` in replay): the stored answer beside a live re-issue to the local llama.cpp server;"
        " port and timings masked.",
        drive_compare_live,
        live=True,
    ),
)


# --- taking them ---------------------------------------------------------------------------------


def write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


async def take(shot: Shot, out_dir: Path, base_url: str | None) -> Path:
    config = Config(watch=False)
    if shot.live:
        config = config.override(live_base_url=base_url)
    app = TuiReplayApp(ROOTS, config)
    async with app.run_test(size=shot.size) as pilot:
        app.title = TITLE
        await shot.drive(pilot)
        await settle(pilot)
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
