"""The server as a process: pacing, a client leaving mid-stream, clients at once, new files,
usage errors."""

from __future__ import annotations

import itertools
import json
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time

import httpx2
import openai
from support import REPO

from serve.helpers import LLAMA, data, recording
from tui_replay.live.record_format import recording_dict, write_recording_atomic

CHAT = LLAMA / "inference/recordings/a1e4350b0157d85e74c9f661b2d0510434212d7f36fbc1eddacdaf5a62520dd3.json"
STREAM = LLAMA / "inference/recordings/3dcb9e38f66c96323546ef8d7fee216ad11a4dd6f7fe44c4b602671eea12382e.json"


def stream_events(serving, body, **headers) -> list[tuple[float, bytes]]:
    """(seconds since the request, event) for each SSE event of a streamed request."""
    started = time.perf_counter()
    arrived = []
    with httpx2.stream(
        "POST", serving.base_url + "/chat/completions", json=body, headers=headers, timeout=30
    ) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line:
                arrived.append((time.perf_counter() - started, line.encode()))
    return arrived


def test_fixed_timing_paces_each_event(start_serve):
    serving = start_serve(str(LLAMA), "--timing", "fixed:150")
    stored = recording(STREAM)
    arrived = stream_events(serving, stored["request"]["body"])
    assert len(arrived) == len(stored["response"]["body"]) + 1  # and [DONE]
    # Paced by the server: the span and the typical gap (a busy client may read two at once).
    gaps = [later[0] - earlier[0] for earlier, later in itertools.pairwise(arrived)]
    assert arrived[-1][0] - arrived[0][0] >= 0.15 * len(gaps) * 0.9
    assert statistics.median(gaps) >= 0.12


def test_recorded_chunk_times_are_kept_and_scaled_by_speed(start_serve, tmp_path):
    stored = recording(STREAM)
    times = [0.0, 0.4, 0.8, 1.2][: len(stored["response"]["body"])]
    obj = recording_dict(
        test_id=stored["test_id"],
        endpoint="/v1/chat/completions",
        base_url="http://127.0.0.1:8080/v1",
        body=stored["request"]["body"],
        response_body=stored["response"]["body"],
        is_streaming=True,
        chunk_times=times,
    )
    folder = tmp_path / "inference" / "recordings"
    folder.mkdir(parents=True)
    write_recording_atomic(folder / "capture.json", obj)
    serving = start_serve(str(tmp_path), "--speed", "2")
    arrived = stream_events(serving, stored["request"]["body"])
    last_chunk = arrived[len(times) - 1][0]
    assert times[-1] / 2 - 0.05 <= last_chunk < times[-1]  # recorded 1.2 s, played at 2x
    assert arrived[0][0] < 0.3


def test_a_client_that_leaves_mid_stream_costs_nothing(start_serve):
    serving = start_serve(str(LLAMA), "--timing", "fixed:1000")
    stored = recording(STREAM)
    events = len(stored["response"]["body"]) + 1
    with httpx2.stream(
        "POST", serving.base_url + "/chat/completions", json=stored["request"]["body"], timeout=30
    ) as response:
        next(response.iter_raw())  # the first event, then hang up
    left = time.perf_counter()
    lines = serving.log_lines(2, timeout=events)
    assert any("disconnect" in line and f"of {events} events" in line for line in lines), lines
    assert time.perf_counter() - left < events - 1  # noticed before the stream would have ended
    # and the server goes on answering
    completion = openai.OpenAI(base_url=serving.base_url, api_key="x", max_retries=0).chat.completions.create(
        **recording(CHAT)["request"]["body"]
    )
    assert completion.id == data(recording(CHAT)["response"]["body"])["id"]


def test_two_clients_are_served_at_once(start_serve):
    serving = start_serve(str(LLAMA), "--timing", "fixed:400")
    stored = recording(STREAM)
    one_stream = 0.4 * len(stored["response"]["body"])
    results: list[list] = []

    def client() -> None:
        results.append(stream_events(serving, stored["request"]["body"]))

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    elapsed = time.perf_counter() - started
    assert len(results) == 2 and results[0][-1][1] == results[1][-1][1] == b"data: [DONE]"
    assert elapsed < 1.6 * one_stream  # one after the other would take 2x


def test_a_recording_written_while_serving_is_served_without_a_restart(start_serve, tmp_path):
    folder = tmp_path / "inference" / "recordings"
    folder.mkdir(parents=True)
    serving = start_serve(str(tmp_path), "--timing", "none")
    client = openai.OpenAI(base_url=serving.base_url, api_key="x", max_retries=0)
    body = recording(CHAT)["request"]["body"]
    try:
        client.chat.completions.create(**body)
        raise AssertionError("a hit before the file exists")
    except openai.NotFoundError:
        pass
    shutil.copy(CHAT, folder / CHAT.name)
    deadline = time.monotonic() + 15
    while True:
        try:
            completion = client.chat.completions.create(**body)
            break
        except openai.NotFoundError:
            assert time.monotonic() < deadline, "the new recording was never served"
            time.sleep(0.2)
    assert completion.id == data(recording(CHAT)["response"]["body"])["id"]


def run_serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tui_replay", "serve", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_usage_errors_exit_2_with_one_line():
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = str(taken.getsockname()[1])
    try:
        for args, says in (
            (("no/such/folder", "--port", "0"), "no such file or folder"),
            ((str(LLAMA), "--timing", "sometimes", "--port", "0"), "--timing"),
            ((str(LLAMA), "--record-dir", "x", "--port", "0"), "--record-dir needs --upstream"),
            ((str(LLAMA), "--port", port), f"cannot listen on 127.0.0.1:{port}"),
        ):
            done = run_serve(*args)
            assert done.returncode == 2, (args, done.stderr)
            assert says in done.stderr and done.stdout == ""
    finally:
        taken.close()


def test_another_host_is_used_only_when_named_and_warned_about(start_serve):
    process = subprocess.Popen(
        [sys.executable, "-m", "tui_replay", "serve", str(CHAT.parent), "--host", "0.0.0.0", "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "0.0.0.0" in process.stdout.readline()
    finally:
        process.terminate()  # SIGTERM stops it cleanly too
        _, err = process.communicate(timeout=15)
    assert process.returncode == 0
    assert "warning: listening on 0.0.0.0" in err
    default = start_serve(str(CHAT.parent))
    assert default.url.startswith("http://127.0.0.1:")
    assert json.loads(httpx2.get(default.base_url + "/models", timeout=10).text)
