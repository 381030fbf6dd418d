"""Editing stories by hand (merge, split, move an article, set a key or title) and reverting.

Links exist only between articles of one story. When articles move from one story into
another, their links with the articles they leave are deleted (both directions), the links
among themselves and among the articles that stay are kept, they are matched both ways against
the articles they join, and the verdicts of exactly the claims whose links changed are
recomputed. Ingest connects a new article with the same `connect`.

Every edit is recorded (`StoryEdit`) with what it takes to undo it: where each moved article
came from and whether it was pinned, which articles stayed behind, and the links the edit
deleted, row for row. A revert moves the articles back, puts those links back as they were (no
model runs for them) and matches the articles only against those that joined the story since.
A revert is refused (ConflictError) when a later change depends on the edit: the articles were
moved again, the story they came from was merged away, or a story would be left empty.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, NoReturn

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from models.judge import Judge
from models.labels import Reason, Relation
from service.assembly import ClaimNode, EvidenceEdge, judge_claim
from service.config import Settings
from service.errors import ConflictError, EditError, NotFoundError
from service.events import pending
from service.matching import ClaimView, Link, SentenceView, Side, match
from service.pipeline import new_id
from service.schemas import EditAction, StoryUpdateIn
from service.store.codec import attribution_from, reads_from, vectors_from
from service.store.locks import lock_stories
from service.store.queries import live_story
from service.store.tables import Article, ClaimRow, LinkRow, Source, Story, StoryEdit
from service.stories import outlet_keys

_LINK_COLUMNS = (
    "claim_id",
    "article_id",
    "origin_id",
    "sentence_index",
    "relation",
    "score",
    "reason",
    "explanation",
    "start",
    "end",
    "text",
)


# --- Links and verdicts: the steps that ingest and the edits share -------------------------


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def stored_side(article: Article) -> Side:
    """A stored article as the matcher sees it."""
    sentences = article.sentences
    claims = article.claims
    return Side(
        key=article.id,
        origin=article.origin_id,
        source=article.source.name,
        outlet=outlet_keys(article.source.name, article.source.domain),
        text=article.text,
        sentences=[SentenceView(s.text, s.start, s.end) for s in sentences],
        sentence_vectors=vectors_from(b"".join(s.vector for s in sentences)),
        claims=[
            ClaimView(reads_from(c.facts) or c.text, c.sentence_index, attribution_from(c.facts))
            for c in claims
        ],
        claim_vectors=vectors_from(b"".join(c.vector for c in claims)),
        published=_aware(article.published_at),
    )


def add_links(session: Session, links: Sequence[Link]) -> set[str]:
    """Store matched links (their claims must be flushed already).

    Returns:
        The ids of the claims the links are about.
    """
    if not links:
        return set()
    claim_ids = {
        (article_id, index): claim_id
        for claim_id, article_id, index in session.execute(
            select(ClaimRow.id, ClaimRow.article_id, ClaimRow.index).where(
                ClaimRow.article_id.in_({link.claim_article for link in links})
            )
        )
    }
    touched = set()
    for link in links:
        claim_id = claim_ids[(link.claim_article, link.claim_index)]
        start, end = link.span()
        session.add(
            LinkRow(
                claim_id=claim_id,
                article_id=link.evidence_article,
                origin_id=link.evidence_origin,
                sentence_index=link.sentence_index,
                relation=link.judgement.relation.value,
                score=link.judgement.probability,
                reason=link.judgement.reason.value,
                explanation=link.judgement.explanation,
                start=start,
                end=end,
                text=link.text,
            )
        )
        touched.add(claim_id)
    return touched


def connect(
    session: Session, article: Side, others: Sequence[Side], judge: Judge, settings: Settings
) -> set[str]:
    """Match an article against other articles of its story, both ways, and store the links.

    Returns:
        The ids of the claims, on either side, that gained a link.
    """
    if not others:
        return set()
    return add_links(session, match(article, others, judge, settings.candidates_per_origin))


def disconnect(
    session: Session, articles: Collection[str], others: Collection[str]
) -> tuple[set[str], list[dict[str, Any]]]:
    """Delete the links between two sets of articles, in both directions.

    Returns:
        The ids of the claims that lost a link, and the deleted links as rows (oldest first)
        that `restore_links` can put back.
    """
    if not articles or not others:
        return set(), []
    rows = session.execute(
        select(LinkRow, ClaimRow.article_id)
        .join(ClaimRow, ClaimRow.id == LinkRow.claim_id)
        .where(
            or_(
                and_(ClaimRow.article_id.in_(articles), LinkRow.article_id.in_(others)),
                and_(ClaimRow.article_id.in_(others), LinkRow.article_id.in_(articles)),
            )
        )
        .order_by(LinkRow.id)
    )
    touched, removed = set(), []
    for link, claim_article in rows:
        removed.append(
            {"id": link.id, "claim_article": claim_article}
            | {column: getattr(link, column) for column in _LINK_COLUMNS}
        )
        touched.add(link.claim_id)
        session.delete(link)
    session.flush()
    return touched, removed


def restore_links(session: Session, rows: Iterable[dict[str, Any]]) -> set[str]:
    """Put back links that `disconnect` deleted, as they were (under their old id when free,
    so that evidence keeps its order).

    Returns:
        The ids of the claims that regained a link.
    """
    touched = set()
    for row in rows:
        link = LinkRow(**{column: row[column] for column in _LINK_COLUMNS})
        if session.get(LinkRow, row["id"]) is None:
            link.id = row["id"]
        session.add(link)
        touched.add(row["claim_id"])
    return touched


def update_verdict(session: Session, claim: ClaimRow) -> None:
    """Recompute a stored claim's verdict and counts from its stored links."""
    claim_article = session.get_one(Article, claim.article_id)
    node = ClaimNode(
        claim.id,
        claim.article_id,
        claim_article.origin_id,
        outlet_keys(claim_article.source.name, claim_article.source.domain),
        claim.sentence_index,
        vectors_from(claim.vector)[0],
    )
    rows = session.execute(
        select(LinkRow, Article.source_id)
        .join(Article, Article.id == LinkRow.article_id)
        .where(LinkRow.claim_id == claim.id)
    ).all()
    edges = []
    for link, source_id in rows:
        source = session.get_one(Source, source_id)
        edges.append(
            EvidenceEdge(
                claim.id,
                link.article_id,
                link.origin_id,
                outlet_keys(source.name, source.domain),
                link.sentence_index,
                Relation(link.relation),
                Reason(link.reason),
                link.score,
            )
        )
    result = judge_claim(node, enumerate(edges))
    pending(session).verdict(
        claim_article.story_id,
        {
            "claim_id": claim.id,
            "article_id": claim.article_id,
            "source": claim_article.source.name,
            "text": claim.text,
        },
        claim.verdict,
        result.verdict.value,
        result.supporting_origins,
        result.contradicting_origins,
    )
    claim.verdict = result.verdict.value
    claim.supporting_origins = result.supporting_origins
    claim.contradicting_origins = result.contradicting_origins


def update_verdicts(session: Session, claim_ids: Iterable[str]) -> None:
    """Recompute the verdicts of these claims from their stored links."""
    session.flush()
    for claim_id in sorted(set(claim_ids)):
        update_verdict(session, session.get_one(ClaimRow, claim_id))


# --- Moving articles between stories --------------------------------------------------------


def _articles(session: Session, *condition: Any) -> list[Article]:
    """Articles with what matching needs loaded, oldest first."""
    return list(
        session.scalars(
            select(Article)
            .where(*condition)
            .options(selectinload(Article.sentences), selectinload(Article.claims))
            .order_by(Article.created_at, Article.id)
        )
    )


def relocate(
    session: Session,
    moving: Sequence[Article],
    source: Story,
    into: Story,
    judge: Judge,
    settings: Settings,
    *,
    restore: Iterable[dict[str, Any]] = (),
    judged: Collection[str] = (),
) -> tuple[list[str], list[dict[str, Any]]]:
    """Move articles of one story into another and bring links and verdicts up to date.

    Args:
        moving: Articles of `source`, loaded by `_articles`.
        source: The story they leave.
        into: The story they join.
        restore: Links deleted by an earlier move, put back where both ends are in `into`.
        judged: Articles whose pairs with the moving ones `restore` covers: not matched again.

    Returns:
        The ids of the articles that stay in `source`, and the links deleted between them and
        the moving ones.
    """
    moved = {a.id for a in moving}
    kept = [
        ident
        for ident in session.scalars(
            select(Article.id)
            .where(Article.story_id == source.id)
            .order_by(Article.created_at, Article.id)
        )
        if ident not in moved
    ]
    touched, removed = disconnect(session, moved, kept)
    joining = [a for a in _articles(session, Article.story_id == into.id) if a.id not in moved]
    for article in moving:
        article.story_id = into.id
    present = {a.id for a in joining}
    touched |= restore_links(
        session, [r for r in restore if {r["claim_article"], r["article_id"]} & present]
    )
    fresh = [stored_side(a) for a in joining if a.id not in judged]
    for article in moving:
        touched |= connect(session, stored_side(article), fresh, judge, settings)
    update_verdicts(session, touched)
    return kept, removed


def _move(
    session: Session,
    action: EditAction,
    moving: Sequence[Article],
    source: Story,
    into: Story,
    by: str | None,
    judge: Judge,
    settings: Settings,
) -> StoryEdit:
    """Move articles by hand, pin them, and record the edit."""
    now = datetime.now(UTC)
    edit = StoryEdit(
        id=new_id(),
        action=action.value,
        story_id=into.id,
        from_story_id=source.id,
        moves=[{"article": a.id, "from": source.id, "pinned": a.pinned} for a in moving],
        changes={},
        by=by,
        at=now,
    )
    edit.kept, edit.removed_links = relocate(session, moving, source, into, judge, settings)
    for article in moving:
        article.pinned = True
    source.updated_at = into.updated_at = now
    session.add(edit)
    return edit


def _refuse_absent(session: Session, article_id: str, story_id: str) -> NoReturn:
    if session.get(Article, article_id) is None:
        raise NotFoundError("article", article_id)
    raise EditError(f"article {article_id!r} is not in story {story_id!r}")


def merge(
    session: Session,
    story_id: str,
    other_id: str,
    by: str | None,
    judge: Judge,
    settings: Settings,
) -> StoryEdit:
    """Move every article of another story into this one; the other story is merged away.

    Raises:
        NotFoundError: either story is unknown or merged away already.
        EditError: the two stories are one.
    """
    lock_stories(session, [story_id, other_id])
    story, other = live_story(session, story_id), live_story(session, other_id)
    if story.id == other.id:
        raise EditError(f"story {story_id!r} cannot be merged with itself")
    moving = _articles(session, Article.story_id == other.id)
    edit = _move(session, EditAction.MERGE, moving, other, story, by, judge, settings)
    other.merged_into = story.id
    return edit


def split(
    session: Session,
    story_id: str,
    article_ids: Sequence[str],
    title: str | None,
    by: str | None,
    judge: Judge,
    settings: Settings,
) -> StoryEdit:
    """Move some articles of a story into a new story.

    Raises:
        NotFoundError: the story or an article is unknown.
        EditError: an article is not in the story, or every article would move.
    """
    lock_stories(session, [story_id])
    story = live_story(session, story_id)
    articles = _articles(session, Article.story_id == story.id)
    here = {a.id for a in articles}
    for ident in article_ids:
        if ident not in here:
            _refuse_absent(session, ident, story.id)
    if here <= set(article_ids):
        raise EditError(
            f"a split must leave at least one article in story {story_id!r}; "
            "to move them all, merge the story into another"
        )
    moving = [a for a in articles if a.id in set(article_ids)]
    now = datetime.now(UTC)
    new = Story(id=new_id(), title=title or moving[0].title, created_at=now, updated_at=now)
    session.add(new)
    session.flush()
    return _move(session, EditAction.SPLIT, moving, story, new, by, judge, settings)


def move(
    session: Session,
    article_id: str,
    story_id: str,
    by: str | None,
    judge: Judge,
    settings: Settings,
) -> StoryEdit:
    """Move one article into another existing story.

    Raises:
        NotFoundError: the article or the story is unknown, or the story was merged away.
        EditError: the article is in that story already, or is the only one of its story.
        ConflictError: another edit moved the article while this one waited for its locks.
    """
    article = session.get(Article, article_id)
    if article is None:
        raise NotFoundError("article", article_id)
    locked = {article.story_id, story_id}
    lock_stories(session, locked)
    session.refresh(article)
    if article.story_id not in locked:
        raise ConflictError(f"article {article_id!r} was moved by another edit; try again")
    target = live_story(session, story_id)
    if article.story_id == target.id:
        raise EditError(f"article {article_id!r} is in story {story_id!r} already")
    source = session.get_one(Story, article.story_id)
    articles = _articles(session, Article.story_id == source.id)
    if len(articles) == 1:
        raise EditError(
            f"article {article_id!r} is the only article of story {source.id!r}; "
            f"merge that story into {story_id!r} instead"
        )
    moving = [a for a in articles if a.id == article_id]
    return _move(session, EditAction.MOVE, moving, source, target, by, judge, settings)


def _key_free(session: Session, key: str, story_id: str) -> None:
    holder = session.scalars(select(Story).where(Story.key == key)).first()
    if holder is not None and holder.id != story_id:
        merged = f", merged into {holder.merged_into!r}" if holder.merged_into else ""
        raise ConflictError(f"the key {key!r} belongs to story {holder.id!r}{merged}")


def update(
    session: Session, story_id: str, changes: StoryUpdateIn, by: str | None
) -> StoryEdit | None:
    """Set a story's key or title; None when nothing changes (then nothing is recorded).

    Raises:
        NotFoundError: the story is unknown or merged away.
        ConflictError: the key belongs to another story.
    """
    lock_stories(session, [story_id])
    story = live_story(session, story_id)
    done: dict[str, list[str | None]] = {}
    if "key" in changes.model_fields_set and changes.key != story.key:
        if changes.key is not None:
            _key_free(session, changes.key, story.id)
        done["key"] = [story.key, changes.key]
        story.key = changes.key
    if "title" in changes.model_fields_set and changes.title != story.title:
        done["title"] = [story.title, changes.title]
        story.title = changes.title
    if not done:
        return None
    now = datetime.now(UTC)
    story.updated_at = now
    edit = StoryEdit(
        id=new_id(),
        action=EditAction.UPDATE.value,
        story_id=story.id,
        from_story_id=None,
        moves=[],
        kept=[],
        removed_links=[],
        changes=done,
        by=by,
        at=now,
    )
    session.add(edit)
    session.flush()
    return edit


# --- Reverting ------------------------------------------------------------------------------


def revert(
    session: Session, edit_id: str, by: str | None, judge: Judge, settings: Settings
) -> StoryEdit:
    """Undo an edit: the articles go back with their links and verdicts as they were.

    Raises:
        NotFoundError: no edit has this id.
        ConflictError: the edit was reverted already, or a later change depends on it.
    """
    edit = session.get(StoryEdit, edit_id)
    if edit is None:
        raise NotFoundError("edit", edit_id)
    lock_stories(session, [s for s in (edit.story_id, edit.from_story_id) if s is not None])
    session.refresh(edit)
    if edit.reverted_at is not None:
        raise ConflictError(f"edit {edit_id!r} was reverted already")
    if edit.action == EditAction.UPDATE:
        _revert_update(session, edit)
    else:
        _revert_moves(session, edit, judge, settings)
    edit.reverted_at = datetime.now(UTC)
    edit.reverted_by = by
    return edit


def _revert_update(session: Session, edit: StoryEdit) -> None:
    story = session.get_one(Story, edit.story_id)
    for field, (_before, after) in sorted(edit.changes.items()):
        if getattr(story, field) != after:
            raise ConflictError(
                f"the {field} of story {story.id!r} has changed since edit {edit.id!r}; "
                "revert the later change first"
            )
    if (key := edit.changes.get("key")) and key[0] is not None:
        _key_free(session, key[0], story.id)
    for field, (before, _after) in edit.changes.items():
        setattr(story, field, before)
    story.updated_at = datetime.now(UTC)


def _revert_moves(session: Session, edit: StoryEdit, judge: Judge, settings: Settings) -> None:
    assert edit.from_story_id is not None  # every edit that moves articles records their story
    into = session.get_one(Story, edit.story_id)
    back = session.get_one(Story, edit.from_story_id)
    before = {m["article"]: m for m in edit.moves}
    moving = _articles(session, Article.id.in_(before))
    for article in moving:
        if article.story_id != into.id:
            later = _mover(session, article, edit)
            raise ConflictError(
                f"article {article.id!r} has been moved since edit {edit.id!r}"
                + (f", by edit {later!r}: revert that edit first" if later else "")
            )
    if edit.action == EditAction.MERGE:
        if back.merged_into != into.id:
            raise ConflictError(f"story {back.id!r} is not merged into {into.id!r} any more")
        back.merged_into = None
    elif back.merged_into is not None:
        raise ConflictError(
            f"story {back.id!r} has since been merged into {back.merged_into!r}; "
            "revert that merge first"
        )
    total = session.scalar(select(func.count(Article.id)).where(Article.story_id == into.id))
    left = (total or 0) - len(moving)
    if left == 0 and edit.action != EditAction.SPLIT:
        raise ConflictError(
            f"reverting edit {edit.id!r} would leave story {into.id!r} with no article"
        )
    relocate(
        session,
        moving,
        into,
        back,
        judge,
        settings,
        restore=edit.removed_links,
        judged=set(edit.kept),
    )
    for article in moving:
        article.pinned = bool(before[article.id]["pinned"])
    if left == 0:
        # The story a split made is empty again: it folds back into the story it came from.
        into.merged_into = back.id
    into.updated_at = back.updated_at = datetime.now(UTC)


def _mover(session: Session, article: Article, edit: StoryEdit) -> str | None:
    """The later edit, still in force, that moved this article where it is now."""
    later = session.scalars(
        select(StoryEdit)
        .where(
            StoryEdit.story_id == article.story_id,
            StoryEdit.reverted_at.is_(None),
            StoryEdit.at >= edit.at,
            StoryEdit.id != edit.id,
        )
        .order_by(StoryEdit.at.desc())
    )
    return next((e.id for e in later if any(m["article"] == article.id for m in e.moves)), None)


def surviving(session: Session, story: Story) -> Story:
    """The story that holds what `story` held: itself, or the story it was merged into.

    Ingest calls it once the lock of the story a key named is held; it reads the story again
    (a merge may have committed meanwhile) and takes the lock of each story it moves on to.
    """
    session.refresh(story)
    while story.merged_into is not None:
        lock_stories(session, [story.merged_into])
        story = session.get_one(Story, story.merged_into, populate_existing=True)
    return story
