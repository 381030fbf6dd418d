"""Events: what a committed write changed, told to the live streams and the webhooks.

A write records what it changes on its session (`pending(session)`) while it runs: ingest the
articles it adds, `editing.update_verdict` each verdict it changes, the core each edit by hand.
Only once the transaction commits does the core hand them to the one `EventBus` of the
process, which numbers them, keeps the latest for streams that resume, and passes each to its
subscribers: the server-sent event streams (`GET /v1/events`) and the webhook dispatcher. A
write that rolls back announces nothing.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from models.labels import Verdict
from service.schemas import EventPublic, EventType

log = logging.getLogger(__name__)

_PENDING = "crosscheck.events"


@dataclass(frozen=True)
class Draft:
    """An event not numbered yet: it waits for its transaction to commit."""

    type: EventType
    story_id: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Event:
    """A committed event, numbered by the bus."""

    id: int
    type: EventType
    story_id: str
    at: datetime
    data: dict[str, Any]
    local: bool = True
    """Committed by this process (False: heard from another one, `service.relay`); only the
    process that committed an event delivers it to webhooks."""

    def public(self) -> EventPublic:
        """The event in its documented shape (SSE data and webhook body alike)."""
        return EventPublic(
            id=self.id, type=self.type, story_id=self.story_id, at=self.at, data=self.data
        )


@dataclass
class _VerdictChange:
    story_id: str
    claim: dict[str, Any]
    before: str | None
    after: str
    supporting: int
    contradicting: int


@dataclass
class Pending:
    """The events of one transaction, in the order they happened."""

    articles: list[Draft] = field(default_factory=list)
    verdicts: dict[str, _VerdictChange] = field(default_factory=dict)
    edits: list[Draft] = field(default_factory=list)
    new_claims: set[str] = field(default_factory=set)

    def article_added(
        self,
        story_id: str,
        article_id: str,
        source: str,
        title: str | None,
        url: str | None,
        claim_ids: Collection[str],
    ) -> None:
        """A new article with these claims (whose first verdict is no change)."""
        data = {
            "article_id": article_id,
            "source": source,
            "title": title,
            "url": url,
            "claims": len(claim_ids),
        }
        self.articles.append(Draft(EventType.ARTICLE_ADDED, story_id, data))
        self.new_claims |= set(claim_ids)

    def verdict(
        self,
        story_id: str,
        claim: dict[str, Any],
        before: str,
        after: str,
        supporting: int,
        contradicting: int,
    ) -> None:
        """A claim's verdict was recomputed; several updates in one write count once, from
        the verdict before the first to the one after the last."""
        claim_id = str(claim["claim_id"])
        known = self.verdicts.get(claim_id)
        if known is None:
            first = None if claim_id in self.new_claims else before
            self.verdicts[claim_id] = _VerdictChange(
                story_id, claim, first, after, supporting, contradicting
            )
            return
        known.story_id, known.after = story_id, after
        known.supporting, known.contradicting = supporting, contradicting

    def story_edited(self, story_ids: Iterable[str], data: dict[str, Any]) -> None:
        """An edit by hand changed these stories."""
        for story_id in dict.fromkeys(story_ids):
            self.edits.append(Draft(EventType.STORY_EDITED, story_id, data))

    def drafts(self) -> list[Draft]:
        """The events to announce: articles, then verdicts that really changed, then edits."""
        out = list(self.articles)
        for change in self.verdicts.values():
            if change.before == change.after:
                continue
            data = change.claim | {
                "before": change.before,
                "after": change.after,
                "supporting_origins": change.supporting,
                "contradicting_origins": change.contradicting,
            }
            if change.before is not None:
                out.append(Draft(EventType.VERDICT_CHANGED, change.story_id, data))
            if change.after == Verdict.CONTESTED.value:
                out.append(Draft(EventType.CLAIM_CONTESTED, change.story_id, data))
        return out + self.edits


def pending(session: Session) -> Pending:
    """The events recorded so far by the transaction of this session."""
    found = session.info.get(_PENDING)
    if not isinstance(found, Pending):
        found = session.info[_PENDING] = Pending()
    return found


Listener = Callable[[Event], None]


class Stream:
    """One live subscriber on an event loop (a server-sent event stream).

    The bus hands events over from any thread; when more than `size` wait unread, the stream
    is closed (`overflowed`) rather than let memory grow: its client resumes with
    Last-Event-ID.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, size: int) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self.size = size
        self.overflowed = False

    def _put(self, event: Event | None) -> None:
        # Runs on the stream's own loop, so the size it reads is exact.
        if self.overflowed:
            return
        if event is not None and self.queue.qsize() >= self.size:
            self.overflowed = True
            event = None
        self.queue.put_nowait(event)

    def offer(self, event: Event | None) -> bool:
        """Queue an event (None: the end); False when the loop is gone."""
        try:
            self.loop.call_soon_threadsafe(self._put, event)
        except RuntimeError:
            return False
        return True


class EventBus:
    """Numbers committed events, keeps the latest `keep`, and tells the subscribers.

    Numbers start from the microseconds of the clock when the bus starts and go up by one,
    so that they keep increasing across restarts and a gap in them means events were missed.
    """

    def __init__(self, keep: int) -> None:
        self._lock = threading.Lock()
        self.start = time.time_ns() // 1000
        self._next = self.start
        self._recent: deque[Event] = deque(maxlen=keep)
        self._listeners: list[Listener] = []
        self._streams: list[Stream] = []
        self.keep = keep

    def publish(
        self,
        drafts: Iterable[Draft],
        local: bool = True,
        numbered: tuple[Sequence[int], datetime] | None = None,
    ) -> list[Event]:
        """Number committed events and tell every subscriber; a listener that fails is
        logged, never raised to the writer (whose transaction has committed).

        Args:
            drafts: The events, in the order of their commit.
            local: False for events another process committed (`service.relay`).
            numbered: Their numbers and time when the processes share a numbering
                (`service.relay`); None: this bus numbers them.
        """
        now = datetime.now(UTC) if numbered is None else numbered[1]
        with self._lock:
            events = []
            for n, draft in enumerate(drafts):
                if numbered is None:
                    number = self._next
                    self._next += 1
                else:
                    number = numbered[0][n]
                events.append(Event(number, draft.type, draft.story_id, now, draft.data, local))
            self._recent.extend(events)
            listeners, streams = list(self._listeners), list(self._streams)
        for event in events:
            for listener in listeners:
                try:
                    listener(event)
                except Exception:
                    log.exception("event listener failed on event %d", event.id)
            gone = [s for s in streams if not s.offer(event)]
            for stream in gone:
                self.unsubscribe(stream)
        return events

    def skip_to(self, number: int) -> None:
        """Number the next events from `number` at least (`service.relay`: numbers of its own
        that never meet the shared ones while the broker is away)."""
        with self._lock:
            self._next = max(self._next, number)

    def listen(self, listener: Listener) -> None:
        """Call `listener` with each event, in the publishing thread: it must return at once."""
        with self._lock:
            self._listeners.append(listener)

    def unlisten(self, listener: Listener) -> None:
        """Stop calling `listener`."""
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def subscribe(self, stream: Stream) -> None:
        """Queue each event to come on a live stream."""
        with self._lock:
            self._streams.append(stream)

    def unsubscribe(self, stream: Stream) -> None:
        """Stop queueing events on a stream."""
        with self._lock:
            if stream in self._streams:
                self._streams.remove(stream)

    def since(self, last: int) -> tuple[list[Event], bool]:
        """The kept events numbered after `last`, and whether all of those are kept (False:
        some were dropped, or `last` came from before this bus started)."""
        with self._lock:
            after = [e for e in self._recent if e.id > last]
            oldest = self._recent[0].id if self._recent else self._next
            complete = self.start - 1 <= last < self._next and last >= oldest - 1
        return after, complete

    def close(self) -> None:
        """End every live stream (the server stops)."""
        with self._lock:
            streams, self._streams = self._streams, []
        for stream in streams:
            stream.offer(None)
