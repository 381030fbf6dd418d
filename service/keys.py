"""API keys: made with a random secret shown once, kept as its SHA-256, scoped, bound to
outlets, revocable. The HTTP layer asks `authenticate` who is calling and what it may do."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.errors import AuthenticationError, ConflictError, ForbiddenError, NotFoundError
from service.pipeline import new_id
from service.schemas import ApiKeyPublic, ArticleIn, Scope
from service.store.tables import ApiKey
from service.stories import normalise_source, outlet_keys

PREFIX = "cck_"
# A key used within this long keeps its recorded last use: reads do not each become a write.
LAST_USE_RESOLUTION = timedelta(minutes=1)


def secret_hash(secret: str) -> str:
    """What is stored of a secret. A plain SHA-256 suffices: secrets are 256 random bits,
    out of reach of guessing, unlike passwords that need a slow hash."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Principal:
    """The key a request was made with."""

    id: str
    name: str
    scope: Scope
    outlets: tuple[str, ...]

    def check_outlet(self, article: ArticleIn) -> None:
        """Refuse an article whose outlet (by name or URL domain) the key is not bound to.

        Every outlet key of the article must belong to one of the key's outlets, so that a
        newsroom's key cannot post as "Reuters", nor under its own name with a Reuters URL.

        Raises:
            ForbiddenError: naming the outlet and the key.
        """
        if not self.outlets:
            return
        allowed = frozenset().union(
            *(outlet_keys(*normalise_source(o, None)) for o in self.outlets)
        )
        source, domain = normalise_source(article.source, article.url)
        claimed = outlet_keys(source, domain)
        if not claimed or not claimed <= allowed:
            raise ForbiddenError(
                f"the key {self.name!r} may post as {', '.join(self.outlets)} only, "
                f"not as {source!r}" + (f" ({domain})" if domain else "")
            )


def _public(row: ApiKey) -> ApiKeyPublic:
    return ApiKeyPublic(
        id=row.id,
        name=row.name,
        scope=Scope(row.scope),
        outlets=list(row.outlets),
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def create(
    session: Session, name: str, scope: Scope, outlets: Sequence[str] = ()
) -> tuple[ApiKeyPublic, str]:
    """Make a key.

    Returns:
        The key as listed, and its secret: the only time the secret exists outside the client.
    """
    secret = PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        id=new_id(),
        name=name,
        scope=scope.value,
        outlets=list(dict.fromkeys(o.strip() for o in outlets if o.strip())),
        secret_hash=secret_hash(secret),
        created_at=datetime.now(UTC),
        last_used_at=None,
        revoked_at=None,
    )
    session.add(row)
    session.flush()
    return _public(row), secret


def listing(session: Session) -> list[ApiKeyPublic]:
    """Every key, revoked ones too, oldest first."""
    rows = session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id))
    return [_public(row) for row in rows]


def revoke(session: Session, key_id: str) -> ApiKeyPublic:
    """Revoke a key for good; its row stays, for the articles that name it.

    Raises:
        NotFoundError: no key has this id.
        ConflictError: the key was revoked already.
    """
    row = session.get(ApiKey, key_id)
    if row is None:
        raise NotFoundError("API key", key_id)
    if row.revoked_at is not None:
        raise ConflictError(f"the API key {key_id!r} was revoked already")
    row.revoked_at = datetime.now(UTC)
    return _public(row)


def principal(session: Session, key_id: str) -> Principal:
    """The key of this id as the one a request was made with (a queued job runs as the key
    that submitted it, revoked since or not: the job was accepted).

    Raises:
        NotFoundError: no key has this id.
    """
    row = session.get(ApiKey, key_id)
    if row is None:
        raise NotFoundError("API key", key_id)
    return Principal(row.id, row.name, Scope(row.scope), tuple(row.outlets))


def authenticate(session: Session, secret: str) -> Principal:
    """The key a secret belongs to; records its use.

    Raises:
        AuthenticationError: no key has this secret, or it was revoked.
    """
    row = session.scalars(select(ApiKey).where(ApiKey.secret_hash == secret_hash(secret))).first()
    if row is None:
        raise AuthenticationError("the API key is not valid")
    if row.revoked_at is not None:
        raise AuthenticationError("the API key was revoked")
    now = datetime.now(UTC)
    last = row.last_used_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)  # SQLite gives back naive times
    if last is None or now - last >= LAST_USE_RESOLUTION:
        row.last_used_at = now
    return Principal(row.id, row.name, Scope(row.scope), tuple(row.outlets))
