"""The dashboard in a real browser (the Debian chromium through Playwright) on a real server.

The server holds the demo story of `make run` (the two seeds of `examples/`) plus a third
outlet, Gulf Ledger (tests/fixtures/gulf_ledger.txt), with planted contradictions: three other
drones where the seeds say two, Saturday, November 6 where IranWire says Sunday, November 7,
four protesters killed where the Guardian says one, "Tehran initially confirmed" where
IranWire says denied, and supporters camped inside the Green Zone where the seeds put them
outside. Which of these contest a claim is the product's call (today only the place does; a
count, a date or an opposite verb is shown as evidence, not enough to contest): the claim map
is checked against whatever the API answers, and a planted fact the API contests must show
Gulf Ledger contradicting it. A screenshot of every page, at
desktop and phone width, goes to test-output/screenshots/.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright

from models.cues import decisive
from service.app import DEMO_STORY, create_app
from service.config import Settings
from service.core import Crosscheck

pytestmark = [pytest.mark.browser, pytest.mark.models]

CHROMIUM = "/usr/bin/chromium"
"""The Debian chromium (`make test` installs it); Playwright's own download cannot work here."""
ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
SHOTS = ROOT / "test-output" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
THIRD = "Gulf Ledger"
# A hostile article: if any of it ran, `window.pwned` would be set.
HOSTILE = """Hostile Wire reports on the Baghdad drone attack

<script>window.pwned = "script";</script>
Iraqi officials said on Monday that 12 drones were launched at the residence of Prime Minister
Mustafa al-Kadhimi. <img src="x.png" onerror="window.pwned = 'onerror'">

Officials said the attack <b onmouseover="window.pwned = 'hover'">killed 2 guards</b> at the gate.
"""
LATE = """Desert Courier on the attack in Baghdad

Iraqi Prime Minister Mustafa al-Kadhimi survived an attack on his home by a drone laden with
explosives early on Sunday, officials said.

Iraqi security sources said they shot down two other drones aimed at the residence.
"""
PASTED = '</textarea><script>window.pwned = "form";</script><img src=x onerror="window.pwned=1">'


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """The Debian chromium, for this module only: Playwright's event loop must be gone before
    other modules' tests run their own (pytest-playwright would keep it for the session)."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page in a fresh context (no cookie or storage from another test)."""
    context = browser.new_context(viewport=DESKTOP)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture(scope="module")
def server(core: Crosscheck, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app of `make run` (demo story from examples/) on a database of its own, served by
    uvicorn on a free port; the third outlet and a hostile article are posted to it."""
    db = tmp_path_factory.mktemp("browser") / "pages.db"
    settings = Settings(database_url=f"sqlite:///{db}", demo_dir=ROOT / "examples")
    own = Crosscheck(settings, models=core.models)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    config = uvicorn.Config(
        create_app(settings, core=own), log_level="warning", timeout_graceful_shutdown=5
    )
    served = uvicorn.Server(config)
    thread = threading.Thread(target=served.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120  # the lifespan loads the demo story first
    while not served.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.1)
    third = {
        "text": (FIXTURES / "gulf_ledger.txt").read_text(encoding="utf-8"),
        "source": THIRD,
        "story": DEMO_STORY,
    }
    hostile = {"text": HOSTILE, "source": "Hostile Wire", "story": "hostile", "format": "text"}
    response = httpx.post(f"{url}/v1/articles", json={"articles": [third, hostile]}, timeout=300)
    assert response.status_code == 201, response.text[:500]
    yield url
    served.should_exit = True
    thread.join(timeout=30)
    own.close()
    listener.close()


def api(server: str, path: str) -> Any:
    """An answer of the JSON API, which the pages must agree with."""
    response = httpx.get(f"{server}{path}", timeout=60)
    assert response.status_code == 200, response.text[:500]
    return response.json()


def demo_story(server: str) -> dict[str, Any]:
    (summary,) = [s for s in api(server, "/v1/stories")["data"] if s["key"] == DEMO_STORY]
    story: dict[str, Any] = api(server, f"/v1/stories/{summary['id']}")
    return story


def shoot(page: Page, name: str) -> None:
    """A full-page screenshot at desktop width, then at phone width, where nothing may make
    the page itself wider than the screen (wide tables scroll inside their box)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow}px wider than a {size['width']}px screen"
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def assert_nothing_ran(page: Page) -> None:
    """No planted script ran, and none of it is markup in the page."""
    assert page.evaluate("window.pwned") is None
    assert page.locator("script:not([src])").count() == 0
    assert page.locator("[onerror], [onmouseover], img[src='x.png'], img[src='x']").count() == 0


def test_stories_page_shows_the_demo_story(server: str, page: Page) -> None:
    story = demo_story(server)
    page.goto(server + "/")
    row = page.locator(f"tr[data-story='{story['id']}']")
    expect(row).to_have_count(1)
    expect(row.locator("a")).to_have_text(story["title"])
    assert row.locator("td").nth(4).inner_text() == str(story["contested"])
    shoot(page, "stories")


def test_stories_by_words_and_by_contest(server: str, page: Page) -> None:
    story = demo_story(server)
    page.goto(server + "/")
    page.locator("input[name=q]").fill("drones")
    page.locator("button", has_text="Search").click()
    expect(page).to_have_url(f"{server}/?q=drones&order=newest")
    found = [s["id"] for s in api(server, "/v1/stories?q=drones")["data"]]
    assert story["id"] in found
    rows = page.locator("tr[data-story]")
    assert [r.get_attribute("data-story") for r in rows.all()] == found
    page.locator("input[name=q]").fill("zeppelin")
    page.locator("button", has_text="Search").click()
    expect(page.locator("main")).to_contain_text("No story matches")
    page.goto(server + "/?order=contested")
    ranked = api(server, "/v1/stories?order=contested")["data"]
    counts = [s["contested"] for s in ranked]
    assert counts == sorted(counts, reverse=True) and len(ranked) >= 2
    ids = [r.get_attribute("data-story") for r in page.locator("tr[data-story]").all()]
    assert ids == [s["id"] for s in ranked]
    expect(page.locator("select[name=order]")).to_have_value("contested")


def test_story_then_claim_by_clicks(server: str, page: Page) -> None:
    story = demo_story(server)
    page.goto(server + "/")
    page.locator(f"tr[data-story='{story['id']}'] a").click()
    expect(page).to_have_url(f"{server}/stories/{story['id']}")
    expect(page.locator("h1")).to_have_text(story["title"])
    shoot(page, "story")
    first = page.locator("#claim-map tbody tr").first
    claim_id = first.get_attribute("data-claim")
    first.locator("td.fact a").click()
    expect(page).to_have_url(f"{server}/claims/{claim_id}")
    claim = api(server, f"/v1/claims/{claim_id}")
    article = api(server, f"/v1/articles/{claim['article_id']}")
    expect(page.locator("h1")).to_have_text(claim["text"])
    expect(page.locator("#verdict")).to_have_attribute("class", f"badge {claim['verdict']}")
    # The claim's sentence is marked inside its article's cleaned text.
    expect(page.locator("#claim-sentence")).to_have_text(
        article["text"][claim["start"] : claim["end"]]
    )
    assert page.locator("#article-text").inner_text().strip() == article["text"].strip()
    rows = page.locator("table.evidence tbody tr")
    expect(rows).to_have_count(len(claim["evidence"]))
    for row, evidence in zip(rows.all(), claim["evidence"], strict=True):
        assert row.get_attribute("data-relation") == evidence["relation"]
        assert evidence["source"] in row.inner_text()
        assert f"{evidence['score']:.2f}" in row.inner_text()
    shoot(page, "claim")


def expected_cell(group: dict[str, Any], outlet: str, claims: dict[str, Any]) -> set[str]:
    """What the API allows a cell to show: an outlet telling the fact states it or contradicts
    its first telling; any other outlet contradicts, states or is silent by its evidence."""
    members = [claims[g["claim_id"]] for g in group["claims"]]
    first = members[0]
    own = [m for m in members if m["source"] == outlet]
    if outlet == first["source"]:
        return {"states"}
    if own:
        return {"states", "contradicts"}
    said = [e for m in members for e in m["evidence"] if e["source"] == outlet]
    if not said:
        return {"silent"}
    return {"states", "contradicts", "silent"}


def contests(evidence: dict[str, Any]) -> bool:
    return bool(
        evidence["independent"]
        and evidence["relation"] == "contradicts"
        and decisive(evidence["reason"])
    )


def test_claim_map_matches_the_api(server: str, page: Page) -> None:
    story = demo_story(server)
    claims = {c["id"]: c for c in story["claim_list"]}
    outlets = list(dict.fromkeys(a["source"] for a in story["article_list"]))
    assert THIRD in outlets
    page.goto(f"{server}/stories/{story['id']}")
    rows = page.locator("#claim-map tbody tr")
    expect(rows).to_have_count(len(story["claim_groups"]))
    legend = {
        state: page.locator(f".key.{state}").evaluate("e => getComputedStyle(e).backgroundColor")
        for state in ("states", "contradicts", "silent")
    }
    assert len(set(legend.values())) == 3
    planted = 0
    for row, group in zip(rows.all(), story["claim_groups"], strict=True):
        assert row.get_attribute("data-claim") == group["claims"][0]["claim_id"]
        assert row.get_attribute("data-verdict") == group["verdict"]
        cells = row.locator("td.cell")
        expect(cells).to_have_count(len(outlets))
        shown = {}
        for cell, outlet in zip(cells.all(), outlets, strict=True):
            assert cell.get_attribute("data-outlet") == outlet
            state = cell.get_attribute("data-cell")
            assert state in expected_cell(group, outlet, claims), (outlet, group)
            colour = cell.evaluate("e => getComputedStyle(e).backgroundColor")
            assert colour == legend[state]
            shown[outlet] = state
        # Red appears only where the API contests the fact.
        if "contradicts" in shown.values():
            assert group["verdict"] == "contested"
        third = [claims[g["claim_id"]] for g in group["claims"] if g["source"] == THIRD]
        first = claims[group["claims"][0]["claim_id"]]
        if any(contests(e) and e["source"] == THIRD for e in first["evidence"]) and third:
            assert shown[THIRD] == "contradicts"
            planted += 1
    # Of the planted contradictions the API contests, the map shows at least one (the judge
    # decides which; the end-to-end tests pin the verdicts themselves).
    if story["contested"]:
        assert planted >= 1


def test_contested_facts_side_by_side(server: str, page: Page) -> None:
    story = demo_story(server)
    page.goto(f"{server}/stories/{story['id']}")
    sections = page.locator("section.contest")
    contested_groups = [g for g in story["claim_groups"] if g["verdict"] == "contested"]
    assert (sections.count() > 0) == bool(contested_groups)
    claims = {c["id"]: c for c in story["claim_list"]}
    for section in sections.all():
        claim = claims[section.get_attribute("data-claim") or ""]
        assert claim["verdict"] == "contested"
        sides = section.locator(".side p")
        assert sides.nth(0).inner_text() == claim["text"]
        marks = section.locator("mark")
        assert marks.count() >= 2  # a differing word on each side
        explanation = section.locator(".reason").inner_text()
        assert any(
            e["explanation"] in explanation and sides.nth(1).inner_text() == e["text"]
            for e in claim["evidence"]
            if contests(e)
        )


def test_hostile_article_never_runs(server: str, page: Page) -> None:
    (summary,) = [s for s in api(server, "/v1/stories")["data"] if s["key"] == "hostile"]
    story = api(server, f"/v1/stories/{summary['id']}")
    page.goto(f"{server}/stories/{story['id']}")
    assert_nothing_ran(page)
    assert story["claim_list"], "the hostile article should still have claims"
    page.goto(f"{server}/claims/{story['claim_list'][0]['id']}")
    assert_nothing_ran(page)
    text = page.locator("#article-text").inner_text()
    assert "12 drones" in text and "<" not in text and "onerror" not in text


def test_pasted_markup_comes_back_as_text(server: str, page: Page) -> None:
    page.goto(server + "/compare")
    page.locator("textarea[name=text]").first.fill(PASTED)
    page.locator("button[type=submit]").click()
    expect(page.locator(".error")).to_contain_text("at least two articles")
    assert_nothing_ran(page)
    # The form comes back filled in: the markup is the textarea's text, nothing more.
    assert page.locator("textarea[name=text]").first.input_value() == PASTED


def test_compare_form_reports_without_storing(server: str, page: Page) -> None:
    before = api(server, "/v1/stories")["count"]
    page.goto(server + "/compare")
    shoot(page, "compare-form")
    page.locator("#add-slot").click()
    expect(page.locator("fieldset.slot")).to_have_count(4)
    texts = page.locator("textarea[name=text]")
    sources = page.locator("input[name=source]")
    for i, (name, outlet) in enumerate(
        [("seeds/iranwire.txt", "IranWire"), ("gulf_ledger.txt", "Gulf Ledger")]
    ):
        sources.nth(i).fill(outlet)
        texts.nth(i).fill((FIXTURES / name).read_text(encoding="utf-8"))
    page.locator("button[type=submit]").click()
    expect(page.locator("#report")).to_be_visible(timeout=120_000)
    body = {
        "articles": [
            {"text": (FIXTURES / n).read_text(encoding="utf-8"), "source": s}
            for n, s in [("seeds/iranwire.txt", "IranWire"), ("gulf_ledger.txt", "Gulf Ledger")]
        ]
    }
    report = httpx.post(f"{server}/v1/compare", json=body, timeout=300).json()
    verdicts = [c["verdict"] for a in report["articles"] for c in a["claims"]]
    shown = page.locator(".report-claims > li")
    assert [li.get_attribute("data-verdict") for li in shown.all()] == verdicts
    assert api(server, "/v1/stories")["count"] == before
    shoot(page, "compare-report")


def test_sources_page_and_its_agreement_matrix(server: str, page: Page) -> None:
    names = [s["name"] for s in api(server, "/v1/sources")["data"]]
    page.goto(server + "/sources")
    cells = page.locator("table.sources tbody tr td:first-child")
    assert cells.all_inner_texts() == names
    rows = page.locator("#agreement-matrix tbody tr")
    assert sorted(r.get_attribute("data-source") or "" for r in rows.all()) == sorted(names)
    clashes = 0
    for row in rows.all():
        name = row.get_attribute("data-source") or ""
        detail = api(server, f"/v1/sources/{name}")
        pairs = {a["source"]: a for a in detail["agrees_with"] + detail["disagrees_with"]}
        shown = row.locator("td.pair[data-other]")
        assert sorted(c.get_attribute("data-other") or "" for c in shown.all()) == sorted(pairs)
        for cell in shown.all():
            pair = pairs[cell.get_attribute("data-other") or ""]
            assert cell.get_attribute("data-agreeing") == str(pair["agreeing"])
            assert cell.get_attribute("data-contradicting") == str(pair["contradicting"])
            clashes += pair["contradicting"]
    assert clashes > 0  # Gulf Ledger's planted contradictions are pairs that clash
    shoot(page, "sources")
    page.locator("#agreement-matrix tbody th a", has_text=THIRD).click()
    expect(page.locator("h1")).to_have_text(THIRD)
    detail = api(server, f"/v1/sources/{THIRD}")
    others = page.locator("#agreements tbody tr")
    expected = {a["source"] for a in detail["agrees_with"] + detail["disagrees_with"]}
    assert {r.get_attribute("data-other") for r in others.all()} == expected
    shoot(page, "source")
    page.goto(server + "/key")
    expect(page.locator("input[name=key]")).to_have_attribute("type", "password")
    shoot(page, "key")


def test_story_page_follows_its_story_live(server: str, page: Page) -> None:
    """Last in this module: it adds a fourth outlet to the demo story."""
    story = demo_story(server)
    page.goto(f"{server}/stories/{story['id']}")
    expect(page.locator("#live")).to_have_text("live", timeout=20_000)
    assert "Desert Courier" not in page.locator("#claim-map thead").inner_text()
    late = {"text": LATE, "source": "Desert Courier", "story": DEMO_STORY}
    response = httpx.post(f"{server}/v1/articles", json=late, timeout=300)
    assert response.status_code == 201, response.text[:500]
    # No reload: the page reads itself again when the story's events arrive.
    expect(page.locator("#claim-map thead th.outlet", has_text="Desert Courier")).to_have_count(
        1, timeout=60_000
    )
    assert page.locator("#story").get_attribute("data-refreshed") is not None
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    after = demo_story(server)
    expect(page.locator("#claim-map tbody tr")).to_have_count(len(after["claim_groups"]))
    shoot(page, "story-live")
