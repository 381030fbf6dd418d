"""The shape every error answer has: a problem document (RFC 9457)."""

from __future__ import annotations

from typing import Any

import httpx

from service.api.problems import PROBLEM_MEDIA_TYPE


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The answer is a problem document with this status and every member filled in."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    for member in ("type", "title", "detail", "instance"):
        assert isinstance(body[member], str) and body[member], member
    return body
