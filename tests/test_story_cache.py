"""Story reads come from a per-process cache while the story is unchanged, and never stale:
a write by this process or by another one (a worker, a second replica) is seen at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.config import Settings
from service.core import Crosscheck
from service.schemas import ArticleIn, StoryUpdateIn
from tests.databases import DATABASES, empty_database

GAZETTE = """Fire destroys Millbrook bakery

A fire destroyed the Hollis Street bakery in Millbrook early on Tuesday, the town's fire \
department said.
Firefighters were called to the building at 3:15 a.m. and brought the blaze under control \
within two hours.
Two firefighters were treated for smoke inhalation, fire chief Dana Morrow said."""

COURIER = """Millbrook bakery gutted by early-morning blaze

Fire gutted the Hollis Street bakery in Millbrook on Tuesday morning.
Crews arrived at the bakery at 3:15 a.m. and needed two hours to bring the fire under control, \
the fire department said.
Fire chief Dana Morrow said two firefighters were treated for smoke inhalation."""


@pytest.fixture(params=DATABASES)
def two_cores(
    request: pytest.FixtureRequest, tmp_path: Path, settings: Settings, core: Crosscheck
) -> Iterator[tuple[Crosscheck, Crosscheck]]:
    """Two cores on one database, as two processes would be (they share the loaded models)."""
    url = empty_database(request.param, tmp_path)
    mine = settings.model_copy(update={"database_url": url})
    first = Crosscheck(mine, models=core.models)
    second = Crosscheck(mine, models=core.models)
    yield first, second
    first.close()
    second.close()


def _article(text: str, source: str) -> ArticleIn:
    return ArticleIn(text=text, source=source, story="bakery-fire")


def test_an_unchanged_story_is_read_from_the_cache(
    two_cores: tuple[Crosscheck, Crosscheck],
) -> None:
    reader, _writer = two_cores
    reader.submit([_article(GAZETTE, "Gazette")])
    first = reader.story("bakery-fire")
    assert reader.story("bakery-fire") is first  # the same assembled story, not rebuilt
    assert reader.story(first.id) is first  # by id as by key
    floor = reader.story(first.id, min_checkworthiness=0.99)
    assert floor is not first and len(floor.claim_list) <= len(first.claim_list)


def test_writes_of_another_process_are_seen_at_once(
    two_cores: tuple[Crosscheck, Crosscheck],
) -> None:
    reader, writer = two_cores
    reader.submit([_article(GAZETTE, "Gazette")])
    before = reader.story("bakery-fire")
    assert before.articles == 1
    # Another process stores a second outlet's article into the story: new claims, and the
    # first article's verdicts change with them.
    writer.submit([_article(COURIER, "Courier")])
    after = reader.story("bakery-fire")
    assert after is not before
    assert after.articles == 2
    assert after.corroborated > before.corroborated
    assert after == writer.story("bakery-fire")
    # An edit by the other process (a new title) is seen too.
    writer.update_story(after.id, StoryUpdateIn(title="Millbrook bakery fire"), by="desk")
    assert reader.story("bakery-fire").title == "Millbrook bakery fire"


def test_the_cache_can_be_turned_off(tmp_path: Path, settings: Settings, core: Crosscheck) -> None:
    off = settings.model_copy(
        update={"database_url": f"sqlite:///{tmp_path / 'off.db'}", "story_cache_size": 0}
    )
    plain = Crosscheck(off, models=core.models)
    try:
        plain.submit([_article(GAZETTE, "Gazette")])
        first = plain.story("bakery-fire")
        again = plain.story("bakery-fire")
        assert again is not first and again == first
    finally:
        plain.close()


def test_the_story_route_answers_the_story_as_it_is_now(
    two_cores: tuple[Crosscheck, Crosscheck], settings: Settings
) -> None:
    """The API renders a story once while it is unchanged, and again after a write."""
    reader, writer = two_cores
    reader.submit([_article(GAZETTE, "Gazette")])
    with TestClient(create_app(reader.settings, core=reader)) as client:
        first = client.get("/v1/stories/bakery-fire")
        assert first.status_code == 200
        assert first.headers["content-type"].startswith("application/json")
        assert first.json() == reader.story("bakery-fire").model_dump(mode="json")
        assert client.get("/v1/stories/bakery-fire").content == first.content
        writer.submit([_article(COURIER, "Courier")])
        second = client.get("/v1/stories/bakery-fire")
        assert second.json()["articles"] == 2
        assert second.json() == writer.story("bakery-fire").model_dump(mode="json")
        floor = client.get("/v1/stories/bakery-fire", params={"min_checkworthiness": 0.99})
        assert len(floor.json()["claim_list"]) <= len(second.json()["claim_list"])
        missing = client.get("/v1/stories/no-such-story")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/problem+json")
