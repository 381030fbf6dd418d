"""Scale-out benchmark (`make bench-scale`): real news ingested one article at a time, then as
jobs run by N Celery workers at once, then again with a worker killed (SIGKILL) mid-job and
replaced; each run on an empty PostgreSQL database. Prints one table: whether the stories,
origins, links and verdicts of each run are those of the one-at-a-time run, and what became
of every accepted article.

Usage: python bench/scale.py --postgres URL --redis URL [--data ../shared/data]
    [--articles 16] [--workers 4] [--batch 2]

The PostgreSQL database's crosscheck schema is DROPPED and the Redis database EMPTIED first:
give the benchmark databases of their own.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.crash import empty_postgres, news_articles, orphans  # noqa: E402
from bench.server import Worker  # noqa: E402
from service.config import Settings  # noqa: E402
from service.core import Crosscheck  # noqa: E402
from service.pipeline import Models  # noqa: E402
from service.schemas import ArticleIn, JobPublic, JobStatus  # noqa: E402
from service.store.db import make_engine  # noqa: E402
from service.store.tables import Article, ClaimRow, Job, JobArticle, LinkRow, Source  # noqa: E402

Payload = dict[str, Any]
COMPARED = ("stories", "origins", "verdicts", "links")


def outcome(url: str, by_outlet: bool = False) -> dict[str, Any]:
    """What ingest made of the articles, by article (URL, else outlet and title: ids differ run
    to run; `by_outlet`: by outlet alone, where each has one article) and claim position:
    stories and origins as groups of articles, each claim's verdict with its counts, each link
    with its relation and reason; and the orphan rows."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = session.execute(
                select(
                    Article.id,
                    Article.url,
                    Article.title,
                    Source.name,
                    Article.story_id,
                    Article.origin_id,
                ).join(Source)
            ).all()
            name = {
                row.id: row.name if by_outlet else row.url or f"{row.name}: {row.title}"
                for row in rows
            }

            def groups(key: str) -> set[frozenset[str]]:
                found: dict[str, set[str]] = {}
                for row in rows:
                    found.setdefault(getattr(row, key), set()).add(name[row.id])
                return {frozenset(g) for g in found.values()}

            claims = session.scalars(select(ClaimRow)).all()
            position = {c.id: (name[c.article_id], c.index) for c in claims}
            links = session.scalars(select(LinkRow)).all()
            return {
                "articles": sorted(name.values()),
                "stories": groups("story_id"),
                "origins": groups("origin_id"),
                "verdicts": sorted(
                    (*position[c.id], c.verdict, c.supporting_origins, c.contradicting_origins)
                    for c in claims
                ),
                "links": sorted(
                    (*position[link.claim_id], name[link.article_id], link.sentence_index)
                    + (link.relation, link.reason)
                    for link in links
                ),
                "orphans": sum(orphans(session).values()),
            }
    finally:
        engine.dispose()


def differences(run: dict[str, Any], expected: dict[str, Any]) -> dict[str, int]:
    """For each compared part, how many items one run has and the other has not."""
    found = {}
    for part in COMPARED:
        mine, theirs = run[part], expected[part]
        if isinstance(mine, list):
            mine, theirs = set(mine), set(theirs)
        found[part] = len(mine ^ theirs)
    return found


@dataclass
class Run:
    """One run of the benchmark."""

    name: str
    seconds: float
    outcome: dict[str, Any]
    accepted: int
    jobs: int = 0
    runs_cut: int = 0
    """Jobs that ran more than once (a kill cut a run)."""
    unprocessed: int = 0
    """Accepted articles that no done job stored."""
    duplicated: int | None = None
    """Stored articles beyond those the jobs name (None: no jobs)."""


def sequential(url: str, articles: list[Payload], models: Models) -> Run:
    """Each article on its own, one after the other, in this process."""
    core = Crosscheck(Settings(database_url=empty_postgres(url)), models=models)
    started = time.perf_counter()
    try:
        for article in articles:
            core.submit([ArticleIn.model_validate(article)])
    finally:
        core.close()
    return Run("one at a time", time.perf_counter() - started, outcome(url), len(articles))


def _empty_broker(redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()


def _wait(core: Crosscheck, job_ids: list[str], timeout: float) -> list[JobPublic]:
    due = time.monotonic() + timeout
    while time.monotonic() < due:
        jobs = [core.job(job_id) for job_id in job_ids]
        if all(j.status in (JobStatus.DONE, JobStatus.FAILED) for j in jobs):
            return jobs
        time.sleep(0.5)
    raise RuntimeError(f"the jobs did not finish in {timeout:.0f} s")


def _running(url: str) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return len(session.scalars(select(Job.id).where(Job.status == "running")).all())
    finally:
        engine.dispose()


def queued(
    url: str,
    redis_url: str,
    articles: list[Payload],
    models: Models,
    workers: int,
    batch: int,
    logs: Path,
    kill: bool,
    visibility: float,
) -> Run:
    """The articles as jobs of `batch` articles, run by `workers` worker processes at once;
    with `kill`, one worker gets SIGKILL once every worker is in the middle of a job, and a
    new one takes its place."""
    _empty_broker(redis_url)
    settings = Settings(database_url=empty_postgres(url), broker_url=redis_url)
    api = Crosscheck(settings, models=models)
    # The killed worker's job goes to another after the visibility timeout: longer than a job.
    options = {"broker_visibility_timeout_seconds": str(visibility)}
    pool = [
        Worker(url, redis_url, logs / f"w{i}.log", pool="solo", name=f"w{i}", **options)
        for i in range(workers)
    ]
    try:
        for worker in pool:
            worker.start()
        started = time.perf_counter()
        batches = [articles[i : i + batch] for i in range(0, len(articles), batch)]
        job_ids = [api.enqueue([ArticleIn.model_validate(a) for a in b]).id for b in batches]
        if kill:
            busy, due = min(workers, len(batches)), time.monotonic() + 600
            while _running(url) < busy and time.monotonic() < due:
                time.sleep(0.02)
            pool[0].kill()  # every worker is in a job: this one is cut mid-job
            replacement = Worker(
                url, redis_url, logs / "w-new.log", pool="solo", name="wnew", **options
            )
            replacement.start()
            pool.append(replacement)
        jobs = _wait(api, job_ids, timeout=3600)
        seconds = time.perf_counter() - started
    finally:
        for worker in pool:
            worker.stop()
        api.close()
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            named = session.execute(select(JobArticle.article_id)).scalars().all()
            stored = session.scalars(select(Article.id)).all()
    finally:
        engine.dispose()
    name = f"{workers} workers" + (", one killed mid-job" if kill else "")
    return Run(
        name,
        seconds,
        outcome(url),
        len(articles),
        jobs=len(jobs),
        runs_cut=sum(j.attempts > 1 for j in jobs),
        unprocessed=sum(ident is None for ident in named),
        duplicated=len(stored) - len({ident for ident in named if ident is not None}),
    )


def _cells(runs: list[Run], cell: Callable[[Run], str]) -> list[str]:
    return [cell(r) for r in runs]


def _same(runs: list[Run], expected: dict[str, Any], part: str) -> list[str]:
    counts = [differences(r.outcome, expected)[part] for r in runs]
    return ["yes" if not n else f"no ({n} differ)" for n in counts]


def table(runs: list[Run], expected: dict[str, Any]) -> str:
    """One markdown table: a column per run."""
    rows: list[tuple[str, list[str]]] = [
        ("seconds (ingest)", _cells(runs, lambda r: f"{r.seconds:.0f}")),
        ("articles accepted", _cells(runs, lambda r: str(r.accepted))),
        (
            "jobs / runs cut by the kill",
            _cells(runs, lambda r: f"{r.jobs} / {r.runs_cut}" if r.jobs else "–"),
        ),
        ("articles stored", _cells(runs, lambda r: str(len(r.outcome["articles"])))),
        ("  lost (accepted, not stored)", _cells(runs, lambda r: str(r.unprocessed))),
        (
            "  duplicated",
            _cells(runs, lambda r: "–" if r.duplicated is None else str(r.duplicated)),
        ),
        ("stories", _cells(runs, lambda r: str(len(r.outcome["stories"])))),
        ("links", _cells(runs, lambda r: str(len(r.outcome["links"])))),
        ("claims", _cells(runs, lambda r: str(len(r.outcome["verdicts"])))),
        *((f"{part} as one at a time", _same(runs, expected, part)) for part in COMPARED),
        ("orphan rows", _cells(runs, lambda r: str(r.outcome["orphans"]))),
    ]
    width = max(len(k) for k, _ in rows)
    cols = [max(len(r.name), *(len(v[i]) for _, v in rows)) for i, r in enumerate(runs)]

    def line(first: str, cells: list[str]) -> str:
        padded = [c.ljust(w) for c, w in zip(cells, cols, strict=True)]
        return "| " + " | ".join([first.ljust(width), *padded]) + " |"

    rule = "|" + "|".join(["-" * (width + 2), *("-" * (c + 2) for c in cols)]) + "|"
    return "\n".join([line("", [r.name for r in runs]), rule, *(line(k, v) for k, v in rows)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--postgres", required=True, help="PostgreSQL URL (schema dropped)")
    parser.add_argument("--redis", required=True, help="Redis URL of the broker (emptied)")
    parser.add_argument("--articles", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--batch", type=int, default=2, help="articles per job")
    parser.add_argument(
        "--visibility", type=float, default=60.0, help="broker visibility timeout, seconds"
    )
    args = parser.parse_args()

    articles = news_articles(args.data, args.articles)
    models = Models.load(Settings())
    with tempfile.TemporaryDirectory() as tmp:
        logs = Path(tmp)
        first = sequential(args.postgres, articles, models)
        runs = [first]
        for kill in (False, True):
            runs.append(
                queued(
                    args.postgres,
                    args.redis,
                    articles,
                    models,
                    args.workers,
                    args.batch,
                    logs,
                    kill,
                    args.visibility,
                )
            )
    print(
        f"\n{len(articles)} news articles, jobs of {args.batch}, {args.workers} worker "
        "processes (solo pool) on PostgreSQL and Redis\n"
    )
    print(table(runs, first.outcome), flush=True)


if __name__ == "__main__":
    main()
