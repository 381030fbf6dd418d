"""The real-news corpus of the verdict benchmark: incidents, their articles, their sentences.

Articles stay in ``../shared/data/stories``; this module picks the benchmark's incidents from
there (deterministically), cleans each article with the product's own cleaner and gives every
sentence a stable reference: the article's id and the character span of the sentence in the
article's raw ``content`` (gun violence) or ``text`` (ECB+). Labels point at those references,
never at copied text.

Two sources of incidents:

* ``gun_violence_news_dev`` — US local news grouped by ``incident_id``; an incident counts when
  two or more registered domains wrote about it. The outlet of an article is its domain.
* ``ecbplus_topics_1-25`` — ECB+ topics; one subtopic (one event) each, documents from
  different outlets (ECB+ keeps no URL, so every document is its own outlet).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

GUN = "stories/gun_violence_news_dev.jsonl.gz"
ECB = "stories/ecbplus_topics_1-25.jsonl.gz"

_ARCHIVED = re.compile(r"web\.archive\.org/web/\d+[a-z_]*/(?:https?://)?([^/]+)", re.IGNORECASE)
_HOST = re.compile(r"^(?:https?://)?([^/]+)", re.IGNORECASE)


@dataclass(frozen=True)
class RawArticle:
    """One article of the data as the benchmark sees it."""

    id: str
    incident: str
    outlet: str
    title: str | None
    published: str | None
    text: str


def outlet_of(uri: str) -> str:
    """The registered domain (last two labels) of an article's (archived) address."""
    match = _ARCHIVED.search(uri) or _HOST.search(uri)
    host = (match.group(1) if match else uri).lower().split(":")[0]
    if host.startswith("www."):
        host = host[4:]
    return ".".join(host.split(".")[-2:])


def _rank(key: str) -> str:
    return hashlib.sha256(f"crosscheck-bench:{key}".encode()).hexdigest()


def _gun_incidents(data: Path) -> dict[str, list[RawArticle]]:
    incidents: dict[str, list[RawArticle]] = defaultdict(list)
    with gzip.open(data / GUN, "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            text = row["content"].replace("\r\n", "\n").replace("\r", "\n")
            incidents["gv:" + row["incident_id"]].append(
                RawArticle(
                    id="gv:" + row["doc_id"],
                    incident="gv:" + row["incident_id"],
                    outlet=outlet_of(row["uri"]),
                    title=row.get("title"),
                    published=row.get("dct"),
                    text=text,
                )
            )
    return incidents


def _ecb_incidents(data: Path) -> dict[str, list[RawArticle]]:
    incidents: dict[str, list[RawArticle]] = defaultdict(list)
    with gzip.open(data / ECB, "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            incidents["ecb:" + row["subtopic"]].append(
                RawArticle(
                    id="ecb:" + row["doc_id"],
                    incident="ecb:" + row["subtopic"],
                    outlet="ecb:" + row["doc_id"],
                    title=None,
                    published=None,
                    text=row["text"],
                )
            )
    return incidents


def load_articles(data: Path) -> dict[str, RawArticle]:
    """Every article of both sources by id."""
    out = {}
    for incidents in (_gun_incidents(data), _ecb_incidents(data)):
        for articles in incidents.values():
            out.update((a.id, a) for a in articles)
    return out


# The first labelled set (split by `split_of`), then a fresh held-out set labelled later, after
# the comparisons had been tuned: the next incidents of the same order, all in split "fresh".
FIRST = {"gun": 34, "ecb": 14}
FRESH = {"gun": 12, "ecb": 4}
# More training incidents, labelled later still (the judge's news fine-tune reads the train
# split): the gun-violence incidents that follow the fresh set in the same order.
MORE_TRAIN = {"gun": 16, "ecb": 0}


def pick_incidents(
    data: Path, gun: int = FIRST["gun"], ecb: int = FIRST["ecb"], per_incident: int = 4
) -> Iterator[tuple[str, list[RawArticle]]]:
    """The benchmark's incidents, in a fixed pseudo-random order, each with up to
    `per_incident` articles of distinct outlets with a real body (≥ 600 characters)."""
    for incidents, wanted, min_outlets in (
        (_gun_incidents(data), gun, 3),
        (_ecb_incidents(data), ecb, 3),
    ):
        taken = 0
        if wanted == 0:
            continue
        for key in sorted(incidents, key=_rank):
            by_outlet: dict[str, RawArticle] = {}
            for article in sorted(incidents[key], key=lambda a: _rank(a.id)):
                if len(article.text) >= 600 and article.outlet not in by_outlet:
                    by_outlet[article.outlet] = article
            chosen = sorted(by_outlet.values(), key=lambda a: _rank(a.id))[:per_incident]
            if len(chosen) < min_outlets:
                continue
            yield key, sorted(chosen, key=lambda a: a.id)
            taken += 1
            if taken == wanted:
                break


def benchmark_incidents(data: Path) -> Iterator[tuple[str, list[RawArticle], str]]:
    """Every labelled incident with its articles and its split: the first set's incidents in
    train / dev / test, then the fresh held-out set's, then the later training incidents."""
    sets = (("first", FIRST), ("fresh", FRESH), ("train", MORE_TRAIN))
    total = {kind: sum(wanted[kind] for _name, wanted in sets) for kind in ("gun", "ecb")}
    taken = {"gun": 0, "ecb": 0}
    for key, articles in pick_incidents(data, gun=total["gun"], ecb=total["ecb"]):
        kind = "gun" if key.startswith("gv:") else "ecb"
        taken[kind] += 1
        bound = 0
        for name, wanted in sets:
            bound += wanted[kind]
            if taken[kind] <= bound:
                yield key, articles, split_of(key) if name == "first" else name
                break


def split_of(incident: str) -> str:
    """train / dev / test by incident (40 / 25 / 35 %), fixed by a hash of its key."""
    bucket = int(_rank("split:" + incident)[:8], 16) % 100
    return "train" if bucket < 40 else "dev" if bucket < 65 else "test"
