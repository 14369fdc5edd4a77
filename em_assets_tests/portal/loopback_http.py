"""A threaded HTTP server on 127.0.0.1 that logs requests and can fail or hang on chosen paths."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Fault:
    """For requests whose path contains `path_part`: answer `status` and `body` (hang if no status)."""

    path_part: str
    status: int | None
    times: int
    body: bytes = b""


class LoopbackServer:
    """Serve `answer(method, path, body) -> (status, content_type, body)` on a free loopback port."""

    def __init__(self, answer: Callable[[str, str, bytes], tuple[int, str, bytes]]) -> None:
        self.answer = answer
        self.requests: list[tuple[str, str]] = []
        self.faults: list[Fault] = []
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
        self.release.set()
        self.release = threading.Event()

    def fail(self, path_part: str, status: int, times: int = 1, body: bytes = b"") -> None:
        """Answer `status` (and `body`) to the next `times` requests whose path contains `path_part`."""
        with self.lock:
            self.faults.append(Fault(path_part, status, times, body or f"injected {status}".encode()))

    def hang(self, path_part: str, times: int = 1) -> None:
        """Never answer the next `times` requests whose path contains `path_part` (until reset)."""
        with self.lock:
            self.faults.append(Fault(path_part, None, times))

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
            fault = server._take_fault(self.path)
            if fault is not None and fault.status is None:
                server.release.wait(30)
                self.close_connection = True
                return
            if fault is not None:
                status, kind, payload = fault.status, "application/json", fault.body
            else:
                status, kind, payload = server.answer(method, self.path, body)
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(payload)

    return Handler
