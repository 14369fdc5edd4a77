"""A threaded HTTP server on 127.0.0.1 that logs requests, can add latency, and injects faults on
chosen paths: error answers (with Retry-After), hangs, resets and bodies cut short."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

FaultKind = Literal["answer", "hang", "reset", "drop"]


@dataclass
class Fault:
    """For the next `times` requests whose path contains `path_part`, misbehave as `kind` says.

    "answer": reply `status`, `headers` and `body`; "hang": never reply; "reset": close the
    connection with a TCP reset before replying; "drop": send the real answer's headers (with its
    Content-Length) and half its body, then close.
    """

    path_part: str
    kind: FaultKind
    times: int
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class LoopbackServer:
    """Serve `answer(method, path, body) -> (status, content_type, body)` on a free loopback port.

    `latency` seconds are added before every answer; `peak_in_flight` is the most requests it has
    been answering at the same time since the last `reset`.
    """

    def __init__(self, answer: Callable[[str, str, bytes], tuple[int, str, bytes]]) -> None:
        self.answer = answer
        self.requests: list[tuple[str, str]] = []
        self.faults: list[Fault] = []
        self.latency = 0.0
        self.in_flight = 0
        self.peak_in_flight = 0
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:<port>"""
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LoopbackServer:
        """Start serving in a background thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Release hanging requests and stop serving."""
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def reset(self) -> None:
        """Forget logged requests and faults, and release any hanging request."""
        with self.lock:
            self.requests.clear()
            self.faults.clear()
            self.peak_in_flight = 0
        self.release.set()
        self.release = threading.Event()

    def fail(
        self, path_part: str, status: int, times: int = 1, body: bytes = b"", retry_after: str | None = None
    ) -> None:
        """Answer `status` (and `body`, and a Retry-After header if given) to the next `times` requests
        whose path contains `path_part`."""
        headers = {} if retry_after is None else {"Retry-After": retry_after}
        self._add(Fault(path_part, "answer", times, status, body or f"injected {status}".encode(), headers))

    def hang(self, path_part: str, times: int = 1) -> None:
        """Never answer the next `times` requests whose path contains `path_part` (until reset)."""
        self._add(Fault(path_part, "hang", times))

    def reset_connection(self, path_part: str, times: int = 1) -> None:
        """Reset the connection (TCP RST, no answer) of the next `times` requests matching `path_part`."""
        self._add(Fault(path_part, "reset", times))

    def drop_mid_body(self, path_part: str, times: int = 1) -> None:
        """Send headers and half the body, then close, for the next `times` requests matching `path_part`."""
        self._add(Fault(path_part, "drop", times))

    def _add(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def count(self, path_part: str = "", method: str | None = None) -> int:
        """How many logged requests have `path_part` in their path (and `method`, if given)."""
        with self.lock:
            return sum(1 for m, p in self.requests if path_part in p and (method is None or m == method))

    def _take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.path_part in path and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None


def _handler_for(server: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            # Without this, Nagle's algorithm holds back each small answer for ~40 ms (delayed ACK).
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().setup()

        def log_message(self, format: str, *args: object) -> None:
            return

        def do_GET(self) -> None:
            self._serve("GET", b"")

        def do_HEAD(self) -> None:
            self._serve("HEAD", b"")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._serve("POST", self.rfile.read(length))

        def _serve(self, method: str, body: bytes) -> None:
            with server.lock:
                server.requests.append((method, self.path))
                server.in_flight += 1
                server.peak_in_flight = max(server.peak_in_flight, server.in_flight)
            try:
                self._answer(method, body)
            finally:
                with server.lock:
                    server.in_flight -= 1

        def _answer(self, method: str, body: bytes) -> None:
            if server.latency:
                time.sleep(server.latency)
            fault = server._take_fault(self.path)
            kind = "answer" if fault is None else fault.kind
            if kind == "hang":
                server.release.wait(30)
                self.close_connection = True
                return
            if kind == "reset":
                self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                return
            if fault is not None and kind == "answer":
                status, content_type, payload, headers = fault.status, "application/json", fault.body, fault.headers
            else:
                (status, content_type, payload), headers = server.answer(method, self.path, body), {}
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if method == "HEAD":
                return
            if kind == "drop":
                self.wfile.write(payload[: len(payload) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(payload)

    return Handler


@contextlib.contextmanager
def unaccepting_port() -> Iterator[int]:
    """A loopback port whose listen queue is full, so that new connections time out while connecting."""
    listener = socket.socket()
    fillers: list[socket.socket] = []
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        for _ in range(3):
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
            fillers.append(filler)
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
