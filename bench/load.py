"""Load benchmark (`make bench-load`): concurrent readers on the read routes of the real server,
once alone and once beside a client that ingests; one table of requests/s, p50, p99 and errors
per phase, with the ratio of the second phase to the first.

Usage: python bench/load.py [--data ../shared/data] [--readers 50] [--duration 30]
    [--prefill 30] [--seed 7] [--postgres URL]

The store is filled first through the API with real local news (gun violence incidents of
../shared/data/stories); the readers then ask, at random, for the story list, a story, an
article, a claim or the sources, each reader one request after another, for `--duration`
seconds. In the second phase one more client sends further articles, two a request, the whole
time. The readers run in this process (asyncio + httpx) on the same machine as the server, so
their own work is part of what is measured. The rate limits are lifted for the bench.

`--postgres URL` runs on that PostgreSQL database instead of a SQLite file; its crosscheck
schema is DROPPED first (use a database of its own).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.crash import Payload, empty_postgres, news_articles  # noqa: E402
from bench.server import Server  # noqa: E402


@dataclass
class Ids:
    """What the readers can ask for: ids of stored stories, articles and claims."""

    stories: list[str] = field(default_factory=list)
    articles: list[str] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)

    def add(self, answer: dict[str, Any]) -> None:
        """Book the articles and claims of a submission's answer."""
        for result in answer["data"]:
            article = result["article"]
            self.articles.append(article["id"])
            self.stories.append(article["story_id"])
            self.claims += [claim["id"] for claim in article["claims"]]

    def path(self, rng: random.Random) -> str:
        """One read request, drawn at random."""
        route = rng.randrange(5)
        if route == 0:
            return "/v1/stories?limit=20"
        if route == 1:
            return f"/v1/stories/{rng.choice(self.stories)}"
        if route == 2:
            return f"/v1/articles/{rng.choice(self.articles)}"
        if route == 3 and self.claims:
            return f"/v1/claims/{rng.choice(self.claims)}"
        return "/v1/sources"


@dataclass
class Phase:
    """The outcome of one phase."""

    name: str
    seconds: float
    latencies: list[float]
    """Of every answered request, in milliseconds."""
    errors: dict[str, int]
    """Answers other than 200 by status, and requests without an answer by the exception."""
    ingested: int = 0
    refused: int = 0
    """Ingest requests refused with 422 (an article of real news that is furniture only)."""

    def percentile(self, share: float) -> float:
        """The latency below which `share` of the requests were answered, in ms."""
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0

    @property
    def rate(self) -> float:
        """Answered requests per second."""
        return len(self.latencies) / self.seconds


async def _reader(
    client: httpx.AsyncClient, ids: Ids, rng: random.Random, until: float, phase: Phase
) -> None:
    while time.perf_counter() < until:
        path = ids.path(rng)
        started = time.perf_counter()
        try:
            response = await client.get(path)
        except httpx.TransportError as exc:
            key = type(exc).__name__
            phase.errors[key] = phase.errors.get(key, 0) + 1
            continue
        phase.latencies.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            key = str(response.status_code)
            phase.errors[key] = phase.errors.get(key, 0) + 1


async def _read(url: str, ids: Ids, readers: int, duration: float, seed: int, phase: Phase) -> None:
    limits = httpx.Limits(max_connections=readers, max_keepalive_connections=readers)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        until = time.perf_counter() + duration
        started = time.perf_counter()
        await asyncio.gather(
            *(
                _reader(client, ids, random.Random(seed * 1000 + n), until, phase)
                for n in range(readers)
            )
        )
        phase.seconds = time.perf_counter() - started


def _ingest(url: str, articles: Sequence[Payload], stop: threading.Event, phase: Phase) -> None:
    """Send articles two a request until told to stop (or out of articles)."""
    with httpx.Client(base_url=url, timeout=900) as client:
        for i in range(0, len(articles), 2):
            if stop.is_set():
                return
            response = client.post("/v1/articles", json={"articles": list(articles[i : i + 2])})
            if response.status_code in (200, 201):
                phase.ingested += sum(r["created"] for r in response.json()["data"])
            elif response.status_code == 422:
                phase.refused += 1
            else:
                key = f"ingest {response.status_code}"
                phase.errors[key] = phase.errors.get(key, 0) + 1


def prefill(url: str, articles: Sequence[Payload], batch: int = 10) -> Ids:
    """Store the articles through the API; returns the ids the readers will ask for."""
    ids = Ids()
    with httpx.Client(base_url=url, timeout=900) as client:
        for i in range(0, len(articles), batch):
            chunk = list(articles[i : i + batch])
            response = client.post("/v1/articles", json={"articles": chunk})
            if response.status_code == 422:  # a refused article: send the others one by one
                for one in chunk:
                    answer = client.post("/v1/articles", json={"articles": [one]})
                    if answer.status_code in (200, 201):
                        ids.add(answer.json())
                continue
            response.raise_for_status()
            ids.add(response.json())
    ids.stories = sorted(set(ids.stories))
    return ids


def run_load(
    url: str, ids: Ids, more: Sequence[Payload], readers: int, duration: float, seed: int
) -> list[Phase]:
    """Two phases on a running server: readers alone, then readers beside an ingest client."""
    alone = Phase("readers alone", duration, [], {})
    asyncio.run(_read(url, ids, readers, duration, seed, alone))
    busy = Phase("readers + ingest", duration, [], {})
    stop = threading.Event()
    writer = threading.Thread(target=_ingest, args=(url, more, stop, busy))
    writer.start()
    asyncio.run(_read(url, ids, readers, duration, seed + 1, busy))
    stop.set()
    writer.join()
    return [alone, busy]


def table(phases: Sequence[Phase], readers: int) -> str:
    """One markdown table: a row per phase, then the ratio of the second to the first."""
    lines = [
        f"| phase ({readers} readers) | requests | requests/s | p50 ms | p99 ms | errors "
        "| articles ingested |",
        "|---|---|---|---|---|---|---|",
    ]
    for phase in phases:
        errors = ", ".join(f"{k}: {v}" for k, v in sorted(phase.errors.items())) or "0"
        refused = f" (refused with 422: {phase.refused})" if phase.refused else ""
        lines.append(
            f"| {phase.name} | {len(phase.latencies)} | {phase.rate:.1f} "
            f"| {phase.percentile(0.5):.0f} | {phase.percentile(0.99):.0f} | {errors} "
            f"| {phase.ingested}{refused} |"
        )
    first, second = phases[0], phases[-1]
    lines.append(
        f"| ratio (with ingest / alone) | | {second.rate / first.rate:.2f} "
        f"| {second.percentile(0.5) / first.percentile(0.5):.2f} "
        f"| {second.percentile(0.99) / first.percentile(0.99):.2f} | | |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per phase")
    parser.add_argument("--prefill", type=int, default=30, help="articles stored before")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres", help="PostgreSQL URL instead of SQLite; schema dropped")
    args = parser.parse_args()

    # Enough further articles that the ingest client never runs out within the phase.
    articles = news_articles(args.data, args.prefill + 60)
    with tempfile.TemporaryDirectory() as tmp:
        url = empty_postgres(args.postgres) if args.postgres else f"sqlite:///{tmp}/load.db"
        server = Server(url, Path(tmp) / "log")
        server.start()
        try:
            started = time.perf_counter()
            ids = prefill(server.url, articles[: args.prefill])
            print(
                f"prefilled {len(ids.articles)} articles, {len(ids.stories)} stories, "
                f"{len(ids.claims)} claims in {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
            )
            phases = run_load(
                server.url,
                ids,
                articles[args.prefill :],
                args.readers,
                args.duration,
                args.seed,
            )
        finally:
            server.stop()
        if any(phase.errors for phase in phases):
            # The server's warnings and errors (its access log is off) say what went wrong.
            print((Path(tmp) / "log").read_text(errors="replace")[-4000:], file=sys.stderr)
    database = "PostgreSQL" if args.postgres else "SQLite file"
    print(f"\n{database}, {args.duration:.0f} s per phase, {os.cpu_count()} CPU cores\n")
    print(table(phases, args.readers))


if __name__ == "__main__":
    main()
