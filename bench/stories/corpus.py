"""The documents of the story benchmark, their gold events, and the dev / test parts.

* ECB+ topics 1–25: each topic holds two similar but different events (subtopics ``N_ecb`` and
  ``N_ecbplus``); the gold event of a document is its subtopic. Topics are split into a dev
  and a test part, so that both events of a topic fall in one part.
* ``gun_violence_news_dev``: US local news; the gold event is the incident. Incidents are
  split into dev and test; every article of a part is clustered, single-article incidents
  included (they are the neighbours that must stay apart).

Nothing is copied: documents are read from ``../shared/data/stories`` at run time.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

GUN = "stories/gun_violence_news_dev.jsonl.gz"
ECB = "stories/ecbplus_topics_1-25.jsonl.gz"
CORPORA = ("ecb", "gun")


@dataclass(frozen=True)
class Document:
    """One document as a client would send it, with its gold event."""

    id: str
    event: str
    group: str
    """The unit of the dev / test split: the ECB+ topic, or the incident."""
    title: str | None
    published: str | None
    url: str | None
    source: str
    text: str


def _rank(key: str) -> str:
    return hashlib.sha256(f"crosscheck-stories:{key}".encode()).hexdigest()


def part_of(group: str) -> str:
    """dev or test, fixed by a hash of the split unit (half each)."""
    return "dev" if int(_rank("part:" + group)[:8], 16) % 2 == 0 else "test"


def _host(uri: str | None) -> str:
    from urllib.parse import urlsplit

    if not uri:
        return ""
    tail = uri.split("/http", 1)[-1] if "web.archive.org" in uri else uri
    tail = tail if tail.startswith("http") else "http" + tail if "://" in tail else tail
    return (urlsplit(tail).hostname or "").removeprefix("www.")


def documents(data: Path, corpus: str) -> Iterator[Document]:
    """Every document of one corpus ("ecb" or "gun")."""
    if corpus == "ecb":
        with gzip.open(data / ECB, "rt", encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                yield Document(
                    id="ecb:" + row["doc_id"],
                    event="ecb:" + row["subtopic"],
                    group=f"ecb:{row['topic']}",
                    title=None,
                    published=None,
                    url=None,
                    # ECB+ keeps no outlet: every document is its own.
                    source="ecb-" + row["doc_id"],
                    text=row["text"],
                )
    elif corpus == "gun":
        with gzip.open(data / GUN, "rt", encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                dct = row.get("dct")
                yield Document(
                    id="gv:" + row["doc_id"],
                    event="gv:" + row["incident_id"],
                    group="gv:" + row["incident_id"],
                    title=row.get("title") or None,
                    published=dct if dct and dct != "None" else None,
                    url=None,
                    source=_host(row.get("uri")) or "unknown",
                    text=row["content"].replace("\r\n", "\n").replace("\r", "\n"),
                )
    else:
        raise ValueError(f"unknown corpus {corpus!r}; valid: {', '.join(CORPORA)}")


def ingest_order(docs: list[Document]) -> list[Document]:
    """The order a client sends them in: by publication date when known, ties by a fixed hash."""
    return sorted(docs, key=lambda d: (d.published or "", _rank(d.id)))
