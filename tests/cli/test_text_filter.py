"""`text:` searches inside recordings, through the real command line on the real corpus:
the index and the file scan agree with a plain scan of the assembled recordings."""

from __future__ import annotations

import os
import shutil

import orjson
import pytest

from tui_replay.catalog.catalog import Catalog
from tui_replay.recording.load import load_recording


def _paths(stdout: bytes) -> list[str]:
    return [orjson.loads(line)["path"] for line in stdout.splitlines()]


def _said(path: str) -> str:
    """Everything an assembled recording says: messages, answer, reasoning, tools, errors."""
    recording = load_recording(path)
    pieces = []
    for message in recording.messages:
        pieces += [message.text, message.reasoning or ""]
        pieces += [f"{call.name} {call.arguments}" for call in message.tool_calls]
    response = recording.response
    pieces += [response.text, response.reasoning]
    pieces += [f"{call.name} {call.arguments}" for call in response.tool_calls]
    if response.exception is not None:
        pieces.append(response.exception.message)
    # A file processor's result (recordings-format §6.8): the text it extracted, which the
    # assembled recording only counts.
    data = recording.response_raw.get("body", {})
    data = data.get("__data__", {}) if isinstance(data, dict) else {}
    pieces += [chunk.get("content", "") for chunk in data.get("chunks", []) if isinstance(chunk, dict)]
    return "\n".join(pieces).lower()


@pytest.fixture(scope="module")
def corpus_texts(request):
    from support import CORPUS

    rows = Catalog(use_cache=False).scan([str(CORPUS)])
    return {row.path: _said(row.path) for row in rows if row.status == "ok"}


@pytest.mark.parametrize("needle", ["experts", "mixture of experts", "Paris"])
def test_index_and_file_scan_find_exactly_what_the_recordings_say(run_cli, corpus, corpus_texts, needle):
    expected = sorted(path for path, text in corpus_texts.items() if needle.lower() in text)
    assert expected  # the corpus does say it
    query = f'text:"{needle}"' if " " in needle else f"text:{needle}"
    cold = run_cli("list", "--json", "--filter", query, str(corpus))  # fills the cache and index
    warm = run_cli("list", "--json", "--filter", query, str(corpus))  # answered by the index
    scanned = run_cli("list", "--json", "--no-cache", "--filter", query, str(corpus))  # reads the files
    for result in (cold, warm, scanned):
        assert result.returncode == 0, result.stderr
        assert sorted(_paths(result.stdout)) == expected
    assert cold.stdout == warm.stdout == scanned.stdout


def test_text_combines_with_other_filters_and_negation(run_cli, corpus, corpus_texts):
    wanted = {p for p, t in corpus_texts.items() if "experts" in t}
    result = run_cli("list", "--json", "--filter", "text:experts -model:gpt-4o", str(corpus))
    rows = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert rows and all("gpt-4o" not in (row["model"] or "") for row in rows)
    assert {row["path"] for row in rows} < wanted
    negated = run_cli("list", "--json", "--filter", "-text:experts", str(corpus))
    assert not wanted & set(_paths(negated.stdout))


def test_no_match_says_so(run_cli, corpus):
    result = run_cli("list", "--json", "--filter", "text:zq-nowhere-said-qz", str(corpus))
    assert result.returncode == 1 and result.stdout == b""
    assert b"no recording matches the filter: text:zq-nowhere-said-qz" in result.stderr
    shown = run_cli("show", "--filter", "text:zq-nowhere-said-qz", str(corpus))
    assert shown.returncode == 1 and b"no recording matches" in shown.stderr


def test_a_bad_filter_is_one_line_exit_2(run_cli, corpus):
    result = run_cli("list", "--filter", "kind:embedding", str(corpus))
    assert result.returncode == 2 and result.stdout == b""
    assert result.stderr.decode().count("\n") == 1 and b"kind:embedding is not known" in result.stderr


def test_show_filter_shows_exactly_the_matching_recordings(run_cli, corpus, corpus_texts):
    expected = sorted(p for p, t in corpus_texts.items() if "mixture of experts" in t)
    result = run_cli("show", "--json", "--filter", 'text:"mixture of experts"', str(corpus))
    assert result.returncode == 0, result.stderr
    assert sorted(orjson.loads(line)["path"] for line in result.stdout.splitlines()) == expected


def test_a_changed_file_is_searched_as_it_is_now(run_cli, corpus, tmp_path):
    source = next(p for p in sorted(corpus.rglob("*.json")) if b"experts" in p.read_bytes())
    tree = tmp_path / "recordings"
    tree.mkdir()
    target = tree / source.name
    shutil.copyfile(source, target)
    assert _paths(run_cli("list", "--json", "--filter", "text:experts", str(tree)).stdout) == [str(target)]
    data = target.read_bytes().replace(b"experts", b"novices")
    target.write_bytes(data)
    os.utime(target, ns=(1, 1))
    assert run_cli("list", "--json", "--filter", "text:experts", str(tree)).returncode == 1
    assert _paths(run_cli("list", "--json", "--filter", "text:novices", str(tree)).stdout) == [str(target)]
    target.unlink()
    assert run_cli("list", "--json", "--filter", "text:novices", str(tree)).returncode == 1
