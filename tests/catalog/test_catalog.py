"""The catalog on the real corpus and on hostile input, through its Python API."""

from __future__ import annotations

import os

import pytest
from badinputs import ERROR_CASES, SKIPPED_CASES, fingerprint, make_bad_inputs

from tui_replay.catalog.catalog import Catalog, list_summaries
from tui_replay.catalog.scan import find_recordings


def test_every_corpus_file_gets_one_row_in_path_order(corpus):
    summaries = list_summaries([str(corpus)], use_cache=False)
    on_disk = sorted(
        os.path.join(folder, name)
        for folder, _, names in os.walk(corpus)
        for name in names
        if name.endswith(".json")
    )
    assert sorted(s.path for s in summaries if s.format == "llama-stack") == on_disk
    # A cassette gives one row per interaction, in a row: the files come in scan order.
    files = list(dict.fromkeys(s.file for s in summaries))
    assert files == [f.path for f in find_recordings([str(corpus)])]
    assert len(summaries) >= 200


def test_corpus_rows_are_real_summaries(corpus):
    summaries = {s.path: s for s in list_summaries([str(corpus)], use_cache=False)}
    assert all(s.status == "ok" for s in summaries.values()), [s.error for s in summaries.values() if s.error]
    seed = summaries[
        str(
            corpus / "llama-stack-2025-10/responses/recordings/"
            "ccf305c14285e6c5788c9126f13bc02f786a1562614596c8ac5ffa38cb49e0a1.json"
        )
    ]
    assert seed.kind == "chat" and seed.model == "gpt-4o" and seed.streaming is True
    assert seed.test_id.endswith("emb=Nomic-v1.5:dim=768-llama_experts_pdf]")
    assert seed.citations == 1 and seed.chunks == 25
    assert (seed.prompt_tokens, seed.completion_tokens) == (991, 23)
    kinds = {s.kind for s in summaries.values()}
    assert {"chat", "models", "embeddings", "gemini", "tool", "file"} <= kinds
    # the JSON contract of `list --json` is exactly these keys, in this order
    assert list(seed.to_json()) == [
        "path", "status", "error", "test_id", "kind", "endpoint", "model", "streaming",
        "chunks", "tool_calls", "citations", "exception", "prompt_tokens", "completion_tokens", "choices",
        "format", "interaction", "capture",
    ]  # fmt: skip


@pytest.mark.timeout(60)
def test_bad_input_gives_one_line_error_rows_and_skips_non_files(tmp_path):
    paths = make_bad_inputs(tmp_path / "bad")
    before = fingerprint(paths)
    summaries = {os.path.basename(s.path): s for s in list_summaries([str(tmp_path)], use_cache=False)}
    assert sorted(summaries) == sorted(ERROR_CASES)
    for name in ERROR_CASES:
        row = summaries[name]
        assert row.status == "error", name
        assert row.error and "\n" not in row.error and "Traceback" not in row.error, (name, row.error)
    assert "2 GiB" in summaries["sparse.json"].error
    for name in SKIPPED_CASES:
        assert name not in summaries
    assert fingerprint(paths) == before  # nothing was modified (content and mtime)


@pytest.mark.timeout(60)
def test_bad_input_named_explicitly(tmp_path):
    paths = make_bad_inputs(tmp_path)
    explicit = [str(paths[name]) for name in (*ERROR_CASES, "fifo.json")]
    summaries = list_summaries(explicit, use_cache=False)
    assert [s.path for s in summaries] == explicit
    assert all(s.status == "error" and "\n" not in s.error for s in summaries)
    assert summaries[-1].error == "not a regular file (FIFO)"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("cache", ["a cache", "a fresh cache", "no cache"])
def test_files_over_the_size_limit_are_never_read(tmp_path, monkeypatch, cache):
    use_cache = cache != "no cache"
    if cache == "a cache":  # the database exists (a fresh one is created by this listing)
        made = Catalog().cache
        assert made is not None and made.connection() is not None
        made.save()
    big = tmp_path / "big.json"
    big.write_bytes(b'{"request": {}, "response": {}}' + b" " * 5000)
    opened, read = [], []
    real_open, real_read = os.open, os.read
    monkeypatch.setattr(os, "open", lambda path, *a: opened.append(os.fspath(path)) or real_open(path, *a))
    monkeypatch.setattr(os, "read", lambda fd, n: read.append(fd) or real_read(fd, n))
    [row] = Catalog(max_size=4096, use_cache=use_cache).scan([str(tmp_path)])
    assert row.status == "error" and row.error == "file is 4.9 KiB, over the 4 KiB limit"
    assert read == []
    if cache == "a cache":  # the stat taken for the cache key is enough: not even opened
        assert str(big) not in opened
    [row] = Catalog(max_size=1 << 20, use_cache=use_cache).scan([str(big)])
    assert "limit" not in (row.error or "")


def test_summarize_path_for_one_file(tmp_path, corpus):
    source = next(corpus.rglob("*.json"))
    catalog = Catalog(cache_dir=str(tmp_path / "c"))
    [row] = catalog.summarize_path(str(source))
    assert row.status == "ok" and row.path == str(source)
    [empty] = catalog.summarize_path(str(tmp_path))
    assert empty.status == "error"  # an empty folder is not a recording


def test_real_test_ids_group_by_their_test_file(corpus):
    from tui_replay.catalog.filters import group_by_test
    from tui_replay.catalog.testids import NO_TEST_ID

    summaries = [s for s in list_summaries([str(corpus)], use_cache=False) if s.format == "llama-stack"]
    groups = group_by_test(summaries)
    assert sum(len(rows) for tests in groups.values() for rows in tests.values()) == len(summaries)
    for test_file, tests in groups.items():
        if test_file == NO_TEST_ID:
            assert all(row.test_id is None for row in tests[NO_TEST_ID])
            continue
        assert test_file.startswith("tests/integration/") and test_file.endswith(".py"), test_file
        for test, rows in tests.items():
            assert all(row.test_id == f"{test_file}::{test}" for row in rows)
    assert list(groups)[-1] == NO_TEST_ID
