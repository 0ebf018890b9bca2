"""Headless commands import no Textual and never modify the recordings they read."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest
from cli_support import REPO, SEED_TURN_2


def _imported_modules(importtime_stderr: bytes) -> set[str]:
    modules = set()
    for line in importtime_stderr.decode(errors="replace").splitlines():
        if line.startswith("import time:") and "|" in line:
            modules.add(line.rsplit("|", 1)[1].strip())
    return modules


@pytest.mark.parametrize(
    "args",
    [
        ("list", "--json"),
        ("list",),
        ("show", "--json"),
        ("show",),
    ],
)
def test_headless_commands_import_no_textual(corpus, cache_dir, args):
    # -X importtime is an interpreter option, so the interpreter is run directly here.
    env = dict(os.environ, TUI_REPLAY_CACHE_DIR=str(cache_dir), PYTHONPATH=str(REPO))
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "tui_replay", *args, str(corpus / SEED_TURN_2)],
        cwd=REPO,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    modules = _imported_modules(proc.stderr)
    assert "tui_replay.cli" in modules  # the probe works
    assert "tui_replay.recording.model" in modules
    textual = sorted(name for name in modules if name == "textual" or name.startswith("textual."))
    assert textual == []


def test_a_plain_json_listing_imports_only_what_it_uses(corpus, cache_dir):
    """Start-up is a fifth of `list --json` on a few thousand files: without a filter it imports
    neither the filters nor the view (the session's), nor the request hashing (a listing never
    asks for a key status)."""
    env = dict(os.environ, TUI_REPLAY_CACHE_DIR=str(cache_dir), PYTHONPATH=str(REPO))
    command = [
        sys.executable,
        "-X",
        "importtime",
        "-m",
        "tui_replay",
        "list",
        "--json",
        str(corpus / SEED_TURN_2),
    ]
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    modules = _imported_modules(proc.stderr)
    assert {"tui_replay.catalog.catalog", "tui_replay.recording.summary"} <= modules  # the probe works
    unused = {"tui_replay.catalog.session", "tui_replay.catalog.filters", "tui_replay.catalog.view"}
    unused.add("tui_replay.recording.request_hash")
    assert sorted(modules & unused) == []


def _fingerprint(folder) -> dict[str, tuple]:
    return {
        str(path): (
            path.stat().st_size,
            path.stat().st_mtime_ns,
            hashlib.sha256(path.read_bytes()).hexdigest(),
        )
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_list_and_show_leave_the_corpus_untouched(run_cli, corpus):
    before = _fingerprint(corpus)
    assert run_cli("list", "--json", str(corpus)).returncode == 0
    assert run_cli("list", str(corpus)).returncode == 0
    assert run_cli("show", "--json", str(corpus)).returncode == 0
    assert _fingerprint(corpus) == before


@pytest.mark.timeout(120)
@pytest.mark.parametrize("args", [("list",), ("list", "--json"), ("show",), ("show", "--json")])
def test_a_reader_that_goes_away_is_not_an_error(tmp_path, cache_dir, args):
    """`tui-replay list | head -1`: exit 0, nothing on stderr (the output is bigger than a pipe)."""
    for index in range(2000):
        (tmp_path / f"{index:05}.json").write_bytes(b"")  # error rows: fast, and output all the same
    env = dict(os.environ, TUI_REPLAY_CACHE_DIR=str(cache_dir), PYTHONPATH=str(REPO), COLUMNS="200")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_replay", *args, str(tmp_path)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout.read(100)
    proc.stdout.close()
    stderr = proc.stderr.read()
    assert proc.wait(timeout=60) == 0  # not 1: the pipe closed before show reached its verdict
    assert stderr == b""


def test_a_bad_number_flag_names_the_problem_not_a_function(capsys):
    from tui_replay.cli import build_app_parser

    with pytest.raises(SystemExit) as exited:
        build_app_parser().parse_args(["--speed", "fast"])
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert "argument --speed: not a number: fast" in error and "_positive_float" not in error


@pytest.mark.parametrize(
    "argv",
    [
        ["list", "--json", "--jobs", "2", "--filter", "model:x", "a", "b"],
        ["show", "--json", "a"],
        ["export", "--format", "curl", "a"],
        ["diff", "--git", "HEAD", "--format", "markdown"],
        ["serve", "--port", "0", "a"],
    ],
)
def test_the_parser_of_one_subcommand_reads_what_the_whole_parser_reads(argv):
    """A command line builds only its subcommand's parser (start-up time): same arguments."""
    from tui_replay.cli import build_command_parser

    assert build_command_parser(argv[0]).parse_args(argv) == build_command_parser().parse_args(argv)


def test_a_usage_error_still_names_every_subcommand(capsys):
    from tui_replay.cli import SUBCOMMANDS, main

    assert main(["list", "a", "--no-such-flag"]) == 2
    usage = capsys.readouterr().err.splitlines()[0]
    assert "{" + ",".join(SUBCOMMANDS) + "}" in usage
