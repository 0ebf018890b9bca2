"""`tui-replay serve PATH...`: build the index, bind, print the address, serve until SIGINT/SIGTERM.

uvicorn runs the Starlette app; we bind the socket ourselves so that `--port 0` can print the
port it got before the first request (tests read it from stdout). The folders are followed with
the catalog's watcher, so new recordings are served without a restart.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from tui_replay.serve.index import ServeIndex
from tui_replay.serve.replies import Timing

if TYPE_CHECKING:
    from tui_replay.config import Config
    from tui_replay.serve.state import ServeState, Traffic

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8321
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
WATCH_DELAY = 1.0  # seconds after start before the folder watcher starts


def log_line(traffic: Traffic) -> str:
    """One printable line per request (recorded text is data: `one_line` escapes it)."""
    from tui_replay.textsafe import one_line

    stamp = time.strftime("%H:%M:%S", time.localtime(traffic.at))
    parts = [
        stamp,
        traffic.method,
        traffic.path,
        traffic.model or "-",
        traffic.verdict,
        str(traffic.status) if traffic.status else "-",
        f"{traffic.latency_ms:.1f}ms",
    ]
    if traffic.recording:
        parts.append(traffic.recording)
    if traffic.note:
        parts.append(traffic.note)
    return one_line(" ".join(parts), 400)


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named: asyncio sets TCP_NODELAY only on sockets that say TCP, and without it
    # Nagle + delayed ACK add 40 ms to every keep-alive answer written in two parts.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


class Serving:
    """The server of one `serve` run: index, state, socket, uvicorn; runs in this thread or another."""

    def __init__(self, state: ServeState, sock: socket.socket, *, watch: bool = True) -> None:
        self.state = state
        self.sock = sock
        self.watch = watch
        import uvicorn

        from tui_replay.serve.web import create_app

        config = uvicorn.Config(
            create_app(state),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
            # Named rather than detected: no probing for httptools / websockets / the app's style.
            http="h11",
            loop="asyncio",
            ws="none",
            interface="asgi3",
        )
        self.server = uvicorn.Server(config)

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]

    @property
    def url(self) -> str:
        host = self.sock.getsockname()[0]
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    async def run(self) -> None:
        background = asyncio.create_task(self._background())
        try:
            await self.server.serve(sockets=[self.sock])
        finally:
            background.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await background
            # The keys read so far reach the cache, also when stopped before the background pass
            # ended (a big tree): the next start reads only the rest.
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.state.index.save_keys)

    async def _background(self) -> None:
        """Once the server answers: read the request bodies (a thread), then, a moment later,
        follow the folders. The watcher's first pass compares every listed file with the disk
        (on a big tree, seconds): the first requests are answered before it, and it misses
        nothing (what changed since the listing is what that pass reports)."""
        while not self.server.started:
            await asyncio.sleep(0.02)
        # A thread that only computes (the reader) would hold the GIL for 5 ms slices, and each
        # of the event loop's many waits for it costs a request that much: 0.5 ms slices.
        sys.setswitchinterval(0.0005)
        reader = threading.Thread(target=self.state.index.read_all, name="serve-read", daemon=True)
        reader.start()
        if self.watch:
            await asyncio.sleep(WATCH_DELAY)
            await self._follow()

    def stop(self) -> None:
        self.server.should_exit = True

    async def _follow(self) -> None:
        from tui_replay.catalog.watch import ADDED, CHANGED, REMOVED, watch_catalog  # once serving

        index = self.state.index
        roots = list(index.roots)
        async for batch in watch_catalog(
            roots, known=index.listed(), max_size=index.max_size, catalog=index.catalog
        ):
            for change in batch:
                if change.event in (ADDED, CHANGED) and change.summary is not None:
                    index.add_summary(change.summary)
                elif change.event == REMOVED:
                    index.remove(change.path)


def build_state(args: argparse.Namespace, config: Config) -> ServeState:
    from tui_replay.serve.state import ServeState

    index = ServeIndex(args.paths, max_size=config.max_size, use_cache=not getattr(args, "no_cache", False))
    roots = list(args.paths)
    if args.record_dir:
        os.makedirs(args.record_dir, exist_ok=True)
        if not any(_under(args.record_dir, root) for root in roots):
            index.roots.append(args.record_dir)  # what it records is served too
    index.build()
    return ServeState(
        index,
        Timing(args.timing, args.pace),
        host=args.host,
        upstream=args.upstream,
        record_dir=args.record_dir,
        api_key_env=config.live.api_key_env,
    )


def _under(path: str, root: str) -> bool:
    path, root = os.path.realpath(path), os.path.realpath(root)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def usage_problem(args: argparse.Namespace) -> str | None:
    missing = [path for path in args.paths if not os.path.exists(path)]
    if missing:
        return f"no such file or folder: {missing[0]}"
    try:
        Timing(args.timing, args.pace)
    except ValueError as exc:
        return str(exc)
    if args.record_dir and not args.upstream:
        return "--record-dir needs --upstream URL"
    if args.upstream and not args.upstream.startswith(("http://", "https://")):
        return f"--upstream is not an http(s) URL: {args.upstream}"
    return None


def run_serve(
    args: argparse.Namespace,
    config: Config,
    present: Callable[[ServeState, socket.socket, Config], int] | None = None,
) -> int:
    """Serve until stopped; `present` (the traffic screen, from the app) takes over the running
    server when given, in place of a log line per request."""
    problem = usage_problem(args)
    if problem:
        print(f"tui-replay serve: {problem}", file=sys.stderr)
        return 2
    if args.host not in LOCAL_HOSTS:
        print(
            f"tui-replay serve: warning: listening on {args.host}, reachable beyond this machine",
            file=sys.stderr,
        )
    started = time.perf_counter()
    try:  # before the index: a port in use is said at once, not after indexing a big tree
        sock = bind(args.host, args.port)
    except OSError as exc:
        print(
            f"tui-replay serve: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 2
    state = build_state(args, config)
    if present is not None:
        return present(state, sock, config)
    serving = Serving(state, sock)
    # SIGTERM like Ctrl-C, also before uvicorn takes over the signals and when it raises them
    # again on its way out: either way a clean stop, exit 0.
    signal.signal(signal.SIGTERM, _interrupt)
    count = len(state.index.entries)
    elapsed = time.perf_counter() - started

    def printer(traffic: Traffic) -> None:
        print(log_line(traffic), flush=True)

    state.listeners.append(printer)
    with contextlib.suppress(KeyboardInterrupt):
        print(f"serving {count} recordings on {serving.url} (index {elapsed:.2f}s)", flush=True)
        asyncio.run(serving.run())
    print("stopped", flush=True)
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
