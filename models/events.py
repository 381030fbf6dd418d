"""What event an article tells: where, when, who and what, read from its title and lead.

An article's *event signature* decides which articles may share a story. Two accounts of one
event name the same place, date the event on the same day and name the same people; two
similar events (two earthquakes, two arrests) differ in at least one of these, however alike
their wording. The signature is read from the title and the first sentences, where news puts
the event's who, what, where and when:

* ``places``: places, facilities and regions named (spaCy GPE / LOC / FAC), lower-cased;
* ``people``: the surname key of every person named (transliteration-blind, as
  `mentions.name_key`), so "Guillermo Hernandez" and "Hernandez" meet; ``principals``: those
  the title and the first sentence name, whom the event is about;
* ``days``: the calendar days the lead's date expressions resolve to, counted back from the
  publication time ("on Sunday", "Tuesday night", "yesterday", "Jan. 5"); ``day`` is the first,
  the day the lead dates its event to;
* ``kinds``: the main predicates of the title and the first sentence ("shoot", "arrest");
* ``undated``: neither the client nor the page states when it was published.

`clash` says why two signatures cannot be one event (a reason a person can read), or None;
`places_differ` and `people_differ` say what makes one event less likely (story assignment asks
for a higher score then), and `follows_up` when a later account may cross a clash of days.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from models.mentions import DateMention, dates, name_key, name_words

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span

LEAD_SENTENCES = 5
"""Body sentences read after the title."""

_PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
# "Sunday night" and "Tuesday morning" are TIME entities that carry a day.
_DATED = frozenset({"DATE", "TIME"})
_RELATIVE_DAYS = (
    (re.compile(r"\b(yesterday|last night)\b", re.IGNORECASE), -1),
    (re.compile(r"\b(today|tonight|this morning|this afternoon|this evening)\b", re.IGNORECASE), 0),
)
# Verbs of the page itself ("Posted Tuesday, updated Friday"), not of the event.
_PAGE_VERBS = frozenset({"post", "update", "publish", "write", "file", "modify"})
# A lead dates its event to the last few weeks; a date further back is background ("jailed in
# 2001"), and one ahead is a schedule ("the trial starts on Monday").
_LOOKBACK = timedelta(days=45)


@dataclass(frozen=True)
class EventSignature:
    """Where, when, who and what of the event an article tells."""

    places: frozenset[str] = frozenset()
    people: frozenset[str] = frozenset()
    days: tuple[date, ...] = ()
    kinds: frozenset[str] = frozenset()
    principals: frozenset[str] = frozenset()
    """The surname keys of the people the title and the first sentence name: whom the event
    is about (the victim, the suspect), not who talks about it further down."""
    undated: bool = False
    """The article states no publication time (neither the client nor the page): the time it
    was ingested stands in for it, so how far it lies from another article in time is unknown."""
    place_names: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    """A readable form of each place key, for reasons."""

    @property
    def day(self) -> date | None:
        """The day the lead dates its event to, if it names one."""
        return self.days[0] if self.days else None

    def as_json(self) -> dict[str, Any]:
        """The signature as stored (lists and ISO dates)."""
        return {
            "places": sorted(self.places),
            "people": sorted(self.people),
            "days": [d.isoformat() for d in self.days],
            "kinds": sorted(self.kinds),
            "principals": sorted(self.principals),
            "undated": self.undated,
            "place_names": dict(sorted(self.place_names.items())),
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any] | None) -> EventSignature:
        """A stored signature back; an article stored before signatures existed has none."""
        if not raw:
            return cls()
        return cls(
            places=frozenset(raw.get("places", ())),
            people=frozenset(raw.get("people", ())),
            days=tuple(date.fromisoformat(d) for d in raw.get("days", ())),
            kinds=frozenset(raw.get("kinds", ())),
            principals=frozenset(raw.get("principals", ())),
            undated=bool(raw.get("undated", False)),
            place_names=dict(raw.get("place_names", {})),
        )


def _place_key(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    if words and words[0] == "the":
        words = words[1:]
    return " ".join(words)


def _surname_key(name: str) -> str | None:
    words = [w for w in name_words(name) if re.search(r"[A-Za-z]{2}", w)]
    if not words:
        return None
    key = name_key(words[-1].strip(".,'’"))
    return key if len(key) >= 2 else None


def _resolve(mention: DateMention, published: datetime | None) -> date | None:
    """The calendar day a date expression names, counted back from the publication time."""
    base = published.date() if published is not None else None
    if mention.month_days and len(mention.month_days) == 1:
        (month, day_of_month), years = next(iter(mention.month_days)), sorted(mention.years)
        candidates = [years[0]] if len(years) == 1 else []
        if not candidates and base is not None:
            candidates = [base.year, base.year - 1]
        for year in candidates:
            try:
                found = date(year, month, day_of_month)
            except ValueError:
                return None
            if base is None or found <= base + timedelta(days=1):
                return found
        return None
    if base is None:
        return None
    if len(mention.weekdays) == 1 and not mention.years and not mention.months:
        back = (base.weekday() - next(iter(mention.weekdays))) % 7
        return base - timedelta(days=back)
    for pattern, offset in _RELATIVE_DAYS:
        if pattern.search(mention.text):
            return base + timedelta(days=offset)
    return None


def _days(spans: Iterable[Span], published: datetime | None) -> tuple[date, ...]:
    found: list[date] = []
    base = published.date() if published is not None else None
    for span in spans:
        for mention in dates(span, _DATED):
            # A date that belongs to no event is a dateline or a page's publication stamp.
            if mention.verb is None or mention.verb in _PAGE_VERBS:
                continue
            day = _resolve(mention, published)
            if day is None or day in found:
                continue
            if base is not None and not base - _LOOKBACK <= day <= base + timedelta(days=1):
                continue
            found.append(day)
    return tuple(found)


def _kind(span: Span) -> str | None:
    root = span.root
    if root.pos_ in {"VERB", "NOUN"}:
        return root.lemma_.lower()
    return None


def signature_of(spans: Sequence[Span], published: datetime | None) -> EventSignature:
    """The event signature of parsed title-and-lead sentences (the title first, if any)."""
    places: dict[str, str] = {}
    people: set[str] = set()
    principals: set[str] = set()
    for i, span in enumerate(spans):
        for ent in span.ents:
            if ent.label_ in _PLACE_LABELS:
                key = _place_key(ent.text)
                if key:
                    places.setdefault(key, ent.text.strip())
            elif ent.label_ == "PERSON":
                surname = _surname_key(ent.text)
                if surname:
                    people.add(surname)
                    if i < 2:
                        principals.add(surname)
    kinds = {k for k in (_kind(s) for s in spans[:2]) if k}
    return EventSignature(
        places=frozenset(places),
        people=frozenset(people),
        days=_days(spans, published),
        kinds=frozenset(kinds),
        principals=frozenset(principals),
        undated=published is None,
        place_names=places,
    )


def event_signature(
    nlp: Language, title: str | None, lead: Sequence[str], published: datetime | None
) -> EventSignature:
    """Parse a title and the first body sentences and read their event signature."""
    texts = [t for t in [title or "", *lead[:LEAD_SENTENCES]] if t.strip()]
    docs: list[Doc] = list(nlp.pipe(texts))
    return signature_of([d[:] for d in docs], published)


def clash(a: EventSignature, b: EventSignature, day_tolerance: int) -> str | None:
    """Why two signatures cannot tell one event, in words; None when they may.

    Only what both state counts: an article that names no day, place or person is compatible
    with any on that point.
    """
    if a.day is not None and b.day is not None and abs((a.day - b.day).days) > day_tolerance:
        if not (set(a.days) & set(b.days)):
            return f"different days of the event: {a.day.isoformat()} vs {b.day.isoformat()}"
    return None


def places_differ(a: EventSignature, b: EventSignature) -> bool:
    """Whether both name places and none in common: the same key, or one inside the other
    ("philadelphia" and "south philadelphia") counts as common."""
    if not a.places or not b.places:
        return False
    words_a = [set(k.split()) for k in a.places]
    words_b = [set(k.split()) for k in b.places]
    return not any(x <= y or y <= x for x in words_a for y in words_b)


def people_differ(a: EventSignature, b: EventSignature) -> bool:
    """Whether both put people at the centre (title, first sentence) and neither names
    anyone the other puts there."""
    return bool(
        a.principals and b.principals and not (a.principals & b.people or b.principals & a.people)
    )


def follows_up(a: EventSignature, b: EventSignature) -> bool:
    """Whether two signatures tell one event strongly enough for a later account (an arrest,
    a charge, a trial) to join across another day: they name a person in common and no
    different places."""
    return bool(a.people & b.people) and not places_differ(a, b)


def shared(a: EventSignature, b: EventSignature) -> tuple[int, int]:
    """Places and people that two signatures have in common."""
    return len(a.places & b.places), len(a.people & b.people)
