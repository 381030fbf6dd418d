"""Delivering events to webhooks: on background threads, signed, retried with exponential
backoff, each attempt logged. Never in the path of a request: the bus hands an event over by
queueing it, and a receiver that is down or slow delays nothing but its own deliveries.

Retries wait in memory: those still due when the process stops are not made (their log shows
the `next_retry_at` that was never reached).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

from service import webhooks
from service.config import Settings
from service.events import Event, EventBus
from service.store.db import Database

log = logging.getLogger(__name__)


@dataclass(order=True)
class _Job:
    due: float
    order: int
    event: Event = field(compare=False)
    webhook_id: str | None = field(compare=False, default=None)
    """None: find the webhooks that receive the event, and queue an attempt for each."""
    attempt: int = field(compare=False, default=1)


class Dispatcher:
    """Posts each event to the webhooks that receive its type, from `settings.webhook_workers`
    threads.

    Args:
        db: The database of the webhooks and their delivery log.
        settings: Attempts, delays, timeout and threads (`webhook_*`).
        bus: The event bus to listen to.
    """

    def __init__(self, db: Database, settings: Settings, bus: EventBus) -> None:
        self.db = db
        self.settings = settings
        self.bus = bus
        self._jobs: list[_Job] = []
        self._order = itertools.count()
        self._ready = threading.Condition()
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self._client = httpx.Client(
            timeout=settings.webhook_timeout_seconds, follow_redirects=False
        )

    def start(self) -> None:
        """Listen to the bus and start the delivery threads."""
        self.bus.listen(self.enqueue)
        for n in range(self.settings.webhook_workers):
            thread = threading.Thread(target=self._work, name=f"webhooks-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, wait: float = 5.0) -> None:
        """Stop listening and delivering; retries still due are dropped."""
        self.bus.unlisten(self.enqueue)
        with self._ready:
            self._stopping = True
            self._jobs.clear()
            self._ready.notify_all()
        for thread in self._threads:
            thread.join(timeout=wait)
        self._client.close()

    def enqueue(self, event: Event) -> None:
        """Queue an event for delivery; returns at once (the bus calls it after a commit).
        An event heard from another process is that process's to deliver."""
        if not event.local:
            return
        self._push(_Job(time.monotonic(), next(self._order), event))

    def _push(self, job: _Job) -> None:
        with self._ready:
            if not self._stopping:
                heapq.heappush(self._jobs, job)
                self._ready.notify()

    def _next(self) -> _Job | None:
        """The next job once it is due; None when stopping."""
        with self._ready:
            while not self._stopping:
                if self._jobs:
                    wait = self._jobs[0].due - time.monotonic()
                    if wait <= 0:
                        return heapq.heappop(self._jobs)
                    self._ready.wait(timeout=wait)
                else:
                    self._ready.wait()
            return None

    def _work(self) -> None:
        while (job := self._next()) is not None:
            try:
                if job.webhook_id is None:
                    self._fan_out(job.event)
                else:
                    self._attempt(job)
            except Exception:
                # A database error must not end the thread: the next job may well succeed.
                log.exception("webhook job for event %d failed", job.event.id)

    def _fan_out(self, event: Event) -> None:
        with self.db.session() as session:
            hooks = webhooks.subscribed(session, event.type)
        now = time.monotonic()
        for webhook_id, _url, _secret in hooks:
            self._push(_Job(now, next(self._order), event, webhook_id))

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1, 2, …)."""
        base = self.settings.webhook_base_delay_seconds
        return float(min(base * 2 ** (attempt - 1), self.settings.webhook_max_delay_seconds))

    def _attempt(self, job: _Job) -> None:
        assert job.webhook_id is not None
        with self.db.session() as session:
            target = webhooks.target(session, job.webhook_id)
        if target is None:
            return  # deleted or switched off since: no more attempts
        url, secret = target
        body = job.event.public().model_dump_json().encode("utf-8")
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "crosscheck-webhooks",
            webhooks.EVENT_HEADER: job.event.type.value,
            webhooks.DELIVERY_HEADER: str(job.event.id),
            webhooks.ATTEMPT_HEADER: str(job.attempt),
            webhooks.TIMESTAMP_HEADER: str(timestamp),
            webhooks.SIGNATURE_HEADER: webhooks.signature(secret, timestamp, body),
        }
        status: int | None = None
        error: str | None = None
        try:
            # Only the status counts: the receiver's body is never read (it could be endless).
            with self._client.stream("POST", url, content=body, headers=headers) as response:
                status = response.status_code
            if not 200 <= status < 300:
                error = f"the receiver answered {status}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        retry = error is not None and job.attempt < self.settings.webhook_attempts
        wait = self.delay(job.attempt) if retry else 0.0
        with self.db.session() as session:
            webhooks.log_attempt(
                session,
                job.webhook_id,
                job.event.id,
                job.event.type,
                job.attempt,
                status,
                error,
                datetime.now(UTC) + timedelta(seconds=wait) if retry else None,
            )
        if retry:
            self._push(
                _Job(
                    time.monotonic() + wait,
                    next(self._order),
                    job.event,
                    job.webhook_id,
                    job.attempt + 1,
                )
            )
