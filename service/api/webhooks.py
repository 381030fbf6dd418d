"""Webhooks: register a URL for events, list and remove them, read each one's delivery log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response, status

from service.api import examples
from service.api.deps import MAX_OFFSET, CoreDep, Ident
from service.api.problems import problem_responses
from service.schemas import (
    DeliveriesPublic,
    WebhookCreated,
    WebhookIn,
    WebhookPublic,
    WebhooksPublic,
    WebhookUpdateIn,
)

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 413, 422),
)
def create_webhook(
    payload: Annotated[WebhookIn, Body(openapi_examples=examples.WEBHOOK)],
    core: CoreDep,
    response: Response,
) -> WebhookCreated:
    """Register a URL to receive events; this answer is the only one that shows the secret."""
    created = core.create_webhook(payload)
    response.headers["Location"] = f"{router.prefix}/{created.id}"
    return created


@router.get("")
def list_webhooks(core: CoreDep) -> WebhooksPublic:
    """Every webhook, oldest first, without secrets."""
    data = core.list_webhooks()
    return WebhooksPublic(data=data, count=len(data))


@router.get("/{webhook_id}", responses=problem_responses(404, 422))
def get_webhook(webhook_id: Ident, core: CoreDep) -> WebhookPublic:
    """One webhook, without its secret."""
    return core.webhook(webhook_id)


@router.patch("/{webhook_id}", responses=problem_responses(400, 404, 413, 422))
def update_webhook(
    webhook_id: Ident,
    payload: Annotated[WebhookUpdateIn, Body(openapi_examples=examples.UPDATE_WEBHOOK)],
    core: CoreDep,
) -> WebhookPublic:
    """Pause (`active: false`) or resume the webhook."""
    return core.update_webhook(webhook_id, payload.active)


@router.get("/{webhook_id}/deliveries", responses=problem_responses(404, 422))
def list_deliveries(
    webhook_id: Ident,
    core: CoreDep,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Attempts to skip.")] = 0,
    limit: Annotated[int, Query(ge=1, le=100, description="Attempts per page.")] = 20,
) -> DeliveriesPublic:
    """The webhook's delivery attempts, newest first: status or error, and the next retry."""
    return core.deliveries(webhook_id, offset=offset, limit=limit)


@router.delete(
    "/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(404, 422),
)
def delete_webhook(webhook_id: Ident, core: CoreDep) -> None:
    """Remove the webhook and its delivery log; retries still due for it are dropped."""
    core.delete_webhook(webhook_id)
