"""Real servers on local sockets for the tests: the app under uvicorn, and webhook receivers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import uvicorn
from fastapi import FastAPI


@contextmanager
def serving(app: FastAPI) -> Iterator[tuple[str, int]]:
    """uvicorn serving `app` on a free port of 127.0.0.1 in a thread, lifespan and all."""
    # A stream still open at the end must not hold the shutdown up for ever.
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    while not running.started:
        if not thread.is_alive():
            raise RuntimeError("the server did not start")
        threading.Event().wait(0.05)
    port = running.servers[0].sockets[0].getsockname()[1]
    try:
        yield "127.0.0.1", port
    finally:
        running.should_exit = True
        thread.join()


@dataclass(frozen=True)
class Delivery:
    """One request a receiver got: its headers (lower-cased names) and raw body."""

    headers: dict[str, str]
    body: bytes


class Receiver:
    """A webhook receiver (http.server) on 127.0.0.1 that records every POST.

    Args:
        fail: Answer 500 to this many requests first, then 204.
        hold: When given, each answer waits until this event is set.
    """

    def __init__(self, fail: int = 0, hold: threading.Event | None = None) -> None:
        self.fail = fail
        self.hold = hold
        self.received: list[Delivery] = []
        self._arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._arrived:
                    receiver.received.append(
                        Delivery({k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    failing = len(receiver.received) <= receiver.fail
                    receiver._arrived.notify_all()
                if receiver.hold is not None:
                    receiver.hold.wait()
                self.send_response(500 if failing else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet tests

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Where it listens."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    def wait_for(self, count: int, timeout: float = 60.0) -> list[Delivery]:
        """The first `count` requests, once they arrived (AssertionError if they do not)."""
        with self._arrived:
            arrived = self._arrived.wait_for(lambda: len(self.received) >= count, timeout)
            assert arrived, f"{len(self.received)} of {count} deliveries arrived"
            return list(self.received[:count])

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.hold is not None:
            self.hold.set()
        self.server.shutdown()
        self.server.server_close()
