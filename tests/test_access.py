"""API keys over HTTP: 401, 403 by scope and by outlet, the key recorded on articles; and the
`crosscheck keys` commands."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from service import cli
from service.app import create_app
from service.config import AuthMode, Settings
from service.core import Crosscheck
from service.errors import AuthenticationError
from service.keys import secret_hash
from service.schemas import Scope
from service.store.tables import ApiKey, Article
from tests.problems import assert_problem

Factory = Callable[..., TestClient]


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def make_client(settings: Settings, core: Crosscheck) -> Iterator[Factory]:
    """Apps over the shared core with some settings changed (and a listening host)."""
    clients: list[TestClient] = []

    def make(host: str = "127.0.0.1", **changes: Any) -> TestClient:
        client = TestClient(create_app(settings.model_copy(update=changes), core=core, host=host))
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def guarded(make_client: Factory) -> TestClient:
    """An app that requires keys (CROSSCHECK_AUTH=required)."""
    return make_client(auth=AuthMode.REQUIRED)


@pytest.fixture
def key(core: Crosscheck) -> Callable[..., str]:
    """Make a key on the shared store; returns its secret."""

    def make(scope: Scope, *outlets: str, name: str = "test desk") -> str:
        return core.create_key(name, scope, outlets)[1]

    return make


def test_no_key_a_bad_key_or_a_malformed_header_is_401(guarded: TestClient) -> None:
    for headers in ({}, bearer("cck_not-a-key"), {"Authorization": "Basic dXNlcjpwYXNz"}):
        response = guarded.get("/v1/stories", headers=headers)
        body = assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert body["type"].endswith("unauthorized")
    assert_problem(guarded.post("/v1/articles", json={"text": "x", "source": "X"}), 401)


def test_a_revoked_key_is_401(guarded: TestClient, core: Crosscheck, key: Any) -> None:
    secret = key(Scope.READ)
    assert guarded.get("/v1/stories", headers=bearer(secret)).status_code == 200
    [listed] = [k for k in core.list_keys() if k.last_used_at and not k.revoked_at]
    core.revoke_key(listed.id)
    body = assert_problem(guarded.get("/v1/stories", headers=bearer(secret)), 401)
    assert "revoked" in body["detail"]


def test_the_scope_decides_what_a_key_may_do(
    guarded: TestClient, key: Any, seed_copy: Callable[[str, str], str]
) -> None:
    read, ingest, admin = key(Scope.READ), key(Scope.INGEST), key(Scope.ADMIN)
    for secret in (read, ingest, admin):
        assert guarded.get("/v1/stories", headers=bearer(secret)).status_code == 200
    pair = {"pairs": [{"claim": "Two drones.", "evidence": "Three drones."}]}
    body = assert_problem(guarded.post("/v1/judge", json=pair, headers=bearer(read)), 403)
    assert "'read'" in body["detail"] and "'ingest'" in body["detail"]
    assert guarded.post("/v1/judge", json=pair, headers=bearer(ingest)).status_code == 200

    article = {"text": seed_copy("iranwire", "scopes"), "source": "IranWire"}
    created = guarded.post("/v1/articles", json=article, headers=bearer(ingest))
    assert created.status_code == 201, created.text
    story = created.json()["data"][0]["article"]["story_id"]
    edit = {"title": "Renamed by the desk"}
    path = f"/v1/stories/{story}"
    assert_problem(guarded.patch(path, json=edit, headers=bearer(ingest)), 403)
    assert guarded.patch(path, json=edit, headers=bearer(admin)).json()["title"] == edit["title"]

    assert_problem(guarded.get("/metrics", headers=bearer(ingest)), 403)
    assert guarded.get("/metrics", headers=bearer(admin)).status_code == 200
    # Probes and docs stay open.
    for open_path in ("/healthz", "/readyz", "/openapi.json", "/docs"):
        assert guarded.get(open_path).status_code == 200, open_path


def test_metrics_can_be_opened_by_a_setting(make_client: Factory) -> None:
    client = make_client(auth=AuthMode.REQUIRED, metrics_open=True)
    assert client.get("/metrics").status_code == 200
    assert_problem(client.get("/v1/sources"), 401)


def test_a_key_bound_to_an_outlet_cannot_post_as_another(
    guarded: TestClient, core: Crosscheck, key: Any, seed_copy: Callable[[str, str], str]
) -> None:
    secret = key(Scope.INGEST, "IranWire", name="IranWire desk")
    text = seed_copy("iranwire", "outlet binding")
    for article in (
        {"text": text, "source": "Reuters"},
        {"text": text, "source": "IranWire", "url": "https://www.reuters.com/world/x"},
        {"text": text},
    ):
        body = assert_problem(
            guarded.post("/v1/articles", json=article, headers=bearer(secret)), 403
        )
        assert "IranWire" in body["detail"]
    batch = {"articles": [{"text": text, "source": "iranwire"}, {"text": text, "source": "BBC"}]}
    assert_problem(guarded.post("/v1/articles", json=batch, headers=bearer(secret)), 403)
    with core.db.session() as session:
        assert session.scalars(select(Article.id).where(Article.text == text)).first() is None

    # The name in any case, or the outlet's own URL, is the bound outlet.
    article = {"text": text, "source": "iranwire", "url": "https://iranwire.com/en/x"}
    response = guarded.post("/v1/articles", json=article, headers=bearer(secret))
    assert response.status_code == 201, response.text
    article_id = response.json()["data"][0]["article"]["id"]
    with core.db.session() as session:
        stored = session.get(Article, article_id)
        assert stored is not None and stored.api_key_id is not None
        owner = session.get(ApiKey, stored.api_key_id)
        assert owner is not None and owner.name == "IranWire desk"


def test_auto_requires_keys_beyond_loopback_only(
    make_client: Factory, key: Any, seed_copy: Callable[[str, str], str], core: Crosscheck
) -> None:
    # The test client builds its app with the default host: loopback, so keys are optional.
    local = make_client()
    assert local.get("/v1/stories").status_code == 200
    article = {"text": seed_copy("guardian", "anonymous"), "source": "The Guardian"}
    anonymous = local.post("/v1/articles", json=article)
    assert anonymous.status_code == 201
    with core.db.session() as session:
        stored = session.get(Article, anonymous.json()["data"][0]["article"]["id"])
        assert stored is not None and stored.api_key_id is None
    # A key that is sent is still checked, and its scope applies.
    assert_problem(local.get("/v1/stories", headers=bearer("cck_wrong")), 401)
    pair = {"pairs": [{"claim": "Two drones.", "evidence": "Three drones."}]}
    assert_problem(local.post("/v1/judge", json=pair, headers=bearer(key(Scope.READ))), 403)

    for host in ("0.0.0.0", "192.168.1.20", "::"):
        assert_problem(make_client(host=host).get("/v1/stories"), 401)
    assert make_client(host="::1").get("/v1/stories").status_code == 200
    # off: no key is read, even a wrong one.
    off = make_client(host="0.0.0.0", auth=AuthMode.OFF)
    assert off.get("/v1/stories", headers=bearer("cck_wrong")).status_code == 200


def test_keys_commands_show_the_secret_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    runner = CliRunner()
    created = runner.invoke(
        cli.main,
        [
            "keys",
            "create",
            "Night desk",
            "--scope",
            "ingest",
            "--outlet",
            "IranWire",
            "--database-url",
            url,
        ],
    )
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert secret.startswith("cck_") and len(secret) > 40 and "\n" not in secret

    listed = runner.invoke(cli.main, ["keys", "list", "--database-url", url])
    assert listed.exit_code == 0, listed.output
    header, row = listed.stdout.strip().splitlines()
    assert header.split("\t")[:3] == ["id", "name", "scope"]
    key_id, name, scope, outlets, _created, last_used, revoked = row.split("\t")
    assert (name, scope, outlets, last_used, revoked) == (
        "Night desk",
        "ingest",
        "IranWire",
        "-",
        "-",
    )
    assert secret not in listed.output

    store = Crosscheck(Settings(database_url=url), load_models=False)
    try:
        with store.db.session() as session:
            row_hash = session.scalars(select(ApiKey.secret_hash)).one()
        assert row_hash == secret_hash(secret) and secret not in row_hash
        assert store.authenticate(secret).scope is Scope.INGEST

        revoked_out = runner.invoke(cli.main, ["keys", "revoke", key_id, "--database-url", url])
        assert revoked_out.exit_code == 0 and key_id in revoked_out.output
        with pytest.raises(AuthenticationError, match="revoked"):
            store.authenticate(secret)
        again = runner.invoke(cli.main, ["keys", "list", "--database-url", url])
        assert again.stdout.strip().splitlines()[1].split("\t")[-1] != "-"
        twice = runner.invoke(cli.main, ["keys", "revoke", key_id, "--database-url", url])
        assert twice.exit_code == 1 and "revoked already" in twice.output
        unknown = runner.invoke(cli.main, ["keys", "revoke", "nope", "--database-url", url])
        assert unknown.exit_code == 1
    finally:
        store.close()
    bad_scope = runner.invoke(
        cli.main, ["keys", "create", "x", "--scope", "root", "--database-url", url]
    )
    assert bad_scope.exit_code == 2


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("GET", "/v1/stories/abc", Scope.READ),
        ("GET", "/v1/claims/abc", Scope.READ),
        ("POST", "/v1/articles", Scope.INGEST),
        ("POST", "/v1/compare", Scope.INGEST),
        ("POST", "/v1/judge", Scope.INGEST),
        ("PATCH", "/v1/articles/abc", Scope.ADMIN),
        ("POST", "/v1/stories/abc/merge", Scope.ADMIN),
        ("POST", "/v1/stories/abc/split", Scope.ADMIN),
        ("POST", "/v1/edits/abc/revert", Scope.ADMIN),
        ("GET", "/metrics", Scope.ADMIN),
        ("GET", "/healthz", None),
        ("GET", "/openapi.json", None),
    ],
)
def test_every_route_needs_its_scope(
    settings: Settings, method: str, path: str, scope: Scope | None
) -> None:
    from service.api.access import _route_template, needed_scope

    app = create_app(settings)
    request = {"type": "http", "method": method, "path": path, "app": app, "root_path": ""}
    assert needed_scope(method, _route_template(request), metrics_open=False) == scope
