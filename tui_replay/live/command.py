"""`tui-replay compare FILE`: re-issue a stored request live and compare the answers.

Exit 0 when the answers are the same, 1 when they differ, 2 when the request could
not be re-issued (with one line on stderr naming the cause, never a traceback).
`--timeout` bounds the whole command: reading the stored file, every re-issue, the
comparison, the report and the saved capture (a hostile answer must not keep it busy).
Headless: no Textual import here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tui_replay.live.plan import CHAT, COMPLETION, MODELS, plan_call
from tui_replay.live.session import LiveRun, repeat_stability, report_json, run_once
from tui_replay.live.target import LiveError, LiveTarget, redact

if TYPE_CHECKING:
    from tui_replay.config import Config

EXIT_SAME, EXIT_DIFFERENT, EXIT_FAILED = 0, 1, 2
# The hard stop comes this long after the deadline, so that a download still running at the
# deadline ends through its own (clean) asyncio timeout rather than the alarm.
HARD_STOP_GRACE_S = 0.5


class CommandTimeout(BaseException):
    """Raised by the alarm when the whole command is past its deadline (BaseException: no
    `except Exception` on the way may swallow it)."""


@contextlib.contextmanager
def command_deadline(seconds: float) -> Iterator[None]:
    """Raise CommandTimeout in this (main) thread after `seconds`, whatever it is doing.

    Only the main thread receives signals; elsewhere (a test calling in a thread) nothing
    is armed and the per-download timeout still applies.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise CommandTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _fail(args: argparse.Namespace, cause: str, target: LiveTarget | None) -> int:
    cause = redact(cause, target)
    from tui_replay.textsafe import shown_path

    print(f"tui-replay compare: {shown_path(args.file)}: {cause}", file=sys.stderr)
    if args.json:
        print(json.dumps({"path": args.file, "error": cause}, ensure_ascii=False))
    return EXIT_FAILED


def run_compare(args: argparse.Namespace, config: Config) -> int:
    # The contract is one line on stderr: library warnings (e.g. pydantic on odd server
    # shapes) must not add more.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _run_compare(args, config)


def _run_compare(args: argparse.Namespace, config: Config) -> int:
    target: LiveTarget | None = None
    try:
        if args.repeat < 1:
            raise LiveError(f"--repeat must be at least 1, not {args.repeat}")
        target = LiveTarget.from_config(config)
        deadline = time.monotonic() + target.timeout
        try:
            with command_deadline(target.timeout + HARD_STOP_GRACE_S):
                return _compare_within(args, target, config, deadline)
        except CommandTimeout:
            raise LiveError(
                f"timeout: the command did not finish within {target.timeout:g} s "
                "(--timeout bounds the download, the comparison, the report and the save)"
            ) from None
    except LiveError as exc:
        return _fail(args, exc.cause, target)
    except (KeyboardInterrupt, BrokenPipeError):
        raise
    except Exception as exc:  # a bug of ours: still one line, never a traceback
        return _fail(args, f"internal error: {type(exc).__name__}: {' '.join(str(exc).split())}", target)


def _save_path(args: argparse.Namespace, save_dir: str | None) -> str | None:
    """Where `--save` writes: its PATH, else a new name in the capture folder (None: no saving)."""
    if args.save is None and not args.save_dir:
        return None
    if args.save:
        return args.save
    from tui_replay.live.capture import capture_dir, default_save_path

    return str(default_save_path(args.file, capture_dir(save_dir)))  # --save-dir is in it already


def _compare_within(args: argparse.Namespace, target: LiveTarget, config: Config, deadline: float) -> int:
    from tui_replay.recording.load import load_recording
    from tui_replay.recording.model import RecordingError

    try:
        stored = load_recording(args.file, max_size=config.max_size)
    except RecordingError as exc:
        raise LiveError(exc.reason) from None
    stored.path = args.file
    call = plan_call(stored, target.model)
    save_path = _save_path(args, config.live.save_dir)
    if save_path is not None:
        from tui_replay.live.capture import check_save_path

        check_save_path(save_path, args.file, force=args.force)
    target.require_base_url()
    runs = asyncio.run(_run(stored, call, target, args.repeat, deadline))
    saved = None
    if save_path is not None:
        from tui_replay.live.capture import save

        saved = str(save(runs[0].answer, save_path, args.file, force=args.force))
    report = report_json(args.file, runs, target)
    if saved:
        report["saved"] = saved
    if args.json:
        text = json.dumps(report, ensure_ascii=False)
        print(redact(text, target))
    else:
        _print_report(report, runs)
    return EXIT_SAME if report["verdict"] == "same" else EXIT_DIFFERENT


async def _run(stored: Any, call: Any, target: LiveTarget, repeat: int, deadline: float) -> list[LiveRun]:
    """Every re-issue within what is left of the command's time."""
    loop = asyncio.get_running_loop()
    runs: list[LiveRun] = []
    try:
        async with asyncio.timeout_at(loop.time() + deadline - time.monotonic()):
            for _ in range(repeat):
                runs.append(await run_once(stored, call, target))
    except TimeoutError:
        done = f" ({len(runs)} of {repeat} runs done)" if repeat > 1 else ""
        raise LiveError(f"timeout: no complete answer within {target.timeout:g} s{done}") from None
    return runs


# -- the human-readable report ------------------------------------------------------


def _print_report(report: dict[str, Any], runs: list[LiveRun]) -> None:
    """The report through the shared renderables of `comparison.render` (as `diff` and the app)."""
    from rich.console import Console
    from rich.text import Text

    from tui_replay.comparison.render import (
        DifferencesView,
        metric_rows,
        metrics_table,
        verdict_text,
        word_diff_text,
    )
    from tui_replay.live.compare import STORED_LIVE
    from tui_replay.textsafe import safe_text

    console = Console(highlight=False, soft_wrap=True)
    first = runs[0]
    call = first.answer.exchange.call
    comparison = first.comparison
    live = report["live"]
    console.print(
        Text.assemble("stored   ", safe_text(report["path"], single_line=True), f"  ({call.operation})")
    )
    console.print(
        Text.assemble("live     ", safe_text(f"{live['base_url']}  model {live.get('model') or '-'}"))
    )
    console.print(Text.assemble("verdict  ", verdict_text(report["verdict"])))
    if comparison.stored.error:
        console.print(Text.assemble("stored error  ", safe_text(comparison.stored.error)))
    differences = DifferencesView(
        comparison.as_recording_comparison(report["path"]), labels=STORED_LIVE, deciding_only=True
    )
    for line in differences.lines():
        console.print(Text("  ") + line)
    text_like = call.operation in (CHAT, COMPLETION)
    if text_like and comparison.stored.text == comparison.live.text:
        console.print(Text("text (stored = live)", style="bold"))
        diff = word_diff_text(comparison.text_diff)
        console.print(diff if diff.plain else Text("(no text)", style="dim"))
    if text_like and (comparison.stored.tool_calls or comparison.live.tool_calls):
        console.print(Text("tool calls", style="bold"))
        for label, side in zip(STORED_LIVE, (comparison.stored, comparison.live), strict=True):
            for tool_call in side.tool_calls:
                console.print(
                    Text(f"  {label:<6}  ") + safe_text(f"{tool_call.name} {tool_call.arguments_text()}")
                )
    elif not text_like:
        for label, side in zip(STORED_LIVE, (comparison.stored, comparison.live), strict=True):
            shown = ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in side.summary.items())
            console.print(Text(f"{label:<6}  ") + safe_text(shown))
    rows = metric_rows(
        comparison.stored,
        comparison.live,
        timings=first.timings,
        text_like=text_like,
        usage=call.operation != MODELS,
    )
    console.print(metrics_table(rows, STORED_LIVE))
    if len(runs) > 1:
        console.print(Text("stability  " + repeat_stability(runs).describe()))
    if report.get("saved"):
        console.print(Text.assemble("saved    ", safe_text(report["saved"], single_line=True)))
