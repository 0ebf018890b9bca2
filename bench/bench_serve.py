"""`tui-replay serve`: start-up, hit latency and throughput, each against a baseline of the same run.

    .venv/bin/python bench/bench_serve.py [--files 100000] [--mb 400] [--latency-files 3000]
                                          [--requests 2000] [--seconds 5] [--rounds 3]

Whole processes, 127.0.0.1 only, bounded in count and time:

  start-up   `serve TREE --port 0` from spawn until it answers HTTP, against a warm
             `list --json TREE` (the same summary cache, populated first); medians of --rounds.
             Target: serve / warm list <= 1.2.
  first      spawn until the answer of one chat hit, on the same tree: once with no match
  request    keys in the cache (the files of the API are read), then, the keys stored (a miss
             makes that first server read and store every key), medians of --rounds warm starts;
             with how many request bodies each server had read (`x-tui-replay-files-read`).
  latency    p50 / p99 of --requests non-streamed chat hits, one keep-alive client, on a
             --latency-files tree, after one warm-up pass; baseline: a bare Starlette app on
             uvicorn returning a body of the same size the same way. Target: p50 <= 5 ms.
  throughput requests per second with 8 concurrent keep-alive clients for --seconds, against the
             same bare app. Target: >= 500 req/s (on 2 cores).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx2  # noqa: E402
from common import timed, work_folder  # noqa: E402
from corpus import replicate  # noqa: E402

STARTUP_TARGET, P50_TARGET_MS, RPS_TARGET = 1.2, 5.0, 500
CLIENTS = 8
READY = re.compile(r"on (http://\S+)")

# The bare baseline: the HTTP stack alone (Starlette + uvicorn, one route, a fixed body).
BARE_APP = """
import socket, sys, uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
body = open(sys.argv[1], "rb").read()
async def answer(request):
    await request.body()
    return Response(body, media_type="application/json")
app = Starlette(routes=[Route("/{path:path}", answer, methods=["GET", "POST"])])
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
sock.bind(("127.0.0.1", 0)); sock.listen(1024)
print(f"on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False)).run(sockets=[sock])
"""


def verdict(value: float, target: float, *, at_least: bool = False) -> str:
    met = value >= target if at_least else value <= target
    return f"(target {'>=' if at_least else '<='} {target})  {'ok' if met else 'MISSED'}"


def env_for(cache: Path) -> dict[str, str]:
    return dict(os.environ, TUI_REPLAY_CACHE_DIR=str(cache), PYTHONPATH=str(REPO))


def start(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """A server process and its URL (read from its first line)."""
    process = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=REPO
    )
    line = process.stdout.readline()
    found = READY.search(line)
    if found is None:
        process.kill()
        raise SystemExit(f"{' '.join(args)} did not start: {line!r}")
    # Its request log is read and dropped: a full pipe would stop the server.
    threading.Thread(target=process.stdout.read, daemon=True).start()
    return process, found.group(1)


def stop(process: subprocess.Popen) -> None:
    process.terminate()  # SIGTERM: serve stops cleanly
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def serve_command(tree: Path) -> list[str]:
    return [sys.executable, "-m", "tui_replay", "serve", str(tree), "--port", "0", "--timing", "none"]


def serve_startup(tree: Path, env: dict[str, str]) -> float:
    """Spawn -> the first HTTP answer (an unknown path: the index is built, the socket served)."""
    started = time.perf_counter()
    process, url = start(serve_command(tree), env)
    try:
        httpx2.get(url + "/ready", timeout=30)
        return time.perf_counter() - started
    finally:
        stop(process)


def first_request(
    tree: Path, env: dict[str, str], body: dict, *, then_miss: bool = False
) -> tuple[float, str]:
    """Spawn -> the answer of one chat hit: (seconds, request bodies the server had read).
    `then_miss`: a miss afterwards, answered once every key is read and stored."""
    started = time.perf_counter()
    process, url = start(serve_command(tree), env)
    try:
        answer = httpx2.post(url + "/v1/chat/completions", json=body, timeout=3600)
        elapsed = time.perf_counter() - started
        assert answer.status_code == 200 and answer.headers["x-tui-replay-match"] in ("hit", "ambiguous")
        if then_miss:
            missed = {**body, "messages": [{"role": "user", "content": "nobody recorded this"}]}
            assert httpx2.post(url + "/v1/chat/completions", json=missed, timeout=3600).status_code == 404
        return elapsed, answer.headers["x-tui-replay-files-read"]
    finally:
        stop(process)


def warm_list(tree: Path, env: dict[str, str]) -> float:
    command = [sys.executable, "-m", "tui_replay", "list", "--json", str(tree)]
    return timed(lambda: subprocess.run(command, stdout=subprocess.DEVNULL, env=env, cwd=REPO, check=True))


def chat_bodies(tree: Path, limit: int = 50) -> list[dict]:
    """Request bodies of non-streamed chat recordings in the tree (what the clients send)."""
    bodies, seen = [], set()
    for path in sorted(tree.rglob("*.json")):
        obj = json.loads(path.read_bytes())
        request, response = obj.get("request", {}), obj.get("response", {})
        body = request.get("body")
        if (
            str(request.get("endpoint", "")).endswith("/chat/completions")
            and isinstance(body, dict)
            and not body.get("stream")
            and not response.get("is_exception")
            and isinstance(response.get("body"), dict)
        ):
            key = json.dumps(body, sort_keys=True)
            if key not in seen:
                seen.add(key)
                bodies.append(body)
        if len(bodies) >= limit:
            break
    return bodies


class Client:
    """A keep-alive HTTP/1.1 client, light enough not to be what is measured."""

    def __init__(self, url: str) -> None:
        self.connection = http.client.HTTPConnection(urlsplit(url).netloc, timeout=30)

    def post(self, path: str, body: dict) -> tuple[int, bytes]:
        data = json.dumps(body).encode()
        self.connection.request("POST", path, data, {"content-type": "application/json"})
        response = self.connection.getresponse()
        return response.status, response.read()


def latencies(url: str, bodies: list[dict], count: int) -> list[float]:
    client = Client(url)
    for body in bodies:  # warm-up: every body once (its API's files are read on first use)
        assert client.post("/v1/chat/completions", body)[0] == 200
    times = []
    for index in range(count):
        body = bodies[index % len(bodies)]
        started = time.perf_counter()
        status, _ = client.post("/v1/chat/completions", body)
        times.append(time.perf_counter() - started)
        assert status == 200
    return times


def throughput(url: str, bodies: list[dict], seconds: float) -> float:
    """Requests per second of CLIENTS threads, each with its own keep-alive connection."""
    done = [0] * CLIENTS
    deadline = time.perf_counter() + seconds

    def client_loop(number: int) -> None:
        client = Client(url)
        index = number
        while time.perf_counter() < deadline:
            assert client.post("/v1/chat/completions", bodies[index % len(bodies)])[0] == 200
            done[number] += 1
            index += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.perf_counter() - started)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=100_000, help="start-up tree (default 100,000)")
    parser.add_argument("--mb", type=float, default=400, help="its size in MB")
    parser.add_argument("--latency-files", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()

    with work_folder("tui-replay-bench-serve-") as work:
        # -- start-up against a warm list --------------------------------------------------
        tree, cache = work / "big", work / "cache"
        count, size = replicate(tree, options.files, int(options.mb * 1e6))
        env = env_for(cache)
        print(f"start-up tree: {count} files, {size / 1e6:.1f} MB (replicated from the vendored corpus)")
        warm_list(tree, env)  # populate the summary cache (and the page cache)
        lists, serves = [], []
        for _ in range(options.rounds):  # interleaved
            lists.append(warm_list(tree, env))
            serves.append(serve_startup(tree, env))
        listed, served = statistics.median(lists), statistics.median(serves)
        ratio = served / listed
        print(f"warm `list --json`        {listed * 1000:8.0f} ms")
        print(f"`serve` until it answers  {served * 1000:8.0f} ms")
        print(f"start-up serve/list {ratio:5.2f}  {verdict(ratio, STARTUP_TARGET)}")

        # -- the first request, before and after the match keys are in the cache ------------
        body = chat_bodies(tree, limit=1)[0]
        cold, cold_read = first_request(tree, env, body, then_miss=True)
        warm = [first_request(tree, env, body) for _ in range(options.rounds)]
        warm_time = statistics.median(seconds for seconds, _ in warm)
        print("first chat hit, from spawn:")
        print(f"  no keys stored     {cold * 1000:8.0f} ms   ({cold_read} request bodies read)")
        print(
            f"  keys in the cache  {warm_time * 1000:8.0f} ms   "
            f"({', '.join(read for _, read in warm)} request bodies read)"
        )

        # -- latency and throughput on a 3,000-recording tree ---------------------------------
        small, small_cache = work / "small", work / "small-cache"
        count, size = replicate(small, options.latency_files, int(80e6 * options.latency_files / 3000))
        print(f"\nlatency tree: {count} files, {size / 1e6:.1f} MB")
        env = env_for(small_cache)
        bodies = chat_bodies(small)
        process, url = start(serve_command(small), env)
        try:
            answer = Client(url).post("/v1/chat/completions", bodies[0])[1]
            times = latencies(url, bodies, options.requests)
            rate = throughput(url, bodies, options.seconds)
        finally:
            stop(process)
        body_file = work / "answer.json"
        body_file.write_bytes(answer)
        bare, bare_url = start([sys.executable, "-c", BARE_APP, str(body_file)], env)
        try:
            bare_times = latencies(bare_url, bodies, options.requests)
            bare_rate = throughput(bare_url, bodies, options.seconds)
        finally:
            stop(bare)
        p50, p99 = percentile(times, 0.5) * 1000, percentile(times, 0.99) * 1000
        bare50, bare99 = percentile(bare_times, 0.5) * 1000, percentile(bare_times, 0.99) * 1000
        print(f"non-streamed hit, {options.requests} requests, {len(bodies)} different bodies:")
        print(f"  serve  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms")
        print(f"  bare   p50 {bare50:6.2f} ms  p99 {bare99:6.2f} ms   (Starlette + uvicorn, fixed body)")
        print(f"  p50 serve/bare {p50 / bare50:5.2f};  p50 {p50:.2f} ms  {verdict(p50, P50_TARGET_MS)}")
        print(f"{CLIENTS} concurrent clients, {options.seconds:.0f} s:")
        print(f"  serve {rate:7.0f} req/s   bare {bare_rate:7.0f} req/s   serve/bare {rate / bare_rate:5.2f}")
        print(f"  {rate:.0f} req/s  {verdict(rate, RPS_TARGET, at_least=True)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
