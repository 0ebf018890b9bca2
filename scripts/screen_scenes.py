"""The scenes of the app: one definition of how each screen is reached, shared by
scripts/make_screenshots.py (the README's screenshots) and the snapshot tests
(tests/app/test_scene_snapshots.py).

A scene is a fresh `TuiReplayApp` on `["recordings"]` (a relative root, so no absolute path
is shown) headless at a fixed size, with watching off and the built-in default config,
driven with keys like a user would: `/` and a filter, Enter to open, `home` then `right`
steps to pause at a fixed chunk, Tab to the citations, `m` and `d` for the diff screen.
Nothing on screen depends on the clock, so the same recordings give the same pictures.

The scenes run in a folder whose `recordings/` holds what they show: the repository's own
sample recordings, or, for a scene that names `corpus` files, those files of the vendored
test corpus (tests/data/corpus) copied into an empty `recordings/`.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import DataTable, OptionList, Static
from textual.worker import WorkerState

from tui_replay.app.app import TuiReplayApp
from tui_replay.app.playback import SEEK_FRACTION
from tui_replay.app.screens.compare import CompareScreen
from tui_replay.app.screens.diff import DiffScreen
from tui_replay.app.screens.export import ExportScreen
from tui_replay.app.screens.fix_keys import FixKeysScreen
from tui_replay.app.screens.help import HelpScreen
from tui_replay.app.screens.raw import RawScreen
from tui_replay.app.screens.replay import ReplayScreen
from tui_replay.app.screens.traffic import TrafficScreen
from tui_replay.config import Config

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "recordings"  # the repository's sample recordings
CORPUS = REPO / "tests" / "data" / "corpus"  # the vendored recordings of other projects
ROOTS = ["recordings"]
TITLE = "tui-replay"
WIDE = (140, 42)
NARROW = (80, 24)
TALL = (140, 64)  # a realtime session played to its end: every event line without a scrollbar
TIMEOUT = 20.0  # seconds any one wait may take before the scene is given up
LIVE_TIMEOUT = 180.0  # a live answer: the 0.5B model on a busy 2-core machine takes 5 to 20 s
MASK = "(masked)"  # stands for a value that changes from run to run (a time, a port)
MASKED_METRICS = ("time to first chunk", "total time", "tokens per second")
SERVER_WORKER_GROUP = "serve"  # the traffic screen's server, a worker that never completes

Drive = Callable[[Pilot], Awaitable[None]]


class SceneError(RuntimeError):
    """The app did not reach the state a scene needs; the message says which."""


@dataclass(frozen=True)
class Scene:
    name: str
    size: tuple[int, int]
    drive: Drive
    live: bool = False  # needs the live llama.cpp server (its base URL goes into the config)
    corpus: tuple[str, ...] = ()  # files of the test corpus shown instead of the sample recordings


def scene_app(scene: Scene, base_url: str | None = None) -> TuiReplayApp:
    """The app a scene starts: the sample roots, watching off, the built-in default config."""
    config = Config(watch=False)
    if scene.live:
        config = config.override(live_base_url=base_url)
    app = TuiReplayApp(ROOTS, config)
    app.title = TITLE
    return app


def place_corpus_files(scene: Scene, folder: Path) -> None:
    """`folder/recordings/` holding the scene's corpus files (their corpus folders kept)."""
    for name in scene.corpus:
        target = folder / "recordings" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(CORPUS / name, target)


async def play(scene: Scene, pilot: Pilot) -> None:
    """Drive the app to the scene's state and let it settle: ready for its picture."""
    await scene.drive(pilot)
    await settle(pilot)


# --- waiting -------------------------------------------------------------------------------------


async def until(pilot: Pilot, condition: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise SceneError(f"timed out waiting for {what}")
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
    """Let pending work, messages, layout and repaints finish before the picture is taken
    (not the traffic screen's server: it serves until the screen goes)."""
    busy = [
        worker
        for worker in pilot.app.workers
        if worker.group != SERVER_WORKER_GROUP and worker.state in (WorkerState.PENDING, WorkerState.RUNNING)
    ]
    if busy:  # (an empty list would wait for every worker)
        await pilot.app.workers.wait_for_complete(busy)
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
    raise SceneError(f"no row for {test_name} in the table")


async def open_test(pilot: Pilot, test_name: str) -> ReplayScreen:
    """Filter down to one test and open its recording with Enter."""
    await browse_loaded(pilot)
    await type_filter(pilot, f"test:{test_name}")
    await highlight_test(pilot, test_name)
    await pilot.press("enter")
    return await replay_ready(pilot)


async def pause_at(pilot: Pilot, screen: ReplayScreen, chunk: int | None) -> None:
    """Space (pause the auto-play), then End, or Home, `]` jumps of 10 % and `right` steps to `chunk`."""
    for _ in range(3):  # a space that lands as the play ends starts it again: pause that one too
        if screen.player is None or not screen.player.playing:
            break
        await pilot.press("space")
    if chunk is None:
        await pilot.press("end")
    else:
        await pilot.press("home")
        jump = max(1, round(screen.player.count * SEEK_FRACTION)) if screen.player else 1
        await pilot.press(*["right_square_bracket"] * (chunk // jump), *["right"] * (chunk % jump))
    player = screen.player
    if player is None or player.playing:
        raise SceneError("the replay did not pause")
    if chunk is not None and player.position != chunk:
        raise SceneError(f"paused at chunk {player.position}, not {chunk}")


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
        raise SceneError(f"nothing to mask in {selector}: {content!r}")
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
        raise SceneError(f"the metrics table lacks {sorted(set(MASKED_METRICS) - found)}")
    table.clear(columns=True)
    table.add_columns(*labels)
    for row in rows:
        table.add_row(*row)


def mask_compare(screen: CompareScreen) -> None:
    mask_static(screen, "#compare-title", r"(?<=:)\d{2,5}(?=/)", "PORT")
    mask_static(screen, "#compare-status", r"(?<=total )\d+\.\d+ s")
    mask_metrics(screen.query_one("#metrics", DataTable))


# --- the scenes of the README's screenshots ------------------------------------------------------


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
        raise SceneError("Tab never reached the citation list")
    await pilot.press("down")  # highlight the first citation: its chunk shows below
    if citations.highlighted is None:
        raise SceneError("no citation to select")


async def drive_recorded_error(pilot: Pilot) -> None:
    await open_test(pilot, "test_recorded_error")


async def drive_markdown(pilot: Pilot) -> None:
    screen = await open_test(pilot, "test_long_streamed_answer")
    await pause_at(pilot, screen, 150)  # the code block, the heading and the list streaming in
    if not screen.rendered:
        raise SceneError("the answer is not rendered as Markdown")


async def drive_narrow(pilot: Pilot) -> None:
    screen = await open_test(pilot, "test_long_streamed_answer")
    await pause_at(pilot, screen, 120)
    if not screen.narrow:
        raise SceneError("the replay screen is not in its narrow (tabs) layout")


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
        raise SceneError(f"the live re-issue failed: {screen.error}")
    mask_compare(screen)


# --- the other screens (snapshot tests only, not in the README) -------------------------------------

NON_STREAMED_ANSWER = SAMPLES / "f0d9bf5d03f394d0b0648f1405c2b8f416d62f47a14b2d729d3855daea09622a.json"
REALTIME_SESSION = "cassettes/pydantic-ai/realtime__test_openai_ws__test_tool_call_round.yaml"
EMPTY_CASSETTE = (
    "cassettes/pydantic-ai/test_multimodal_tool_returns__test_multimodal_tool_return_matrix"
    "[direct-uploaded_file-audio-xai].xai.yaml"
)
MIS_KEYED = (  # recordings whose file name is not the hash of their request
    "llama-stack/agents/recordings/1d82e9439ae3.json",
    "llama-stack/agents/recordings/28cc2057662b6d13ab1becc3f92e5afbdaa19c2192b588a5795a5fa4c09fb588.json",
)


async def open_first_row(pilot: Pilot) -> ReplayScreen:
    """Enter on the first row (a scene with one file in `recordings/`)."""
    await browse_loaded(pilot)
    await pilot.press("home", "enter")
    return await replay_ready(pilot)


async def on_screen(pilot: Pilot, kind: type, what: str):
    await until(pilot, lambda: isinstance(pilot.app.screen, kind), what)
    return pilot.app.screen


async def open_raw(pilot: Pilot, tab: str | None) -> RawScreen:
    """The tool call paused at chunk 6, `v` for its raw view, then `tab` (a key: 1, 2 or 3)."""
    replay = await open_test(pilot, "test_streamed_tool_call")
    await pause_at(pilot, replay, 6)
    await pilot.press("v")
    raw = await on_screen(pilot, RawScreen, "the raw view")
    if tab is not None:
        await pilot.press(tab)
    return raw


async def drive_raw_request(pilot: Pilot) -> None:
    raw = await open_raw(pilot, "1")
    if raw.query_one("#raw-tabs").active != "raw-request":
        raise SceneError("the raw view does not show the request")


async def drive_raw_response(pilot: Pilot) -> None:
    raw = await open_raw(pilot, "2")
    if raw.query_one("#raw-tabs").active != "raw-response":
        raise SceneError("the raw view does not show the response")


async def drive_raw_current_chunk(pilot: Pilot) -> None:
    raw = await open_raw(pilot, None)  # the tab it opens on when a chunk is on screen
    if raw.query_one("#raw-tabs").active != "raw-chunk":
        raise SceneError("the raw view does not open on the current chunk")


async def drive_raw_cassette_yaml(pilot: Pilot) -> None:
    replay = await open_first_row(pilot)
    await pause_at(pilot, replay, None)  # (the tab "Current chunk (N)" names the chunk on screen)
    await pilot.press("v")
    raw = await on_screen(pilot, RawScreen, "the raw view")
    await until(pilot, lambda: raw.source_text is not None, "the cassette's YAML")


async def drive_export(pilot: Pilot) -> None:
    replay = await open_test(pilot, "test_streamed_tool_call")
    await pause_at(pilot, replay, None)
    await pilot.press("x")
    await on_screen(pilot, ExportScreen, "the export screen")


async def drive_export_python(pilot: Pilot) -> None:
    await drive_export(pilot)
    await pilot.press("2")
    if pilot.app.screen.current != "export-python":
        raise SceneError("the export screen does not show the Python export")


async def drive_help(pilot: Pilot) -> None:
    await drive_tool_call(pilot)
    await pilot.press("question_mark")
    await on_screen(pilot, HelpScreen, "the keys of the replay screen")


async def drive_fix_keys(pilot: Pilot) -> None:
    app = pilot.app
    assert isinstance(app, TuiReplayApp)
    await browse_loaded(pilot)
    await type_filter(pilot, "key:mis-keyed")
    await until(pilot, lambda: len(app.browse.table.rows) == len(MIS_KEYED), "the mis-keyed rows")
    app.browse.table.focus()
    await pilot.press("K")
    screen = await on_screen(pilot, FixKeysScreen, "the fix-keys confirmation")
    await until(pilot, lambda: screen.plan is not None, "the renaming plan")


def request_answered(url: str, body: dict) -> int:
    """POST `body` as JSON to `url`; the HTTP status (a miss is an error status, not an exception)."""
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


async def drive_serve_traffic(pilot: Pilot) -> None:
    """The traffic screen without its clock (row numbers, no latencies, the port as PORT): one
    recorded request (a hit) and the same request with another question (a miss)."""
    app = pilot.app
    assert isinstance(app, TuiReplayApp)
    await browse_loaded(pilot)
    screen = TrafficScreen(roots=list(app.roots), config=app.config, clock=False)
    await app.push_screen(screen)
    await until(pilot, lambda: screen.serving is not None and screen.serving.server.started, "the server")
    recorded = json.loads(NON_STREAMED_ANSWER.read_text())["request"]
    url = screen.serving.url + recorded["endpoint"]
    body = recorded["body"]
    missing = json.loads(json.dumps(body))
    missing["messages"][-1]["content"] = "never recorded"
    for sent in (body, missing):
        await asyncio.to_thread(request_answered, url, sent)
    await until(pilot, lambda: len(screen.rows) == 2, "the two requests in the table")


async def drive_realtime_session(pilot: Pilot) -> None:
    replay = await open_first_row(pilot)
    await pause_at(pilot, replay, None)


async def drive_empty_cassette(pilot: Pilot) -> None:
    from tui_replay.app.widgets.kind_views import EmptyView

    replay = await open_first_row(pilot)
    await until(pilot, lambda: bool(replay.query(EmptyView)), "the empty-cassette note")


# --- every scene -------------------------------------------------------------------------------

SCREENSHOT_SCENES: tuple[Scene, ...] = (  # the README's pictures (scripts/make_screenshots.py)
    Scene("browse", WIDE, drive_browse),
    Scene("browse-grouped", WIDE, drive_browse_grouped),
    Scene("replay-tool-call", WIDE, drive_tool_call),
    Scene("citations", WIDE, drive_citations),
    Scene("recorded-error", WIDE, drive_recorded_error),
    Scene("markdown-answer", WIDE, drive_markdown),
    Scene("narrow", NARROW, drive_narrow),
    Scene("diff", WIDE, drive_diff),
    Scene("compare-live", WIDE, drive_compare_live, live=True),
)
MORE_SCENES: tuple[Scene, ...] = (
    Scene("raw-request", WIDE, drive_raw_request),
    Scene("raw-response", WIDE, drive_raw_response),
    Scene("raw-current-chunk", WIDE, drive_raw_current_chunk),
    Scene("raw-cassette-yaml", WIDE, drive_raw_cassette_yaml, corpus=(REALTIME_SESSION,)),
    Scene("export-curl", WIDE, drive_export),
    Scene("export-python", WIDE, drive_export_python),
    Scene("help", WIDE, drive_help),
    Scene("fix-keys", WIDE, drive_fix_keys, corpus=MIS_KEYED),
    Scene("serve-traffic", WIDE, drive_serve_traffic),
    Scene("realtime-session", TALL, drive_realtime_session, corpus=(REALTIME_SESSION,)),
    Scene("empty-cassette", WIDE, drive_empty_cassette, corpus=(EMPTY_CASSETTE,)),
)
SCENES: dict[str, Scene] = {scene.name: scene for scene in SCREENSHOT_SCENES + MORE_SCENES}
