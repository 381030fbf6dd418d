"""Live events between processes (service/relay.py): heard by the others, never by the sender,
marked not local; a broker that cannot be reached never holds up a writer."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.config import Settings
from service.core import Crosscheck
from service.events import Draft, EventBus
from service.relay import EventRelay
from service.schemas import ArticleIn, EventType
from tests.workers import REDIS, redis_reason


def _heard(bus: EventBus, since: int, count: int, timeout: float = 10.0) -> list[object]:
    due = time.monotonic() + timeout
    while time.monotonic() < due:
        events, _complete = bus.since(since)
        if len(events) >= count:
            return list(events)
        time.sleep(0.05)
    return list(bus.since(since)[0])


@pytest.mark.redis
@pytest.mark.skipif(bool(redis_reason()), reason=str(redis_reason()))
def test_another_process_hears_the_events_and_the_sender_does_not() -> None:
    mine, theirs = EventBus(100), EventBus(100)
    sender, listener = EventRelay(REDIS, mine), EventRelay(REDIS, theirs)
    sender.start()
    listener.start()
    try:
        assert sender.listening.wait(10) and listener.listening.wait(10)
        drafts = [
            Draft(EventType.ARTICLE_ADDED, "story-1", {"article_id": "a1"}),
            Draft(EventType.CLAIM_CONTESTED, "story-1", {"claim_id": "c1"}),
        ]
        published = mine.publish(drafts)
        sender.send(drafts)
        heard = _heard(theirs, theirs.start - 1, 2)
        assert [(e.type, e.story_id, e.data) for e in heard] == [  # type: ignore[attr-defined]
            (d.type, d.story_id, d.data) for d in drafts
        ]
        assert all(not e.local for e in heard)  # type: ignore[attr-defined]
        assert all(e.local for e in published)
        # The sender never hears itself: its bus holds its two events only.
        time.sleep(0.5)
        assert len(mine.since(mine.start - 1)[0]) == 2
    finally:
        sender.stop()
        listener.stop()


def test_an_unreachable_broker_never_holds_up_a_writer(
    tmp_path: Path, settings: Settings, core: Crosscheck, seed_texts: dict[str, str]
) -> None:
    # Nothing listens on this port: every relay send fails at once.
    broken = settings.model_copy(
        update={
            "database_url": f"sqlite:///{tmp_path / 'store.db'}",
            "broker_url": "redis://127.0.0.1:1/0",
        }
    )
    writer = Crosscheck(broken, models=core.models)
    try:
        heard_from = writer.events.start - 1
        stored = writer.submit([ArticleIn(text=seed_texts["iranwire"], source="IranWire")])
        assert stored.data[0].created
        # Its own bus still tells its streams and webhooks.
        events, _complete = writer.events.since(heard_from)
        assert [e.type for e in events][:1] == [EventType.ARTICLE_ADDED]
        assert writer.relay is not None
        started = time.perf_counter()
        writer.relay.send([Draft(EventType.ARTICLE_ADDED, "s", {})])
        assert time.perf_counter() - started < 0.5  # marked down: not tried again at once
        # The app starts without its broker, and answers.
        with TestClient(create_app(broken, core=writer)) as client:
            assert client.get("/v1/stories").json()["count"] == 1
            assert not writer.relay.listening.is_set()
    finally:
        writer.close()


@pytest.mark.redis
@pytest.mark.skipif(bool(redis_reason()), reason=str(redis_reason()))
def test_deployments_on_other_redis_databases_do_not_hear_each_other() -> None:
    base = REDIS.rsplit("/", 1)[0]
    ours, other = EventBus(10), EventBus(10)
    sender = EventRelay(f"{base}/3", ours)
    stranger = EventRelay(f"{base}/4", other)
    neighbour = EventRelay(f"{base}/3", EventBus(10))
    stranger.start()
    neighbour.start()
    try:
        assert stranger.listening.wait(10) and neighbour.listening.wait(10)
        sender.send([Draft(EventType.ARTICLE_ADDED, "s", {"article_id": "a"})])
        assert len(_heard(neighbour.bus, neighbour.bus.start - 1, 1)) == 1
        assert other.since(other.start - 1)[0] == []
    finally:
        for relay in (sender, stranger, neighbour):
            relay.stop()
