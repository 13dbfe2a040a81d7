"""A small HTTP feed server on 127.0.0.1 for the offline demo (and tests): serves documents that can
change between polls, with ETag / If-None-Match so a warm poll costs a 304."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Document = tuple[int, dict[str, str], bytes]  # status, headers, body


class FeedServer:
    """``routes`` maps a path to a function returning (status, headers, body) at request time."""

    def __init__(self, routes: dict[str, Callable[[], Document]] | None = None, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Callable[[], Document]] = dict(routes or {})
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # quiet: the demo prints its own story
                pass

            def do_GET(self) -> None:
                server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                route = server.routes.get(self.path.split("?")[0])
                if route is None:
                    status, headers, body = 404, {"Content-Type": "text/plain"}, b"not found"
                else:
                    status, headers, body = route()
                headers = dict(headers)
                if status == 200:
                    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                    headers["ETag"] = etag
                    if self.headers.get("If-None-Match") == etag:
                        status, body = 304, b""
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._httpd = ThreadingHTTPServer((host, 0), Handler)
        self._httpd.daemon_threads = True
        # shutdown() returns only when serve_forever next looks at its flag: every poll_interval (0.5 s by
        # default, waited out at every exit of the demo and of each test that serves feeds with this class).
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
