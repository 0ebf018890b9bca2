"""The replay screen on a 200,000-chunk streamed recording: key press to screen drawn, opening it,
and instant replay.

    .venv/bin/python bench/bench_replay.py [--chunks 200000] [--rounds 5] [--children 2] [--seek-only]

The recording is built in a temporary folder from a real streamed answer vendored under
tests/data/corpus (STREAM: gpt-4o on Python, 1,399 chunks of Markdown): its text chunks repeated
in order until the file holds --chunks chunks, its first chunk and its finish and usage chunks
kept. Each chunk keeps the fields the parser reads (id, choices, model, usage), not the nulls and
`obfuscation` beside them: a whole chunk is ~42 JSON values, and 200,000 of them would exceed the
5,000,000 values any file may hold (recording/limits.py); pared, the file is ~42 MB, 4.0 million
values. That is over the default max_size (32 MiB), so the app is given max_size 64M, what
`--max-size 64M` does; every other setting is the default (the watcher on).

Seeking (the figures the targets are on): a fresh interpreter per child runs the real app
headless (`App.run_test`, 160x50) on the file, presses Enter on its row, pauses the autoplay, and
presses, each round: End, a step back at the end, Home, `]` five times (+10% each, the fifth lands
in the middle), a step forward and a step back in the middle. For each key:
  seek         the screen's seek handler alone (the in-process figure)
  to drawn     from the Pilot key press to the end of the first frame the screen draws after
               the handler ran (a hook on the screen's `_compositor_refresh`)
  settled      to the last frame before the screen goes quiet for 0.2 s (the scroll bar
               appears a frame or two after the text: Textual lays it out once the height is known)
The method is checked against a known delay: a 50 ms sleep put in the answer's next
`render_line` must add ~50 ms to a step's "to drawn".
Baseline in the same run: the same keys on the vendored recording itself (1,399 chunks), in a
child of its own (Pilot's and the frame's own cost).

Opening (whole process): from spawning the interpreter to the first frame of the replay screen
(imports, the browse screen finding the file, Enter, reading and planning the file in a worker),
against the same for the 1,399-chunk file, `python -c "import textual.app"`, and reading and
planning the big file in-process (`load_recording` + `build_plan`).

Instant replay (skipped with --seek-only), on a synthetic 200,000-chunk Markdown answer
in-process: chunks/s through the real ReplayScreen against a baseline screen that re-renders the
whole answer every tick, the worst event-loop stall meanwhile, and CPU paused vs playing at 1x.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, run_app_child, textual_import_time, timed, verdict, work_folder
from textual.app import App

from tui_replay.app.playback import INSTANT, build_plan
from tui_replay.app.screens.replay import ReplayScreen
from tui_replay.recording.load import load_recording
from tui_replay.recording.model import Event, EventKind, Kind, Message, Recording, Response

WORDS = [
    "the",
    "model",
    "streams",
    "one",
    "token",
    "at",
    "a",
    "time",
    "and",
    "the",
    "view",
    "appends",
    "it",
    "without",
    "redrawing",
]


def synthetic(chunks: int) -> Recording:
    """A streamed Markdown answer of `chunks` chunks: one word per chunk, lines of 17 words,
    paragraphs of 4 lines, a heading every 40 lines and a Python code block every 25."""
    deltas = []
    line = 0
    for index in range(chunks):
        word = WORDS[index % len(WORDS)]
        if index % 17 != 16:
            deltas.append(word + " ")
            continue
        line += 1
        if line % 40 == 0:
            deltas.append(f"{word}\n\n## Section {line // 40}\n\n")
        elif line % 25 == 0:
            deltas.append(f"{word}\n\n```python\ndef f(x):\n    return x + 1  # {line}\n```\n\n")
        else:
            deltas.append(word + ("\n\n" if line % 4 == 0 else "\n"))
    return Recording(
        path="/tmp/bench-synthetic.json",
        kind=Kind.CHAT,
        test_id=None,
        endpoint="/v1/chat/completions",
        url=None,
        model="bench",
        streaming=True,
        messages=[Message("user", "write a lot")],
        response=Response(text="".join(deltas), chunks=chunks, finish_reason="stop"),
        timeline=[Event(i, EventKind.TEXT, d) for i, d in enumerate(deltas)],
    )


class ReplayApp(App[None]):
    def __init__(self, recording: Recording, speed: float, autoplay: bool) -> None:
        super().__init__()
        self.recording = recording
        self.speed = speed
        self.autoplay = autoplay

    def on_mount(self) -> None:
        self.push_screen(ReplayScreen.for_recording(self.recording, speed=self.speed, autoplay=self.autoplay))


async def wait_for(pilot, condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark step did not finish")
        await asyncio.sleep(0.01)


def loaded(app: App) -> bool:
    return isinstance(app.screen, ReplayScreen) and app.screen.player is not None


async def heartbeat(stalls: list[float], stop: asyncio.Event) -> None:
    period = 0.005
    last = time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(period)
        now = time.perf_counter()
        stalls.append(now - last - period)
        last = now


async def bench_instant(
    chunks: int, *, whole_text: bool = False, raw: bool = False
) -> tuple[float, float, float]:
    """(chunks per second, worst loop stall s, 99th-percentile stall s) of instant replay.

    `whole_text`: the baseline, where every tick re-renders the whole answer so far.
    `raw`: the answer pane shows the raw text (`m`) instead of the rendered Markdown.
    """
    app = ReplayApp(synthetic(chunks), INSTANT, autoplay=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: loaded(app), 60)
        screen = app.screen
        if whole_text:

            def rerender_all(start: int, end: int) -> None:
                runs = screen.plan.runs_between(0, end)
                for answer in screen._answer_views():
                    answer.clear()
                    answer.append(runs)

            screen._append = rerender_all
        if raw:
            await pilot.press("m")
        await pilot.pause()
        stalls: list[float] = []
        stop = asyncio.Event()
        beat = asyncio.create_task(heartbeat(stalls, stop))
        began = time.perf_counter()
        await pilot.press("space")
        await wait_for(pilot, lambda: screen.player.at_end, 600)
        elapsed = time.perf_counter() - began
        stop.set()
        await beat
        answer = screen.query_one("#answer")
        assert answer.text == screen.recording.response.text, "the answer is incomplete"
        rendered = screen.query_one("#answer-rendered")
        assert rendered.source == answer.text
        stalls.sort()
        return chunks / elapsed, stalls[-1], stalls[int(len(stalls) * 0.99)]


async def bench_cpu(seconds: float) -> tuple[float, float]:
    """(CPU seconds while paused, CPU seconds while playing at 1x) over `seconds` of wall time each."""
    app = ReplayApp(synthetic(50_000), 1.0, autoplay=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: loaded(app), 60)
        screen = app.screen
        await pilot.pause(0.5)
        start = time.process_time()
        await asyncio.sleep(seconds)
        paused = time.process_time() - start
        await pilot.press("space")
        assert screen.player.playing
        start = time.process_time()
        await asyncio.sleep(seconds)
        playing = time.process_time() - start
        assert not screen.player.at_end
        return paused, playing


STREAM = (
    REPO
    / "tests/data/corpus/llama-stack/responses/recordings"
    / "0ea735928993b5a2de3a444256136d53ab666dbfb7582e5562268f809aa8d5f3.json"
)
MAX_SIZE = "64M"
SEEK_TARGET = 0.150  # key press to drawn, every seek key (issue 21: End <= 150 ms)
CHECK_DELAY = 0.050
JUMPS = 5  # `]` presses from the start to the middle
KEYS = [
    ("End", "end"),
    ("step back at the end", "left"),
    ("Home", "home"),
    *((f"+10% to {10 * (n + 1)}%", "right_square_bracket") for n in range(JUMPS)),
    ("step forward, middle", "right"),
    ("step back, middle", "left"),
]
MIDDLE = f"+10% to {10 * JUMPS}%"

_KEPT_FIELDS = ("id", "choices", "model", "usage")


def _pared(chunk: dict) -> dict:
    """A chunk with the fields the parser reads, without the nulls beside them."""
    data = {k: v for k, v in chunk["__data__"].items() if k in _KEPT_FIELDS and v is not None}
    for choice in data.get("choices", []):
        choice["delta"] = {k: v for k, v in choice["delta"].items() if v is not None}
        choice.pop("logprobs", None)
    return {"__type__": chunk["__type__"], "__data__": data}


def long_stream(target: Path, chunks: int) -> Path:
    """STREAM grown to `chunks` chunks (see the module docstring), written under target/recordings/."""
    recording = orjson.loads(STREAM.read_bytes())
    body = [_pared(chunk) for chunk in recording["response"]["body"]]

    def is_text(chunk: dict) -> bool:
        choices = chunk["__data__"]["choices"]
        return (
            bool(choices) and bool(choices[0]["delta"].get("content")) and not choices[0].get("finish_reason")
        )

    text = [chunk for chunk in body[1:] if is_text(chunk)]
    ends = [chunk for chunk in body[1:] if not is_text(chunk)]
    middle = chunks - 1 - len(ends)
    recording["response"]["body"] = [body[0], *(text[i % len(text)] for i in range(middle)), *ends]
    path = target / "recordings" / STREAM.name
    path.parent.mkdir(parents=True)
    path.write_bytes(orjson.dumps(recording))
    return path


CHILD = r"""
import asyncio, json, os, sys, time
spawned = float(os.environ["BENCH_SPAWNED"])
from tui_replay.app.app import TuiReplayApp
from tui_replay.app.screens.replay import ReplayScreen
from tui_replay.config import Config, parse_size

KEYS = json.loads(sys.argv[2])
ROUNDS = int(sys.argv[3])
CHECK_DELAY = float(sys.argv[4])

async def main():
    app = TuiReplayApp([sys.argv[1]], Config(max_size=parse_size(os.environ["BENCH_MAX_SIZE"])))
    async with app.run_test(size=(160, 50)) as pilot:
        browse = app.browse
        while not browse.table.rows:
            await asyncio.sleep(0.002)
        await pilot.press("enter")
        while not isinstance(app.screen, ReplayScreen):
            await asyncio.sleep(0.002)
        screen = app.screen
        frames = []  # (perf start, perf end, wall end) of each frame the replay screen draws
        refresh = screen._compositor_refresh

        def timed_refresh():
            start = time.perf_counter()
            refresh()
            frames.append((start, time.perf_counter(), time.time()))

        screen._compositor_refresh = timed_refresh
        while not screen.ready:
            await asyncio.sleep(0.002)
        shown = time.perf_counter()  # the panes are mounted: the next frame shows the recording
        while not any(start >= shown for start, _, _ in frames):
            await asyncio.sleep(0.002)
        opened = next(wall for start, _, wall in frames if start >= shown) - spawned
        chunks = screen.player.count
        if screen.player.playing:
            await pilot.press("space")
        handled = []  # (perf start, perf end) of each seek

        seek = screen._seek

        def timed_seek(*args, **kwargs):
            start = time.perf_counter()
            seek(*args, **kwargs)
            handled.append((start, time.perf_counter()))

        screen._seek = timed_seek

        async def quiet():
            while True:
                count = len(frames)
                await asyncio.sleep(0.2)
                if len(frames) == count:
                    return

        async def press(key):
            await quiet()
            count = len(handled)
            began = time.perf_counter()
            await pilot.press(key)
            while len(handled) == count:
                await asyncio.sleep(0.001)
            seek_start, seek_end = handled[-1]
            while not any(start >= seek_end for start, _, _ in frames):
                await asyncio.sleep(0.001)
            drawn = next(end for start, end, _ in frames if start >= seek_end)
            await quiet()
            return {"seek": seek_end - seek_start, "handler": seek_start - began,
                    "drawn": drawn - began, "settled": frames[-1][1] - began,
                    "position": screen.player.position}

        results = {name: [] for name, _ in KEYS}
        for _ in range(ROUNDS):
            await press("home")
            for name, key in KEYS:
                results[name].append(await press(key))

        # The method against a known delay: a sleep in the answer's next render_line.
        view = screen.query_one("#answer-rendered")
        plain, delayed = [], []
        for _ in range(7):  # frames come on a 1/60 s timer: the phase varies by a frame
            plain.append((await press("right"))["drawn"])
            original = view.render_line
            slept = []

            def slow_line(y):  # once: the frame may hold on to this for all its lines
                if not slept:
                    slept.append(y)
                    time.sleep(CHECK_DELAY)
                return original(y)

            view.render_line = slow_line
            delayed.append((await press("right"))["drawn"])
            view.render_line = original
    print(json.dumps({"opened": opened, "chunks": chunks, "keys": results,
                      "check": {"plain": plain, "delayed": delayed}}))

asyncio.run(main())
"""


def run_child(path: Path, rounds: int, cache: Path) -> dict:
    import json
    import os

    os.environ["BENCH_MAX_SIZE"] = MAX_SIZE
    keys = json.dumps(KEYS)
    return run_app_child(CHILD, [str(path), keys, str(rounds), str(CHECK_DELAY)], cache)


def load_and_plan(path: Path) -> float:
    from tui_replay.config import parse_size

    return timed(lambda: build_plan(load_recording(str(path), max_size=parse_size(MAX_SIZE))))


def bench_seeks(args: argparse.Namespace) -> bool:
    with work_folder("tui-replay-bench-replay-") as work:
        big = long_stream(work / "big", args.chunks)
        small = work / "small" / "recordings" / STREAM.name
        small.parent.mkdir(parents=True)
        shutil.copyfile(STREAM, small)
        print(
            f"recording: {big.stat().st_size / 1e6:,.1f} MB, {args.chunks:,} chunks, grown from "
            f"{STREAM.relative_to(REPO)} ({STREAM.stat().st_size / 1e6:.1f} MB, the baseline)"
        )
        big_runs, small_runs = [], []
        for child in range(args.children):  # interleaved: the machine's load hits both alike
            big_runs.append(run_child(big, args.rounds, work / f"cache-big-{child}"))
            small_runs.append(run_child(small, args.rounds, work / f"cache-small-{child}"))
        base_import = statistics.median(textual_import_time() for _ in range(3))
        in_process = statistics.median(load_and_plan(big) for _ in range(2))
    return report_seeks(args, big_runs, small_runs, base_import, in_process)


def _values(runs: list[dict], name: str, field: str) -> list[float]:
    return [result[field] for run in runs for result in run["keys"][name]]


def report_seeks(
    args: argparse.Namespace, big: list[dict], small: list[dict], base_import: float, in_process: float
) -> bool:
    chunks = big[0]["chunks"]
    print(
        f"keys on {chunks:,} chunks, {args.children} app runs x {args.rounds} rounds, ms "
        f"(median / worst; baseline: the same key on the {small[0]['chunks']:,}-chunk recording):"
    )
    print(f"  {'key':<24}{'seek':>14}{'to drawn':>16}{'settled':>16}{'baseline':>11}{'ratio':>7}")
    met = True
    for name, _ in KEYS:
        cells = []
        for field in ("seek", "drawn", "settled"):
            values = _values(big, name, field)
            cells.append(f"{statistics.median(values) * 1000:6.1f} / {max(values) * 1000:5.0f}")
        drawn = statistics.median(_values(big, name, "drawn"))
        base = statistics.median(_values(small, name, "drawn"))
        print(
            f"  {name:<24}{cells[0]:>14}{cells[1]:>16}{cells[2]:>16}{base * 1000:>11.1f}{drawn / base:>7.1f}"
        )
    for name in ("End", "Home", MIDDLE, "step back at the end", "step forward, middle"):
        label = f"{name} on {chunks:,} chunks, key press to drawn (median)"
        met &= verdict(
            label, statistics.median(_values(big, name, "drawn")) * 1000, SEEK_TARGET * 1000, " ms"
        )
    plain = statistics.median(value for run in big for value in run["check"]["plain"])
    delayed = statistics.median(value for run in big for value in run["check"]["delayed"])
    print(
        f"check of the method: a {CHECK_DELAY * 1000:.0f} ms sleep in the answer's next render_line "
        f"adds {(delayed - plain) * 1000:.0f} ms to a step's key press to drawn "
        f"({plain * 1000:.1f} -> {delayed * 1000:.1f} ms, median)"
    )
    opened = statistics.median(run["opened"] for run in big)
    opened_small = statistics.median(run["opened"] for run in small)
    print(
        f"opening it (whole process: spawn, browse, Enter, read and plan, first frame of the replay "
        f"screen): {opened:.2f} s = {opened / opened_small:.1f}x the {small[0]['chunks']:,}-chunk file "
        f"({opened_small:.2f} s); import textual.app {base_import:.2f} s; reading and planning it "
        f"in-process {in_process:.2f} s (the app's open minus both: "
        f"{opened - base_import - in_process:.2f} s)"
    )
    return met


async def bench_playback(args: argparse.Namespace) -> bool:
    rate, worst, p99 = await bench_instant(args.chunks)
    raw_rate, raw_worst, raw_p99 = await bench_instant(args.chunks, raw=True)
    naive, naive_worst, _ = await bench_instant(args.naive_chunks, whole_text=True)
    paused, playing = await bench_cpu(args.cpu_seconds)
    print(
        f"instant replay, {args.chunks:,} synthetic chunks, answer rendered as Markdown: {rate:,.0f} chunks/s"
    )
    print(
        f"instant replay, {args.chunks:,} synthetic chunks, raw text: {raw_rate:,.0f} chunks/s; "
        f"loop stall worst {raw_worst * 1000:.1f} ms, p99 {raw_p99 * 1000:.1f} ms"
    )
    print(
        f"baseline, same screen re-rendering the whole answer every tick, {args.naive_chunks:,} chunks: "
        f"{naive:,.0f} chunks/s (worst stall {naive_worst * 1000:.0f} ms)"
    )
    print(f"ratio instant / baseline: {rate / naive:,.1f}x")
    met = verdict("instant replay, rendered", rate, 1000, " chunks/s", higher_is_better=True)
    met &= verdict("worst loop stall, instant replay rendered", worst * 1000, 100, " ms")
    print(f"(p99 stall {p99 * 1000:.1f} ms)")
    print(
        f"CPU over {args.cpu_seconds:g} s: paused {paused:.3f} s ({paused / args.cpu_seconds:.1%}), "
        f"playing at 1x {playing:.3f} s ({playing / args.cpu_seconds:.1%}); "
        f"paused / playing = {paused / playing if playing else 0:.2f}"
    )
    return met


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chunks", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the keys in each app run")
    parser.add_argument("--children", type=int, default=2, help="app runs (fresh interpreters) per file")
    parser.add_argument("--naive-chunks", type=int, default=20_000)
    parser.add_argument("--cpu-seconds", type=float, default=3.0)
    parser.add_argument("--seek-only", action="store_true", help="measure only opening and the seeks")
    args = parser.parse_args()
    met = bench_seeks(args)
    if not args.seek_only:
        met &= asyncio.run(bench_playback(args))
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
