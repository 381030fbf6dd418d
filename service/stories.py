"""Stories, sources and origins: which event an article tells, who wrote it, whose report it is."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.embedder import Vectors
from service.store.tables import Article, Story

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


def choose_story(
    session: Session,
    lead_vector: Vectors,
    entities: set[str],
    published_at: datetime,
    window_hours: float,
    threshold: float,
) -> Story | None:
    """The story of the most similar recent article, if similar enough; else None.

    Similarity is the cosine of title-and-lead embeddings, raised a little for every named
    entity the two articles share; only articles published within the window count.
    """
    window = timedelta(hours=window_hours)
    rows = session.execute(
        select(Article.story_id, Article.lead_vector, Article.entities).where(
            Article.published_at >= published_at - window,
            Article.published_at <= published_at + window,
        )
    ).all()
    if not rows:
        return None
    vectors = np.vstack([np.frombuffer(r.lead_vector, dtype=np.float32) for r in rows])
    cosines = vectors @ lead_vector
    best_story, best_score = None, -1.0
    for row, cosine in zip(rows, cosines, strict=True):
        shared = len(entities & set(row.entities or []))
        score = float(cosine) + 0.05 * min(shared, 4)
        if score > best_score:
            best_story, best_score = row.story_id, score
    if best_story is None or best_score < threshold:
        return None
    return session.get(Story, best_story)
