"""Ingest throughput, read latency (story, dashboard page, claim search) and peak memory; prints
one table (`make bench`).

Usage: python bench/speed.py [--data ../shared/data] [--articles 200]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from bench.perf import corpus  # noqa: E402
from models.errors import InputError  # noqa: E402
from service.app import create_app  # noqa: E402
from service.config import Settings  # noqa: E402
from service.core import Crosscheck  # noqa: E402
from service.schemas import ArticleIn  # noqa: E402


def gun_violence(data: Path, limit: int) -> list[ArticleIn]:
    """The first `limit` articles, whole incidents at a time, with the incident as story key
    (the articles of `make bench-perf`)."""
    return [ArticleIn(**row) for row in corpus(data, limit)]


def ingest(core: Crosscheck, articles: list[ArticleIn]) -> tuple[int, int, int, float]:
    """Submit one article at a time; returns (stored, refused, claims, seconds)."""
    stored = refused = claims = 0
    start = time.perf_counter()
    for article in articles:
        try:
            result = core.submit([article])
        except InputError:
            refused += 1
            continue
        stored += sum(r.created for r in result.data)
        claims += sum(len(r.article.claims) for r in result.data)
    return stored, refused, claims, time.perf_counter() - start


def _latency(
    client: TestClient, path: str, params: dict[str, str], requests: int
) -> tuple[float, float]:
    """Median and 95th percentile, in ms, of `requests` GETs of one path (after one warm-up)."""
    assert client.get(path, params=params).status_code == 200
    latencies = []
    for _ in range(requests):
        t0 = time.perf_counter()
        response = client.get(path, params=params)
        latencies.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.text[:200])
    latencies.sort()
    return statistics.median(latencies), latencies[max(0, round(0.95 * len(latencies)) - 1)]


def _common_word(core: Crosscheck, story_id: str) -> str:
    """A word of the largest story's first claim for the search to find (the longest)."""
    claim = core.story(story_id).claim_list[0]
    return max(claim.text.split(), key=lambda w: (len(w.strip(".,;:'\"")), w)).strip(".,;:'\"")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()

    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        # The reads below come from one client far faster than the default rate limit allows.
        settings = Settings(database_url=f"sqlite:///{tmp}/bench.db", rate_limit_requests=10**9)
        started = time.perf_counter()
        core = Crosscheck(settings)
        rows.append(("model + database start-up", f"{time.perf_counter() - started:.1f} s"))
        rows.append(("judge (NLI model)", core.models.status.get("nli", "?")[:60]))

        seeds = [
            ArticleIn(text=(ROOT / "examples" / name).read_text(encoding="utf-8"), source=src)
            for name, src in (("iranwire.txt", "IranWire"), ("guardian.txt", "The Guardian"))
        ]
        stored, _refused, claims, seconds = ingest(core, [a.model_copy() for a in seeds])
        rows.append(("seeds: articles/s", f"{stored / seconds:.2f} ({stored} in {seconds:.1f} s)"))
        rows.append(("seeds: claims/s", f"{claims / seconds:.1f} ({claims} claims)"))

        news = gun_violence(args.data, args.articles)
        stored, refused, claims, seconds = ingest(core, news)
        stories = len({a.story for a in news})
        rows.append(
            (
                f"gun violence ({len(news)} articles, {stories} stories): articles/s",
                f"{stored / seconds:.2f} ({stored} stored, {refused} refused, {seconds:.0f} s)",
            )
        )
        rows.append(("gun violence: claims/s", f"{claims / seconds:.1f} ({claims} claims)"))

        page = core.stories(limit=1000)
        largest = max(page.data, key=lambda s: (s.articles, s.claims))
        word = _common_word(core, largest.id)
        reads = [
            (f"/v1/stories/{largest.id}", {}, "GET /v1/stories/{id}, largest story"),
            (f"/stories/{largest.id}", {}, "dashboard story page /stories/{id}, largest story"),
            ("/v1/claims", {"q": word}, f"claim search GET /v1/claims?q={word}"),
            ("/v1/claims", {"verdict": "contested"}, "GET /v1/claims?verdict=contested"),
        ]
        with TestClient(create_app(settings, core=core)) as client:
            for path, params, label in reads:
                p50, p95 = _latency(client, path, params, args.requests)
                rows.append((f"{label}: p50 / p95", f"{p50:.1f} ms / {p95:.1f} ms"))
        rows.append(
            (
                "largest story",
                f"{largest.articles} articles, {largest.claims} claims "
                f"(store: {stored + 2} articles, {len(page.data)} stories)",
            )
        )
        rows.append(
            (
                "peak memory (max RSS)",
                f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB",
            )
        )
        rows.append(("CPU cores", str(os.cpu_count())))
        core.close()

    width = max(len(k) for k, _ in rows)
    print(f"| {'measure'.ljust(width)} | value |")
    print(f"|{'-' * (width + 2)}|-------|")
    for key, value in rows:
        print(f"| {key.ljust(width)} | {value} |")


if __name__ == "__main__":
    main()
