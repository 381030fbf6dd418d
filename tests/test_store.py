"""Storage on a real SQLite file and a real PostgreSQL: idempotency, origins, all-or-nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select

from models.errors import InputError
from models.labels import Verdict
from service.app import create_app
from service.config import Settings
from service.core import Crosscheck
from service.schemas import ArticleIn
from service.store.db import downgrade, make_engine, migrate
from service.store.tables import Article, ClaimRow, LinkRow, Story
from tests.databases import DATABASES, POSTGRES, empty_database

FIXTURES = Path(__file__).parent / "fixtures"


def _read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.fixture(params=DATABASES)
def store(request: pytest.FixtureRequest, core: Crosscheck, tmp_path: Path) -> Iterator[Crosscheck]:
    """A core on an empty database of either kind, sharing the session's loaded models."""
    url = empty_database(request.param, tmp_path)
    built = Crosscheck(Settings(database_url=url), models=core.models)
    yield built
    built.close()


def _count(store: Crosscheck, table: type) -> int:
    with store.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_migrations_create_and_drop_the_schema(store: Crosscheck) -> None:
    tables = set(inspect(store.db.engine).get_table_names())
    assert {"stories", "sources", "articles", "sentences", "claims", "links"} <= tables
    downgrade(store.db.engine)
    assert "articles" not in set(inspect(store.db.engine).get_table_names())
    migrate(store.db.engine)
    assert "articles" in set(inspect(store.db.engine).get_table_names())


def test_same_url_or_same_text_is_idempotent(store: Crosscheck) -> None:
    text = _read("seeds/iranwire.txt")
    first = store.submit([ArticleIn(text=text, source="IranWire", url="https://iranwire.com/a")])
    assert first.data[0].created
    counts = (_count(store, Article), _count(store, ClaimRow), _count(store, Story))
    by_url = store.submit([ArticleIn(text=text + "\nedited", url="https://iranwire.com/a")])
    by_text = store.submit([ArticleIn(text=text.replace("\n\n", "\n"), source="iranwire")])
    for again in (by_url, by_text):
        assert not again.data[0].created
        assert again.data[0].article.id == first.data[0].article.id
    assert (_count(store, Article), _count(store, ClaimRow), _count(store, Story)) == counts


def test_bad_article_in_a_batch_stores_nothing(store: Crosscheck) -> None:
    good = ArticleIn(text=_read("seeds/guardian.txt"), source="The Guardian")
    bad = ArticleIn(text="Close button\nReuse this content\n1 min read", source="Nobody")
    with pytest.raises(InputError, match="article 1"):
        store.submit([good, bad])
    assert _count(store, Article) == 0 and _count(store, Story) == 0


def test_copies_share_an_origin_and_never_corroborate(store: Crosscheck) -> None:
    text = _read("seeds/iranwire.txt")
    result = store.submit(
        [
            ArticleIn(text=text, source="IranWire", story="copies"),
            ArticleIn(
                text=text + "\nRepublished with permission.", source="Wire Mirror", story="copies"
            ),
        ]
    )
    a, b = (r.article for r in result.data)
    assert a.origin_id == b.origin_id == a.id
    assert a.source != b.source
    assert _count(store, LinkRow) == 0
    assert all(c.verdict is Verdict.SINGLE_SOURCE for c in store.article(b.id).claims)


def test_verdicts_are_stored_and_updated_both_ways(store: Crosscheck) -> None:
    first = store.submit(
        [ArticleIn(text=_read("seeds/iranwire.txt"), source="IranWire", story="s")]
    )
    iranwire = first.data[0].article
    assert all(c.verdict is Verdict.SINGLE_SOURCE for c in iranwire.claims)
    store.submit([ArticleIn(text=_read("gulf_ledger.txt"), source="Gulf Ledger", story="s")])
    # The older article's claims were judged against the newer one when it arrived.
    again = store.article(iranwire.id)
    verdicts = {c.text: c.verdict for c in again.claims}
    contested = next(c for c in again.claims if "camped outside the Green Zone" in c.text)
    assert contested.verdict is Verdict.CONTESTED
    assert Verdict.CORROBORATED in verdicts.values()
    assert contested.contradicting_origins == 1
    (evidence,) = [e for e in contested.evidence if e.relation.value == "contradicts"]
    assert evidence.source == "Gulf Ledger"
    stored = store.article(evidence.article_id or "")
    assert stored.text[evidence.start : evidence.end] in evidence.text
    page = store.stories()
    assert page.count == 1 and page.data[0].contested >= 1 and page.data[0].sources == 2


def test_a_claim_opening_with_a_pronoun_is_compared_as_the_person_it_names(
    store: Crosscheck,
) -> None:
    first = store.submit(
        [
            ArticleIn(
                text="Maria Lopez, 42, was taken to Mercy Hospital on Sunday after the crash "
                "on Route 9.\n\nShe was released on Monday afternoon.\n",
                source="Dayton Daily",
                story="crash",
            )
        ]
    )
    store.submit(
        [
            ArticleIn(
                text="A driver hurt in Sunday's crash on Route 9 has gone home.\n\nMaria Lopez "
                "was released from Mercy Hospital on Monday afternoon, her family said.\n",
                source="Ohio Wire",
                story="crash",
            )
        ]
    )
    # Stored with the claim, read back when the later article is matched against it.
    claims = store.article(first.data[0].article.id).claims
    (released,) = [c for c in claims if c.text == "She was released on Monday afternoon."]
    assert released.reads == "Maria Lopez was released on Monday afternoon."
    assert released.verdict is Verdict.CORROBORATED
    assert [e.source for e in released.evidence if e.relation.value == "supports"] == ["Ohio Wire"]
    # The claim's page says how it was read; a claim read as written says nothing of it.
    with TestClient(create_app(store.settings, core=store)) as client:
        page = client.get(f"/claims/{released.id}").text
        assert "Compared with other outlets as: “Maria Lopez was released on Monday" in page
        taken = next(c for c in claims if c.reads is None)
        assert "Compared with other outlets as" not in client.get(f"/claims/{taken.id}").text


def test_story_is_found_without_a_key(store: Crosscheck) -> None:
    from datetime import UTC, datetime, timedelta

    when = datetime(2021, 11, 8, 12, tzinfo=UTC)
    first = store.submit(
        [ArticleIn(text=_read("seeds/iranwire.txt"), source="IranWire", published_at=when)]
    ).data[0]
    # The same event told by another outlet a day later joins the story.
    second = store.submit(
        [
            ArticleIn(
                text=_read("gulf_ledger.txt"),
                source="Gulf Ledger",
                published_at=when + timedelta(days=1),
            )
        ]
    ).data[0]
    assert second.article.story_id == first.article.story_id
    # Another event opens a story of its own.
    other = (
        "Heavy rain flooded the main road into Lisbon on Tuesday, and the city council said "
        "repairs to the drainage system would take three weeks.\n"
        "Commuters were diverted through the old town while engineers pumped water away."
    )
    third = store.submit([ArticleIn(text=other, source="Lisbon Daily", published_at=when)]).data[0]
    assert third.article.story_id != first.article.story_id
    # The same event outside the time window opens a new story too.
    late = store.submit(
        [
            ArticleIn(
                text=_read("seeds/guardian.txt"),
                source="The Guardian",
                published_at=when + timedelta(days=30),
            )
        ]
    ).data[0]
    assert late.article.story_id not in {first.article.story_id, third.article.story_id}


@pytest.mark.postgres
@pytest.mark.skipif(
    not POSTGRES, reason="CROSSCHECK_TEST_POSTGRES_URL is not set (.ci/run sets it)"
)
def test_two_replicas_submitting_one_article_store_it_once(core: Crosscheck) -> None:
    import threading

    assert POSTGRES is not None
    engine = make_engine(POSTGRES)
    downgrade(engine)
    engine.dispose()
    replicas = [Crosscheck(Settings(database_url=POSTGRES), models=core.models) for _ in range(2)]
    article = ArticleIn(text=_read("gulf_ledger.txt"), source="Gulf Ledger", story="race")
    results: list[object] = []
    gate = threading.Barrier(2)

    def submit(replica: Crosscheck) -> None:
        gate.wait()
        results.append(replica.submit([article]).data[0])

    threads = [threading.Thread(target=submit, args=(r,)) for r in replicas]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2
    ids = {r.article.id for r in results}  # type: ignore[attr-defined]
    created = [r.created for r in results]  # type: ignore[attr-defined]
    assert len(ids) == 1 and sorted(created) == [False, True]
    assert _count(replicas[0], Article) == 1 and _count(replicas[0], Story) == 1
    for replica in replicas:
        replica.close()
