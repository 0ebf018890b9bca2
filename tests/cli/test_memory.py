"""No single file within the default limits pushes `list` or `show` over 1 GiB of memory
(tui_replay/recording/limits.py), measured as the peak RSS of the real command line; and no
real recording is refused by those limits."""

from __future__ import annotations

import json
import os
from pathlib import Path

import orjson
import pytest
from cli_support import REPO, run_peak_rss

from tui_replay.recording.limits import DEFAULT_MAX_SIZE, MAX_JSON_VALUES, count_json_values

GIB = 1 << 30
LARGEST_REAL = (  # 1.1 MB, a stream of 1,399 chunks
    "llama-stack/responses/recordings/0ea735928993b5a2de3a444256136d53ab666dbfb7582e5562268f809aa8d5f3.json"
)


def _peak(args: list[str], cache_dir: Path) -> tuple[int, bytes, int]:
    """(exit status, stdout, peak RSS in bytes) of `python -m tui_replay ARGS`."""
    env = dict(os.environ, TUI_REPLAY_CACHE_DIR=str(cache_dir), PYTHONPATH=str(REPO), COLUMNS="120")
    env.pop("TUI_REPLAY_MAX_SIZE", None)
    return run_peak_rss(args, env=env)


def _worst_admitted(path: Path, unit: str) -> None:
    """A valid recording as close to both limits as it gets: MAX_JSON_VALUES tiny values (the
    most expensive kinds measured), and the rest of DEFAULT_MAX_SIZE a non-ASCII answer (4
    bytes a character) holding an id the id normalization replaces (a copy)."""

    def recording(tiny: str, content: str) -> str:
        return (
            '{"test_id":"t","id_normalization_mapping":{"rec-1":"abcd"},'
            '"request":{"method":"POST","url":"http://h/v1/chat/completions","headers":{},'
            '"body":{"model":"m","messages":[{"role":"user","content":"hi"}]},'
            '"endpoint":"/v1/chat/completions","model":"m"},'
            '"response":{"is_streaming":false,"body":{'
            '"__type__":"openai.types.chat.chat_completion.ChatCompletion",'
            '"__data__":{"id":"x","object":"chat.completion","created":0,"model":"m","choices":[{"index":0,'
            '"finish_reason":"stop","message":{"role":"assistant","content":' + content + "}}],"
            '"x":' + tiny + "}}}}"
        )

    per_unit = count_json_values(unit.encode())
    count = (MAX_JSON_VALUES - 100) // per_unit
    tiny = "[" + unit * count + "0]"
    room = DEFAULT_MAX_SIZE - len(recording(tiny, '""').encode()) - 16
    answer = json.dumps("😀" + "abcd " * ((room - 4) // 5), ensure_ascii=False)
    data = recording(tiny, answer).encode()
    assert DEFAULT_MAX_SIZE - 64 < len(data) <= DEFAULT_MAX_SIZE
    assert MAX_JSON_VALUES - 200 < count_json_values(data) <= MAX_JSON_VALUES
    path.write_bytes(data)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("unit", ['{"":{}},', "[[[0]]],"], ids=["nested-dicts", "nested-lists"])
def test_the_worst_file_the_limits_admit_stays_under_1_gib(tmp_path, cache_dir, unit):
    path = tmp_path / "worst.json"
    _worst_admitted(path, unit)
    status, out, peak = _peak(["list", "--json", "--no-cache", str(path)], cache_dir)
    assert status == 0
    assert orjson.loads(out)["status"] == "ok"  # admitted: read whole
    assert peak < GIB, f"list: peak RSS {peak / GIB:.2f} GiB"
    status, out, peak = _peak(["show", str(path)], cache_dir)
    assert status == 0 and b"more characters not shown" in out
    assert peak < GIB, f"show: peak RSS {peak / GIB:.2f} GiB"


@pytest.mark.timeout(300)
def test_a_file_of_millions_of_tiny_values_is_one_error_row_read_cheaply(tmp_path, cache_dir):
    many = tmp_path / "many.json"  # the probe: 60 MB of `{}`, 20 million values
    many.write_bytes(b"[" + b"{}, " * 15_000_000 + b"{}]")
    within = tmp_path / "within.json"  # within the size limit, over the value limit
    within.write_bytes(b'{"a":[' + b"0," * (MAX_JSON_VALUES + 10) + b"0]}")
    status, out, peak = _peak(["list", "--json", "--max-size", "100M", str(many), str(within)], cache_dir)
    assert status == 0
    rows = [orjson.loads(line) for line in out.splitlines()]
    assert [row["status"] for row in rows] == ["error", "error"]
    assert rows[0]["error"] == (
        f"too many JSON values (30,000,002) for its size (57.2 MiB): the limit is {MAX_JSON_VALUES:,}, "
        "so that reading a file stays under 1 GiB of memory"
    )
    assert rows[1]["error"].startswith(f"too many JSON values ({MAX_JSON_VALUES + 13:,}) for its size")
    assert peak < 300 << 20, f"peak RSS {peak >> 20} MiB"  # the bytes, never the parsed tree
    status, out, _ = _peak(["show", str(within)], cache_dir)
    assert status == 1 and b"too many JSON values" in out and out.count(b"\n") <= 3


@pytest.mark.timeout(300)
def test_real_recordings_are_never_refused(tmp_path, cache_dir, corpus):
    """The corpus, and its largest stream grown to 90 % of the size limit (three times the
    largest real files): read like any other."""
    status, out, _ = _peak(["list", "--json", "--no-cache", str(corpus)], cache_dir)
    rows = [orjson.loads(line) for line in out.splitlines()]
    assert status == 0 and len(rows) > 200
    refused = [row for row in rows if any(word in (row["error"] or "") for word in ("JSON values", "limit"))]
    assert refused == []
    real = orjson.loads((corpus / LARGEST_REAL).read_bytes())
    chunks = real["response"]["body"]
    times = DEFAULT_MAX_SIZE * 9 // 10 // (corpus / LARGEST_REAL).stat().st_size
    real["response"]["body"] = chunks * times
    grown = tmp_path / "grown.json"
    grown.write_bytes(orjson.dumps(real, option=orjson.OPT_INDENT_2))  # indented, as the recorder writes
    assert 25 << 20 < grown.stat().st_size <= DEFAULT_MAX_SIZE
    for command in (["list", "--json", "--no-cache"], ["show", "--json"]):
        status, out, _ = _peak([*command, str(grown)], cache_dir)
        row = orjson.loads(out)
        assert status == 0 and row["status"] == "ok", row["error"]
    status, out, _ = _peak(["list", "--json", "--no-cache", str(grown)], cache_dir)
    assert orjson.loads(out)["chunks"] == times * len(chunks)
