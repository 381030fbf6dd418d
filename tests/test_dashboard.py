"""The dashboard's pages over HTTP, without models: headers, keys, errors, the compare form's
refusals. (The pages on real stories, in a real browser: test_dashboard_browser.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.api.access import KEY_COOKIE
from service.app import create_app
from service.config import AuthMode, Settings
from service.core import Crosscheck
from service.schemas import Scope
from tests.problems import assert_problem

PAGES = ["/", "/sources", "/compare", "/key"]


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crosscheck]:
    """A core without models on an empty database of its own (reads and keys need none)."""
    db: Path = tmp_path_factory.mktemp("pages") / "pages.db"
    built = Crosscheck(Settings(database_url=f"sqlite:///{db}", demo_dir=None), load_models=False)
    yield built
    built.close()


@pytest.fixture
def pages(bare: Crosscheck) -> Iterator[TestClient]:
    """The app on loopback, where keys are optional."""
    with TestClient(create_app(bare.settings, core=bare)) as client:
        yield client


@pytest.fixture
def guarded(bare: Crosscheck) -> Iterator[TestClient]:
    """The app with keys required; it never follows redirects, so they can be checked."""
    settings = bare.settings.model_copy(update={"auth": AuthMode.REQUIRED})
    with TestClient(create_app(settings, core=bare), follow_redirects=False) as client:
        yield client


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_html_with_a_policy_against_inline_script(
    pages: TestClient, path: str
) -> None:
    response = pages.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert "default-src 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    # The pages carry no inline script or style at all: everything comes from /static.
    assert "<script>" not in response.text and "style=" not in response.text


def test_static_files_are_served(pages: TestClient) -> None:
    assert "claim-map" in pages.get("/static/dashboard.css").text
    assert pages.get("/static/dashboard.js").headers["content-type"].startswith("text/javascript")


def test_an_empty_store_says_so(pages: TestClient) -> None:
    assert "No story yet" in pages.get("/").text
    assert "No outlet yet" in pages.get("/sources").text


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("/stories/no-such-story", "no-such-story"),
        ("/claims/no-such-claim", "no-such-claim"),
        ("/sources/No%20such%20outlet", "No such outlet"),
    ],
)
def test_an_unknown_id_is_a_404_problem(pages: TestClient, path: str, named: str) -> None:
    assert named in assert_problem(pages.get(path), 404)["detail"]


@pytest.mark.parametrize("query", ["offset=-1", "order=loudest", "contested=maybe"])
def test_a_bad_listing_parameter_is_a_422_problem(pages: TestClient, query: str) -> None:
    assert_problem(pages.get(f"/?{query}"), 422)


def test_a_search_without_a_word_comes_back_with_the_form(pages: TestClient) -> None:
    response = pages.get("/", params={"q": "&& --", "order": "contested"})
    assert response.status_code == 422
    assert 'role="alert"' in response.text and "word" in response.text
    assert 'value="contested" selected' in response.text  # the form keeps what was asked


def test_the_compare_form_wants_two_articles(pages: TestClient) -> None:
    response = pages.post("/compare", data={"source": ["A", "B"], "text": ["One text.", "  "]})
    assert response.status_code == 422
    assert "paste at least two articles" in response.text
    assert "One text." in response.text  # the form comes back filled in


def test_the_compare_form_names_a_refused_field(pages: TestClient) -> None:
    response = pages.post("/compare", data={"source": ["x" * 400, "B"], "text": ["One.", "Two."]})
    assert response.status_code == 422
    assert "article 1: source" in response.text


def test_the_compare_form_refuses_bytes_that_are_not_utf8(pages: TestClient) -> None:
    response = pages.post(
        "/compare",
        content=b"text=\xff\xfe&text=b",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 422 and "not UTF-8" in response.text


def test_without_a_key_a_page_sends_the_browser_to_the_key_form(guarded: TestClient) -> None:
    assert_problem(guarded.get("/v1/events", params={"story": "no-such-story"}), 401)
    response = guarded.get("/sources")
    assert response.status_code == 303
    assert response.headers["location"] == "/key?next=/sources"
    assert guarded.get("/key").status_code == 200
    assert guarded.get("/static/dashboard.css").status_code == 200
    assert_problem(guarded.post("/compare", data={"text": ["a", "b"]}), 401)


def test_a_key_in_the_cookie_opens_the_pages_but_never_the_api(
    guarded: TestClient, bare: Crosscheck
) -> None:
    secret = bare.create_key("pages desk", Scope.READ)[1]
    response = guarded.post("/key", data={"key": secret, "next": "/sources"})
    assert response.status_code == 303 and response.headers["location"] == "/sources"
    cookie = response.headers["set-cookie"]
    assert f"{KEY_COOKIE}={secret}" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    guarded.cookies.set(KEY_COOKIE, secret)
    assert guarded.get("/sources").status_code == 200
    # The API reads keys from the Authorization header only: no other site can borrow the
    # cookie there. The one exception is the live events a story page follows (a read):
    # the key is accepted, and the unknown story answers 404.
    assert_problem(guarded.get("/v1/sources"), 401)
    assert_problem(guarded.get("/v1/events", params={"story": "no-such-story"}), 404)
    assert_problem(guarded.post("/v1/articles", json={"text": "x"}), 401)
    # A read key may read pages, not compare (that needs ingest).
    assert_problem(guarded.post("/compare", data={"text": ["a", "b"]}), 403)
    guarded.cookies.clear()


def test_a_wrong_key_is_refused_on_the_form(guarded: TestClient) -> None:
    response = guarded.post("/key", data={"key": "cck_wrong", "next": "/"})
    assert response.status_code == 401
    assert "set-cookie" not in response.headers


def test_a_revoked_key_in_the_cookie_goes_back_to_the_form(
    guarded: TestClient, bare: Crosscheck
) -> None:
    listed, secret = bare.create_key("revoked desk", Scope.READ)
    bare.revoke_key(listed.id)
    guarded.cookies.set(KEY_COOKIE, secret)
    response = guarded.get("/")
    assert response.status_code == 303 and response.headers["location"] == "/key?next=/"
    guarded.cookies.clear()


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil", "x"])
def test_the_key_form_redirects_only_within_the_site(guarded: TestClient, target: str) -> None:
    response = guarded.post("/key", data={"key": "", "next": target})
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert f'{KEY_COOKIE}=""' in response.headers["set-cookie"]  # an empty key forgets it


@pytest.mark.parametrize("path", ["/compare", "/key"])
def test_a_form_sent_from_another_site_is_refused(pages: TestClient, path: str) -> None:
    form = {"text": ["One.", "Two."], "key": [""]}
    body = assert_problem(
        pages.post(path, data=form, headers={"origin": "https://evil.example"}), 403
    )
    assert "own pages" in body["detail"]
    own = pages.post(path, data=form, headers={"origin": "http://testserver"})
    assert own.status_code != 403
