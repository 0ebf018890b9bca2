"""Replay speed: instant replay of a 200,000-chunk answer, input latency meanwhile, CPU while paused.

Run: .venv/bin/python bench/bench_replay.py [--chunks N]

Everything is measured in one run, in a headless Textual app (Pilot), and printed as rates
and ratios:
  * instant replay: chunks/s through the real ReplayScreen (timer, batching, the Line-API
    answer view), against a baseline measured in the same run: the same screen with the
    incremental append replaced by re-rendering the whole answer every tick (what the view
    must not do);
  * responsiveness: the worst event-loop stall while instant replay runs (a key press waits
    at most this long), sampled by a 5 ms heartbeat task;
  * paused vs playing: process CPU seconds over the same wall time, paused and playing at 1x;
  * seeking on the same recording: End, Home and one step back at the end, in-process (the plan
    and an answer view, no app) and through the app (Pilot key presses); the baselines are one
    step forward in the same run, and the former chunk-by-chunk merge of the runs (quadratic)
    on a tenth of the chunks.
Targets from the issues: >= 1,000 chunks/s at instant speed; near-zero CPU while paused; End and
Home <= 0.2 s; a step back at the end as fast as a step forward.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import timed
from textual.app import App

from tui_replay.app.screens.replay import ReplayScreen
from tui_replay.app.widgets.answer_view import AnswerView
from tui_replay.playback import INSTANT, ReplayPlan, build_plan
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


def merge_chunk_by_chunk(plan: ReplayPlan, start: int, end: int) -> list[tuple[str, str]]:
    """The former ReplayPlan.runs_between: re-copies the merged text for every chunk (quadratic)."""
    merged: list[tuple[str, str]] = []
    for chunk_runs in plan.runs[start:end]:
        for text, key in chunk_runs:
            if merged and merged[-1][1] == key and not key.startswith("cite"):
                merged[-1] = (merged[-1][0] + text, key)
            else:
                merged.append((text, key))
    return merged


def bench_seek_in_process(chunks: int, naive_chunks: int) -> dict[str, float]:
    """Seconds for each seek on the plan and an (unmounted) answer view, and the baselines."""
    plan = build_plan(synthetic(chunks))
    view = AnswerView()
    count = plan.chunk_count
    middle = count // 2
    view.append(plan.runs_between(0, middle))
    times = {"step forward": timed(lambda: view.append(plan.runs_between(middle, middle + 1)))}
    view.clear()
    times["End"] = timed(lambda: view.append(plan.runs_between(0, count)))
    times["step back at the end"] = timed(lambda: view.remove(plan.runs_between(count - 1, count)))
    times["Home"] = timed(view.clear)
    small = build_plan(synthetic(naive_chunks))
    times[f"former merge, {naive_chunks:,} chunks"] = timed(
        lambda: merge_chunk_by_chunk(small, 0, small.chunk_count)
    )
    return times


async def bench_seek_app(chunks: int) -> dict[str, tuple[float, float]]:
    """Per key: (seconds the screen's seek took, seconds from the Pilot key press to drawn)."""
    app = ReplayApp(synthetic(chunks), 1.0, autoplay=False)
    times: dict[str, tuple[float, float]] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: loaded(app), 60)
        screen = app.screen
        answer = screen.query_one("#answer")
        await pilot.pause()
        seek = screen._seek
        handled: list[float] = []

        def timed_seek(*args, **kwargs) -> None:
            handled.append(timed(lambda: seek(*args, **kwargs)))

        screen._seek = timed_seek

        async def press(name: str, key: str, position: int) -> None:
            began = time.perf_counter()
            await pilot.press(key)
            await pilot.pause()  # the refresh the key caused has been drawn
            times[name] = (handled[-1], time.perf_counter() - began)
            assert screen.player.position == position, (name, screen.player.position)

        await press("End", "end", chunks)
        assert answer.text == screen.recording.response.text, "the answer is incomplete"
        await press("step back at the end", "left", chunks - 1)
        await press("Home", "home", 0)
        assert answer.text == ""
        for _ in range(5):  # -> 50%
            await press("+10%", "right_square_bracket", screen.player.position + chunks // 10)
        await press("step forward", "right", chunks // 2 + 1)
        await press("step back", "left", chunks // 2)
    return times


def print_seeks(title: str, times: dict[str, float]) -> None:
    forward = times["step forward"]
    print(f"{title}:")
    for name, seconds in times.items():
        target = "  (target <= 0.2 s)" if name in ("End", "Home") else ""
        print(f"  {name}: {seconds * 1000:,.1f} ms, {seconds / forward:,.1f}x a step forward{target}")


def print_app_seeks(
    chunks: int, times: dict[str, tuple[float, float]], small: dict[str, tuple[float, float]]
) -> None:
    forward = times["step forward"][0]
    print(
        f"seeking in the app, {chunks:,} chunks: the screen's seek, and Pilot key press to drawn "
        f"(against the same key on a {SMALL_CHUNKS}-chunk recording: Pilot's own wait):"
    )
    for name, (seek, press) in times.items():
        target = "  (target <= 0.2 s)" if name in ("End", "Home") else ""
        print(
            f"  {name}: seek {seek * 1000:,.1f} ms ({seek / forward:,.1f}x a step forward), "
            f"press to drawn {press * 1000:,.0f} ms vs {small[name][1] * 1000:,.0f} ms{target}"
        )


SMALL_CHUNKS = 200


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=200_000)
    parser.add_argument("--naive-chunks", type=int, default=20_000)
    parser.add_argument("--cpu-seconds", type=float, default=3.0)
    parser.add_argument("--seek-only", action="store_true", help="measure only the seeks")
    args = parser.parse_args()

    seeks_in_process = bench_seek_in_process(args.chunks, args.chunks // 10)
    seeks_app = await bench_seek_app(args.chunks)
    seeks_small = await bench_seek_app(SMALL_CHUNKS)
    print_seeks(f"seeking in-process, {args.chunks:,} chunks", seeks_in_process)
    print_app_seeks(args.chunks, seeks_app, seeks_small)
    if args.seek_only:
        return
    rate, worst, p99 = await bench_instant(args.chunks)
    raw_rate, raw_worst, raw_p99 = await bench_instant(args.chunks, raw=True)
    naive, naive_worst, _ = await bench_instant(args.naive_chunks, whole_text=True)
    paused, playing = await bench_cpu(args.cpu_seconds)
    print(
        f"instant replay, {args.chunks:,} chunks, answer rendered as Markdown: {rate:,.0f} chunks/s "
        "(target >= 1,000)"
    )
    print(
        f"instant replay, {args.chunks:,} chunks, raw text: {raw_rate:,.0f} chunks/s; "
        f"loop stall worst {raw_worst * 1000:.1f} ms, p99 {raw_p99 * 1000:.1f} ms"
    )
    print(
        f"baseline, same screen re-rendering the whole answer every tick, {args.naive_chunks:,} chunks: "
        f"{naive:,.0f} chunks/s (worst stall {naive_worst * 1000:.0f} ms)"
    )
    print(f"ratio instant / baseline: {rate / naive:,.1f}x")
    print(
        f"loop stall, instant replay rendered: worst {worst * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms "
        "(target: no stall over 100 ms)"
    )
    print(
        f"CPU over {args.cpu_seconds:g} s: paused {paused:.3f} s ({paused / args.cpu_seconds:.1%}), "
        f"playing at 1x {playing:.3f} s ({playing / args.cpu_seconds:.1%}); "
        f"paused / playing = {paused / playing if playing else 0:.2f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
