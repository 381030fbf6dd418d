"""Stories, sources and origins: which event an article tells, who wrote it, whose report it is."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import numpy as np

from models.embedder import Vectors
from models.events import EventSignature, clash, follows_up, people_differ, places_differ
from models.lexical import similarity
from service.config import Settings

_WORD = re.compile(r"\w+", re.UNICODE)
# Second-level labels under which a country's outlets register ("bbc.co.uk", "abc.net.au").
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "gov", "ac", "edu", "ne", "or"})


def domain_of(url: str | None) -> str | None:
    """The registrable-looking host of a URL, without "www." ("theguardian.com")."""
    if not url:
        return None
    host = (urlsplit(url).hostname or "").lower()
    host = re.sub(r"^(www\d*|m|amp|mobile)\.", "", host)
    return host or None


def registered_domain(host: str) -> str:
    """The part of a host name its owner registered: "news.bbc.co.uk" → "bbc.co.uk"."""
    labels = host.lower().strip(".").split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


def normalise_source(name: str | None, url: str | None) -> tuple[str, str | None]:
    """The outlet's name as given (markup and spacing removed) and its domain; the name is the
    domain when none is given."""
    domain = domain_of(url)
    if name:
        return plain(name) or "unknown", domain
    if domain:
        return domain, domain
    return "unknown", None


def _squashed(name: str) -> str:
    letters = re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKD", name).lower())
    return letters.removeprefix("the") if len(letters) > 6 else letters


def outlet_keys(name: str, domain: str | None) -> frozenset[str]:
    """Keys that identify an outlet: its name without case, spaces or a leading "the", and the
    name its registered domain carries. "The Guardian", "guardian" and "theguardian.com" share
    one; "BBC" and "bbc.co.uk" share one. Two sources that share a key are one outlet."""
    keys = set()
    for host in (domain, name if re.fullmatch(r"[\w-]+(\.[\w-]+)+", name or "") else None):
        if host:
            registered = registered_domain(host)
            keys.add(_squashed(registered.split(".")[0]))
    if name and not re.fullmatch(r"[\w-]+(\.[\w-]+)+", name):
        keys.add(_squashed(name))
    keys.discard("")
    keys.discard("unknown")
    return frozenset(keys)


_MARKUP = re.compile(r"<[^>]*>?")


def plain(text: str) -> str:
    """A short field (name, title) without markup and with single spaces."""
    return " ".join(_MARKUP.sub(" ", unicodedata.normalize("NFKC", text)).split())


def normalised_text(text: str) -> str:
    """Text reduced to lower-case words: equal for copies that differ only in layout."""
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).lower()))


def content_hash(source: str, text: str) -> str:
    """Identity of a submission: the outlet and its normalised text."""
    payload = source.lower() + "\n" + normalised_text(text)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def shingles(text: str, size: int = 5) -> set[int]:
    """Hashes of the word 5-grams of a text (for near-duplicate detection)."""
    words = normalised_text(text).split()
    grams = (" ".join(words[i : i + size]) for i in range(max(1, len(words) - size + 1)))
    return {
        int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "big") for g in grams
    }


def containment(a: set[int], b: set[int]) -> float:
    """Share of the smaller text's shingles that the other text also has."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def find_origin(
    text_shingles: set[int], candidates: list[tuple[str, set[int]]], threshold: float
) -> str | None:
    """The origin of the first candidate that this text copies (near-duplicate), if any."""
    for origin, other in candidates:
        if containment(text_shingles, other) >= threshold:
            return origin
    return None


@dataclass(frozen=True)
class Placement:
    """An article as story assignment sees it: its story, what it is about, and when."""

    story: str
    vector: Vectors
    """Embedding of the title and lead."""
    fingerprint: dict[str, float]
    """The heaviest words of the whole text (`models.lexical`)."""
    entities: frozenset[str]
    event: EventSignature
    published: datetime


@dataclass(frozen=True)
class JoinRule:
    """When an article may join a story (from Settings)."""

    window: timedelta
    """Articles published this close join at the `similarity` score."""
    similarity: float
    """Least score to join a story within the window."""
    followup: timedelta
    """How far apart in time a follow-up (arrest, charge, trial) can still join a story."""
    followup_similarity: float
    """Least score for a follow-up, published outside the window."""
    day_tolerance: int
    """Days by which two accounts may date one event apart (time zones, late reports)."""
    place_penalty: float = 0.0
    """Score added to what a pair needs when both name places and none in common."""
    people_penalty: float = 0.0
    """Score added to what a pair needs when each puts other people at the centre."""

    @classmethod
    def from_settings(cls, settings: Settings) -> JoinRule:
        """The rule the settings describe."""
        return cls(
            window=timedelta(hours=settings.story_window_hours),
            similarity=settings.story_join_similarity,
            followup=timedelta(days=settings.story_followup_days),
            followup_similarity=settings.story_followup_similarity,
            day_tolerance=settings.story_day_tolerance_days,
            place_penalty=settings.story_place_penalty,
            people_penalty=settings.story_people_penalty,
        )

    @property
    def reach(self) -> timedelta:
        """The farthest in time a story's article can be from a new one and still count."""
        return max(self.window, self.followup)


def same_day(a: EventSignature, b: EventSignature, tolerance: int) -> bool:
    """Whether two articles date their event to the same day: the window counts from the
    event's day when both state it, not from when each was published."""
    return a.day is not None and b.day is not None and abs((a.day - b.day).days) <= tolerance


def timeless(a: Placement, b: Placement) -> bool:
    """Whether the time between two articles is unknown: one of them states no publication
    time, so the time it was ingested is only a bound."""
    return a.event.undated or b.event.undated


def pair_score(a: Placement, b: Placement, cosine: float) -> float:
    """How alike two articles' accounts are: the cosine of their lead embeddings plus the
    cosine of their word fingerprints, raised a little for every name the two share."""
    return (
        cosine
        + similarity(a.fingerprint, b.fingerprint)
        + 0.05 * min(len(a.entities & b.entities), 4)
    )


def needed_score(a: Placement, b: Placement, rule: JoinRule) -> float | None:
    """The least `pair_score` at which two articles may tell one event; None when nothing
    can join them.

    `similarity` when they were published within the window or date their event to the same
    day, the higher `followup_similarity` when they lie further apart in time or when one's
    time is unknown (it states none), nothing beyond the follow-up reach. Two that date the
    event to different days never join, unless the later account is a follow-up that names a
    person of the first (then at `followup_similarity`). Places named by both with none in
    common, and other people at the centre of each, raise the score needed.
    """
    gap = abs(a.published - b.published)
    if timeless(a, b):
        needed = rule.followup_similarity
    elif gap <= rule.window or same_day(a.event, b.event, rule.day_tolerance):
        needed = rule.similarity
    elif gap <= rule.reach:
        needed = rule.followup_similarity
    else:
        return None
    if clash(a.event, b.event, rule.day_tolerance):
        if not follows_up(a.event, b.event):
            return None
        needed = max(needed, rule.followup_similarity)
    if places_differ(a.event, b.event):
        needed += rule.place_penalty
    if people_differ(a.event, b.event):
        needed += rule.people_penalty
    return needed


def choose_story(members: Sequence[Placement], probe: Placement, rule: JoinRule) -> str | None:
    """The story a new article joins, or None for a story of its own.

    Each story scores the best margin of its articles' `pair_score` against the new one over
    what the pair needs (`needed_score`). The best story that clears it joins, unless it
    dates the event to another day: when at least half of its dated articles do (and are no
    follow-up of it). The embedding and the words decide among compatible stories, never
    across a clash; one article that dates the event by another day than the rest of its story
    (a background date read as the event's) does not close the story on its own.
    """
    near = [
        m for m in members if timeless(m, probe) or abs(m.published - probe.published) <= rule.reach
    ]
    if not near:
        return None
    cosines = np.vstack([m.vector for m in near]) @ probe.vector
    margins: dict[str, float] = {}
    clashes: Counter[str] = Counter()
    dated: Counter[str] = Counter()
    for member, cosine in zip(near, cosines, strict=True):
        if member.event.day is not None:
            dated[member.story] += 1
        needed = needed_score(member, probe, rule)
        if needed is None:
            if clash(member.event, probe.event, rule.day_tolerance):
                clashes[member.story] += 1
            continue
        margin = pair_score(member, probe, float(cosine)) - needed
        margins[member.story] = max(margins.get(member.story, margin), margin)
    closed = {s for s, n in clashes.items() if n >= 0.5 * dated[s]}
    eligible = [(m, s) for s, m in margins.items() if m >= 0 and s not in closed]
    return max(eligible)[1] if eligible else None
