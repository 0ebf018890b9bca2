"""Tiny HTTP servers for the failures the real server cannot produce on demand here.

`CutStreamServer`: an SSE stream of two chat chunks and no finish reason, then the
connection closes (optionally mid-way through a chunked body).
`ScriptedServer`: any POST is answered by a function `(connection, request bytes)`;
the helpers below write the hostile answers: a huge single chunk, a stream that
trickles forever, HTML, JSON of the wrong shape, the Authorization header echoed back.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Respond = Callable[[socket.socket, bytes], None]


def sse_chunk(content: str, role: str | None = None, finish_reason: str | None = None) -> bytes:
    data = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "fake",
        "choices": [
            {"index": 0, "delta": {"role": role, "content": content}, "finish_reason": finish_reason}
        ],
    }
    return f"data: {json.dumps(data)}\n\n".encode()


def chat_completion(content: str) -> dict:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": "fake",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        ],
    }


def header(request: bytes, name: str) -> str | None:
    head = request.split(b"\r\n\r\n", 1)[0].decode()
    for line in head.split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return None


def reply(connection: socket.socket, body: bytes, content_type: str, status: str = "200 OK") -> None:
    """A whole answer with a Content-Length, then the connection closes."""
    connection.sendall(
        f"HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {len(body)}\r\n"
        "connection: close\r\n\r\n".encode()
        + body
    )


@dataclass
class FakeServer:
    port: int = 0
    requests: list[bytes] = field(default_factory=list)
    sent_bytes: int = 0  # body bytes the server managed to send (a client that stops reading stops it)
    _socket: socket.socket | None = None
    _thread: threading.Thread | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def respond(self, connection: socket.socket, request: bytes) -> None:
        raise NotImplementedError

    def stopping(self) -> bool:
        return self._stop.is_set()

    def __enter__(self):
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen()
        self._socket.settimeout(0.05)  # so the serving thread notices `_stop` promptly
        self.port = self._socket.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._socket is not None:
            self._socket.close()

    def _serve(self) -> None:
        assert self._socket is not None
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.settimeout(10)
            with connection:
                request = self._read_request(connection)
                if request is None:
                    continue
                self.requests.append(request)
                with contextlib.suppress(OSError):  # the client went away: what bounded tests expect
                    self.respond(connection, request)

    @staticmethod
    def _read_request(connection: socket.socket) -> bytes | None:
        data = b""
        while b"\r\n\r\n" not in data:
            piece = connection.recv(65536)
            if not piece:
                return None
            data += piece
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        while len(body) < length:
            body += connection.recv(65536)
        return head + b"\r\n\r\n" + body


@dataclass
class CutStreamServer(FakeServer):
    chunked: bool = False  # True: a chunked body that breaks off (no terminating chunk)

    def respond(self, connection: socket.socket, request: bytes) -> None:
        events = [sse_chunk("", role="assistant"), sse_chunk("Hello")]
        if self.chunked:
            connection.sendall(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
            )
            for event in events:
                connection.sendall(f"{len(event):x}\r\n".encode() + event + b"\r\n")
        else:
            connection.sendall(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
            )
            for event in events:
                connection.sendall(event)
        connection.shutdown(socket.SHUT_RDWR)


@dataclass
class ScriptedServer(FakeServer):
    answer: Respond | None = None

    def respond(self, connection: socket.socket, request: bytes) -> None:
        assert self.answer is not None
        self.answer(connection, request)


def huge_single_chunk(server: FakeServer, megabytes: int) -> Respond:
    """One SSE event whose content is `megabytes` MiB of words, written as it is generated."""

    def answer(connection: socket.socket, request: bytes) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n")
        start = b'data: {"id":"x","object":"chat.completion.chunk","created":0,"model":"fake",'
        start += b'"choices":[{"index":0,"delta":{"role":"assistant","content":"'
        connection.sendall(start)
        block = b"dragon " * (1 << 14)  # 112 KiB
        for _ in range(megabytes * (1 << 20) // len(block)):
            if server.stopping():
                return
            connection.sendall(block)
            server.sent_bytes += len(block)
        connection.sendall(b'"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n')
        connection.shutdown(socket.SHUT_RDWR)

    return answer


def trickle_forever(server: FakeServer, every: float = 0.05) -> Respond:
    """A stream that sends one small chunk every `every` seconds and never finishes."""

    def answer(connection: socket.socket, request: bytes) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n")
        while not server.stopping():
            event = sse_chunk("drip ")
            connection.sendall(event)
            server.sent_bytes += len(event)
            time.sleep(every)

    return answer


def fixed(body: bytes, content_type: str, status: str = "200 OK") -> Respond:
    return lambda connection, request: reply(connection, body, content_type, status)


def echo_authorization(status: str = "200 OK", stream: bool = False) -> Respond:
    """The Authorization header sent back: in the answer text (200), or in an error message."""

    def answer(connection: socket.socket, request: bytes) -> None:
        echoed = f"you sent {header(request, 'authorization')}"
        if not status.startswith("200"):
            body = json.dumps({"error": {"message": echoed, "type": "invalid_request_error"}})
            reply(connection, body.encode(), "application/json", status)
        elif stream:
            events = sse_chunk(echoed, role="assistant", finish_reason="stop") + b"data: [DONE]\n\n"
            reply(connection, events, "text/event-stream")
        else:
            reply(connection, json.dumps(chat_completion(echoed)).encode(), "application/json")

    return answer
