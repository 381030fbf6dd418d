"""Live events: what a write records, the bus that numbers them after the commit, and the
server-sent event stream read over real HTTP from uvicorn, behind API keys."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.app import create_app
from service.config import AuthMode, Settings
from service.core import Crosscheck
from service.events import Draft, Event, EventBus, Pending, Stream, pending
from service.schemas import EventType, Scope
from tests.problems import assert_problem
from tests.servers import Reader, serving

FIXTURES = Path(__file__).parent / "fixtures"


# --- What a write records, and the bus: plain data, no model --------------------------------


def claim(ident: str) -> dict[str, Any]:
    return {"claim_id": ident, "article_id": "a1", "source": "IranWire", "text": "…"}


def test_a_write_announces_net_changes_and_new_contested_claims() -> None:
    recorded = Pending()
    recorded.article_added("s1", "a1", "IranWire", "Title", None, ["new", "calm"])
    recorded.verdict("s1", claim("new"), "single_source", "contested", 0, 1)
    recorded.verdict("s1", claim("calm"), "single_source", "corroborated", 1, 0)
    recorded.verdict("s1", claim("old"), "single_source", "corroborated", 1, 0)
    recorded.verdict("s1", claim("same"), "corroborated", "corroborated", 2, 0)
    recorded.verdict("s1", claim("back"), "corroborated", "contested", 1, 1)
    recorded.verdict("s2", claim("back"), "contested", "corroborated", 1, 0)
    recorded.verdict("s1", claim("hit"), "corroborated", "contested", 1, 1)
    recorded.story_edited(["s1", "s2", "s1"], {"edit_id": "e1"})
    drafts = [(d.type.value, d.story_id, d.data.get("claim_id")) for d in recorded.drafts()]
    assert drafts == [
        ("article.added", "s1", None),
        ("claim.contested", "s1", "new"),  # a new claim: no verdict change, but contested
        ("verdict.changed", "s1", "old"),
        ("verdict.changed", "s1", "hit"),
        ("claim.contested", "s1", "hit"),
        ("story.edited", "s1", None),
        ("story.edited", "s2", None),
    ]
    contested = recorded.drafts()[1].data
    assert contested["before"] is None and contested["after"] == "contested"
    assert contested["contradicting_origins"] == 1


def test_the_bus_numbers_keeps_and_resumes() -> None:
    bus = EventBus(keep=3)
    heard: list[Event] = []
    bus.listen(heard.append)
    before = bus.start - 1
    drafts = [Draft(EventType.ARTICLE_ADDED, "s", {"n": n}) for n in range(5)]
    events = bus.publish(drafts)
    ids = [e.id for e in events]
    assert ids == list(range(bus.start, bus.start + 5)) and heard == events
    kept, complete = bus.since(ids[2])
    assert [e.id for e in kept] == ids[3:] and complete
    kept, complete = bus.since(before)  # the first two are no longer kept
    assert [e.id for e in kept] == ids[2:] and not complete
    assert not bus.since(before - 10**9)[1]  # an id from before this bus started
    assert bus.since(ids[-1]) == ([], True)


def test_a_failing_listener_never_reaches_the_writer(caplog: pytest.LogCaptureFixture) -> None:
    bus = EventBus(keep=10)
    heard: list[Event] = []

    def broken(event: Event) -> None:
        raise RuntimeError("listener broken on purpose")

    bus.listen(broken)
    bus.listen(heard.append)
    events = bus.publish([Draft(EventType.ARTICLE_ADDED, "s", {})])
    assert heard == events and "listener failed" in caplog.text


def test_a_stream_that_falls_behind_is_closed() -> None:
    async def scenario() -> list[Event | None]:
        bus = EventBus(keep=10)
        stream = Stream(asyncio.get_running_loop(), size=2)
        bus.subscribe(stream)
        bus.publish([Draft(EventType.ARTICLE_ADDED, "s", {"n": n}) for n in range(4)])
        await asyncio.sleep(0)
        got = [stream.queue.get_nowait() for _ in range(stream.queue.qsize())]
        return got

    got = asyncio.run(scenario())
    assert [e.data["n"] for e in got if e is not None] == [0, 1] and got[-1] is None


def test_a_write_that_rolls_back_announces_nothing(tmp_path: Path) -> None:
    core = Crosscheck(
        Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}", demo_dir=None), load_models=False
    )
    heard: list[Event] = []
    core.events.listen(heard.append)
    with pytest.raises(RuntimeError), core._transaction() as session:
        pending(session).story_edited(["s1"], {"edit_id": "e1"})
        raise RuntimeError("the write fails after recording")
    assert heard == []
    with core._transaction() as session:
        pending(session).story_edited(["s1"], {"edit_id": "e2"})
    assert [e.data["edit_id"] for e in heard] == ["e2"]
    core.close()


# --- The stream over HTTP ----------------------------------------------------------------


@dataclass
class Live:
    """What the readers saw while the seeds and a contradicting article were submitted."""

    everything: Reader
    contested: Reader
    resumed: Reader
    stale: Reader
    articles: list[dict[str, Any]]
    story: dict[str, Any]


@pytest.fixture(scope="module")
def server(core: Crosscheck, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """uvicorn over a core of its own that requires keys, with quick heartbeats."""
    db = tmp_path_factory.mktemp("live") / "live.db"
    settings = Settings(
        database_url=f"sqlite:///{db}",
        demo_dir=None,
        auth=AuthMode.REQUIRED,
        events_heartbeat_seconds=0.2,
    )
    own = Crosscheck(settings, models=core.models)
    keys = {scope: own.create_key(scope.value, scope)[1] for scope in Scope}
    with serving(create_app(settings, core=own)) as (host, port):
        yield own, f"http://{host}:{port}", keys
    own.close()


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture(scope="module")
def live(server: Any) -> Live:
    own, base, keys = server
    read = bearer(keys[Scope.READ])
    everything = Reader(base, read).start()
    articles = []
    with httpx.Client(base_url=base, timeout=300, headers=bearer(keys[Scope.INGEST])) as http:

        def submit(name: str, source: str) -> dict[str, Any]:
            text = (FIXTURES / name).read_text(encoding="utf-8")
            body = {"text": text, "source": source, "story": "live"}
            answer = http.post("/v1/articles", json=body)
            assert answer.status_code == 201, answer.text
            article: dict[str, Any] = answer.json()["data"][0]["article"]
            return article

        articles.append(submit("seeds/iranwire.txt", "IranWire"))
        articles.append(submit("seeds/guardian.txt", "The Guardian"))
        story_id = articles[0]["story_id"]
        wanted = {"story": story_id, "types": "claim.contested,verdict.changed"}
        contested = Reader(base, read, wanted).start()
        articles.append(submit("gulf_ledger.txt", "Gulf Ledger"))
        story = http.get(f"/v1/stories/{story_id}").json()
    assert everything.wait(lambda: len(everything.of("article.added")) == 3)
    assert everything.wait(lambda: len(everything.of("claim.contested")) >= story["contested"])
    assert contested.wait(lambda: len(contested.of("claim.contested")) >= story["contested"])
    first = everything.of("article.added")[0]["id"]
    resumed = Reader(base, read | {"Last-Event-ID": str(first)}).start()
    stale = Reader(base, read | {"Last-Event-ID": "0"}).start()
    count = len(everything.events)
    assert resumed.wait(lambda: len(resumed.events) == count - 1)
    assert stale.wait(lambda: len(stale.events) >= 1)
    assert everything.wait(lambda: "heartbeat" in everything.comments)
    own.events.close()  # ends every stream, as the server's shutdown does
    for reader in (everything, contested, resumed, stale):
        assert reader.wait(lambda r=reader: r.ended)  # type: ignore[misc]
    return Live(everything, contested, resumed, stale, articles, story)


@pytest.mark.models
def test_each_event_is_numbered_named_and_shaped(live: Live) -> None:
    events = live.everything.events
    assert live.everything.status == 200
    ids = [int(e["id"]) for e in events]
    assert ids == sorted(set(ids))
    for raw in events:
        data = json.loads(raw["data"])
        assert set(data) == {"id", "type", "story_id", "at", "data"}
        assert str(data["id"]) == raw["id"] and data["type"] == raw["event"]
        assert data["story_id"] == live.story["id"]


@pytest.mark.models
def test_the_stream_tells_each_new_article(live: Live) -> None:
    added = live.everything.of("article.added")
    assert [e["data"]["article_id"] for e in added] == [a["id"] for a in live.articles]
    assert [e["data"]["source"] for e in added] == ["IranWire", "The Guardian", "Gulf Ledger"]
    assert [e["data"]["claims"] for e in added] == [len(a["claims"]) for a in live.articles]


@pytest.mark.models
def test_the_stream_tells_the_claims_that_became_contested(live: Live) -> None:
    told = {e["data"]["claim_id"] for e in live.everything.of("claim.contested")}
    stored = {c["id"] for c in live.story["claim_list"] if c["verdict"] == "contested"}
    assert live.story["contested"] >= 2 and told == stored
    # The newcomer contests IranWire's older claim: a change of a stored verdict.
    iranwire = live.articles[0]["id"]
    changed = [e["data"] for e in live.everything.of("verdict.changed")]
    assert any(c["article_id"] == iranwire and c["after"] == "contested" for c in changed)
    assert all(c["before"] != c["after"] for c in changed)


@pytest.mark.models
def test_filters_keep_only_the_story_and_types_asked(live: Live) -> None:
    kinds = {"claim.contested", "verdict.changed"}
    assert {e["event"] for e in live.contested.events} <= kinds
    # Opened after the seeds: it saw only what the third article changed, nothing twice.
    ids = [e["id"] for e in live.contested.events]
    assert len(ids) == len(set(ids))
    everything = {e["id"] for e in live.everything.events if e["event"] in kinds}
    later = {i for i in everything if int(i) > int(live.everything.of("article.added")[2]["id"])}
    assert set(ids) == later


@pytest.mark.models
def test_last_event_id_resumes_and_a_stale_one_asks_to_resync(live: Live) -> None:
    first = live.everything.events[0]["id"]
    assert [e["id"] for e in live.resumed.events] == [
        e["id"] for e in live.everything.events if e["id"] != first
    ]
    assert live.stale.events[0]["event"] == "resync"
    assert json.loads(live.stale.events[0]["data"])["last_event_id"] == 0


@pytest.mark.models
def test_stream_errors_are_problems(server: Any) -> None:
    _own, base, keys = server
    with httpx.Client(base_url=base, timeout=30) as http:
        assert_problem(http.get("/v1/events"), 401)
        read = bearer(keys[Scope.READ])
        missing = http.get("/v1/events", params={"story": "no-such-story"}, headers=read)
        assert "no-such-story" in assert_problem(missing, 404)["detail"]
        bad = http.get("/v1/events", params={"types": "article.added,nope"}, headers=read)
        assert "nope" in assert_problem(bad, 422)["detail"]
        resume = http.get("/v1/events", headers=read | {"Last-Event-ID": "later"})
        assert_problem(resume, 422)
