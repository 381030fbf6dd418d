"""Crash benchmark (`make bench-crash`): kill -9 the server at random moments of a batch ingest,
restart it on the same store, resubmit everything, then count from the database what was
accepted, stored, lost, duplicated and left orphaned. One table per database kind.

Usage: python bench/crash.py [--data ../shared/data] [--articles 60] [--batch 10] [--kills 3]
    [--seed 7] [--no-sqlite] [--postgres URL]

The articles are real local news (gun violence incidents of ../shared/data/stories), sent
through the HTTP API in batches by one client. In each round one kill is armed at a batch drawn
at random: the server gets SIGKILL either after a random share of a batch's duration (mostly
while the models work, where the time goes; sometimes while its transaction is open, or between
requests), or as soon as the batch commits an article, before the answer is written. The server
is restarted on the same store and the next round sends every article again, from the first;
the last round runs without a kill. Every figure but the orphan rows is counted from the
answers the client got against the rows of the database.

`--postgres URL` runs on that PostgreSQL database as well; its crosscheck schema is DROPPED
first (use a database of its own).
"""

from __future__ import annotations

import argparse
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session, aliased

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.server import Server  # noqa: E402
from service.store.db import downgrade, make_engine  # noqa: E402
from service.store.tables import (  # noqa: E402
    ApiKey,
    Article,
    ClaimRow,
    Job,
    JobArticle,
    LinkRow,
    SentenceRow,
    Source,
    Story,
    StoryEdit,
    Webhook,
    WebhookDelivery,
)

Payload = dict[str, Any]


@dataclass(frozen=True)
class OrphanCheck:
    """One query counting rows that lost what they refer to (or parts left without a whole)."""

    name: str
    tables: tuple[str, ...]
    """The tables whose relation it checks (every table of the schema is checked by one)."""
    query: Select[int]


def _count(*where: Any) -> Select[int]:
    return select(func.count()).where(*where)


_Evidence = aliased(Article)
_Claimed = aliased(Article)

ORPHAN_CHECKS: tuple[OrphanCheck, ...] = (
    OrphanCheck(
        "articles without their story",
        ("articles", "stories"),
        _count(~exists().where(Story.id == Article.story_id)).select_from(Article),
    ),
    OrphanCheck(
        "articles without their source",
        ("articles", "sources"),
        _count(~exists().where(Source.id == Article.source_id)).select_from(Article),
    ),
    OrphanCheck(
        "articles whose origin article is missing",
        ("articles",),
        _count(~exists().where(_Evidence.id == Article.origin_id)).select_from(Article),
    ),
    OrphanCheck(
        "articles without sentences",
        ("articles", "sentences"),
        _count(~exists().where(SentenceRow.article_id == Article.id)).select_from(Article),
    ),
    OrphanCheck(
        "articles of a missing API key",
        ("articles", "api_keys"),
        _count(
            Article.api_key_id.is_not(None), ~exists().where(ApiKey.id == Article.api_key_id)
        ).select_from(Article),
    ),
    OrphanCheck(
        "sentences without their article",
        ("sentences", "articles"),
        _count(~exists().where(Article.id == SentenceRow.article_id)).select_from(SentenceRow),
    ),
    OrphanCheck(
        "claims without their article",
        ("claims", "articles"),
        _count(~exists().where(Article.id == ClaimRow.article_id)).select_from(ClaimRow),
    ),
    OrphanCheck(
        "claims without their sentence",
        ("claims", "sentences"),
        _count(
            ~exists().where(
                SentenceRow.article_id == ClaimRow.article_id,
                SentenceRow.index == ClaimRow.sentence_index,
            )
        ).select_from(ClaimRow),
    ),
    OrphanCheck(
        "links without their claim",
        ("links", "claims"),
        _count(~exists().where(ClaimRow.id == LinkRow.claim_id)).select_from(LinkRow),
    ),
    OrphanCheck(
        "links without their evidence article",
        ("links", "articles"),
        _count(~exists().where(Article.id == LinkRow.article_id)).select_from(LinkRow),
    ),
    OrphanCheck(
        "links without their evidence sentence",
        ("links", "sentences"),
        _count(
            ~exists().where(
                SentenceRow.article_id == LinkRow.article_id,
                SentenceRow.index == LinkRow.sentence_index,
            )
        ).select_from(LinkRow),
    ),
    OrphanCheck(
        "links whose origin article is missing",
        ("links", "articles"),
        _count(~exists().where(Article.id == LinkRow.origin_id)).select_from(LinkRow),
    ),
    OrphanCheck(
        "links between two stories",
        ("links", "claims", "articles"),
        select(func.count())
        .select_from(LinkRow)
        .join(ClaimRow, ClaimRow.id == LinkRow.claim_id)
        .join(_Claimed, _Claimed.id == ClaimRow.article_id)
        .join(_Evidence, _Evidence.id == LinkRow.article_id)
        .where(_Claimed.story_id != _Evidence.story_id),
    ),
    OrphanCheck(
        "stories without articles (not merged away)",
        ("stories", "articles"),
        _count(
            Story.merged_into.is_(None), ~exists().where(Article.story_id == Story.id)
        ).select_from(Story),
    ),
    OrphanCheck(
        "stories merged into a missing story",
        ("stories",),
        _count(
            Story.merged_into.is_not(None),
            ~exists().where(aliased(Story).id == Story.merged_into),
        ).select_from(Story),
    ),
    OrphanCheck(
        "sources without articles",
        ("sources", "articles"),
        _count(~exists().where(Article.source_id == Source.id)).select_from(Source),
    ),
    OrphanCheck(
        "edits without their story",
        ("story_edits", "stories"),
        _count(~exists().where(Story.id == StoryEdit.story_id)).select_from(StoryEdit),
    ),
    OrphanCheck(
        "edits without the story they moved from",
        ("story_edits", "stories"),
        _count(
            StoryEdit.from_story_id.is_not(None),
            ~exists().where(Story.id == StoryEdit.from_story_id),
        ).select_from(StoryEdit),
    ),
    OrphanCheck(
        "deliveries without their webhook",
        ("webhook_deliveries", "webhooks"),
        _count(~exists().where(Webhook.id == WebhookDelivery.webhook_id)).select_from(
            WebhookDelivery
        ),
    ),
    OrphanCheck(
        "jobs without articles",
        ("jobs", "job_articles"),
        _count(~exists().where(JobArticle.job_id == Job.id)).select_from(Job),
    ),
    OrphanCheck(
        "job articles without their job",
        ("job_articles", "jobs"),
        _count(~exists().where(Job.id == JobArticle.job_id)).select_from(JobArticle),
    ),
    OrphanCheck(
        "job articles whose stored article is missing",
        ("job_articles", "articles"),
        _count(
            JobArticle.article_id.is_not(None), ~exists().where(Article.id == JobArticle.article_id)
        ).select_from(JobArticle),
    ),
    OrphanCheck(
        "done jobs with an article not stored",
        ("jobs", "job_articles"),
        select(func.count())
        .select_from(JobArticle)
        .join(Job, Job.id == JobArticle.job_id)
        .where(Job.status == "done", JobArticle.article_id.is_(None)),
    ),
)


def orphans(session: Session) -> dict[str, int]:
    """The count of every orphan check, by name."""
    return {check.name: int(session.scalar(check.query) or 0) for check in ORPHAN_CHECKS}


@dataclass
class Ledger:
    """What the client was told, article by article (by its position in the submission)."""

    answered: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    """The ids answered for each article (more than one: it was stored twice)."""
    refused: set[int] = field(default_factory=set)
    first_created: dict[int, bool] = field(default_factory=dict)
    """For each accepted article, the `created` of its first answer; False means that a request
    whose answer a kill cut had stored it."""
    kills: int = 0
    cut: int = 0
    """Requests that got no answer: the server died under them."""
    server_errors: int = 0


@dataclass(frozen=True)
class CrashResult:
    """The counts of one crash run on one database."""

    submitted: int
    refused: int
    accepted: int
    stored: int
    lost: int
    duplicated: int
    stored_by_cut_request: int
    kills: int
    cut_requests: int
    server_errors: int
    orphans: dict[str, int]

    def rows(self) -> list[tuple[str, str]]:
        """(measure, value) rows of the table, orphan checks last."""
        rows = [
            ("kills (SIGKILL) / requests cut", f"{self.kills} / {self.cut_requests}"),
            ("articles submitted", str(self.submitted)),
            ("refused (422, never accepted)", str(self.refused)),
            ("accepted (a success answer)", str(self.accepted)),
            ("  of them stored by a request a kill cut", str(self.stored_by_cut_request)),
            ("stored", str(self.stored)),
            ("lost (accepted, not stored)", str(self.lost)),
            ("duplicated", str(self.duplicated)),
            ("server errors (5xx)", str(self.server_errors)),
            ("orphan rows", str(sum(self.orphans.values()))),
        ]
        rows += [(f"  {name}", str(count)) for name, count in self.orphans.items()]
        return rows


def _submit(client: httpx.Client, items: Sequence[tuple[int, Payload]], ledger: Ledger) -> float:
    """Send one batch and book its answer; a batch with a refused article is sent again one
    article at a time. Returns the seconds the request took.

    Raises:
        httpx.TransportError: the server died under the request.
    """
    started = time.perf_counter()
    response = client.post("/v1/articles", json={"articles": [p for _, p in items]})
    took = time.perf_counter() - started
    if response.status_code == 422:
        if len(items) == 1:
            ledger.refused.add(items[0][0])
            return took
        for item in items:
            _submit(client, [item], ledger)
        return took
    if response.status_code >= 500:
        ledger.server_errors += 1
        return took
    if response.status_code not in (200, 201):
        raise RuntimeError(f"unexpected answer {response.status_code}: {response.text[:300]}")
    for (position, _), result in zip(items, response.json()["data"], strict=True):
        ledger.answered[position].add(result["article"]["id"])
        ledger.first_created.setdefault(position, result["created"])
    return took


@dataclass(frozen=True)
class Kill:
    """Where a round's kill lands: in which batch, and when."""

    batch: int
    after: float | None
    """Seconds into the batch, as a share of a typical batch's duration; None: as soon as the
    batch commits an article (before the answer is written)."""

    def describe(self) -> str:
        """The kill in a few words, for the progress lines."""
        when = "at its first commit" if self.after is None else f"after x{self.after:.2f}"
        return f"kill armed at batch {self.batch}, {when}"


def _watch_commit(
    database_url: str, process: subprocess.Popen[bytes], stop: threading.Event
) -> None:
    """SIGKILL the server as soon as one more article is stored, or when told to stop."""
    engine = make_engine(database_url)
    stored = select(func.count()).select_from(Article)
    try:
        with engine.connect() as connection:
            before = connection.scalar(stored)
        while not stop.is_set():
            with engine.connect() as connection:
                if connection.scalar(stored) != before:
                    break
            stop.wait(0.005)
    finally:
        engine.dispose()
        process.send_signal(signal.SIGKILL)


def _arm(
    server: Server, kill: Kill, typical: list[float], stop: threading.Event
) -> threading.Thread:
    process = server.process
    assert process is not None
    if kill.after is None:
        killer = threading.Thread(target=_watch_commit, args=(server.database_url, process, stop))
    else:
        delay = kill.after * (sorted(typical)[len(typical) // 2] if typical else 10.0)
        killer = threading.Timer(delay, process.send_signal, (signal.SIGKILL,))
    killer.start()
    return killer


def _one_round(
    server: Server,
    batches: Sequence[Sequence[tuple[int, Payload]]],
    ledger: Ledger,
    kill: Kill | None,
    typical: list[float],
) -> None:
    """Send every batch in order, with a kill armed as `kill` says; stops at the first request
    the kill cuts."""
    killer: threading.Thread | None = None
    stop = threading.Event()
    answered = 0
    with httpx.Client(base_url=server.url, timeout=900) as client:
        for number, whole in enumerate(batches):
            if kill is not None and number == kill.batch:
                killer = _arm(server, kill, typical, stop)
            batch = [item for item in whole if item[0] not in ledger.refused]
            if not batch:
                continue
            try:
                typical.append(_submit(client, batch, ledger))
                answered += 1
            except httpx.TransportError:
                ledger.cut += 1
                break
    print(
        f"  round: {answered} of {len(batches)} batches answered"
        + (f", {kill.describe()}" if kill else ""),
        file=sys.stderr,
        flush=True,
    )
    if killer is not None:
        # A kill that has not come by the last answer (no commit, or timed past the end)
        # still happens: now, or when its time comes.
        stop.set()
        killer.join()
        server.kill()
        ledger.kills += 1
        server.start()


def count(database_url: str, ledger: Ledger, submitted: int) -> CrashResult:
    """Compare the client's ledger with the rows of the database."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            stored = set(session.scalars(select(Article.id)))
            found = orphans(session)
    finally:
        engine.dispose()
    answered = set().union(*ledger.answered.values()) if ledger.answered else set()
    twice = sum(len(ids) - 1 for ids in ledger.answered.values())
    return CrashResult(
        submitted=submitted,
        refused=len(ledger.refused),
        accepted=len(ledger.answered),
        stored=len(stored),
        lost=len(answered - stored),
        # An article answered under two ids, or a row no answer ever named: the final round
        # answers every stored article, so such a row is a second copy.
        duplicated=twice + len(stored - answered),
        stored_by_cut_request=sum(not created for created in ledger.first_created.values()),
        kills=ledger.kills,
        cut_requests=ledger.cut,
        server_errors=ledger.server_errors,
        orphans=found,
    )


def run_crash(
    database_url: str,
    articles: Sequence[Payload],
    batch: int,
    kills: int,
    seed: int,
    log: Path,
) -> CrashResult:
    """Ingest `articles` in batches through a server that is killed `kills` times (one kill a
    round, each round resubmitting everything), then count. The database must be empty."""
    rng = random.Random(seed)
    items = list(enumerate(articles))
    batches = [items[i : i + batch] for i in range(0, len(items), batch)]
    ledger = Ledger()
    typical: list[float] = []
    server = Server(database_url, log)
    server.start()
    try:
        for _ in range(kills):
            # Without a measured batch yet, the first batch's duration is not known: kill later.
            first = 0 if typical else min(1, len(batches) - 1)
            # Half the kills come at a random moment (mostly while the models work, since
            # that is where the time goes), half just after a commit, before the answer.
            at = rng.randrange(first, len(batches))
            kill = Kill(at, None) if rng.random() < 0.5 else Kill(at, rng.uniform(0.0, 1.25))
            _one_round(server, batches, ledger, kill, typical)
        _one_round(server, batches, ledger, None, typical)
    finally:
        server.stop()
    return count(database_url, ledger, len(articles))


def empty_postgres(url: str) -> str:
    """Drop the crosscheck schema of this PostgreSQL database; returns the URL."""
    engine = make_engine(url)
    try:
        downgrade(engine)
    finally:
        engine.dispose()
    return url


def news_articles(data: Path, limit: int, per_incident: int = 3) -> list[Payload]:
    """Real local news: incidents told by several outlets, at most `per_incident` articles of
    each (a story of many articles makes every new one slow to match), every other incident
    without its story key, so that automatic story assignment is crashed as well."""
    from bench.speed import gun_violence

    taken: dict[str | None, int] = defaultdict(int)
    incidents: dict[str | None, int] = {}
    payloads: list[Payload] = []
    path = data / "stories" / "gun_violence_news_dev.jsonl.gz"
    for article in gun_violence(path, limit * 20):
        if taken[article.story] >= per_incident or len(payloads) >= limit:
            continue
        taken[article.story] += 1
        payload = article.model_dump(mode="json", exclude_none=True)
        if incidents.setdefault(article.story, len(incidents)) % 2 == 1:
            payload.pop("story", None)
        payloads.append(payload)
    return payloads


def table(kind: str, result: CrashResult) -> str:
    """One markdown table of a run."""
    rows = result.rows()
    width = max(len(k) for k, _ in rows)
    lines = [f"| {kind.ljust(width)} | value |", f"|{'-' * (width + 2)}|-------|"]
    lines += [f"| {key.ljust(width)} | {value} |" for key, value in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--articles", type=int, default=60)
    parser.add_argument("--batch", type=int, default=10, help="articles per request")
    parser.add_argument("--kills", type=int, default=3, help="kill rounds per database")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite file")
    parser.add_argument(
        "--postgres", help="PostgreSQL URL to run on as well; its schema is dropped first"
    )
    args = parser.parse_args()

    articles = news_articles(args.data, args.articles)
    with tempfile.TemporaryDirectory() as tmp:
        kinds = [] if args.no_sqlite else [("SQLite file", f"sqlite:///{tmp}/crash.db")]
        if args.postgres:
            kinds.append(("PostgreSQL", args.postgres))
        for kind, url in kinds:
            if kind == "PostgreSQL":
                empty_postgres(url)
            started = time.perf_counter()
            result = run_crash(url, articles, args.batch, args.kills, args.seed, Path(tmp) / "log")
            print(
                f"\n{kind}: {args.kills} kill rounds, seed {args.seed}, batches of "
                f"{args.batch}, {time.perf_counter() - started:.0f} s\n"
            )
            print(table(kind, result), flush=True)


if __name__ == "__main__":
    main()
