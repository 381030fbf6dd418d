"""Live events across processes: with a broker, every process that writes (API replicas,
`crosscheck worker` processes) tells the others what it committed, over Redis pub/sub.

Each process numbers and keeps the events it hears on its own bus (`service.events`), so a
live stream on any replica shows ingests that a worker made. Webhooks stay with the writer:
an event heard from another process is marked `local=False`, and only the process that
committed it delivers it (`service.delivery`), so a webhook gets each event once however many
replicas run.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any

import redis

from service.events import Draft, EventBus
from service.schemas import EventType

log = logging.getLogger(__name__)

CHANNEL = "crosscheck:events"
DOWN_SECONDS = 10
"""After a failed send, how long events are not relayed (live streams of the other processes
miss them; they resync from the story)."""


class EventRelay:
    """Sends this process's committed events to the others, and hears theirs.

    Args:
        url: The Redis URL (the broker's).
        bus: This process's event bus.
    """

    def __init__(self, url: str, bus: EventBus) -> None:
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        self.bus = bus
        # Pub/sub channels are shared by every database of a Redis server: the channel names
        # the broker's database, so deployments on one server with their own databases stay
        # apart, as their queues do.
        self.channel = f"{CHANNEL}:{self._redis.connection_pool.connection_kwargs.get('db', 0)}"
        self.token = uuid.uuid4().hex
        """Who sent a message: a process never hears itself."""
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()
        """Set while this process is subscribed and hears the others."""
        self._down_until = 0.0
        """While the broker is unreachable, writers do not wait on it (monotonic time)."""

    def send(self, drafts: Sequence[Draft]) -> None:
        """Tell the other processes about committed events; a broker that cannot be reached
        is logged, never raised (the transaction has committed)."""
        if not drafts or time.monotonic() < self._down_until:
            return
        message = {
            "from": self.token,
            "events": [
                {"type": d.type.value, "story_id": d.story_id, "data": d.data} for d in drafts
            ],
        }
        try:
            self._redis.publish(self.channel, json.dumps(message))
        except (redis.RedisError, OSError) as exc:
            self._down_until = time.monotonic() + DOWN_SECONDS
            log.warning(
                "events not relayed to other processes for %d s: %s",
                DOWN_SECONDS,
                type(exc).__name__,
            )

    def start(self) -> None:
        """Hear the other processes' events in a background thread (once per relay); a broker
        that cannot be reached is tried again every second, never raised."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._hear, name="crosscheck-relay", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop hearing (the thread ends within a second)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._redis.close()

    def _hear(self) -> None:
        pubsub: Any = None
        while not self._stopping.is_set():
            try:
                if pubsub is None:
                    pubsub = self._redis.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
                    pubsub.subscribe(self.channel)
                    self.listening.set()
                message = pubsub.get_message(timeout=1.0)
            except (redis.RedisError, OSError) as exc:
                self.listening.clear()
                log.warning("event relay: %s; listening again", type(exc).__name__)
                if pubsub is not None:
                    pubsub.close()
                pubsub = None
                self._stopping.wait(1.0)
                continue
            if message is None:
                continue
            self._tell(message["data"])
        if pubsub is not None:
            pubsub.close()

    def _tell(self, raw: bytes) -> None:
        """Publish on this process's bus what another process committed."""
        try:
            body = json.loads(raw)
            if body["from"] == self.token:
                return
            drafts = [
                Draft(EventType(e["type"]), str(e["story_id"]), dict(e["data"]))
                for e in body["events"]
            ]
        except (ValueError, KeyError, TypeError):
            log.warning("event relay: a message that is not crosscheck's was ignored")
            return
        self.bus.publish(drafts, local=False)
