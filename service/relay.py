"""Live events across processes: with a broker, every process that writes (API replicas,
`crosscheck worker` processes) tells the others what it committed, over Redis pub/sub.

The processes share one numbering of events and one log of the latest: a script in the
broker's Redis numbers a write's events, keeps them, and tells the others, in one atomic step.
So a stream that drops can resume (`Last-Event-ID`) on any replica, and every process's bus
(`service.events`) holds each event under the same number. Webhooks stay with the writer: an
event heard from another process is marked `local=False`, and only the process that committed
it delivers it (`service.delivery`), so a webhook gets each event once however many replicas
run.

While the broker cannot be reached, a writer numbers its events on its own bus (its own
streams and webhooks still get them) and, once the broker answers again, marks the gap in the
shared log: a stream resuming from before it is told to resync.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import redis

from service.events import Draft, Event, EventBus
from service.schemas import EventType

log = logging.getLogger(__name__)

CHANNEL = "crosscheck:events"
DOWN_SECONDS = 10
"""After a failed send, how long events are not relayed (live streams of the other processes
miss them; they resync from the story)."""

# KEYS: the last-number counter, the log (a sorted set by number), the gap mark (the first
# number after events were numbered apart: a resume from before it may have missed some).
# ARGV: the channel, how many events the log keeps, the sender, the counter's first value,
# 1 when events were numbered alone before this call (a gap), then one JSON event each.
# Numbers stay below 2^53, so Lua's doubles hold them exactly and "%d" writes them whole.
_NUMBER = """
redis.call('SET', KEYS[1], ARGV[4], 'NX')
local entries = {}
local first = nil
for i = 6, #ARGV do
  local id = redis.call('INCR', KEYS[1])
  if first == nil then first = id end
  local entry = '{"id":' .. string.format('%d', id) .. ',"event":' .. ARGV[i] .. '}'
  redis.call('ZADD', KEYS[2], id, entry)
  entries[#entries + 1] = entry
end
if ARGV[5] == '1' then redis.call('SET', KEYS[3], string.format('%d', first)) end
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[2]) + 1))
redis.call('PUBLISH', ARGV[1], '{"from":"' .. ARGV[3] .. '","events":[' ..
  table.concat(entries, ',') .. ']}')
return string.format('%d', first)
"""


def _event(entry: Any, local: bool) -> Event:
    """An event of the shared log or of a relayed message (`{"id", "event"}`)."""
    body = entry["event"]
    return Event(
        int(entry["id"]),
        EventType(body["type"]),
        str(body["story_id"]),
        datetime.fromisoformat(body["at"]),
        dict(body["data"]),
        local,
    )


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
        self._gap = False
        """Events were numbered by this process alone since the last shared numbering."""
        keys = self.channel
        self._last_key, self._log_key, self._gap_key = f"{keys}:last", f"{keys}:log", f"{keys}:gap"
        self._script = self._redis.register_script(_NUMBER)

    def publish(self, drafts: Sequence[Draft]) -> list[Event]:
        """Number committed events in the shared numbering, keep them in the shared log, tell
        the other processes, then this process's bus. A broker that cannot be reached is
        logged, never raised (the transaction has committed): the bus numbers them alone."""
        if not drafts:
            return []
        if time.monotonic() >= self._down_until:
            at = datetime.now(UTC)
            bodies = [
                json.dumps(
                    {
                        "type": d.type.value,
                        "story_id": d.story_id,
                        "at": at.isoformat(),
                        "data": d.data,
                    }
                )
                for d in drafts
            ]
            try:
                first = int(
                    self._script(
                        keys=[self._last_key, self._log_key, self._gap_key],
                        args=[
                            self.channel,
                            self.bus.keep,
                            self.token,
                            self.bus.start,
                            "1" if self._gap else "0",
                            *bodies,
                        ],
                    )
                )
            except (redis.RedisError, OSError) as exc:
                self._down_until = time.monotonic() + DOWN_SECONDS
                log.warning(
                    "events not relayed to other processes for %d s: %s",
                    DOWN_SECONDS,
                    type(exc).__name__,
                )
            else:
                self._gap = False
                ids = range(first, first + len(drafts))
                return self.bus.publish(drafts, numbered=(ids, at))
        self._gap = True
        # The shared numbers count up by one from a process's start; the clock's microseconds
        # are far past them, so numbers taken from the clock never meet them.
        self.bus.skip_to(time.time_ns() // 1000)
        return self.bus.publish(drafts)

    def since(self, last: int) -> tuple[list[Event], bool]:
        """The events of the shared log numbered after `last`, and whether all of those are
        kept (False: some were dropped or numbered apart, or `last` is not one of its numbers).
        While the broker cannot be reached: what this process's bus holds, and False."""
        try:
            with self._redis.pipeline(transaction=True) as pipe:
                pipe.get(self._last_key)
                pipe.get(self._gap_key)
                pipe.zrange(self._log_key, 0, 0, withscores=True)
                pipe.zrangebyscore(self._log_key, f"({last}", "+inf")
                latest, gap, oldest, after = pipe.execute()
        except (redis.RedisError, OSError) as exc:
            log.warning("shared event log unreachable: %s", type(exc).__name__)
            return self.bus.since(last)[0], False
        events = [_event(json.loads(entry), local=False) for entry in after]
        if latest is None:
            return events, False
        floor = int(oldest[0][1]) - 1 if oldest else int(latest)
        if gap is not None:
            floor = max(floor, int(gap))
        return events, floor <= last <= int(latest)

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
        """Publish on this process's bus what another process committed, under its number."""
        try:
            body = json.loads(raw)
            if body["from"] == self.token:
                return
            events = [_event(entry, local=False) for entry in body["events"]]
        except (ValueError, KeyError, TypeError):
            log.warning("event relay: a message that is not crosscheck's was ignored")
            return
        for event in events:  # one write's events share their time
            draft = Draft(event.type, event.story_id, event.data)
            self.bus.publish([draft], local=False, numbered=([event.id], event.at))
