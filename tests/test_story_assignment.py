"""Story assignment without keys: one event per story, similar events kept apart."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
from fastapi.testclient import TestClient

from models.events import EventSignature, event_signature
from service.config import Settings
from service.core import Crosscheck
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


def test_one_article_dating_the_event_elsewhere_does_not_close_its_story() -> None:
    sunday = EventSignature(days=(date(2026, 3, 8),))
    background = EventSignature(days=(date(2025, 6, 1),))  # a year-old date read as the event's
    probe = _placed("", _unit(1), WORDS, event=sunday)
    story = [_placed("quake", _unit(1), WORDS, event=sunday) for _ in range(2)]
    odd = _placed("quake", _unit(1), WORDS, event=background)
    # Two of three dated articles agree with the new one: the story stays open to it.
    assert choose_story([*story, odd], probe, RULE) == "quake"
    # Half or more dating the event elsewhere close it, as one article alone does.
    assert choose_story([story[0], odd], probe, RULE) is None
    assert choose_story([odd], probe, RULE) is None


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


def test_an_article_that_states_no_time_is_weighed_against_any_time() -> None:
    dated = EventSignature(days=(date(2011, 11, 10),))
    members = [
        _placed("piracy", _unit(1, 0.3), WORDS, event=dated, published=T0 - timedelta(days=5000))
    ]
    undated = EventSignature(undated=True)
    close = _placed("", _unit(1, 0.3), WORDS, event=undated)
    # Years apart by the clock, but its own time is only the time of ingest: it joins, at the
    # follow-up's score.
    assert choose_story(members, close, RULE) == "piracy"
    loose = replace(close, vector=_unit(1, 0.9), fingerprint={"qeshm": 0.1, "other": 0.9})
    assert choose_story(members, loose, RULE) is None
    # The same pair with a stated time years later: nothing joins.
    assert choose_story(members, replace(close, event=EventSignature()), RULE) is None


def test_other_places_and_other_people_raise_the_score_needed() -> None:
    # Score of this pair: lead cosine 0.90 + words 0.09 = 0.99, above the 0.8 of the window.
    vector, words = _unit(1, 0.9), {"qeshm": 0.1, "other": 0.9}
    here = EventSignature(places=frozenset({"south philadelphia"}), principals=frozenset({"sml"}))
    members = [_placed("boy", _unit(1, 0.3), WORDS, event=here)]
    probe = _placed("", vector, words)
    assert choose_story(members, probe, RULE) == "boy"
    # A neighbourhood inside the same city is the same place.
    city = EventSignature(places=frozenset({"philadelphia"}))
    assert choose_story(members, replace(probe, event=city), RULE) == "boy"
    elsewhere = EventSignature(places=frozenset({"detroit"}))
    assert choose_story(members, replace(probe, event=elsewhere), RULE) is None
    other = EventSignature(principals=frozenset({"wltn"}), people=frozenset({"wltn"}))
    assert choose_story(members, replace(probe, event=other), RULE) is None
    # Naming the other's central person anywhere in the lead is no disagreement.
    both = EventSignature(principals=frozenset({"wltn"}), people=frozenset({"wltn", "sml"}))
    assert choose_story(members, replace(probe, event=both), RULE) == "boy"


def test_a_follow_up_on_another_day_joins_when_it_names_a_person_of_the_first() -> None:
    shooting = EventSignature(
        days=(date(2026, 3, 8),), people=frozenset({"odms"}), places=frozenset({"shelby"})
    )
    members = [_placed("shelby", _unit(1, 0.3), WORDS, event=shooting)]
    charge = EventSignature(days=(date(2026, 3, 12),), people=frozenset({"odms", "jcksn"}))
    later = T0 + timedelta(days=4)
    probe = _placed("", _unit(1, 0.3), WORDS, event=charge, published=later)
    assert choose_story(members, probe, RULE) == "shelby"
    # Another day, nobody in common: another event, however alike the words.
    stranger = replace(charge, people=frozenset({"jcksn"}))
    assert choose_story(members, replace(probe, event=stranger), RULE) is None
    # A person in common but another town: no follow-up.
    away = replace(charge, places=frozenset({"charlotte"}))
    assert choose_story(members, replace(probe, event=away), RULE) is None


def test_the_signature_reads_who_is_at_the_centre_and_whether_the_page_is_dated(
    core: Crosscheck,
) -> None:
    nlp = core.models.nlp
    lead = [
        "Tara Reid checked herself into a treatment center in Malibu on Tuesday, "
        "her publicist said.",
        "Her publicist Jack Ketsoyan asked for privacy.",
    ]
    stated = datetime(2026, 3, 12, tzinfo=UTC)
    signature = event_signature(nlp, "Tara Reid enters rehab", lead, stated)
    assert "rd" in signature.principals
    assert "ktsn" not in signature.principals and "ktsn" in signature.people
    assert not signature.undated
    assert signature.day == date(2026, 3, 10)
    unstated = event_signature(nlp, "Tara Reid enters rehab", lead, None)
    assert unstated.undated and unstated.day is None
    assert EventSignature.from_json(signature.as_json()) == signature
    assert EventSignature.from_json(unstated.as_json()).undated


def test_a_page_without_a_date_joins_the_story_of_an_archived_report(client: TestClient) -> None:
    archived = _report(
        "Harwick Gazette", "Harwick", "Cooper Row", "Sunday", "Ida Brennan", "No one was hurt."
    )
    response = client.post(
        "/v1/articles", json={**archived, "published_at": "2011-03-11T09:00:00Z"}
    )
    assert response.status_code == 201, response.text
    story = response.json()["data"][0]["article"]["story_id"]
    # Sent now without a time and with none on the page: years from the archived report by
    # the clock, yet weighed against it (the store fetches it beyond the window).
    undated = _report(
        "Harwick Wire", "Harwick", "Cooper Row", "Sunday", "Ida Brennan", "Nobody was injured."
    )
    response = client.post("/v1/articles", json=undated)
    assert response.status_code == 201, response.text
    assert response.json()["data"][0]["article"]["story_id"] == story
    # And a dated report of it, years later again, finds the story through the undated one.
    later = _report(
        "Harwick Herald", "Harwick", "Cooper Row", "Sunday", "Ida Brennan", "No one was injured."
    )
    response = client.post("/v1/articles", json={**later, "published_at": "2019-06-01T09:00:00Z"})
    assert response.status_code == 201, response.text
    assert response.json()["data"][0]["article"]["story_id"] == story
