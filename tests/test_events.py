"""Event signatures: the days a lead dates its event to, and when two accounts clash."""

from __future__ import annotations

from datetime import UTC, date, datetime

from models.events import EventSignature, clash, event_signature
from service.core import Crosscheck

# A Wednesday.
PUBLISHED = datetime(2026, 3, 11, 15, 0, tzinfo=UTC)


def test_weekdays_and_dates_resolve_against_the_publication_time(core: Crosscheck) -> None:
    nlp = core.models.nlp
    lead = [
        "Two men were shot outside a bar on Maple Street on Sunday night, police said.",
        "The shooting happened shortly after the bar closed.",
    ]
    signature = event_signature(nlp, "Two shot outside Riverton bar", lead, PUBLISHED)
    assert signature.day == date(2026, 3, 8)
    assert "riverton" in signature.places or "maple street" in signature.places
    dated = event_signature(nlp, None, ["A fire broke out at the mill on March 9."], PUBLISHED)
    assert dated.day == date(2026, 3, 9)


def test_without_a_stated_time_a_weekday_dates_nothing(core: Crosscheck) -> None:
    # "On Sunday" counted back from an assumed time would be a guess; only full dates resolve.
    nlp = core.models.nlp
    assert event_signature(nlp, None, ["He was shot on Sunday."], None).day is None
    full = event_signature(nlp, None, ["He was arrested on June 2, 2019, in Dover."], None)
    assert full.day == date(2019, 6, 2)


def test_a_dateline_or_page_stamp_is_not_the_event_day(core: Crosscheck) -> None:
    nlp = core.models.nlp
    lead = ["March 10, 2026", "Posted Tuesday, updated Wednesday.", "A barn burned down."]
    assert event_signature(nlp, "Barn fire", lead, PUBLISHED).days == ()


def test_background_dates_beyond_weeks_are_not_the_event(core: Crosscheck) -> None:
    nlp = core.models.nlp
    lead = ["The man, who was jailed in June 2001, was arrested again on Monday."]
    assert event_signature(nlp, None, lead, PUBLISHED).days == (date(2026, 3, 9),)


def test_accounts_clash_only_on_days_both_state_apart() -> None:
    sunday = EventSignature(days=(date(2026, 3, 8),))
    monday = EventSignature(days=(date(2026, 3, 9),))
    thursday = EventSignature(days=(date(2026, 3, 12),))
    assert clash(sunday, monday, day_tolerance=1) is None
    reason = clash(sunday, thursday, day_tolerance=1)
    assert reason is not None and "2026-03-08" in reason and "2026-03-12" in reason
    assert clash(sunday, EventSignature(), day_tolerance=1) is None
    # A later account that also names the first day (an arrest after the shooting) fits.
    later = EventSignature(days=(date(2026, 3, 12), date(2026, 3, 8)))
    assert clash(sunday, later, day_tolerance=1) is None


def test_a_signature_survives_storage() -> None:
    signature = EventSignature(
        places=frozenset({"riverton"}),
        people=frozenset({"hlm"}),
        days=(date(2026, 3, 8),),
        kinds=frozenset({"shoot"}),
        place_names={"riverton": "Riverton"},
    )
    assert EventSignature.from_json(signature.as_json()) == signature
    assert EventSignature.from_json(None) == EventSignature()
