"""Editing stories through HTTP on SQLite and PostgreSQL: merge, split, move, key and title,
each recorded, revertible, and matched again where the comparisons changed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.app import create_app
from service.config import Settings
from service.core import Crosscheck
from service.store.db import downgrade, make_engine
from service.store.locks import lock_order
from service.store.tables import ClaimRow, LinkRow, Story
from tests.databases import DATABASES, POSTGRES, empty_database
from tests.problems import assert_problem

# Two fires in two towns, each told by two outlets.
BAKERY_GAZETTE = """Fire destroys Millbrook bakery

A fire destroyed the Hollis Street bakery in Millbrook early on Tuesday, the town's fire \
department said.
Firefighters were called to the building at 3:15 a.m. and brought the blaze under control \
within two hours.
Two firefighters were treated for smoke inhalation, fire chief Dana Morrow said.
The owner, Peter Hollis, said the bakery had served the town for forty years.
Nobody was inside the building when the fire started, according to the police."""

BAKERY_COURIER = """Millbrook bakery gutted by early-morning blaze

Fire gutted the Hollis Street bakery in Millbrook on Tuesday morning.
Crews arrived at the bakery at 3:15 a.m. and needed two hours to bring the fire under control, \
the fire department said.
Fire chief Dana Morrow said two firefighters were treated for smoke inhalation.
Investigators have not yet determined the cause of the fire."""

WAREHOUSE_HERALD = """Warehouse fire in Riverton

A fire broke out at a paper warehouse on Canal Road in Riverton on Thursday evening, officials \
said.
More than forty firefighters fought the blaze for six hours.
Nobody was inside the building when the fire started, according to the police.
The warehouse belongs to the Keller paper company, which employs 120 people."""

WAREHOUSE_TIMES = """Riverton warehouse blaze burns for six hours

Firefighters battled a fire at the Keller paper warehouse on Canal Road in Riverton for six \
hours on Thursday.
The fire department sent more than forty firefighters to the scene.
A spokesman for the Keller paper company said the firm employs 120 people at the site.
Police said the building was empty when the fire broke out."""

ARTICLES = {
    "Millbrook Gazette": BAKERY_GAZETTE,
    "Valley Courier": BAKERY_COURIER,
    "Riverton Herald": WAREHOUSE_HERALD,
    "Canal Times": WAREHOUSE_TIMES,
}
BAKERY = ("Millbrook Gazette", "Valley Courier")
WAREHOUSE = ("Riverton Herald", "Canal Times")
NOBODY_INSIDE = "Nobody was inside the building"


@pytest.fixture(params=DATABASES)
def client(
    request: pytest.FixtureRequest, core: Crosscheck, tmp_path: Path
) -> Iterator[TestClient]:
    """The app over a core on an empty database of either kind, with the session's models."""
    url = empty_database(request.param, tmp_path)
    settings = Settings(database_url=url, demo_dir=None)
    built = Crosscheck(settings, models=core.models)
    with TestClient(create_app(settings, core=built)) as test_client:
        yield test_client
    built.close()


def _core(client: TestClient) -> Crosscheck:
    core: Crosscheck = client.app.state.core  # type: ignore[attr-defined]
    return core


def submit(client: TestClient, source: str, story: str | None) -> dict[str, Any]:
    """Store one of the four articles; answers the stored article."""
    body = {"text": ARTICLES[source], "source": source, "story": story}
    response = client.post("/v1/articles", json=body)
    assert response.status_code == 201, response.text[:500]
    article: dict[str, Any] = response.json()["data"][0]["article"]
    return article


def story(client: TestClient, story_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/stories/{story_id}")
    assert response.status_code == 200, response.text[:500]
    body: dict[str, Any] = response.json()
    return body


def snapshot(client: TestClient, story_id: str) -> dict[str, Any]:
    """A story as served, without the one timestamp an edit changes."""
    body = story(client, story_id)
    del body["updated_at"]
    return body


def claim(body: dict[str, Any], source: str, starts: str) -> dict[str, Any]:
    """The claim of a story told by `source` that starts with these words."""
    (found,) = [
        c for c in body["claim_list"] if c["source"] == source and c["text"].startswith(starts)
    ]
    return found


def links(client: TestClient) -> set[tuple[Any, ...]]:
    """Every stored link, row for row: id, claim's article, claim, evidence article, relation…"""
    with _core(client).db.session() as session:
        rows = session.execute(
            select(LinkRow, ClaimRow.article_id).join(ClaimRow, ClaimRow.id == LinkRow.claim_id)
        )
        return {
            (
                link.id,
                claim_article,
                link.claim_id,
                link.article_id,
                link.relation,
                link.score,
                link.reason,
                link.start,
                link.end,
                link.text,
            )
            for link, claim_article in rows
        }


def between(rows: set[tuple[Any, ...]], a: set[str], b: set[str]) -> set[tuple[Any, ...]]:
    """The links from claims of articles in `a` to articles in `b`."""
    return {row for row in rows if row[1] in a and row[3] in b}


def assert_verdicts_stored(client: TestClient, body: dict[str, Any]) -> None:
    """The verdicts stored on the claims are the ones the story's links give."""
    with _core(client).db.session() as session:
        stored = dict(
            session.execute(
                select(ClaimRow.id, ClaimRow.verdict).where(
                    ClaimRow.id.in_([c["id"] for c in body["claim_list"]])
                )
            ).all()
        )
    assert stored == {c["id"]: c["verdict"] for c in body["claim_list"]}


def edits(client: TestClient, story_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/v1/stories/{story_id}/edits")
    assert response.status_code == 200, response.text[:500]
    body = response.json()
    assert body["count"] == len(body["data"])
    data: list[dict[str, Any]] = body["data"]
    return data


def listed(client: TestClient) -> list[str]:
    page = client.get("/v1/stories", params={"limit": 100}).json()
    assert page["count"] == len(page["data"])
    return sorted(s["id"] for s in page["data"])


def test_merge_compares_the_stories_and_revert_brings_the_other_back(
    client: TestClient,
) -> None:
    gazette = submit(client, "Millbrook Gazette", "bakery-gazette")
    courier = submit(client, "Valley Courier", "bakery-courier")
    kept, merged = gazette["story_id"], courier["story_id"]
    assert kept != merged
    before = {s: snapshot(client, s) for s in (kept, merged)}
    smoke = claim(before[kept], "Millbrook Gazette", "Two firefighters")
    assert smoke["verdict"] == "single_source" and not smoke["evidence"]
    assert links(client) == set()

    started = datetime.now(UTC)
    response = client.post(f"/v1/stories/{kept}/merge", json={"story": merged, "by": "night desk"})
    assert response.status_code == 200, response.text[:500]
    body = response.json()
    assert body["id"] == kept and body["key"] == "bakery-gazette"
    assert {a["id"]: a["pinned"] for a in body["article_list"]} == {
        gazette["id"]: False,
        courier["id"]: True,
    }
    # The two outlets' claims are compared now, both ways: a fact told by both is corroborated.
    smoke = claim(body, "Millbrook Gazette", "Two firefighters")
    assert smoke["verdict"] == "corroborated"
    assert [e["source"] for e in smoke["evidence"]] == ["Valley Courier"]
    assert claim(body, "Valley Courier", "Two firefighters")["verdict"] == "corroborated"
    rows = links(client)
    assert between(rows, {gazette["id"]}, {courier["id"]})
    assert between(rows, {courier["id"]}, {gazette["id"]})
    assert body["corroborated"] >= 4
    assert_verdicts_stored(client, body)

    # The merged-away story is gone from listings and points at the survivor.
    assert listed(client) == [kept]
    gone = assert_problem(client.get(f"/v1/stories/{merged}"), 404)
    assert gone["merged_into"] == kept and kept in gone["detail"]
    assert client.get(f"/v1/articles/{courier['id']}").json()["story_id"] == kept

    (edit,) = edits(client, kept)
    assert edits(client, merged) == [edit]
    assert edit["action"] == "merge" and edit["by"] == "night desk"
    assert (edit["story_id"], edit["from_story_id"]) == (kept, merged)
    assert edit["articles"] == [{"article_id": courier["id"], "from_story_id": merged}]
    assert started <= datetime.fromisoformat(edit["at"]) <= datetime.now(UTC)
    assert edit["reverted_at"] is None

    reverted = client.post(f"/v1/edits/{edit['id']}/revert", json={"by": "chief"})
    assert reverted.status_code == 200, reverted.text[:500]
    assert reverted.json()["reverted_by"] == "chief"
    assert datetime.fromisoformat(reverted.json()["reverted_at"]) >= started
    # Both stories as they were: ids, keys, titles, articles, claims, evidence and verdicts.
    assert {s: snapshot(client, s) for s in (kept, merged)} == before
    assert links(client) == set()
    assert listed(client) == sorted([kept, merged])
    assert edits(client, kept)[0]["reverted_at"] is not None
    again = assert_problem(client.post(f"/v1/edits/{edit['id']}/revert"), 409)
    assert "already" in again["detail"]


def test_split_drops_the_cross_links_and_revert_restores_them(client: TestClient) -> None:
    stored = {source: submit(client, source, "fires") for source in ARTICLES}
    (fires,) = {a["story_id"] for a in stored.values()}
    bakery = {stored[s]["id"] for s in BAKERY}
    warehouse = {stored[s]["id"] for s in WAREHOUSE}
    before = snapshot(client, fires)
    rows = links(client)
    # Wrongly grouped, the bakery's "nobody was inside" rests on the warehouse reports only.
    nobody = claim(before, "Millbrook Gazette", NOBODY_INSIDE)
    assert nobody["verdict"] == "corroborated"
    assert {e["source"] for e in nobody["evidence"]} <= set(WAREHOUSE)
    assert between(rows, bakery, warehouse) and between(rows, warehouse, bakery)

    response = client.post(
        f"/v1/stories/{fires}/split",
        json={"articles": sorted(warehouse), "title": "Warehouse fire in Riverton", "by": "ed"},
    )
    assert response.status_code == 201, response.text[:500]
    new = response.json()
    assert response.headers["location"] == f"/v1/stories/{new['id']}"
    assert new["title"] == "Warehouse fire in Riverton" and new["key"] is None
    assert {a["id"] for a in new["article_list"]} == warehouse
    assert all(a["pinned"] for a in new["article_list"])
    left = story(client, fires)
    assert {a["id"] for a in left["article_list"]} == bakery

    # The cross links are gone; the links inside each part are the very same rows.
    after = links(client)
    assert not between(after, bakery, warehouse) and not between(after, warehouse, bakery)
    assert between(after, bakery, bakery) == between(rows, bakery, bakery)
    assert between(after, warehouse, warehouse) == between(rows, warehouse, warehouse)
    assert after == between(rows, bakery, bakery) | between(rows, warehouse, warehouse)
    # A claim corroborated only by a moved article is single-source again; the others hold.
    nobody = claim(left, "Millbrook Gazette", NOBODY_INSIDE)
    assert nobody["verdict"] == "single_source" and not nobody["evidence"]
    assert claim(left, "Millbrook Gazette", "Two firefighters")["verdict"] == "corroborated"
    sources = {e["source"] for c in left["claim_list"] for e in c["evidence"]}
    assert sources <= set(BAKERY)
    for body in (left, new):
        assert_verdicts_stored(client, body)
    assert left["claims"] + new["claims"] == before["claims"]

    (edit,) = edits(client, fires)
    assert edits(client, new["id"]) == [edit]
    assert (edit["action"], edit["story_id"], edit["from_story_id"]) == ("split", new["id"], fires)
    assert {m["article_id"] for m in edit["articles"]} == warehouse

    assert client.post(f"/v1/edits/{edit['id']}/revert").status_code == 200
    assert snapshot(client, fires) == before
    assert links(client) == rows  # the deleted links are back, row for row
    assert_verdicts_stored(client, story(client, fires))
    # The story the split made is empty again: it folded back into the one it came from.
    assert assert_problem(client.get(f"/v1/stories/{new['id']}"), 404)["merged_into"] == fires
    assert listed(client) == [fires]


def test_move_pins_the_article_and_revert_returns_it(client: TestClient) -> None:
    gazette = submit(client, "Millbrook Gazette", "bakery")
    submit(client, "Valley Courier", "bakery")
    herald = submit(client, "Riverton Herald", "bakery")  # filed under the wrong story
    times = submit(client, "Canal Times", "warehouse")
    bakery, warehouse = gazette["story_id"], times["story_id"]
    before = {s: snapshot(client, s) for s in (bakery, warehouse)}
    employs = claim(before[warehouse], "Canal Times", "The firm employs 120")
    assert employs["verdict"] == "single_source"

    response = client.patch(f"/v1/articles/{herald['id']}", json={"story": warehouse, "by": "ed"})
    assert response.status_code == 200, response.text[:500]
    moved = response.json()
    assert moved["story_id"] == warehouse and moved["pinned"] is True
    here = story(client, warehouse)
    assert claim(here, "Canal Times", "The firm employs 120")["verdict"] == "corroborated"
    there = story(client, bakery)
    assert herald["id"] not in {a["id"] for a in there["article_list"]}
    nobody = claim(there, "Millbrook Gazette", NOBODY_INSIDE)
    assert nobody["verdict"] == "single_source" and not nobody["evidence"]
    for body in (here, there):
        assert_verdicts_stored(client, body)

    # Sending the article again, with its old key, leaves it where it was put by hand.
    again = client.post(
        "/v1/articles",
        json={"text": WAREHOUSE_HERALD, "source": "Riverton Herald", "story": "bakery"},
    )
    assert again.status_code == 200
    assert again.json()["data"][0]["created"] is False
    assert again.json()["data"][0]["article"]["story_id"] == warehouse
    assert client.get(f"/v1/articles/{herald['id']}").json()["story_id"] == warehouse

    (edit,) = edits(client, warehouse)
    assert edit["action"] == "move" and edit["from_story_id"] == bakery
    assert edit["articles"] == [{"article_id": herald["id"], "from_story_id": bakery}]
    assert client.post(f"/v1/edits/{edit['id']}/revert").status_code == 200
    assert {s: snapshot(client, s) for s in (bakery, warehouse)} == before
    assert client.get(f"/v1/articles/{herald['id']}").json()["pinned"] is False


def test_key_and_title_and_a_merged_key(client: TestClient) -> None:
    first = submit(client, "Millbrook Gazette", None)
    other = submit(client, "Riverton Herald", "warehouse")
    bakery, warehouse = first["story_id"], other["story_id"]

    response = client.patch(
        f"/v1/stories/{bakery}", json={"key": "bakery", "title": "Bakery fire", "by": "ed"}
    )
    assert response.status_code == 200, response.text[:500]
    assert (response.json()["key"], response.json()["title"]) == ("bakery", "Bakery fire")
    (edit,) = edits(client, bakery)
    assert edit["action"] == "update" and edit["by"] == "ed"
    assert edit["changes"] == [
        {"field": "key", "before": None, "after": "bakery"},
        {"field": "title", "before": "Fire destroys Millbrook bakery", "after": "Bakery fire"},
    ]
    # An article sent with the pinned key joins the story.
    courier = submit(client, "Valley Courier", "bakery")
    assert courier["story_id"] == bakery
    # Nothing to change: nothing is recorded.
    same = client.patch(f"/v1/stories/{bakery}", json={"title": "Bakery fire"})
    assert same.status_code == 200 and len(edits(client, bakery)) == 1

    taken = assert_problem(client.patch(f"/v1/stories/{warehouse}", json={"key": "bakery"}), 409)
    assert bakery in taken["detail"]
    assert story(client, warehouse)["key"] == "warehouse"

    # After a merge, the merged-away story's key leads to the story that holds its articles.
    merged = client.post(f"/v1/stories/{bakery}/merge", json={"story": warehouse})
    assert merged.status_code == 200
    times = submit(client, "Canal Times", "warehouse")
    assert times["story_id"] == bakery
    assert assert_problem(client.patch(f"/v1/stories/{bakery}", json={"key": "warehouse"}), 409)

    revert_title = client.post(f"/v1/edits/{edit['id']}/revert")
    assert revert_title.status_code == 200
    back = story(client, bakery)
    assert (back["key"], back["title"]) == (None, "Fire destroys Millbrook bakery")


def test_a_revert_that_a_later_edit_depends_on_is_refused(client: TestClient) -> None:
    gazette = submit(client, "Millbrook Gazette", "bakery")
    herald = submit(client, "Riverton Herald", "bakery")
    times = submit(client, "Canal Times", "warehouse")
    courier = submit(client, "Valley Courier", "courier")
    bakery, warehouse, other = gazette["story_id"], times["story_id"], courier["story_id"]

    moved = client.patch(f"/v1/articles/{herald['id']}", json={"story": warehouse})
    assert moved.status_code == 200
    (move,) = edits(client, warehouse)
    merged = client.post(f"/v1/stories/{other}/merge", json={"story": warehouse})
    assert merged.status_code == 200
    merge = edits(client, other)[0]
    assert merge["action"] == "merge"

    before = {s: snapshot(client, s) for s in (bakery, other)}
    refused = assert_problem(client.post(f"/v1/edits/{move['id']}/revert"), 409)
    assert merge["id"] in refused["detail"] and herald["id"] in refused["detail"]
    assert {s: snapshot(client, s) for s in (bakery, other)} == before
    assert edits(client, warehouse)[-1]["reverted_at"] is None

    # Undone in reverse order, both go through.
    assert client.post(f"/v1/edits/{merge['id']}/revert").status_code == 200
    assert client.post(f"/v1/edits/{move['id']}/revert").status_code == 200
    assert client.get(f"/v1/articles/{herald['id']}").json()["story_id"] == bakery
    assert listed(client) == sorted([bakery, warehouse, other])


def test_bad_edits_are_problems_and_change_nothing(client: TestClient) -> None:
    gazette = submit(client, "Millbrook Gazette", "bakery")
    courier = submit(client, "Valley Courier", "bakery")
    herald = submit(client, "Riverton Herald", "warehouse")
    lone = submit(client, "Canal Times", "lone")
    bakery, warehouse, gone = gazette["story_id"], herald["story_id"], lone["story_id"]
    assert client.post(f"/v1/stories/{bakery}/merge", json={"story": gone}).status_code == 200
    everything = [gazette["id"], courier["id"], lone["id"]]

    def state() -> tuple[Any, ...]:
        return (
            listed(client),
            [snapshot(client, s) for s in (bakery, warehouse)],
            links(client),
            [edits(client, s) for s in (bakery, warehouse, gone)],
        )

    before = state()
    cases: list[tuple[str, str, Any, int]] = [
        ("POST", "/v1/stories/nope/merge", {"story": bakery}, 404),
        ("POST", f"/v1/stories/{bakery}/merge", {"story": "nope"}, 404),
        ("POST", f"/v1/stories/{bakery}/merge", {"story": gone}, 404),
        ("POST", f"/v1/stories/{gone}/merge", {"story": warehouse}, 404),
        ("POST", f"/v1/stories/{bakery}/merge", {"story": bakery}, 422),
        ("POST", f"/v1/stories/{bakery}/merge", {}, 422),
        ("POST", f"/v1/stories/{bakery}/merge", {"story": warehouse, "colour": "red"}, 422),
        ("POST", f"/v1/stories/{bakery}/split", {"articles": everything}, 422),
        ("POST", f"/v1/stories/{bakery}/split", {"articles": [herald["id"]]}, 422),
        ("POST", f"/v1/stories/{bakery}/split", {"articles": ["nope"]}, 404),
        ("POST", f"/v1/stories/{bakery}/split", {"articles": []}, 422),
        ("POST", "/v1/stories/nope/split", {"articles": [gazette["id"]]}, 404),
        ("PATCH", "/v1/articles/nope", {"story": bakery}, 404),
        ("PATCH", f"/v1/articles/{gazette['id']}", {"story": "nope"}, 404),
        ("PATCH", f"/v1/articles/{gazette['id']}", {"story": gone}, 404),
        ("PATCH", f"/v1/articles/{gazette['id']}", {"story": bakery}, 422),
        ("PATCH", f"/v1/articles/{herald['id']}", {"story": bakery}, 422),
        ("PATCH", "/v1/stories/nope", {"title": "Fire"}, 404),
        ("PATCH", f"/v1/stories/{gone}", {"title": "Fire"}, 404),
        ("PATCH", f"/v1/stories/{bakery}", {}, 422),
        ("PATCH", f"/v1/stories/{bakery}", {"by": "ed"}, 422),
        ("PATCH", f"/v1/stories/{bakery}", {"title": None}, 422),
        ("PATCH", f"/v1/stories/{bakery}", {"key": "warehouse"}, 409),
        ("PATCH", f"/v1/stories/{bakery}", {"key": "lone"}, 409),
        ("POST", "/v1/edits/nope/revert", None, 404),
        ("POST", "/v1/edits/nope/revert", {"by": "ed", "why": "no"}, 422),
        ("GET", "/v1/stories/nope/edits", None, 404),
    ]
    for method, path, payload, status in cases:
        body = assert_problem(client.request(method, path, json=payload), status)
        assert body["instance"] == path
    only = assert_problem(client.patch(f"/v1/articles/{herald['id']}", json={"story": bakery}), 422)
    assert "only article" in only["detail"]
    merged_away = assert_problem(
        client.post(f"/v1/stories/{gone}/merge", json={"story": bakery}), 404
    )
    assert merged_away["merged_into"] == bakery
    bad_json = client.post(
        f"/v1/stories/{bakery}/merge", content=b"{", headers={"content-type": "application/json"}
    )
    assert_problem(bad_json, 400)
    assert state() == before


def test_lock_order_takes_merged_stories_first(client: TestClient) -> None:
    core = _core(client)
    now = datetime.now(UTC)
    with core.db.session() as session:
        for ident, into in [("z", None), ("a", "z"), ("b", "a"), ("c", None)]:
            session.add(Story(id=ident, created_at=now, updated_at=now, merged_into=into))
    with core.db.session() as session:
        assert lock_order(session, ["c", "z", "a", "b"]) == ["b", "a", "c", "z"]
        assert lock_order(session, ["z", "a"]) == ["a", "z"]
        assert lock_order(session, ["c", "z", "new"]) == ["c", "new", "z"]


@pytest.mark.postgres
@pytest.mark.skipif(
    not POSTGRES, reason="CROSSCHECK_TEST_POSTGRES_URL is not set (.ci/run sets it)"
)
def test_an_article_sent_with_a_key_while_its_story_is_merged_lands_in_the_survivor(
    core: Crosscheck,
) -> None:
    import threading

    assert POSTGRES is not None
    engine = make_engine(POSTGRES)
    downgrade(engine)
    engine.dispose()
    settings = Settings(database_url=POSTGRES, demo_dir=None)
    replicas = [Crosscheck(settings, models=core.models) for _ in range(2)]
    clients = [TestClient(create_app(settings, core=r)).__enter__() for r in replicas]
    kept = submit(clients[0], "Millbrook Gazette", "bakery-a")["story_id"]
    merged = submit(clients[0], "Valley Courier", "bakery-b")["story_id"]
    gate = threading.Barrier(2)
    answers: dict[str, httpx.Response] = {}

    def merge() -> None:
        gate.wait()
        answers["merge"] = clients[0].post(f"/v1/stories/{kept}/merge", json={"story": merged})

    def send() -> None:
        gate.wait()
        body = {"text": WAREHOUSE_HERALD, "source": "Riverton Herald", "story": "bakery-b"}
        answers["send"] = clients[1].post("/v1/articles", json=body)

    threads = [threading.Thread(target=merge), threading.Thread(target=send)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers["merge"].status_code == 200, answers["merge"].text[:500]
    assert answers["send"].status_code == 201, answers["send"].text[:500]
    article = answers["send"].json()["data"][0]["article"]["id"]
    # Whichever committed first, the article ends in the surviving story.
    assert clients[1].get(f"/v1/articles/{article}").json()["story_id"] == kept
    assert len(story(clients[1], kept)["article_list"]) == 3
    assert listed(clients[1]) == [kept]
    for client, replica in zip(clients, replicas, strict=True):
        client.__exit__(None, None, None)
        replica.close()
