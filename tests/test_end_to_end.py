"""End to end through HTTP on the seeds and on a third, fictional outlet that changes facts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.config import Settings
from service.core import Crosscheck

FIXTURES = Path(__file__).parent / "fixtures"
FURNITURE = [
    "close button",
    "Switch to Iranwire Light",
    "having trouble loading",
    "min read",
    "Related coverage",
    "Special Features",
    "Reuse this content",
    "Published at",
    "Previous article",
    "Next article",
    "Jailed Critic",
    "Killers of Iraqi Reporters",
]


@pytest.fixture(scope="module")
def e2e(core: Crosscheck, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A client on a database of its own (the seeds must be new to it)."""
    db = tmp_path_factory.mktemp("e2e") / "e2e.db"
    settings = Settings(database_url=f"sqlite:///{db}")
    own = Crosscheck(settings, models=core.models)
    with TestClient(create_app(settings, core=own)) as client:
        yield client
    own.close()


def _submit(client: TestClient, name: str, source: str, story: str) -> dict[str, Any]:
    body = {"text": (FIXTURES / name).read_text(encoding="utf-8"), "source": source, "story": story}
    response = client.post("/v1/articles", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json()["data"][0]["article"])


@pytest.fixture(scope="module")
def seeds_story(e2e: TestClient) -> dict[str, Any]:
    _submit(e2e, "seeds/iranwire.txt", "IranWire", "seeds")
    article = _submit(e2e, "seeds/guardian.txt", "The Guardian", "seeds")
    response = e2e.get(f"/v1/stories/{article['story_id']}")
    assert response.status_code == 200
    return dict(response.json())


def test_seeds_no_claim_contested(seeds_story: dict[str, Any]) -> None:
    assert seeds_story["contested"] == 0
    assert all(c["verdict"] != "contested" for c in seeds_story["claim_list"])
    assert seeds_story["articles"] == 2 and seeds_story["sources"] == 2


def test_seeds_key_facts_corroborated(seeds_story: dict[str, Any]) -> None:
    claims = seeds_story["claim_list"]
    # Qaani / Ghani leads the Quds Force: corroborated on both sides, one fact group.
    for source, name, other in (("IranWire", "Qaani", "Ghani"), ("The Guardian", "Ghani", "Qaani")):
        quds = [
            c
            for c in claims
            if "Quds Force" in c["text"] and name in c["text"] and c["source"] == source
        ]
        corroborated = next(c for c in quds if c["verdict"] == "corroborated")
        (evidence, *_rest) = corroborated["evidence"]
        assert evidence["source"] != source and other in evidence["text"]
        assert evidence["relation"] == "supports" and evidence["independent"]
    ids = {c["id"] for c in claims if "Quds Force" in c["text"] and c["verdict"] == "corroborated"}
    assert any(ids <= {m["claim_id"] for m in g["claims"]} for g in seeds_story["claim_groups"])
    # A photo caption about a vehicle's remains does not state the drone attack.
    caption = next(c for c in claims if c["text"].startswith("The remains of vehicle"))
    assert caption["verdict"] == "single_source"


def test_seeds_furniture_is_never_a_claim(seeds_story: dict[str, Any]) -> None:
    for claim in seeds_story["claim_list"]:
        for line in FURNITURE:
            assert line.lower() not in claim["sentence"].lower()


def test_claim_groups_tell_one_fact_per_outlet(seeds_story: dict[str, Any]) -> None:
    groups = seeds_story["claim_groups"]
    assert groups
    for group in groups:
        assert len({c["source"] for c in group["claims"]}) >= 2


CHANGED = {
    # the third outlet's claim (a fragment of it) → the reason it must be contested for
    "camped inside the Green Zone": "place_mismatch",
}
# Changed by an opposite verb, another day or another count: shown as contradicting evidence
# with its reason, but not enough to contest (on real news, the verdict benchmark found
# negation, antonym, date and count clashes imprecise).
SHOWN = {
    "Tehran initially confirmed the visit": "antonym",
    "arrived in Baghdad late on Saturday": "date_mismatch",
    "three other drones": "number_mismatch",
    "four protesters": "number_mismatch",
}
UNCHANGED = [
    "survived an attack on his home by a drone",
    "disputed the outcome of the October vote",
    "state of high alert",
    "commander of the Quds Force",
]


@pytest.fixture(scope="module")
def third(e2e: TestClient, seeds_story: dict[str, Any]) -> dict[str, Any]:
    article = _submit(e2e, "gulf_ledger.txt", "Gulf Ledger", "seeds")
    assert article["story_id"] == seeds_story["id"]
    return article


@pytest.mark.parametrize(("fragment", "reason"), sorted(CHANGED.items()))
def test_each_change_is_contested_with_its_reason(
    third: dict[str, Any], fragment: str, reason: str
) -> None:
    (claim,) = [c for c in third["claims"] if fragment in c["text"]]
    assert claim["verdict"] == "contested"
    reasons = {e["reason"] for e in claim["evidence"] if e["relation"] == "contradicts"}
    assert reason in reasons


@pytest.mark.parametrize(("fragment", "reason"), sorted(SHOWN.items()))
def test_an_imprecise_difference_is_shown_but_decides_nothing(
    third: dict[str, Any], fragment: str, reason: str
) -> None:
    (claim,) = [c for c in third["claims"] if fragment in c["text"]]
    assert claim["verdict"] != "contested"
    shown = [e for e in claim["evidence"] if e["reason"] == reason]
    assert shown and shown[0]["relation"] == "contradicts" and shown[0]["score"] <= 0.5
    assert "not enough to contest" in shown[0]["explanation"]


@pytest.mark.parametrize("fragment", UNCHANGED)
def test_each_unchanged_fact_is_corroborated(third: dict[str, Any], fragment: str) -> None:
    (claim,) = [c for c in third["claims"] if fragment in c["text"]]
    assert claim["verdict"] == "corroborated"
    assert claim["supporting_origins"] >= 1


def test_older_claims_contested_by_the_newcomer(
    e2e: TestClient, third: dict[str, Any], seeds_story: dict[str, Any]
) -> None:
    story = e2e.get(f"/v1/stories/{seeds_story['id']}").json()
    iranwire = {c["text"]: c for c in story["claim_list"] if c["source"] == "IranWire"}
    camped = next(c for c in iranwire.values() if "camped outside the Green Zone" in c["text"])
    assert camped["verdict"] == "contested"
    (evidence,) = [e for e in camped["evidence"] if e["relation"] == "contradicts"]
    assert evidence["reason"] == "place_mismatch" and "inside" in evidence["explanation"]
    # The count differs too, but a count is shown with its reason and decides nothing.
    drones = next(c for c in iranwire.values() if "two other drones" in c["text"])
    (shown,) = [e for e in drones["evidence"] if e["relation"] == "contradicts"]
    assert "'two other drones' vs 'three other drones'" in shown["explanation"]
    assert drones["verdict"] != "contested"
    assert story["contested"] >= 2


def test_claims_filtered_by_checkworthiness(e2e: TestClient, seeds_story: dict[str, Any]) -> None:
    whole = e2e.get(f"/v1/stories/{seeds_story['id']}").json()
    every = whole["claim_list"]
    strict = e2e.get(f"/v1/stories/{seeds_story['id']}", params={"min_checkworthiness": 0.5})
    assert strict.status_code == 200
    kept = strict.json()["claim_list"]
    assert 0 < len(kept) < len(every)
    assert all(c["checkworthiness"] >= 0.5 for c in kept)
    assert strict.json()["claims"] == whole["claims"]  # counts stay whole
    article_id = kept[0]["article_id"]
    article = e2e.get(f"/v1/articles/{article_id}", params={"min_checkworthiness": 0.5}).json()
    assert all(c["checkworthiness"] >= 0.5 for c in article["claims"])
    bad = e2e.get(f"/v1/stories/{seeds_story['id']}", params={"min_checkworthiness": 2})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
