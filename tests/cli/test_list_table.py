"""`tui-replay list` as a table: rows as they come, one line each; fits a terminal, full width in a pipe."""

from __future__ import annotations

import os
import re
import shutil

import pytest
from cli_support import REPO, run_in_terminal, run_peak_rss

LONG_TEST_ID = (
    "tests/integration/responses/test_tool_responses.py::test_response_sequential_file_search"
    "[openai_client-txt=ollama/llama3.2:3b-instruct-fp16-emb=sentence-transformers/nomic-embed-text-v1.5]"
)


@pytest.fixture
def tree(tmp_path, corpus):
    """Real recordings, one given a test id longer than any terminal, in a deep folder."""
    folder = tmp_path / "a-rather-long-folder-name" / "and-another-one-below-it"
    folder.mkdir(parents=True)
    sources = sorted((corpus / "llama-stack" / "agents" / "recordings").glob("*.json"))[:6]
    for source in sources:
        shutil.copyfile(source, folder / source.name)
    text = (folder / sources[0].name).read_text()
    (folder / "long.json").write_text(text.replace('"test_id": "', f'"test_id": "{LONG_TEST_ID}", "x": "', 1))
    return folder


def _env(cache_dir) -> dict[str, str]:
    return dict(os.environ, TUI_REPLAY_CACHE_DIR=str(cache_dir), PYTHONPATH=str(REPO))


def test_a_pipe_gets_one_full_line_per_row_whatever_the_columns(run_cli, tree):
    result = run_cli("list", str(tree), columns=80)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    files = sorted(tree.iterdir())
    assert len(lines) == 1 + len(files) + 1  # header, one line per row, the footer
    assert lines[-1] == f"{len(files)} recordings, 0 unreadable"
    long_row = next(line for line in lines if LONG_TEST_ID in line)  # the whole id, never cut
    assert long_row.startswith(str(tree / "long.json"))  # the whole path: grep and cut work
    assert len(long_row) > 250
    for file in files:  # every row has its path and its verdict on the same line
        [row] = [line for line in lines if line.startswith(str(file) + " ")]
        assert row.endswith(" ok")
    # the columns line up (widths from the first batch)
    kind_at = lines[0].index("Kind")
    assert all(line[kind_at : kind_at + 4] == "chat" for line in lines[1:-1])


@pytest.mark.parametrize("columns", [60, 100, 200])
def test_a_terminal_gets_lines_that_fit_it(tree, cache_dir, columns):
    out = run_in_terminal(["list", str(tree)], columns=columns, env=_env(cache_dir))
    lines = out.splitlines()
    files = sorted(tree.iterdir())
    assert len(lines) == 1 + len(files) + 1
    assert all(len(line) <= columns for line in lines), [len(line) for line in lines]
    assert lines[0].startswith("File" if columns >= 140 else "Test") and "Status" in lines[0]
    assert all(re.search(r" ok\s*$", line) for line in lines[1:-1])
    assert f"{len(files)} recordings, 0 unreadable" in lines[-1]


def test_the_table_holds_no_more_memory_than_json_lines(tmp_path, cache_dir):
    """10,000 rows: the table's peak RSS stays within 20 MB of --json's (a Rich Table over every
    row took hundreds of MB at this scale)."""
    tree = tmp_path / "many"
    tree.mkdir()
    for index in range(10_000):
        (tree / f"{index:05}-{'x' * 40}.json").write_bytes(b"")  # error rows: the cheapest to make
    peaks = {}
    for mode in ("--json", None):
        flags = [mode] if mode else []
        status, out, peak = run_peak_rss(["list", "--no-cache", *flags, str(tree)], env=_env(cache_dir))
        assert status == 0 and out.count(b"\n") >= 10_000
        peaks[mode or "table"] = peak >> 20  # MiB
    assert peaks["table"] < peaks["--json"] + 20, peaks
