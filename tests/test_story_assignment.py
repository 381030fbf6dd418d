"""Story assignment without keys: one event per story, similar events kept apart."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
from fastapi.testclient import TestClient

from models.events import EventSignature
from service.config import Settings
from service.stories import JoinRule, Placement, choose_story

T0 = datetime(2026, 3, 11, 12, tzinfo=UTC)
RULE = JoinRule.from_settings(Settings(database_url="sqlite://"))


def _unit(*weights: float) -> np.ndarray:
    vector = np.zeros(384, dtype=np.float32)
    vector[: len(weights)] = weights
    return vector / np.linalg.norm(vector)


def _placed(story: str, vector: np.ndarray, words: dict[str, float], **kw: object) -> Placement:
    base = Placement(story, vector, words, frozenset(), EventSignature(), T0)
    return replace(base, **kw)  # type: ignore[arg-type]


WORDS = {"qeshm": 0.8, "dargahan": 0.6}


def test_the_most_alike_story_above_the_threshold_is_joined() -> None:
    members = [
        _placed("quake", _unit(1, 1), WORDS),
        _placed("fire", _unit(0, 0, 1), {"mill": 1.0}),
    ]
    # Lead cosine 0.71 plus the shared rare words: above the threshold.
    assert choose_story(members, _placed("", _unit(1, 0), WORDS), RULE) == "quake"
    # As alike in the lead but sharing no words: below it, a story of its own.
    assert choose_story(members, _placed("", _unit(1, 0), {"bam": 1.0}), RULE) is None


def test_a_story_that_dates_the_event_to_another_day_is_never_joined() -> None:
    sunday = EventSignature(days=(date(2026, 3, 8),))
    thursday = EventSignature(days=(date(2026, 3, 5),))
    members = [_placed("quake", _unit(1), WORDS, event=thursday)]
    probe = _placed("", _unit(1), WORDS, event=sunday)
    assert choose_story(members, probe, RULE) is None
    assert choose_story(members, replace(probe, event=EventSignature()), RULE) == "quake"


def test_a_follow_up_weeks_later_joins_only_when_it_is_very_alike() -> None:
    members = [_placed("shooting", _unit(1, 0.3), WORDS)]
    later = T0 + timedelta(days=12)
    close = _placed("", _unit(1, 0.3), WORDS, published=later)
    loose = _placed("", _unit(1, 0.9), {"qeshm": 0.1, "other": 0.9}, published=later)
    assert choose_story(members, close, RULE) == "shooting"
    within = replace(loose, published=T0 + timedelta(hours=5))
    assert choose_story(members, within, RULE) == "shooting"
    assert choose_story(members, loose, RULE) is None
    too_late = replace(close, published=T0 + RULE.followup + timedelta(days=1))
    assert choose_story(members, too_late, RULE) is None


def _report(
    outlet: str, town: str, street: str, day: str, owner: str, extra: str
) -> dict[str, str]:
    text = (
        f"A fire destroyed a grain warehouse on {street} in {town} on {day} night, "
        f"the {town} fire department said.\n\n"
        f"Firefighters fought the blaze for six hours. The warehouse belonged to {owner}, "
        f"who said the building held the harvest of twelve farms.\n\n"
        f"{extra} Investigators have not said what started the fire on {street}."
    )
    return {"text": text, "source": outlet, "title": f"Fire destroys {town} grain warehouse"}


def test_two_similar_fires_without_keys_make_two_stories(client: TestClient) -> None:
    published = "2026-03-11T09:00:00Z"
    tolbridge = [
        _report(
            "Tolbridge Courier",
            "Tolbridge",
            "Quarry Lane",
            "Sunday",
            "Edwin Marsh",
            "No one was hurt.",
        ),
        _report(
            "Valley Post",
            "Tolbridge",
            "Quarry Lane",
            "Sunday",
            "Edwin Marsh",
            "Nobody was injured, officials said.",
        ),
    ]
    fenwick = [
        _report(
            "Fenwick Herald",
            "Fenwick",
            "Mill Road",
            "Tuesday",
            "Agnes Pruitt",
            "One firefighter was treated for smoke.",
        ),
        _report(
            "County Wire",
            "Fenwick",
            "Mill Road",
            "Tuesday",
            "Agnes Pruitt",
            "A firefighter was treated for smoke inhalation.",
        ),
    ]
    stories = []
    for article in [*tolbridge, *fenwick]:
        response = client.post("/v1/articles", json={**article, "published_at": published})
        assert response.status_code == 201, response.text
        stories.append(response.json()["data"][0]["article"]["story_id"])
    assert stories[0] == stories[1]
    assert stories[2] == stories[3]
    assert stories[0] != stories[2]


def test_the_window_counts_from_the_event_day_when_both_state_it() -> None:
    sunday = EventSignature(days=(date(2026, 3, 8),))
    members = [_placed("shooting", _unit(1, 0.3), WORDS, event=sunday)]
    # Published five days later, as alike as a same-day account (not as a follow-up must be).
    late = _placed(
        "", _unit(1, 0.9), {"qeshm": 0.1, "other": 0.9}, published=T0 + timedelta(days=5)
    )
    assert choose_story(members, late, RULE) is None
    assert choose_story(members, replace(late, event=sunday), RULE) == "shooting"
