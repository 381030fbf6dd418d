"""Real servers on local sockets for the tests: the app under uvicorn, webhook receivers, and a
reader of its live event stream."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
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


@dataclass
class Reader:
    """Reads GET /v1/events on a thread of its own, parsing each server-sent event."""

    base: str
    headers: dict[str, str]
    params: dict[str, str] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    status: int | None = None
    ended: bool = False
    _seen: threading.Condition = field(default_factory=threading.Condition)

    def start(self) -> Reader:
        threading.Thread(target=self._read, daemon=True).start()
        assert self.wait(lambda: bool(self.comments) or self.ended), "the stream did not open"
        return self

    def _read(self) -> None:
        fields: dict[str, str] = {}
        timeout = httpx.Timeout(30, read=120)
        with (
            httpx.Client(base_url=self.base, timeout=timeout) as http,
            http.stream("GET", "/v1/events", params=self.params, headers=self.headers) as answer,
        ):
            self.status = answer.status_code
            for line in answer.iter_lines():
                with self._seen:
                    if line.startswith(":"):
                        self.comments.append(line[1:].strip())
                    elif line:
                        name, _, value = line.partition(": ")
                        fields[name] = value
                    else:
                        if "data" in fields:  # as a browser does: no data, no event
                            self.events.append(fields)
                        fields = {}
                    self._seen.notify_all()
        with self._seen:
            self.ended = True
            self._seen.notify_all()

    def wait(self, done: Callable[[], bool], timeout: float = 120) -> bool:
        with self._seen:
            return self._seen.wait_for(done, timeout)

    def of(self, kind: str) -> list[dict[str, Any]]:
        """The data of the events of one kind, in order."""
        with self._seen:
            return [json.loads(e["data"]) for e in self.events if e.get("event") == kind]
