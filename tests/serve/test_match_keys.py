"""The match keys kept in the summary cache: a second `serve` of a tree reads no request body to
answer (a real process, the real SDKs). The proof is twofold: the server's own count of bodies
read (`x-tui-replay-files-read`), and files whose content is replaced by garbage of the same
size and mtime after the first run (a body read would find them unreadable, or not there)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import anthropic
import openai

from serve.helpers import LLAMA, OLD, PYDANTIC, data, interaction, recording, sdk_kwargs

CHAT = "inference/recordings/a1e4350b0157d85e74c9f661b2d0510434212d7f36fbc1eddacdaf5a62520dd3.json"
OTHER_CHAT = "inference/recordings/3dcb9e38f66c96323546ef8d7fee216ad11a4dd6f7fe44c4b602671eea12382e.json"
COMPLETION = "batches/recordings/cb4673f5ab80c45bc13140600f423c7cd5ca750b1a732c92ba6710c2b2742d81.json"
EMBEDDINGS = "old/inference/recordings/1774e408dada8623a932f20fd67ab722cbff2a2213309d8a33ec2ed5a444e5d4.json"
MESSAGES = "cassettes/test_anthropic__test_anthropic_tool_output.yaml"
RESPONSES = "cassettes/test_openai_responses__test_text_output_function.yaml"
FILES_READ = "x-tui-replay-files-read"


def make_tree(root: Path) -> Path:
    """Recordings of five APIs (chat, completions, embeddings, Anthropic messages and Responses
    from cassettes) among many others."""
    tree = root / "tree"
    for folder in ("inference", "batches", "responses", "agents"):
        shutil.copytree(LLAMA / folder, tree / folder)
    shutil.copytree(OLD / "inference", tree / "old" / "inference")
    (tree / "cassettes").mkdir()
    for name in (MESSAGES, RESPONSES):
        shutil.copy(PYDANTIC / Path(name).name, tree / name)
    shutil.copy(
        PYDANTIC / "test_anthropic__test_anthropic_model_thinking_part_redacted_stream.yaml",
        tree / "cassettes",
    )
    return tree


def openai_client(serving) -> openai.OpenAI:
    return openai.OpenAI(base_url=serving.base_url, api_key="unused", max_retries=0)


def ask_each_api(serving, tree: Path) -> dict[str, tuple[str, str, str]]:
    """One request per API, each checked against what was recorded: address -> (match header,
    the recording that answered, files read so far)."""
    seen = {}

    def note(address: Path | str, raw) -> None:
        headers = raw.headers
        seen[str(address)] = (
            headers["x-tui-replay-match"],
            headers["x-tui-replay-recording"],
            headers[FILES_READ],
        )

    sdk = openai_client(serving)
    for name, call in (
        (CHAT, sdk.chat.completions),
        (COMPLETION, sdk.completions),
        (EMBEDDINGS, sdk.embeddings),
    ):
        stored = recording(tree / name)
        raw = call.with_raw_response.create(**stored["request"]["body"])
        assert json.loads(raw.http_response.text) == data(stored["response"]["body"])
        note(tree / name, raw)
    body, obj = interaction(tree / RESPONSES)
    raw = sdk.responses.with_raw_response.create(**body)
    assert raw.parse().id == obj["response"]["body"]["id"]
    note(f"{tree / RESPONSES}#0", raw)
    body, obj = interaction(tree / MESSAGES)
    messages = anthropic.Anthropic(base_url=serving.url, api_key="unused", max_retries=0).beta.messages
    raw = messages.with_raw_response.create(**sdk_kwargs(body, obj))
    assert raw.parse().id == obj["response"]["body"]["id"]
    note(f"{tree / MESSAGES}#0", raw)
    return seen


def first_run(start_serve, tree: Path) -> None:
    """A cold start; a miss then waits for every key to be read and written to the cache."""
    serving = start_serve(str(tree), "--timing", "none")
    assert {match for match, _, _ in ask_each_api(serving, tree).values()} == {"hit"}
    body = recording(tree / CHAT)["request"]["body"]
    body = {**body, "messages": [{"role": "user", "content": "nobody recorded this"}]}
    try:
        openai_client(serving).chat.completions.create(**body)
    except openai.NotFoundError:
        pass
    else:
        raise AssertionError("an unrecorded request was answered")
    assert serving.stop() == 0


def garble_all_but(tree: Path, kept: set[Path]) -> int:
    """Replace every other file's content by garbage of the same size, keeping its mtime: the
    cache still takes it for the same file, a reader would not."""
    count = 0
    for path in tree.rglob("*"):
        if path.is_file() and path not in kept:
            info = path.stat()
            path.write_bytes(b"\x00{" * (info.st_size // 2) + b"\x00" * (info.st_size % 2))
            os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
            count += 1
    return count


def test_a_warm_start_answers_each_api_without_reading_a_body(start_serve, tmp_path):
    tree = make_tree(tmp_path)
    first_run(start_serve, tree)
    targets = {tree / name for name in (CHAT, COMPLETION, EMBEDDINGS, MESSAGES, RESPONSES)}
    assert garble_all_but(tree, targets) > 100

    serving = start_serve(str(tree), "--timing", "none")
    seen = ask_each_api(serving, tree)
    assert seen == {address: ("hit", address, "0") for address in seen}
    assert len(seen) == 5


def test_a_changed_file_is_read_again_and_its_new_request_matches(start_serve, tmp_path):
    tree = make_tree(tmp_path)
    first_run(start_serve, tree)
    changed = tree / OTHER_CHAT
    stored = recording(changed)
    stored["request"]["body"]["messages"][-1]["content"] = "a question asked since"
    changed.write_text(json.dumps(stored))
    targets = {tree / name for name in (CHAT, COMPLETION, EMBEDDINGS, MESSAGES, RESPONSES, OTHER_CHAT)}
    garble_all_but(tree, targets)

    serving = start_serve(str(tree), "--timing", "none")
    seen = ask_each_api(serving, tree)
    assert {match for match, _, _ in seen.values()} == {"hit"}
    assert {count for _, _, count in seen.values()} <= {"0", "1"}  # (the changed file, when read)
    chunks = openai_client(serving).chat.completions.with_raw_response.create(**stored["request"]["body"])
    assert chunks.headers["x-tui-replay-recording"] == str(changed)
    assert chunks.headers[FILES_READ] == "1"  # the changed file, and nothing else
    assert [chunk.model_dump(mode="json", exclude_unset=True) for chunk in chunks.parse()] == [
        data(item) for item in stored["response"]["body"]
    ]


def test_no_cache_reads_the_bodies_again(start_serve, tmp_path):
    tree = make_tree(tmp_path)
    first_run(start_serve, tree)
    serving = start_serve(str(tree), "--timing", "none", "--no-cache")
    seen = ask_each_api(serving, tree)
    assert {match for match, _, _ in seen.values()} == {"hit"}
    # Each API's files read at its first request: at least as many files as the APIs asked.
    assert max(int(count) for _, _, count in seen.values()) >= 5
