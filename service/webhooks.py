"""Webhooks: URLs registered to receive events, the signature of each delivery, and the log of
attempts. The dispatcher that posts them lives in `service.delivery`."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.errors import NotFoundError
from service.pipeline import new_id
from service.schemas import (
    DeliveriesPublic,
    DeliveryPublic,
    EventType,
    WebhookCreated,
    WebhookIn,
    WebhookPublic,
)
from service.store.tables import Webhook, WebhookDelivery

SIGNATURE_HEADER = "X-Crosscheck-Signature"
TIMESTAMP_HEADER = "X-Crosscheck-Timestamp"
EVENT_HEADER = "X-Crosscheck-Event"
DELIVERY_HEADER = "X-Crosscheck-Delivery"
ATTEMPT_HEADER = "X-Crosscheck-Attempt"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: `sha256=` and the hex HMAC-SHA256, keyed by the secret,
    of the timestamp, a dot and the raw body. The timestamp is signed with the body so that a
    delivery captured on the way cannot be replayed later under a fresh timestamp."""
    signed = str(timestamp).encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def _public(row: Webhook) -> WebhookPublic:
    return WebhookPublic(
        id=row.id,
        url=row.url,
        events=[EventType(e) for e in row.events],
        created_at=row.created_at,
        active=row.active,
    )


def create(session: Session, hook: WebhookIn) -> WebhookCreated:
    """Register a webhook; the answer is the only one that shows its secret."""
    row = Webhook(
        id=new_id(),
        url=hook.url,
        events=[e.value for e in hook.events],
        secret=hook.secret,
        created_at=datetime.now(UTC),
        active=True,
    )
    session.add(row)
    session.flush()
    return WebhookCreated(**_public(row).model_dump(), secret=row.secret)


def _get(session: Session, webhook_id: str) -> Webhook:
    row = session.get(Webhook, webhook_id)
    if row is None:
        raise NotFoundError("webhook", webhook_id)
    return row


def get(session: Session, webhook_id: str) -> WebhookPublic:
    """One webhook, without its secret. Raises NotFoundError."""
    return _public(_get(session, webhook_id))


def listing(session: Session) -> list[WebhookPublic]:
    """Every webhook, oldest first."""
    rows = session.scalars(select(Webhook).order_by(Webhook.created_at, Webhook.id))
    return [_public(row) for row in rows]


def set_active(session: Session, webhook_id: str, active: bool) -> WebhookPublic:
    """Pause or resume a webhook. Raises NotFoundError."""
    row = _get(session, webhook_id)
    row.active = active
    return _public(row)


def delete(session: Session, webhook_id: str) -> None:
    """Remove a webhook and its delivery log; retries still due for it are dropped.

    Raises:
        NotFoundError: no webhook has this id.
    """
    session.delete(_get(session, webhook_id))


def subscribed(session: Session, event_type: EventType) -> list[tuple[str, str, str]]:
    """The active webhooks that receive this type of event: (id, url, secret)."""
    rows = session.scalars(select(Webhook).where(Webhook.active.is_(True)))
    return [(r.id, r.url, r.secret) for r in rows if event_type.value in r.events]


def target(session: Session, webhook_id: str) -> tuple[str, str] | None:
    """Where and with what secret to deliver now: (url, secret); None once the webhook is
    gone or inactive."""
    row = session.get(Webhook, webhook_id)
    if row is None or not row.active:
        return None
    return row.url, row.secret


def log_attempt(
    session: Session,
    webhook_id: str,
    event_id: int,
    event_type: EventType,
    attempt: int,
    status_code: int | None,
    error: str | None,
    next_retry_at: datetime | None,
) -> None:
    """Record one delivery attempt (nothing when the webhook was deleted meanwhile)."""
    if session.get(Webhook, webhook_id) is None:
        return
    session.add(
        WebhookDelivery(
            webhook_id=webhook_id,
            event_id=event_id,
            event_type=event_type.value,
            attempt=attempt,
            status_code=status_code,
            error=error[:500] if error else None,
            at=datetime.now(UTC),
            next_retry_at=next_retry_at,
        )
    )


def deliveries(session: Session, webhook_id: str, offset: int, limit: int) -> DeliveriesPublic:
    """A page of a webhook's delivery attempts, newest first.

    Raises:
        NotFoundError: no webhook has this id.
    """
    _get(session, webhook_id)
    where = WebhookDelivery.webhook_id == webhook_id
    total = session.scalar(select(func.count(WebhookDelivery.id)).where(where)) or 0
    rows = session.scalars(
        select(WebhookDelivery)
        .where(where)
        .order_by(WebhookDelivery.id.desc())
        .offset(offset)
        .limit(limit)
    )
    data = [
        DeliveryPublic(
            id=r.id,
            event_id=r.event_id,
            event_type=EventType(r.event_type),
            attempt=r.attempt,
            delivered=r.status_code is not None and 200 <= r.status_code < 300,
            status_code=r.status_code,
            error=r.error,
            at=r.at,
            next_retry_at=r.next_retry_at,
        )
        for r in rows
    ]
    return DeliveriesPublic(data=data, count=total, offset=offset, limit=limit)
