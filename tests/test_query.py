"""The query API and its exports on SQLite and PostgreSQL, through the real HTTP stack: claim
search (filters, words, pages), stories by words and contest, an outlet's agreement with the
others, CSV / JSON Lines / JSON-LD that parse back, and the search index kept in step."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from service import core as core_module
from service.app import create_app
from service.config import Settings
from service.core import Crosscheck
from service.export import CSV_COLUMNS
from service.schemas import ClaimFound
from service.store.db import downgrade, migrate
from service.store.tables import Article
from tests.databases import DATABASES, empty_database
from tests.problems import assert_problem

FIXTURES = Path(__file__).parent / "fixtures"
URLS = {
    "IranWire": "https://iranwire.example/qaani-baghdad",
    "The Guardian": "https://guardian.example/drone-attack",
    "Gulf Ledger": "https://gulfledger.example/quds-baghdad",
    "Springfield Daily": "https://springfield.example/budget",
}
COUNCIL = (
    "Springfield council approves budget\n\n"
    "The Springfield city council approved a budget of 12 million dollars on Tuesday, "
    "the mayor's office said.\n\n"
    "The council voted 7 to 2 to raise the tax on parking by 5 percent, officials said.\n"
)
FORMULA_TITLE = "=1+2 Springfield council approves budget"


@dataclass(frozen=True)
class Stored:
    """A client on a database holding the drone story (three outlets) and a council story."""

    client: TestClient
    core: Crosscheck
    drones: dict[str, Any]
    council: dict[str, Any]


def _article(source: str, text: str, story: str, published: str, **extra: str) -> dict[str, str]:
    return {
        "text": text,
        "source": source,
        "story": story,
        "url": URLS[source],
        "published_at": published,
        **extra,
    }


@pytest.fixture(scope="module", params=DATABASES)
def stored(
    request: pytest.FixtureRequest,
    core: Crosscheck,
    tmp_path_factory: pytest.TempPathFactory,
    seed_texts: dict[str, str],
) -> Iterator[Stored]:
    url = empty_database(request.param, tmp_path_factory.mktemp("query"))
    settings = Settings(database_url=url, demo_dir=None, rate_limit_requests=1_000_000)
    built = Crosscheck(settings, models=core.models)
    gulf = (FIXTURES / "gulf_ledger.txt").read_text(encoding="utf-8")
    articles = [
        _article("IranWire", seed_texts["iranwire"], "drones", "2021-11-07T12:00:00Z"),
        _article("The Guardian", seed_texts["guardian"], "drones", "2021-11-08T12:00:00Z"),
        _article("Gulf Ledger", gulf, "drones", "2021-11-09T12:00:00Z"),
        _article(
            "Springfield Daily", COUNCIL, "council", "2022-03-01T09:00:00Z", title=FORMULA_TITLE
        ),
    ]
    with TestClient(create_app(settings, core=built)) as client:
        for article in articles:  # one at a time: later articles are matched to earlier ones
            answer = client.post("/v1/articles", json=article)
            assert answer.status_code == 201, answer.text[:500]
        drones = client.get("/v1/stories/drones").json()
        council = client.get("/v1/stories/council").json()
        yield Stored(client, built, drones, council)
    built.close()


def every_claim(client: TestClient, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every claim of a JSON listing, page by page (pages of 3 claims)."""
    found: list[dict[str, Any]] = []
    while True:
        page = client.get(path, params={**params, "offset": len(found), "limit": 3})
        assert page.status_code == 200, page.text[:500]
        body = page.json()
        found += body["data"]
        if not body["data"]:
            assert body["count"] == len(found)
            return found


def test_pages_add_up_to_the_total(stored: Stored) -> None:
    client = stored.client
    total = client.get("/v1/claims").json()["count"]
    assert total == stored.drones["claims"] + stored.council["claims"]
    claims = every_claim(client, "/v1/claims")
    assert len(claims) == total == len({c["id"] for c in claims})
    published = [c["published_at"] for c in claims]
    assert published == sorted(published, reverse=True)  # newest article first


def test_text_search_hits_and_misses(stored: Stored) -> None:
    client = stored.client
    hits = every_claim(client, "/v1/claims", q="drone")  # the stem finds "drones" too
    assert hits
    for claim in hits:
        assert "drone" in (claim["text"] + claim["sentence"]).lower()
    assert any("drones" in c["sentence"] for c in hits)
    both = every_claim(client, "/v1/claims", q="Baghdad drone")
    assert {c["id"] for c in both} <= {c["id"] for c in hits}
    for claim in both:
        assert "baghdad" in (claim["text"] + claim["sentence"]).lower()
    miss = client.get("/v1/claims", params={"q": "zeppelin"}).json()
    assert miss == {"data": [], "count": 0, "offset": 0, "limit": 20}
    # Query syntax is read as words, never as FTS5 or tsquery operators.
    odd = client.get("/v1/claims", params={"q": 'drone OR "council" NEAR(x'})
    assert odd.status_code == 200 and odd.json()["count"] == 0


def test_filters(stored: Stored) -> None:
    client = stored.client
    contested = every_claim(client, "/v1/claims", verdict="contested")
    assert len(contested) >= 2 and all(c["verdict"] == "contested" for c in contested)
    gulf = every_claim(client, "/v1/claims", source="gulf ledger")  # any case
    assert gulf and {c["source"] for c in gulf} == {"Gulf Ledger"}
    by_key = every_claim(client, "/v1/claims", story="drones")
    by_id = every_claim(client, "/v1/claims", story=stored.drones["id"])
    assert by_key == by_id and len(by_key) == stored.drones["claims"]
    recent = every_claim(client, "/v1/claims", since="2021-11-08")
    assert recent and "IranWire" not in {c["source"] for c in recent}
    worthy = every_claim(client, "/v1/claims", min_checkworthiness=0.5)
    assert all(c["checkworthiness"] >= 0.5 for c in worthy)
    mixed = every_claim(client, "/v1/claims", verdict="contested", source="Gulf Ledger", q="camp")
    assert mixed and all(
        c["source"] == "Gulf Ledger" and c["verdict"] == "contested" for c in mixed
    )


@pytest.mark.parametrize(
    "params",
    [
        {"verdikt": "contested"},
        {"verdict": "disputed"},
        {"since": "yesterday"},
        {"since": "1700000000"},
        {"min_checkworthiness": "2"},
        {"limit": "0"},
        {"limit": "101"},
        {"offset": "-1"},
        {"q": ""},
        {"q": "!!!"},
        {"format": "xml"},
    ],
)
def test_bad_claim_queries_answer_422(stored: Stored, params: dict[str, str]) -> None:
    body = assert_problem(stored.client.get("/v1/claims", params=params), 422)
    assert body["detail"]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/stories", {"contested": "maybe"}),
        ("/v1/stories", {"sort": "new"}),
        ("/v1/stories/drones", {"min_checkworthines": "0.5"}),
        ("/v1/stories/drones/claims", {"story": "council"}),
        ("/v1/sources", {"name": "IranWire"}),
    ],
)
def test_unknown_or_bad_parameters_elsewhere_answer_422(
    stored: Stored, path: str, params: dict[str, str]
) -> None:
    assert_problem(stored.client.get(path, params=params), 422)


def test_unknown_story_or_source_filter_answers_404(stored: Stored) -> None:
    assert_problem(stored.client.get("/v1/claims", params={"story": "nothing"}), 404)
    body = assert_problem(stored.client.get("/v1/claims", params={"source": "Nobody"}), 404)
    assert "Nobody" in body["detail"]


def test_stories_by_words_date_and_contest(stored: Stored) -> None:
    client = stored.client
    drones, council = stored.drones["id"], stored.council["id"]

    def ids(**params: str) -> set[str]:
        body = client.get("/v1/stories", params={**params, "limit": 100}).json()
        assert body["count"] == len(body["data"])
        return {s["id"] for s in body["data"]}

    assert ids() == {drones, council}
    assert ids(q="drones") == {drones}
    assert ids(q="budget council") == {council}
    assert ids(q="zeppelin") == set()
    assert ids(contested="true") == {drones}
    assert ids(contested="false") == {council}
    assert ids(contested="true", q="budget") == set()
    assert ids(since="2000-01-01") == {drones, council}
    page = client.get("/v1/stories", params={"limit": 1}).json()
    assert page["count"] == 2 and len(page["data"]) == 1


def test_story_by_key_and_its_claims_in_pages(stored: Stored) -> None:
    client = stored.client
    by_id = client.get(f"/v1/stories/{stored.drones['id']}").json()
    assert by_id == stored.drones and by_id["key"] == "drones"
    claims = every_claim(client, "/v1/stories/drones/claims")
    assert sorted(c["id"] for c in claims) == sorted(c["id"] for c in by_id["claim_list"])
    assert all(c["story_id"] == by_id["id"] for c in claims)
    contested = every_claim(client, f"/v1/stories/{by_id['id']}/claims", verdict="contested")
    assert len(contested) == by_id["contested"]
    assert_problem(client.get("/v1/stories/nothing/claims"), 404)


def test_source_agreement(stored: Stored) -> None:
    client = stored.client
    gulf = client.get("/v1/sources/Gulf Ledger").json()
    assert gulf["name"] == "Gulf Ledger" and gulf["articles"] == 1
    assert sum(gulf["verdicts"].values()) == gulf["claims"] > 0
    # Its planted place ("camped inside the Green Zone") contests; its other counts and day
    # are shown only, as counts and dates decide nothing.
    assert gulf["verdicts"]["contested"] >= 1
    clashes = {a["source"]: a for a in gulf["disagrees_with"]}
    assert "IranWire" in clashes and clashes["IranWire"]["contradicting"] >= 1
    assert "Springfield Daily" not in clashes
    agreeing = [a["agreeing"] for a in gulf["agrees_with"]]
    assert agreeing == sorted(agreeing, reverse=True) and all(agreeing)
    # Each pair counts once, whichever outlet's claim it is about: the matrix is symmetric.
    iranwire = client.get("/v1/sources/iranwire").json()
    back = next(a for a in iranwire["disagrees_with"] if a["source"] == "Gulf Ledger")
    mirrored = {k: v for k, v in clashes["IranWire"].items() if k != "source"}
    assert {k: v for k, v in back.items() if k != "source"} == mirrored
    for row in gulf["agrees_with"] + gulf["disagrees_with"]:
        total = row["agreeing"] + row["contradicting"]
        assert row["agreement_share"] == pytest.approx(row["agreeing"] / total, abs=1e-4)
    council = client.get("/v1/sources/Springfield Daily").json()
    assert council["agrees_with"] == [] and council["disagrees_with"] == []
    assert_problem(client.get("/v1/sources/Nobody"), 404)


def test_csv_export_parses_back(stored: Stored, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core_module, "EXPORT_BATCH", 2)  # several batches, through the cursor
    client = stored.client
    expected = every_claim(client, "/v1/claims")
    response = client.get("/v1/claims", params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r["claim_id"] for r in rows] == [c["id"] for c in expected]
    first = rows[0], expected[0]
    assert first[0]["text"] == first[1]["text"] and first[0]["verdict"] == first[1]["verdict"]
    # A cell a spreadsheet would run as a formula is made text.
    council = [r for r in rows if r["source"] == "Springfield Daily"]
    assert council and all(r["title"] == "'" + FORMULA_TITLE for r in council)
    contested = [r for r in rows if r["verdict"] == "contested" and r["source"] == "Gulf Ledger"]
    assert any("IranWire" in r["contradicted_by"] for r in contested)
    # Offset and limit cut the export as they cut pages; Accept chooses the format too.
    part = client.get(
        "/v1/claims", params={"offset": 1, "limit": 3}, headers={"Accept": "text/csv"}
    )
    part_rows = list(csv.DictReader(io.StringIO(part.text)))
    assert [r["claim_id"] for r in part_rows] == [c["id"] for c in expected[1:4]]


def test_jsonl_export_parses_back(stored: Stored, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core_module, "EXPORT_BATCH", 2)
    client = stored.client
    story = stored.drones["id"]
    expected = every_claim(client, f"/v1/stories/{story}/claims", verdict="contested")
    response = client.get(
        "/v1/stories/drones/claims",
        params={"verdict": "contested"},
        headers={"Accept": "text/csv;q=0.5, application/x-ndjson"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = response.text.splitlines()
    parsed = [ClaimFound.model_validate_json(line) for line in lines]
    assert [c.id for c in parsed] == [c["id"] for c in expected]
    assert all(c.story_id == story for c in parsed)
    assert json.loads(lines[0]) == expected[0]


def test_export_refuses_bad_filters_before_streaming(stored: Stored) -> None:
    client = stored.client
    assert_problem(client.get("/v1/claims", params={"format": "csv", "story": "no"}), 404)
    assert_problem(client.get("/v1/claims", params={"format": "jsonl", "q": "?"}), 422)


def test_claim_review_json_ld(stored: Stored) -> None:
    client = stored.client
    gulf = every_claim(client, "/v1/claims", source="Gulf Ledger", verdict="contested")
    camped = next(c for c in gulf if "camped inside the Green Zone" in c["text"])
    response = client.get(f"/v1/claims/{camped['id']}/review")
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("application/ld+json")
    review = response.json()
    assert review["@context"] == "https://schema.org" and review["@type"] == "ClaimReview"
    assert review["claimReviewed"] == camped["text"]
    assert review["reviewRating"]["alternateName"] == "Contested"
    assert "IranWire" in review["reviewRating"]["ratingExplanation"]
    claim = review["itemReviewed"]
    assert claim["@type"] == "Claim" and claim["author"]["name"] == "Gulf Ledger"
    assert URLS["Gulf Ledger"] in {a.get("url") for a in claim["appearance"]}
    assert URLS["IranWire"] in {c.get("url") for c in review["citation"]}
    assert review["url"].endswith(f"/v1/claims/{camped['id']}/review")
    plain = every_claim(client, "/v1/claims", verdict="single_source")[0]
    body = assert_problem(client.get(f"/v1/claims/{plain['id']}/review"), 404)
    assert "contested claims only" in body["detail"]


EXTERNAL = re.compile(r"https?://([^/\"'\s)]+)")


def without_examples(value: Any) -> Any:
    """A parsed JSON value without its `example` and `examples` members."""
    if isinstance(value, dict):
        return {
            k: without_examples(v) for k, v in value.items() if k not in ("example", "examples")
        }
    if isinstance(value, list):
        return [without_examples(v) for v in value]
    return value


PARAMETER = re.compile(r"{(\w+)}")


def test_json_answers_reference_no_outside_host(stored: Stored) -> None:
    """Every GET route (stored ids in its path) answers with no URL of another host but the
    article URLs clients gave and the schema.org vocabulary JSON-LD names."""
    client = stored.client
    claim = every_claim(client, "/v1/claims", source="Gulf Ledger", verdict="contested")[0]
    ids = {
        "story_id": stored.drones["id"],
        "claim_id": claim["id"],
        "article_id": claim["article_id"],
        "source_name": "Gulf Ledger",
    }
    allowed = {"schema.org"} | {EXTERNAL.match(u).group(1) for u in URLS.values()}  # type: ignore[union-attr]
    schema = client.get("/openapi.json").json()
    checked = 0
    for path, item in schema["paths"].items():
        if "get" not in item or any(name not in ids for name in PARAMETER.findall(path)):
            continue
        answers = item["get"].get("responses", {}).get("200", {}).get("content", {})
        if "text/event-stream" in answers:
            continue  # a stream never ends; its events carry ids and stored fields only
        answer = client.get(path.format(**ids))
        assert answer.status_code == 200, (path, answer.text[:300])
        hosts = set(EXTERNAL.findall(answer.text)) - {"testserver"}
        assert hosts <= allowed, (path, hosts - allowed)
        checked += 1
    assert checked >= 10
    # The schema names no host, but in the examples of what a client may send.
    assert not EXTERNAL.findall(json.dumps(without_examples(schema)))


def test_search_index_follows_the_store(stored: Stored) -> None:
    """Filled for rows that exist when the migration runs, and emptied on delete. Runs last:
    it deletes the council article."""
    client, engine = stored.client, stored.core.db.engine

    def hits(q: str) -> int:
        return int(client.get("/v1/claims", params={"q": q}).json()["count"])

    before = hits("drone"), hits("budget")
    assert before[1] >= 1
    downgrade(engine, "0004")
    migrate(engine)
    assert (hits("drone"), hits("budget")) == before
    with stored.core.db.session() as session:
        council = session.scalars(
            select(Article.id).where(Article.story_id == stored.council["id"])
        ).all()
        session.execute(delete(Article).where(Article.id.in_(council)))
    assert (hits("drone"), hits("budget")) == (before[0], 0)
