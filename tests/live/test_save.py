"""`compare --save`: the live exchange as a new recording, and API keys kept out of everything."""

from __future__ import annotations

import json

from live.fake_server import CutStreamServer, header
from live.helpers import compare_in_process, compare_json, run_cli
from tui_replay.recording.load import load_recording

SECRET = "sk-live-test-0123456789abcdef-SECRET"


def test_save_round_trip(live_server, stored, tmp_path):
    original = stored.chat_stream.read_bytes()
    target = tmp_path / "captures" / "saved.json"
    target.parent.mkdir()
    code, report, stderr = compare_json(stored.chat_stream, live_server.base_url, "--save", str(target))
    assert code == 0, stderr
    assert report["saved"] == str(target)
    assert stored.chat_stream.read_bytes() == original  # the stored recording is never touched

    obj = json.loads(target.read_text())
    assert set(obj) >= {"test_id", "request", "response", "tui_replay_chunk_times"}
    assert obj["request"]["headers"] == {}
    assert obj["request"]["endpoint"] == "/v1/chat/completions"
    assert obj["request"]["body"]["model"] == "qwen-tiny"
    body = obj["response"]["body"]
    assert obj["response"]["is_streaming"] is True
    assert {item["__type__"] for item in body} == {
        "openai.types.chat.chat_completion_chunk.ChatCompletionChunk"
    }
    times = obj["tui_replay_chunk_times"]
    assert len(times) == len(body) == report["live"]["chunks"]
    assert times == sorted(times) and times[0] > 0
    assert abs(times[0] - report["live"]["ttft_s"]) < 0.01

    listed = run_cli("list", "--json", str(target))
    assert listed.returncode == 0, listed.stderr
    (row,) = [json.loads(line) for line in listed.stdout.splitlines() if line.strip()]
    assert row["status"] == "ok" and row["kind"] == "chat" and row["streaming"] is True
    assert row["chunks"] == len(body)
    assert row["capture"] is True  # marked as a capture, and the recorded original is not
    original_row = json.loads(run_cli("list", "--json", str(stored.chat_stream)).stdout)
    assert original_row["capture"] is False
    table = run_cli("list", str(target), env={"COLUMNS": "200"})
    assert table.returncode == 0 and "capture" in table.stdout, table.stdout

    shown = run_cli("show", "--json", str(target))
    assert shown.returncode == 0, shown.stderr
    assert report["live"]["text"] in shown.stdout

    recording = load_recording(target)
    assert recording.chunk_times == times
    assert recording.response.text == report["live"]["text"]
    assert next(e.at for e in recording.timeline) is not None

    # A saved capture is a stored recording like any other: comparing it again gives `same`.
    code, again, _ = compare_json(target, live_server.base_url)
    assert (code, again["verdict"]) == (0, "same")


def test_save_refuses_existing_files_and_the_stored_recording(stored, tmp_path):
    existing = tmp_path / "existing.json"
    existing.write_text("keep me")
    code, report, _stderr = compare_json(stored.chat, "http://127.0.0.1:9/v1", "--save", str(existing))
    assert code == 2 and "refusing to overwrite an existing file" in report["error"]
    assert existing.read_text() == "keep me"
    before = stored.chat.read_bytes()
    code, report, _ = compare_json(stored.chat, "http://127.0.0.1:9/v1", "--save", str(stored.chat))
    assert code == 2 and "refusing to write over the stored recording" in report["error"]
    assert stored.chat.read_bytes() == before
    code, report, _ = compare_json(
        stored.chat, "http://127.0.0.1:9/v1", "--save", str(tmp_path / "no" / "x.json")
    )
    assert code == 2 and "folder does not exist" in report["error"]


def test_api_key_is_sent_but_never_printed_or_written(live_server, stored, tmp_path):
    env = {"TUI_TEST_KEY": SECRET}
    # sent: the fake server sees it in the Authorization header ...
    with CutStreamServer() as fake:
        code, out, err = compare_in_process(
            str(stored.chat_stream),
            "--base-url",
            fake.base_url,
            "--api-key-env",
            "TUI_TEST_KEY",
            "--json",
            env=env,
        )
        (request,) = fake.requests
    assert code == 2
    assert header(request, "authorization") == f"Bearer {SECRET}"
    outputs = [out, err]
    # ... and without one a placeholder goes instead of the default variable's absence failing.
    with CutStreamServer() as fake:
        compare_in_process(str(stored.chat_stream), "--base-url", fake.base_url, "--json")
        (request,) = fake.requests
    assert header(request, "authorization") == "Bearer not-needed"

    saved = tmp_path / "with-key.json"
    for args in (
        (str(stored.chat_stream), "--base-url", live_server.base_url, "--save", str(saved), "--json"),
        (str(stored.chat), "--base-url", live_server.base_url),  # the human report
        (str(stored.chat), "--base-url", "http://127.0.0.1:9/v1", "--json"),  # an error
    ):
        code, out, err = compare_in_process(*args, "--api-key-env", "TUI_TEST_KEY", env=env)
        outputs += [out, err]
    done = run_cli(
        "compare",
        str(stored.chat),
        "--base-url",
        live_server.base_url,
        "--api-key-env",
        "TUI_TEST_KEY",
        env=env,
    )
    outputs += [done.stdout, done.stderr]
    assert done.returncode == 0, done.stderr
    assert saved.exists()
    for text in [*outputs, saved.read_text()]:
        assert SECRET not in text
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_save_without_a_path_goes_to_the_capture_folder_not_the_recordings_tree(
    live_server, stored, tmp_path
):
    recordings = tmp_path / "llama-stack" / "tests" / "integration" / "chat" / "recordings"
    recordings.mkdir(parents=True)
    original = recordings / "chat.json"
    original.write_bytes(stored.chat.read_bytes())
    captures = tmp_path / "captures-from-env"
    done = run_cli(
        "compare",
        str(original),
        "--base-url",
        live_server.base_url,
        "--json",
        "--save",
        env={"TUI_REPLAY_SAVE_DIR": str(captures)},
    )
    assert done.returncode == 0, done.stderr
    saved = json.loads(done.stdout)["saved"]
    assert saved.startswith(str(captures / "chat.live-")) and saved.endswith(".json")
    assert sorted(p.name for p in recordings.iterdir()) == ["chat.json"]
    # --save-dir beats the environment (and implies --save)
    flag_dir = tmp_path / "flag-dir"
    code, report, stderr = compare_json(original, live_server.base_url, "--save-dir", str(flag_dir))
    assert code == 0, stderr
    assert report["saved"].startswith(str(flag_dir / "chat.live-"))
    # an explicit path inside a recordings/ folder is refused before anything is sent ...
    inside = recordings / "chat.live.json"
    code, report, _ = compare_json(original, "http://127.0.0.1:9/v1", "--save", str(inside))
    assert code == 2 and "inside the recordings folder" in report["error"] and "--force" in report["error"]
    assert not inside.exists()
    # ... unless forced
    code, report, stderr = compare_json(original, live_server.base_url, "--save", str(inside), "--force")
    assert code == 0, stderr
    assert report["saved"] == str(inside) and inside.exists()
