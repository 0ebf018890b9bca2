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
from typing import Any

from tui_replay.live.plan import CHAT, COMPLETION, EMBEDDINGS, MODELS, plan_call
from tui_replay.live.session import LiveRun, repeat_stability, report_json, run_once
from tui_replay.live.target import LiveError, LiveTarget, redact

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


def _target(args: argparse.Namespace) -> tuple[LiveTarget, int]:
    from tui_replay.config import ConfigError, load_config

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        raise LiveError(str(exc)) from None
    config = config.override(
        live_base_url=args.base_url,
        live_model=args.model,
        live_api_key_env=args.api_key_env,
        live_timeout=args.timeout,
        live_max_answer=args.max_answer,
    )
    return LiveTarget.from_config(config), config.max_size


def _fail(args: argparse.Namespace, cause: str, target: LiveTarget | None) -> int:
    cause = redact(cause, target)
    print(f"tui-replay compare: {args.file}: {cause}", file=sys.stderr)
    if args.json:
        print(json.dumps({"path": args.file, "error": cause}, ensure_ascii=False))
    return EXIT_FAILED


def run_compare(args: argparse.Namespace) -> int:
    # The contract is one line on stderr: library warnings (e.g. pydantic on odd server
    # shapes) must not add more.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _run_compare(args)


def _run_compare(args: argparse.Namespace) -> int:
    target: LiveTarget | None = None
    try:
        if args.repeat < 1:
            raise LiveError(f"--repeat must be at least 1, not {args.repeat}")
        target, max_size = _target(args)
        deadline = time.monotonic() + target.timeout
        try:
            with command_deadline(target.timeout + HARD_STOP_GRACE_S):
                return _compare_within(args, target, max_size, deadline)
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


def _compare_within(args: argparse.Namespace, target: LiveTarget, max_size: int, deadline: float) -> int:
    from tui_replay.recording.load import load_recording
    from tui_replay.recording.model import RecordingError

    try:
        stored = load_recording(args.file, max_size=max_size)
    except RecordingError as exc:
        raise LiveError(exc.reason) from None
    stored.path = args.file
    call = plan_call(stored, target.model)
    if args.save:
        from tui_replay.live.capture import check_save_path

        check_save_path(args.save, args.file)
    target.require_base_url()
    runs = asyncio.run(_run(stored, call, target, args.repeat, deadline))
    saved = None
    if args.save:
        from tui_replay.live.capture import save

        saved = str(save(runs[0].answer, args.save, args.file))
    report = report_json(args.file, runs, target)
    if saved:
        report["saved"] = saved
    if args.json:
        text = json.dumps(report, ensure_ascii=False)
        print(redact(text, target))
    else:
        _print_report(report, runs, stored.response.chunks)
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


def _print_report(report: dict[str, Any], runs: list[LiveRun], stored_chunks: int) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from tui_replay.comparison_view import word_diff_text
    from tui_replay.textsafe import printable, safe_text

    console = Console(highlight=False, soft_wrap=True)
    first = runs[0]
    call = first.answer.exchange.call
    stored, live = report["stored"], report["live"]
    verdict_style = "bold green" if report["verdict"] == "same" else "bold red"
    console.print(Text.assemble("stored   ", safe_text(report["path"]), f"  ({call.operation})"))
    console.print(
        Text.assemble("live     ", safe_text(f"{live['base_url']}  model {live.get('model') or '-'}"))
    )
    console.print(Text.assemble("verdict  ", (report["verdict"], verdict_style)))
    if stored.get("error"):
        console.print(Text.assemble("stored error  ", safe_text(stored["error"])))
    for difference in report["differences"]:
        console.print(Text.assemble("  - ", safe_text(difference["message"])))
    if call.operation in (CHAT, COMPLETION):
        console.print(Text("text (stored -> live)", style="bold"))
        diff = word_diff_text(first.comparison.text_diff)
        console.print(diff if diff.plain else Text("(no text)", style="dim"))
        if stored["tool_calls"] or live["tool_calls"]:
            console.print(Text("tool calls", style="bold"))
            for side, calls in (("stored", stored["tool_calls"]), ("live  ", live["tool_calls"])):
                for tool_call in calls or [{"name": "(none)", "arguments": ""}]:
                    arguments = tool_call["arguments"]
                    shown = (
                        arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
                    )
                    console.print(Text(f"  {side}  {printable(tool_call['name'])} {printable(shown)}"))
    elif call.operation == EMBEDDINGS:
        for side, summary in (("stored", stored.get("summary", {})), ("live  ", live.get("summary", {}))):
            console.print(
                Text(f"{side}  " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in summary.items()))
            )
    elif call.operation == MODELS:
        counts = f"models: {stored['summary'].get('count', 0)} stored, {live['summary'].get('count', 0)} live"
        console.print(Text(counts))
        for difference in report["differences"]:
            if difference["appeared"]:
                console.print(Text("appeared: " + printable(", ".join(difference["appeared"]))))
            if difference["vanished"]:
                console.print(Text("vanished: " + printable(", ".join(difference["vanished"]))))

    table = Table(box=None, pad_edge=False, show_edge=False)
    table.add_column("")
    table.add_column("stored")
    table.add_column("live")
    text_like = call.operation in (CHAT, COMPLETION)
    if text_like:
        table.add_row("finish reason", _literal(stored["finish_reason"]), _literal(live["finish_reason"]))
    if call.operation != MODELS:
        table.add_row("usage (prompt/completion/total)", _usage(stored["usage"]), _usage(live["usage"]))
    if call.stream:
        table.add_row("time to first chunk", "", _seconds(live["ttft_s"]))
    table.add_row("total time", "", _seconds(live["total_s"]))
    if text_like:
        table.add_row("chunks", str(stored_chunks), str(live["chunks"]))
    if live.get("tokens_per_s") is not None:
        basis = "" if live["tokens_basis"] == "usage" else f" (estimated from {live['tokens_basis']})"
        table.add_row("tokens per second", "", f"{live['tokens_per_s']:.1f}{basis}")
    console.print(table)
    if len(runs) > 1:
        console.print(Text("stability  " + repeat_stability(runs).describe()))
    if report.get("saved"):
        console.print(Text.assemble("saved    ", safe_text(report["saved"])))


def _literal(value: Any) -> Any:
    from tui_replay.textsafe import safe_text

    return safe_text("-" if value is None else str(value))


def _usage(usage: dict[str, Any] | None) -> str:
    if not usage:
        return "-"
    return "/".join(
        "-" if usage.get(k) is None else str(usage[k])
        for k in ("prompt_tokens", "completion_tokens", "total_tokens")
    )


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f} s"
