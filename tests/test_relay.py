"""Live events between processes (service/relay.py): heard by the others under one shared
numbering, never by the sender, marked not local; kept in a shared log so that a stream resumes
on any replica; a broker that cannot be reached never holds up a writer."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from fastapi.testclient import TestClient

from service.app import create_app
from service.config import Settings
from service.core import Crosscheck
from service.events import Draft, Event, EventBus
from service.relay import EventRelay
from service.schemas import ArticleIn, EventType
from tests.servers import Reader, serving
from tests.workers import REDIS, empty_broker, redis_reason


def _heard(bus: EventBus, since: int, count: int, timeout: float = 10.0) -> list[Event]:
    due = time.monotonic() + timeout
    while time.monotonic() < due:
        events, _complete = bus.since(since)
        if len(events) >= count:
            return list(events)
        time.sleep(0.05)
    return list(bus.since(since)[0])


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
        # A stream resuming here cannot read the shared log: it is told to read afresh.
        kept, complete = writer.events_since(heard_from)
        assert [e.id for e in kept] == [e.id for e in events] and not complete
        assert writer.relay is not None
        started = time.perf_counter()
        writer.relay.publish([Draft(EventType.ARTICLE_ADDED, "s", {})])
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
        sender.publish([Draft(EventType.ARTICLE_ADDED, "s", {"article_id": "a"})])
        assert len(_heard(neighbour.bus, 0, 1)) == 1
        assert other.since(0)[0] == []
    finally:
        for relay in (sender, stranger, neighbour):
            relay.stop()
        ours_db = redis.Redis.from_url(f"{base}/3")
        ours_db.delete(*(f"{sender.channel}:{key}" for key in ("last", "log", "gap")))
        ours_db.close()


def _drafts(count: int, story: str = "story-1") -> list[Draft]:
    return [Draft(EventType.ARTICLE_ADDED, story, {"article_id": f"a{n}"}) for n in range(count)]


@pytest.fixture
def broker() -> Iterator[str]:
    """The test broker, emptied: the shared numbering starts afresh."""
    reason = redis_reason()
    if reason:
        pytest.skip(reason)
    empty_broker()
    yield REDIS
    empty_broker()


@pytest.mark.redis
def test_another_process_hears_the_events_under_their_numbers_and_the_sender_does_not(
    broker: str,
) -> None:
    mine, theirs = EventBus(100), EventBus(100)
    sender, listener = EventRelay(broker, mine), EventRelay(broker, theirs)
    sender.start()
    listener.start()
    try:
        assert sender.listening.wait(10) and listener.listening.wait(10)
        drafts = [*_drafts(1), Draft(EventType.CLAIM_CONTESTED, "story-1", {"claim_id": "c1"})]
        published = sender.publish(drafts)
        heard = _heard(theirs, 0, 2)
        assert [(e.id, e.type, e.story_id, e.at, e.data) for e in heard] == [
            (e.id, e.type, e.story_id, e.at, e.data) for e in published
        ]
        assert published[1].id == published[0].id + 1
        assert all(not e.local for e in heard)
        assert all(e.local for e in published)
        # The other process's next write goes on in the same numbering.
        (answer,) = listener.publish(_drafts(1, "story-2"))
        assert answer.id == published[1].id + 1
        assert [e.id for e in _heard(mine, 0, 3)] == [e.id for e in [*published, answer]]
        # The sender never hears itself: its bus holds its two events and the answer.
        time.sleep(0.5)
        assert len(mine.since(0)[0]) == 3
    finally:
        sender.stop()
        listener.stop()


@pytest.mark.redis
def test_a_stream_resumes_on_a_process_that_did_not_see_the_events(broker: str) -> None:
    writer = EventRelay(broker, EventBus(3))
    written = writer.publish(_drafts(2)) + writer.publish(_drafts(3))
    ids = [e.id for e in written]
    # A replica started afterwards, which heard none of them, reads them from the shared log.
    replica = EventRelay(broker, EventBus(3))
    try:
        events, complete = replica.since(ids[2])
        assert complete and [e.id for e in events] == ids[3:]
        assert [e.data for e in events] == [e.data for e in written[3:]]
        assert not events[0].local
        # Up to date: nothing to send, nothing missed.
        assert replica.since(ids[-1]) == ([], True)
        # The log keeps the latest three: from before them, some are gone.
        events, complete = replica.since(ids[0])
        assert not complete and [e.id for e in events] == ids[2:]
        # A number the processes never gave (a stream of an earlier broker) reads afresh.
        assert not replica.since(ids[-1] + 10)[1]
    finally:
        writer.stop()
        replica.stop()


@pytest.mark.redis
def test_events_numbered_while_the_broker_was_away_make_resumes_from_before_resync(
    broker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import service.relay

    monkeypatch.setattr(service.relay, "DOWN_SECONDS", 0.2)
    writer, replica = EventRelay(broker, EventBus(100)), EventRelay(broker, EventBus(100))
    admin = redis.Redis.from_url(broker)
    try:
        (before,) = writer.publish(_drafts(1))
        # The broker takes no writes for longer than the writer waits on it.
        admin.execute_command("CLIENT", "PAUSE", "1500", "WRITE")
        (alone,) = writer.publish(_drafts(1))
        assert alone.local and alone.id > before.id
        time.sleep(1.8)
        (after,) = writer.publish(_drafts(1))
        assert after.id == before.id + 1  # the shared numbering goes on
        assert alone.id > after.id  # numbered apart, from the clock: never a shared number
        # The event numbered alone is not in the shared log: a resume from before it resyncs,
        # and so does one from its own number; from the first shared number after it, not.
        for last in (before.id, alone.id):
            events, complete = replica.since(last)
            assert not complete
        assert replica.since(before.id)[0][0].id == after.id
        assert replica.since(after.id) == ([], True)
    finally:
        admin.execute_command("CLIENT", "UNPAUSE")
        admin.close()
        writer.stop()
        replica.stop()


@pytest.mark.redis
@pytest.mark.models
def test_a_stream_that_drops_resumes_on_another_replica(
    broker: str, tmp_path: Path, settings: Settings, core: Crosscheck, seed_texts: dict[str, str]
) -> None:
    """Two API replicas over one database and one broker: a client that read replica A's
    stream, dropped, and reconnected to replica B with Last-Event-ID gets what it missed, under
    the same numbers, and nothing twice."""
    shared = settings.model_copy(
        update={
            "database_url": f"sqlite:///{tmp_path / 'store.db'}",
            "broker_url": broker,
            "events_heartbeat_seconds": 0.2,
        }
    )
    replicas = [Crosscheck(shared, models=core.models) for _ in range(2)]
    try:
        with (
            serving(create_app(shared, core=replicas[0])) as (host, port_a),
            serving(create_app(shared, core=replicas[1])) as (_, port_b),
        ):
            on_a = Reader(f"http://{host}:{port_a}", {}).start()
            with httpx.Client(base_url=f"http://{host}:{port_a}", timeout=300) as http:
                for source, name in (("IranWire", "iranwire"), ("The Guardian", "guardian")):
                    body = {"text": seed_texts[name], "source": source, "story": "replicas"}
                    assert http.post("/v1/articles", json=body).status_code == 201
            assert on_a.wait(lambda: len(on_a.of("article.added")) == 2)
            time.sleep(0.5)  # every event of the second write has come
            seen = on_a.of("article.added")[:1]
            everything = [json.loads(e["data"]) for e in on_a.events]
            first = seen[0]["id"]
            on_b = Reader(f"http://{host}:{port_b}", {"Last-Event-ID": str(first)}).start()
            rest = everything[1:]
            assert on_b.wait(lambda: len(on_b.events) >= len(rest))
            time.sleep(0.5)
            resumed = [json.loads(e["data"]) for e in on_b.events]
            assert [e["id"] for e in resumed] == [e["id"] for e in rest]
            assert resumed == rest
            assert not on_b.of("resync")
            for replica in replicas:
                replica.events.close()
            assert on_a.wait(lambda: on_a.ended) and on_b.wait(lambda: on_b.ended)
    finally:
        for replica in replicas:
            replica.close()
