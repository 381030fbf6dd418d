"""Typed values that news outlets state and disagree on: ages of named people, clock times,
and where an event happened (inside / outside, a block of a street).

Each value is tied to what it is about — the person it describes, or the event (the verb, by
its class) it times or places — so that a comparison never sets one person's age against
another's, nor a shooting's time against the time a victim died. Counts and dates live in
`mentions` (``quantities``, ``dates``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from models.mentions import governing_verb, name_key, name_words, parse_number, per_span

if TYPE_CHECKING:
    from spacy.tokens import Span


@dataclass(frozen=True)
class Age:
    """A named person's age as one text gives it ("Jane Doe, 16," → jane doe, 16)."""

    person: str
    keys: frozenset[str]
    value: int
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class ClockTime:
    """A time of day, as an interval of minutes after midnight that the wording allows."""

    low: int
    high: int
    text: str
    start: int
    end: int
    event: str | None
    half_day: bool = False
    """No a.m. / p.m. given ("half past ten"): the time may be twelve hours later."""


@dataclass(frozen=True)
class Setting:
    """Where an event happened, relative to a place ("inside" / "outside"), or a street block."""

    kind: str
    """"side" (inside / outside), "block" (the 100 block of Main Street) or "address"
    (46 Washington St.); a block or address value is its number and the street's direction."""
    value: str
    place: str
    text: str
    start: int
    end: int
    event: str | None


def person_keys(name: str) -> frozenset[str]:
    """Transliteration keys of the identifying words of a name."""
    return frozenset(k for k in (name_key(w) for w in name_words(name)) if k)


_AFTER_NAME = re.compile(
    r"^\s*(?:,\s*(?:age\s+|aged\s+)?|\(\s*)(\d{1,3})\s*"
    r"(?:[,.;:)]|$|\s(?!years?\b|months?\b|percent\b|%|of\b|people\b))"
)
_BEFORE_NAME = re.compile(r"(\d{1,3})[- ]years?[- ]old\s+(?:[a-z]+\s+){0,2}$")


@per_span
def ages(span: Span) -> list[Age]:
    """Ages stated next to a PERSON name: "Name, 34,", "Name (34)", "34-year-old Name"."""
    text = span.doc.text
    found = []
    for ent in span.ents:
        if ent.label_ != "PERSON":
            continue
        after = text[ent.end_char : ent.end_char + 16]
        before = text[max(0, ent.start_char - 40) : ent.start_char]
        match = _AFTER_NAME.match(after)
        value: int | None = None
        if match:
            value = int(match.group(1))
            start, end = ent.start_char, ent.end_char + match.end(1)
        else:
            match = _BEFORE_NAME.search(before)
            if match:
                value = int(match.group(1))
                start, end = ent.start_char - (len(before) - match.start()), ent.end_char
        if value is None or not 0 < value < 120:
            continue
        keys = person_keys(ent.text)
        if keys:
            found.append(Age(ent.text, keys, value, text[start:end], start, end))
    return found


_CLOCK = re.compile(
    r"\b(?:(?P<half>half past|quarter past|quarter to|quarter till)\s+)?"
    r"(?P<hour>\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
    r"(?:\s?:\s?(?P<minute>\d\d))?\s*(?:o'clock\s*)?"
    r"(?P<ampm>[ap]\.?\s?m\b\.?|in the (?:morning|afternoon|evening)|at night|tonight)?",
    re.IGNORECASE,
)
_NAMED_TIMES = {"noon": 12 * 60, "midnight": 0}
_HEDGE = re.compile(
    r"(?P<about>about|around|approximately|roughly|near|nearly|some time around|sometime around)"
    r"|(?P<after>shortly after|just after|soon after|a little after|after)"
    r"|(?P<before>shortly before|just before|a little before|before|until)"
    r"\s*$",
    re.IGNORECASE,
)


def _minutes(match: re.Match[str]) -> tuple[int, bool, bool] | None:
    """Minutes after midnight of a clock match, whether minutes were given, and whether the
    half of the day is unknown."""
    ampm = (match.group("ampm") or "").lower().replace(" ", "").replace(".", "")
    hour_text = match.group("hour").lower()
    hour = int(parse_number(hour_text) or 0)
    minute = int(match.group("minute")) if match.group("minute") else 0
    half = (match.group("half") or "").lower()
    has_minutes = bool(match.group("minute")) or bool(half)
    spoken = bool(half) or "o'clock" in match.group(0).lower()
    if not ampm and not match.group("minute") and not spoken:
        return None  # a bare number is no time
    if not 1 <= hour <= 12 or minute > 59:
        if not (ampm == "" and 0 <= hour <= 23 and match.group("minute")):
            return None
    if ampm.startswith("p") or ampm in {"intheafternoon", "intheevening", "atnight", "tonight"}:
        hour = hour % 12 + 12
    elif ampm.startswith("a") or ampm == "inthemorning":
        hour = hour % 12
    total = hour * 60 + minute
    if half == "half past":
        total += 30
    elif half == "quarter past":
        total += 15
    elif half in {"quarter to", "quarter till"}:
        total -= 15
    return total % (24 * 60), has_minutes, not ampm and hour <= 12


@per_span
def clock_times(span: Span) -> list[ClockTime]:
    """Clock times of a sentence as intervals: "about 10:30 p.m." → 22:20–22:40,
    "shortly after 11 p.m." → 23:00–23:30, "10:42 p.m." → 22:37–22:47, "11 p.m." → 22:55–23:15.

    Outlets round times; these tolerances let "about 5 p.m." meet "4:52 p.m." but not
    "about 4:40 p.m.", nor "about half past ten" meet "shortly after eleven"."""
    text = span.text
    base = span.start_char
    found = []
    doc = span.doc
    for match in _CLOCK.finditer(text):
        parsed = _minutes(match)
        if parsed is None:
            continue
        minutes, precise, half_day = parsed
        hedge = _HEDGE.search(text[max(0, match.start() - 24) : match.start()])
        if hedge is None:
            low, high = (minutes - 5, minutes + 5) if precise else (minutes - 5, minutes + 15)
        elif hedge.group("about"):
            low, high = minutes - 10, minutes + 10
        elif hedge.group("after"):
            low, high = minutes, minutes + 30
        else:
            low, high = minutes - 30, minutes
        start, end = base + match.start(), base + match.end()
        if hedge is not None:
            start = base + max(0, match.start() - 24) + hedge.start()
        hour_at = base + match.start("hour")
        token = doc.char_span(hour_at, hour_at + len(match.group("hour")), alignment_mode="expand")
        event = governing_verb(token.root) if token is not None else None
        found.append(ClockTime(low, high, doc.text[start:end].strip(), start, end, event, half_day))
    for word, minutes in _NAMED_TIMES.items():
        for match in re.finditer(rf"\b{word}\b", text, re.IGNORECASE):
            start = base + match.start()
            token = doc.char_span(start, base + match.end(), alignment_mode="expand")
            event = governing_verb(token.root) if token is not None else None
            found.append(
                ClockTime(minutes - 10, minutes + 10, word, start, base + match.end(), event)
            )
    return found


def times_overlap(a: ClockTime, b: ClockTime) -> bool:
    """Whether two time intervals can describe one moment (midnight wraps around)."""
    day = 24 * 60
    shifts = [-day, 0, day]
    if a.half_day or b.half_day:
        shifts += [-day // 2, day // 2]
    return any(a.low < b.high + shift and b.low + shift < a.high for shift in shifts)


_SIDES = {"inside": "inside", "outside": "outside", "in front of": "outside"}
_SIDE = re.compile(r"\b(inside|outside|in front of)\s+(?:of\s+)?(?:an?\s+|the\s+)?([\w' -]{2,40})")
_STREET_TYPE = (
    r"(?:Street|St\.?|Avenue|Ave\.?|Road|Rd\.?|Boulevard|Blvd\.?|Drive|Dr\.?|Lane|Ln\.?|"
    r"Place|Pl\.?|Court|Ct\.?|Way|Parkway|Pkwy\.?|Highway|Hwy\.?|Terrace|Circle)"
)
_DIRECTION = (
    r"(?:North|South|East|West|N\.?|S\.?|E\.?|W\.?|Northeast|Northwest|Southeast|Southwest)"
)
# "the 2300 block of Washington Street East", "46 Washington St.", "2500 W. Washington St."
_ADDRESS = re.compile(
    rf"\b(?P<number>\d{{1,5}})(?P<block>\s+block\s+of)?\s+(?:the\s+)?"
    rf"(?P<pre>{_DIRECTION}\s+)?(?P<name>(?:[A-Z0-9][\w'-]*\s){{1,3}}){_STREET_TYPE}"
    rf"(?P<post>\s+{_DIRECTION}\b)?"
)
_RANGE_BEFORE = re.compile(r"\d\s*[/–-]\s*$")
_DIRECTIONS = {"n": "north", "s": "south", "e": "east", "w": "west"}


@per_span
def settings(span: Span) -> list[Setting]:
    """Where the sentence's events happened: inside / outside a place, or a block of a street."""
    text = span.text
    base = span.start_char
    doc = span.doc
    found = []
    for match in _SIDE.finditer(text):
        start = base + match.start()
        token = doc.char_span(start, base + match.end(1), alignment_mode="expand")
        event = governing_verb(token.root) if token is not None else None
        place = _head_word(match.group(2))
        found.append(
            Setting(
                "side",
                _SIDES[match.group(1).lower()],
                place,
                match.group(0),
                start,
                base + match.end(),
                event,
            )
        )
    for match in _ADDRESS.finditer(text):
        number = parse_number(match.group("number"))
        street = " ".join(match.group("name").lower().split())
        if number is None or not street or _RANGE_BEFORE.search(text[: match.start()]):
            continue  # "31-33 Plymouth Street" spans several addresses: none of them is it
        raw = (match.group("pre") or match.group("post") or "").strip().lower().rstrip(".")
        direction = _DIRECTIONS.get(raw, raw)
        kind = "block" if match.group("block") else "address"
        start = base + match.start()
        found.append(
            Setting(
                kind,
                f"{int(number)} {direction}".strip(),
                street,
                match.group(0),
                start,
                base + match.end(),
                None,
            )
        )
    return found


def _head_word(phrase: str) -> str:
    """The noun a place phrase is about ("the Pulse nightclub on Orange" → "nightclub")."""
    words = re.split(r"\s+(?:on|at|in|near|of|where|when|and|after|before|,)\s+", phrase.lower())
    head = words[0].strip(" ,.'").split()
    return head[-1] if head else ""
