"""The HTTP API's happy paths, on the real core; no assertion depends on exact verdicts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from service.app import DEMO_STORY, create_app
from service.config import Settings
from service.core import Crosscheck

VERDICTS = {"corroborated", "contested", "single_source"}

HOSTILE_HTML = """<!DOCTYPE html>
<html><head><title>Drone attack on Baghdad residence</title>
<script>alert(1)</script><style>p { color: red }</style></head>
<body onload="alert(2)">
<article>
<h1>Drone attack on Baghdad residence</h1>
<p onclick="alert(3)">Iraqi Prime Minister Mustafa al-Kadhimi survived an attack on his home in
Baghdad's Green Zone by a drone laden with explosives early on Sunday, officials said.</p>
<img src="x.png" onerror="alert(4)">
<p>Iraqi security sources said they shot down two other drones aimed at the residence.
Officials told reporters on Monday that both the drones and the explosives were Iranian-made.</p>
<p>Ismail Qaani, commander of the Quds Force, arrived in Baghdad late on Sunday in an unannounced
visit, according to an Iraqi member of parliament.</p>
<script type="text/javascript">document.write('<b>injected</b>')</script>
<a href="javascript:alert(5)" onmouseover="alert(6)">More coverage</a>
</article>
</body></html>
"""


def strings(value: Any) -> Iterator[str]:
    """Every string (keys included) in a parsed JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def assert_no_markup(response: httpx.Response) -> None:
    """No markup in the bytes on the wire, nor in any decoded string."""
    assert b"<" not in response.content and b">" not in response.content
    for text in strings(response.json()):
        assert "<" not in text, text[:200]
        assert "onerror" not in text and "onclick" not in text and "onload" not in text
        assert "alert(" not in text and "javascript:" not in text


@pytest.fixture(scope="module")
def submitted(
    settings: Settings, core: Crosscheck, seed_copy: Callable[[str, str], str]
) -> dict[str, Any]:
    """A copy of the IranWire seed, submitted once for the module."""
    article = {"text": seed_copy("iranwire", "api"), "source": "IranWire", "story": "api-happy"}
    with TestClient(create_app(settings, core=core)) as client:
        response = client.post("/v1/articles", json=article)
    assert response.status_code == 201, response.text[:500]
    result: dict[str, Any] = response.json()["data"][0]
    return result


def test_submit_then_submit_again(client: TestClient, seed_copy: Callable[[str, str], str]) -> None:
    text = seed_copy("guardian", "resubmission")
    article = {"text": text, "source": "The Guardian", "story": "api-resubmit"}
    first = client.post("/v1/articles", json=article)
    assert first.status_code == 201, first.text[:500]
    body = first.json()
    assert body["count"] == 1 and body["data"][0]["created"] is True
    stories = client.get("/v1/stories").json()["count"]

    again = client.post("/v1/articles", json=article)
    assert again.status_code == 200
    repeat = again.json()["data"][0]
    assert repeat["created"] is False
    assert repeat["article"]["id"] == body["data"][0]["article"]["id"]
    assert client.get("/v1/stories").json()["count"] == stories


def test_batch_answers_in_order(client: TestClient, seed_copy: Callable[[str, str], str]) -> None:
    batch = {
        "articles": [
            {"text": seed_copy("iranwire", "batch"), "source": "IranWire", "story": "api-batch"},
            {"text": seed_copy("guardian", "batch"), "source": "Guardian", "story": "api-batch"},
        ]
    }
    response = client.post("/v1/articles", json=batch)
    assert response.status_code == 201
    data = response.json()["data"]
    assert [d["article"]["source"] for d in data] == ["IranWire", "Guardian"]
    assert all(d["created"] for d in data)
    assert len({d["article"]["story_id"] for d in data}) == 1
    again = client.post("/v1/articles", json=batch)
    assert again.status_code == 200
    assert [d["article"]["id"] for d in again.json()["data"]] == [d["article"]["id"] for d in data]


def test_get_article(client: TestClient, submitted: dict[str, Any]) -> None:
    article_id = submitted["article"]["id"]
    response = client.get(f"/v1/articles/{article_id}")
    assert response.status_code == 200
    article = response.json()
    assert article["id"] == article_id
    assert article["source"] == "IranWire"
    assert isinstance(article["text"], str) and article["text"]
    assert article["claims"], "the IranWire seed holds claims"
    for claim in article["claims"]:
        assert claim["verdict"] in VERDICTS
        assert 0 <= claim["start"] < claim["end"] <= len(article["text"])
        assert claim["article_id"] == article_id


def test_get_story(client: TestClient, submitted: dict[str, Any]) -> None:
    story_id = submitted["article"]["story_id"]
    story = client.get(f"/v1/stories/{story_id}").json()
    assert story["id"] == story_id
    assert story["key"] == "api-happy"
    assert submitted["article"]["id"] in {a["id"] for a in story["article_list"]}
    assert story["claims"] == len(story["claim_list"])
    assert story["corroborated"] + story["contested"] + story["single_source"] == story["claims"]
    for group in story["claim_groups"]:
        assert group["verdict"] in VERDICTS and group["claims"]


def test_get_claim(client: TestClient, submitted: dict[str, Any]) -> None:
    claim = submitted["article"]["claims"][0]
    response = client.get(f"/v1/claims/{claim['id']}")
    assert response.status_code == 200
    got = response.json()
    assert got["id"] == claim["id"] and got["text"] == claim["text"]
    assert {"verdict", "evidence", "supporting_origins", "contradicting_origins"} <= set(got)


def test_sources(client: TestClient, submitted: dict[str, Any]) -> None:
    body = client.get("/v1/sources").json()
    assert body["count"] == len(body["data"])
    names = {s["name"] for s in body["data"]}
    assert submitted["article"]["source"] in names
    for source in body["data"]:
        shares = (
            source["corroborated_share"] + source["contested_share"] + source["single_source_share"]
        )
        assert source["claims"] == 0 or abs(shares - 1) < 1e-6


def test_stories_paging(client: TestClient, seed_copy: Callable[[str, str], str]) -> None:
    for key in ("api-page-1", "api-page-2"):
        article = {"text": seed_copy("iranwire", key), "source": "IranWire", "story": key}
        assert client.post("/v1/articles", json=article).status_code == 201
    everything = client.get("/v1/stories", params={"limit": 100}).json()
    assert everything["count"] >= 2 and everything["offset"] == 0
    first = client.get("/v1/stories", params={"limit": 1, "offset": 0}).json()
    second = client.get("/v1/stories", params={"limit": 1, "offset": 1}).json()
    assert first["limit"] == 1 and len(first["data"]) == 1 and len(second["data"]) == 1
    assert first["count"] == second["count"] == everything["count"]
    assert first["data"][0]["id"] != second["data"][0]["id"]
    beyond = client.get("/v1/stories", params={"offset": everything["count"]}).json()
    assert beyond["data"] == []


def test_health(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ok"


def test_compare_stores_nothing(client: TestClient, seed_texts: dict[str, str]) -> None:
    before = client.get("/v1/stories").json()["count"]
    payload = {
        "articles": [
            {"text": seed_texts["iranwire"], "source": "Compare A"},
            {"text": seed_texts["guardian"], "source": "Compare B"},
        ]
    }
    response = client.post("/v1/compare", json=payload)
    assert response.status_code == 200, response.text[:500]
    report = response.json()
    assert [a["source"] for a in report["articles"]] == ["Compare A", "Compare B"]
    assert report["story"]["articles"] == 2
    assert client.get("/v1/stories").json()["count"] == before
    assert "Compare A" not in {s["name"] for s in client.get("/v1/sources").json()["data"]}


def test_judge(client: TestClient) -> None:
    pairs = [
        {"claim": "Two drones were shot down.", "evidence": "Three drones were shot down."},
        {"claim": "Qaani arrived in Baghdad.", "evidence": "The weather was mild in Oslo."},
        {"claim": "Jane Doe, 16, was hurt.", "evidence": "Jane Doe, 15, was hurt."},
        {
            "claim": "He was taken to hospital at 3:10 a.m. by ambulance.",
            "evidence": "He was taken to hospital at 3:10 a.m.",
        },
    ]
    response = client.post("/v1/judge", json={"pairs": pairs})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    for item in body["data"]:
        assert item["relation"] in {"supports", "contradicts", "silent"}
        assert 0 <= item["probability"] <= 1
    drones, oslo, ages, shorter = body["data"]
    assert (drones["relation"], drones["reason"]) == ("contradicts", "number_mismatch")
    assert oslo["relation"] == "silent"
    assert (ages["relation"], ages["reason"]) == ("contradicts", "age_mismatch")
    assert "16 vs 15" in ages["explanation"]
    # Evidence that only leaves a phrase out does not contradict the longer claim.
    assert shorter["relation"] == "silent"


def test_openapi_documents_every_route(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operations = [
        (path, method, op) for path, item in schema["paths"].items() for method, op in item.items()
    ]
    assert len(operations) >= 10
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        assert op.get("description"), f"{where} has no docstring"
        assert op.get("tags"), f"{where} has no tag"
        assert "\n" not in op["description"].strip(), f"{where}: one-line docstring"
        if "requestBody" in op:
            content = op["requestBody"]["content"]["application/json"]
            assert content.get("examples") or content.get("example"), f"{where} has no example"
        for status, answer in op["responses"].items():
            if status[0] in "45":
                assert set(answer["content"]) == {"application/problem+json"}, where
    assert "Problem" in schema["components"]["schemas"]


def test_html_with_scripts_is_accepted_and_never_echoed(client: TestClient) -> None:
    article = {"text": HOSTILE_HTML, "source": "Hostile Times", "story": "api-hostile"}
    response = client.post("/v1/articles", json=article)
    assert response.status_code in (200, 201), response.text[:500]
    assert_no_markup(response)
    stored = response.json()["data"][0]["article"]
    assert "shot down two other drones" in stored["text"]
    responses = [
        client.get(f"/v1/articles/{stored['id']}"),
        client.get(f"/v1/stories/{stored['story_id']}"),
        client.get("/v1/stories", params={"limit": 100}),
        client.get("/v1/sources"),
        client.post("/v1/compare", json={"articles": [article, {**article, "source": "Copy"}]}),
    ]
    responses += [client.get(f"/v1/claims/{c['id']}") for c in stored["claims"]]
    for answer in responses:
        assert answer.status_code == 200, answer.text[:300]
        assert_no_markup(answer)


def test_markup_in_an_error_is_escaped_on_the_wire(client: TestClient) -> None:
    response = client.get("/v1/articles/<script>alert(1)<%2Fscript>")
    assert response.status_code == 404
    assert b"<" not in response.content and b">" not in response.content
    assert "<script>" in response.json()["detail"]  # the id is still told back, escaped


def test_demo_story_loads_once(
    settings: Settings, core: Crosscheck, seed_copy: Callable[[str, str], str], tmp_path: Path
) -> None:
    for name in ("iranwire", "guardian"):
        (tmp_path / f"{name}.txt").write_text(seed_copy(name, "demo"), encoding="utf-8")
    (tmp_path / "notes.md").write_text("not an article", encoding="utf-8")
    demo = settings.model_copy(update={"demo_dir": tmp_path})
    with TestClient(create_app(demo, core=core)) as client:
        stories = client.get("/v1/stories", params={"limit": 100}).json()
        keys = [s["key"] for s in stories["data"]]
        assert keys.count(DEMO_STORY) == 1
        story = next(s for s in stories["data"] if s["key"] == DEMO_STORY)
        assert story["articles"] == 2
    with TestClient(create_app(demo, core=core)) as client:
        again = client.get("/v1/stories", params={"limit": 100}).json()
        assert again["count"] == stories["count"]
        story_again = next(s for s in again["data"] if s["key"] == DEMO_STORY)
        assert story_again["articles"] == 2


def test_markup_in_names_is_escaped_on_the_wire(
    client: TestClient, seed_copy: Callable[[str, str], str]
) -> None:
    article = {"text": seed_copy("guardian", "markup"), "source": "<i>Markup</i> Gazette"}
    response = client.post("/v1/articles", json=article)
    assert response.status_code in (200, 201), response.text[:300]
    assert b"<" not in response.content and b">" not in response.content
    assert b"\\u003ci\\u003e" in response.content or b"Markup" in response.content


def test_metrics_count_requests_by_route_and_report_the_store(client: TestClient) -> None:
    client.get("/v1/stories")
    client.get("/v1/stories/no-such-story")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    body = response.text
    assert 'route="/v1/stories/{story_id}",status="404"' in body
    assert 'crosscheck_http_request_seconds_count{method="GET",route="/v1/stories"}' in body
    stored = {
        line.split('kind="')[1].split('"')[0]: int(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line.startswith("crosscheck_stored{")
    }
    assert stored["stories"] == client.get("/v1/stories").json()["count"]
    assert set(stored) >= {"articles", "claims_contested", "claims_corroborated"}
