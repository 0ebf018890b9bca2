"""`tui-replay export FILE... --format curl|python|markdown|rerecord [--out PATH]`.

The same texts as the app's export screen (`x`), for scripts and tests. Folders are
expanded like `list` does. Output goes to stdout, or with `--out` to a new file written
atomically (never over an existing one; shell scripts are made executable).

Exit 0 when every file was exported; 1 when a file could not be read (one line on stderr
each, the others are still exported) or the output could not be written; 2 on usage
errors: a missing path, a bad config, a bad `--api-key-env`, an `--out` that exists.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from tui_replay.commands.output import PROG, report_missing, tolerant_stdout
from tui_replay.commands.show import iter_recordings
from tui_replay.export import FORMATS, export_text, join_exports
from tui_replay.textsafe import message_line, shown_path
from tui_replay.urls import NotAPath

if TYPE_CHECKING:
    from tui_replay.config import Config


def _error(message: str) -> None:
    print(f"{PROG} export: {message_line(message)}", file=sys.stderr)


def run_export(args: argparse.Namespace, config: Config) -> int:
    from tui_replay.recording.load import resolve_address

    if report_missing("export", [resolve_address(path)[0] for path in args.paths]):
        return 2

    texts: list[str] = []
    failed = False
    for path, recording, reason in iter_recordings(args.paths, config.max_size):
        if recording is None:
            _error(f"{shown_path(path)}: {reason}")
            failed = True
            continue
        try:
            texts.append(export_text(recording, args.format, config.live.base_url, config.live.api_key_env))
        except NotAPath as exc:  # this file's fault: the others are still exported
            _error(f"{shown_path(path)}: {exc}")
            failed = True
            continue
        except ValueError as exc:  # the key variable name (checked on read; kept as a guard)
            _error(str(exc))
            return 2
    if not texts:
        return 1 if failed else 0
    text = join_exports(args.format, texts)

    if args.out is None:
        tolerant_stdout()
        sys.stdout.write(text)
        sys.stdout.flush()
        return 1 if failed else 0
    from tui_replay.atomic import write_atomic

    try:
        write_atomic(args.out, text, executable=FORMATS[args.format][1])
    except FileExistsError:
        _error(f"{shown_path(args.out)} already exists; not overwriting it")
        return 2
    except (OSError, UnicodeEncodeError) as exc:
        _error(f"cannot write {shown_path(args.out)}: {exc}")
        return 1
    return 1 if failed else 0
