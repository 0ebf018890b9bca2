"""The summary cache through the real command line: damaged entries, and a cache folder the user chose."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson

from tui_replay.catalog.cache import SHARD_FOLDER, TAG_NAME, SummaryCache, folder_key

# One wrong-typed value per stored field, in the field order of the cache (valid JSON, right length).
WRONG_VALUES = {
    "status": 1,
    "error": ["x"],
    "test_id": 5,
    "kind": {"k": 1},
    "endpoint": 3.5,
    "model": True,
    "streaming": "yes",
    "chunks": "12",
    "tool_calls": None,
    "citations": 1.5,
    "exception": 0,
    "prompt_tokens": "991",
    "completion_tokens": False,
    "size": None,
    "mtime_ns": "now",
    "first_user": None,
    "answer_start": 7,
    "choices": "2",
    "key": 3,
    "format": None,
    "interaction": "0",
    "capture": "yes",
}


def test_wrong_typed_cache_entries_are_dropped_and_rebuilt(run_cli, corpus, tmp_path, cache_dir):
    tree = tmp_path / "recordings"
    sources = sorted((corpus / "llama-stack" / "responses" / "recordings").glob("*.json"))
    tree.mkdir()
    for source in sources[: len(WRONG_VALUES)]:
        shutil.copyfile(source, tree / source.name)
    truth = run_cli("list", "--json", "--no-cache", str(tree))
    assert run_cli("list", "--json", str(tree)).stdout == truth.stdout  # fills the cache
    shard = SummaryCache(str(cache_dir)).shard_path(folder_key(str(tree)))
    good = Path(shard).read_bytes()
    data = orjson.loads(good)
    fields = data["fields"]
    assert sorted(fields) == sorted(WRONG_VALUES)
    for path, (name, wrong) in zip(sorted(data["entries"]), WRONG_VALUES.items(), strict=True):
        data["entries"][path][2][fields.index(name)] = wrong
    Path(shard).write_bytes(orjson.dumps(data))

    table = run_cli("list", str(tree))
    assert table.returncode == 0, table.stderr
    assert b"Traceback" not in table.stdout + table.stderr
    assert f"{len(WRONG_VALUES)} recordings, 0 unreadable".encode() in table.stdout
    assert run_cli("list", "--json", str(tree)).stdout == truth.stdout
    assert Path(shard).read_bytes() == good  # every damaged entry was written again, right


def test_a_user_chosen_cache_folder_keeps_what_is_not_ours(run_cli, corpus, tmp_path):
    chosen = tmp_path / "my-cache"
    theirs = chosen / "summaries-v0"  # a look-alike of an old cache, not written by tui-replay
    theirs.mkdir(parents=True)
    (theirs / "notes.json").write_text("{}")
    (chosen / "summaries-v1.json").write_text('{"mine": true}')
    # an old-schema folder of ours (tagged) that also holds a file we never write
    ours_with_extra = chosen / "summaries-v1"
    ours_with_extra.mkdir()
    ours = chosen / SHARD_FOLDER
    env = {"TUI_REPLAY_CACHE_DIR": str(chosen)}
    sample = corpus / "llama-stack-2025-10" / "responses" / "recordings"
    assert run_cli("list", "--json", str(sample), extra_env=env).returncode == 0
    tag = (ours / TAG_NAME).read_bytes()
    assert b"tui-replay" in tag  # what we write is marked as ours
    assert all(p.read_bytes().startswith(b'{"writer":"tui-replay"') for p in ours.glob("*.json"))
    (ours_with_extra / TAG_NAME).write_bytes(tag)
    shutil.copy(next(ours.glob("*.json")), ours_with_extra / ("0" * 32 + ".json"))
    (ours_with_extra / "keep.txt").write_text("not ours")
    own_old_file = chosen / "summaries-v0.json"
    own_old_file.write_bytes(next(ours.glob("*.json")).read_bytes())

    other = corpus / "llama-stack-2025-10" / "inference" / "recordings"
    assert run_cli("list", "--json", str(other), extra_env=env).returncode == 0  # writes: cleans up
    assert (theirs / "notes.json").read_text() == "{}"
    assert (chosen / "summaries-v1.json").read_text() == '{"mine": true}'
    assert sorted(p.name for p in ours_with_extra.iterdir()) == [TAG_NAME, "keep.txt"]
    assert not own_old_file.exists()
