"""A real HTTP server on 127.0.0.1 with scripted answers (status sequences, Last-Modified), and
hostile ones: a redirect elsewhere, a body (or a whole response) sent one byte at a time."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    statuses: list[int] = field(default_factory=lambda: [200])  # consumed per request; the last one repeats
    last_modified: str = field(default_factory=lambda: formatdate(usegmt=True))
    redirect: str | None = None  # answer 302 with this Location instead
    drip: float | None = None  # seconds between single bytes of the body
    drip_headers: bool = False  # with drip: send the status line and headers a byte at a time too


@dataclass
class FakeSite:
    base: str
    routes: dict[str, Route]
    hits: Counter[str]
    conditional_hits: Counter[str]

    def url(self, path: str) -> str:
        return self.base + path


@contextmanager
def serve_site() -> Iterator[FakeSite]:
    """A threaded HTTP server on a free port; ``routes`` may be filled after it started."""
    routes: dict[str, Route] = {}
    hits: Counter[str] = Counter()
    conditional: Counter[str] = Counter()
    lock = threading.Lock()
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with lock:
                hits[self.path] += 1
                route = routes.get(self.path)
                status = 404 if route is None else route.statuses[min(hits[self.path], len(route.statuses)) - 1]
                if route is not None and self.headers.get("If-Modified-Since") == route.last_modified:
                    conditional[self.path] += 1
                    if status == 200:
                        status = 304
            if route is not None and route.redirect is not None:
                self.send_response(302)
                self.send_header("Location", route.redirect)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = route.body if (route is not None and status == 200) else b""
            if route is not None and route.drip is not None:
                self._drip(status, body, route)
                return
            self.send_response(status)
            if route is not None and status in (200, 304):
                self.send_header("Last-Modified", route.last_modified)
            self.send_header("Content-Type", "application/pdf" if status == 200 else "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _drip(self, status: int, body: bytes, route: Route) -> None:
            head = f"HTTP/1.1 {status} OK\r\nContent-Type: application/pdf\r\nContent-Length: {len(body)}\r\n\r\n"
            if not route.drip_headers:
                self.wfile.write(head.encode())
                self.wfile.flush()
                head = ""
            for i, byte in enumerate(head.encode() + body):
                if i and stop.wait(route.drip):  # the server is shutting down
                    return
                try:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                except OSError:  # the client gave up
                    return
            self.close_connection = True

        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield FakeSite(f"http://127.0.0.1:{server.server_address[1]}", routes, hits, conditional)
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
