"""`tui-replay list` through the real command line."""

from __future__ import annotations

import json
import os
import shutil

import orjson
import pytest
from badinputs import ERROR_CASES, fingerprint, make_bad_inputs
from cli_support import REPO, SEED_TURN_2, run_in_terminal
from support import CORPUS

from tui_replay.catalog.cache import CACHE_FOLDER, DB_NAME, TAG_NAME, SummaryCache, iter_stored
from tui_replay.recording.model import Summary


def _json_lines(stdout: bytes) -> list[dict]:
    return [orjson.loads(line) for line in stdout.splitlines()]


def test_json_lines_one_per_file_with_exactly_the_contract_fields(run_cli, corpus):
    result = run_cli("list", "--json", str(corpus))
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    rows = _json_lines(result.stdout)
    on_disk = [p for p in corpus.rglob("*.json")]
    assert len([row for row in rows if row["format"] == "llama-stack"]) == len(on_disk) >= 200
    assert all(list(row) == list(Summary.JSON_FIELDS) for row in rows)
    assert all(row["status"] == "ok" and row["error"] is None for row in rows)
    seed = next(row for row in rows if row["path"] == str(corpus / SEED_TURN_2))
    assert seed["kind"] == "chat" and seed["streaming"] is True and seed["citations"] == 1
    assert seed["prompt_tokens"] == 991 and seed["completion_tokens"] == 23 and seed["exception"] is False


def test_order_is_deterministic_and_the_cache_gives_the_same_rows(run_cli, corpus, cache_dir):
    cold = run_cli("list", "--json", "--no-cache", str(corpus))
    assert not (cache_dir / CACHE_FOLDER).exists()  # --no-cache writes nothing
    first = run_cli("list", "--json", str(corpus))
    assert TAG_NAME in os.listdir(cache_dir / CACHE_FOLDER)  # marked as ours
    assert DB_NAME in os.listdir(cache_dir / CACHE_FOLDER)
    warm = run_cli("list", "--json", str(corpus))
    assert cold.stdout == first.stdout == warm.stdout
    paths = [row["path"] for row in _json_lines(cold.stdout)]
    assert len(paths) == len(set(paths))


@pytest.mark.timeout(120)
def test_hostile_input_gives_error_rows_exit_0_and_changes_nothing(run_cli, tmp_path):
    paths = make_bad_inputs(tmp_path / "bad")
    before = fingerprint(paths)
    result = run_cli("list", "--json", str(tmp_path), timeout=60)
    assert result.returncode == 0
    assert result.stderr == b""
    rows = {os.path.basename(row["path"]): row for row in _json_lines(result.stdout)}
    assert sorted(rows) == sorted(ERROR_CASES)  # FIFO, loops and the folder named *.json are skipped
    for row in rows.values():
        assert row["status"] == "error" and row["error"] and "\n" not in row["error"]
    table = run_cli("list", str(tmp_path), timeout=60)
    assert table.returncode == 0 and b"Traceback" not in table.stdout + table.stderr
    assert b"10 recordings, 10 unreadable" in table.stdout
    assert fingerprint(paths) == before


@pytest.mark.timeout(60)
def test_explicit_fifo_and_non_json_file(run_cli, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    result = run_cli("list", "--json", str(fifo), str(notes), timeout=30)
    assert result.returncode == 0
    rows = _json_lines(result.stdout)
    assert [row["path"] for row in rows] == [str(fifo), str(notes)]
    assert rows[0]["error"] == "not a regular file (FIFO)"
    assert rows[1]["status"] == "error"


def test_missing_path_exits_2_and_names_it(run_cli, corpus, tmp_path):
    missing = tmp_path / "nowhere"
    result = run_cli("list", str(corpus), str(missing))
    assert result.returncode == 2
    assert result.stdout == b""
    assert str(missing).encode() in result.stderr
    assert b"no such file or folder" in result.stderr
    assert b"Traceback" not in result.stderr


def test_max_size_flag(run_cli, corpus):
    seed = str(corpus / SEED_TURN_2)
    [row] = _json_lines(run_cli("list", "--json", "--max-size", "1K", seed).stdout)
    assert row["status"] == "error" and "over the 1 KiB limit" in row["error"]
    [row] = _json_lines(run_cli("list", "--json", "--max-size", "1M", seed).stdout)
    assert row["status"] == "ok"


def test_table_shows_the_columns_and_recorded_text_literally(run_cli, corpus, tmp_path):
    source = json.loads((corpus / SEED_TURN_2).read_text())
    source["test_id"] = "tests/t.py::test_x[[bold red]loud[/bold red]-\x1b[31mred\x07]"
    source["request"]["endpoint"] = "[i]/v1/x[/i]"
    hostile = tmp_path / "hostile.json"
    hostile.write_text(json.dumps(source))
    result = run_cli("list", str(hostile), str(corpus / SEED_TURN_2), columns=220)
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    for header in (
        "File",
        "Test",
        "Kind",
        "Endpoint",
        "Model",
        "Chunks",
        "Tools",
        "Cites",
        "Tokens",
        "Status",
    ):
        assert header in out
    assert "[bold red]loud[/bold red]" in out  # markup shown, not applied
    assert "[i]/v1/x[/i]" in out
    assert "\x1b" not in out and "\x07" not in out  # escapes never reach the terminal
    assert "␛[31mred␇" in out
    assert "991+23" in out and "gpt-4o" in out  # prompt+completion, as in the app
    assert "2 recordings, 0 unreadable" in out


def test_narrow_terminal_table_fits_and_still_shows_status(corpus, cache_dir):
    env = dict(os.environ, TUI_REPLAY_CACHE_DIR=str(cache_dir), PYTHONPATH=str(REPO))
    out = run_in_terminal(["list", str(corpus / SEED_TURN_2)], columns=80, env=env)
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert "Status" in lines[0] and "ok" in out


def test_files_named_x_json_folder_and_symlink_loop_through_cli(run_cli, corpus, tmp_path):
    tree = tmp_path / "tree"
    (tree / "folder.json").mkdir(parents=True)
    shutil.copyfile(corpus / SEED_TURN_2, tree / "folder.json" / "inner.json")
    (tree / "loop").symlink_to(tree, target_is_directory=True)
    result = run_cli("list", "--json", str(tree), timeout=30)
    assert [row["path"] for row in _json_lines(result.stdout)] == [str(tree / "folder.json" / "inner.json")]


def test_json_line_with_text_orjson_refuses_is_still_one_valid_line():
    from tui_replay.commands.output import dumps_line

    row = {"path": "a\udc80.json", "score": float("nan"), "nested": [{"x": float("inf")}], "n": 1}
    line = dumps_line(row)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert json.loads(line) == {"path": "a\udc80.json", "score": None, "nested": [{"x": None}], "n": 1}
    assert dumps_line({"path": "ok", "score": float("nan")}) == b'{"path":"ok","score":null}\n'


@pytest.mark.timeout(120)
def test_concurrent_listings_share_the_cache_safely(corpus, cache_dir):
    import subprocess
    import sys

    from cli_support import REPO

    env = dict(os.environ, TUI_REPLAY_CACHE_DIR=str(cache_dir), PYTHONPATH=str(REPO))
    command = [sys.executable, "-m", "tui_replay", "list", "--json", str(corpus)]
    procs = [subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE) for _ in range(3)]
    outputs = [proc.communicate(timeout=100)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0]
    assert outputs[0] == outputs[1] == outputs[2]
    files = {row["path"].rsplit("#", 1)[0] if row["interaction"] is not None else row["path"]
             for row in _json_lines(outputs[0])}  # fmt: skip
    cache = SummaryCache(str(cache_dir))
    assert {path for path, _, _ in iter_stored(cache)} == {os.path.abspath(file) for file in files}
    cache.close()


def test_tokens_read_like_the_app_and_embeddings_show_only_the_prompt(run_cli):
    from support import REPO

    embeddings = next(
        path for path in (REPO / "recordings").glob("*.json") if '"tiny-embed-64"' in path.read_text()
    )
    result = run_cli("list", "--no-cache", str(embeddings), columns=160)
    row = result.stdout.decode().splitlines()[1]
    assert row.split()[-2:] == ["14", "ok"]  # not "14→?"


def test_key_filter_finds_a_mis_keyed_copy_cold_and_from_the_cache(run_cli, tmp_path):
    """`list` does not compute key statuses; `--filter key:` does, for the rows it tests."""
    # A chat stream named by the current rules, and a copy under a name no rule set gives.
    folder = tmp_path / "recordings"
    folder.mkdir()
    original = folder / "d30a3a9a90ea3ba6ea62417aec80e79ee502a2e75b58f7c87ee65c446200af0e.json"
    shutil.copyfile(CORPUS / "llama-stack-2025-10/responses/recordings" / original.name, original)
    mis_keyed = folder / ("0123456789abcdef" * 4 + ".json")
    shutil.copyfile(original, mis_keyed)
    for extra in ([], ["--no-cache"], []):  # fills the cache, without it, from it
        found = run_cli("list", "--json", *extra, "--filter", "key:mis-keyed", str(folder))
        assert found.returncode == 0, found.stderr
        assert [row["path"] for row in _json_lines(found.stdout)] == [str(mis_keyed)]
        current = run_cli("list", "--json", *extra, "--filter", "key:current", str(folder))
        assert [row["path"] for row in _json_lines(current.stdout)] == [str(original)]


def test_json_lines_are_written_in_chunks_yet_a_slow_listing_streams():
    """Rows go out 64 KiB at a time (one write per row is a system call per row when stdout is
    unbuffered), but never wait more than OUTPUT_SECONDS for the chunk to fill."""
    import io
    import time

    from tui_replay.commands import listing

    class Recorder(io.RawIOBase):
        def __init__(self) -> None:
            self.writes: list[tuple[float, bytes]] = []

        def write(self, data) -> int:
            self.writes.append((time.monotonic(), bytes(data)))
            return len(data)

    def rows(count: int, pause: float = 0.0):
        for index in range(count):
            time.sleep(pause)
            yield Summary(path=f"r{index}.json", status="ok", test_id="t" * 200)

    fast = Recorder()
    listing.write_json_lines(rows(5000), fast)
    data = b"".join(chunk for _, chunk in fast.writes)
    lines = data.splitlines()
    assert [orjson.loads(line)["path"] for line in lines] == [f"r{index}.json" for index in range(5000)]
    assert 3 <= len(fast.writes) <= 5000 // 64  # chunks, not a write per row

    slow = Recorder()
    started = time.monotonic()
    listing.write_json_lines(rows(400, pause=0.002), slow)  # about a second in all
    # Rows that trickle in go out as they come (every OUTPUT_SECONDS or so), not all at the end.
    assert slow.writes[0][0] - started < 0.4
    assert len(slow.writes) >= 4
    assert b"".join(chunk for _, chunk in slow.writes).count(b"\n") == 400
