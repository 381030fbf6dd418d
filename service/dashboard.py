"""The fact-checker's dashboard: server-rendered pages over the same core as the API.

Each route calls one core method, turns the answer into a view model (`service.views`) and
renders a template; templates print, they decide nothing. Jinja escapes every value, and every
page is served with a Content-Security-Policy that allows only this server's own script and
style files, so article text can never run as script, whatever it holds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from models.errors import InputError
from service import views
from service.api.access import KEY_COOKIE
from service.api.deps import (
    CoreDep,
    Ident,
    Offset,
    SettingsDep,
    StoryFilterDep,
    StoryOrderQuery,
)
from service.api.sources import SourceName
from service.errors import AuthenticationError, ForbiddenError
from service.schemas import ArticleIn, StoryOrder

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
LOGIN_PATH = "/key"
PAGE_SIZE = 20
COMPARE_SLOTS = 3
"""Article fields the compare form shows; its script adds more."""

SECURITY_HEADERS = {
    # No inline script or style, nothing from elsewhere: text from an article cannot run.
    # (Referrer-Policy same-origin, not no-referrer: with no-referrer a browser sends
    # "Origin: null" on our own forms, which `_same_site` refuses.)
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

templates = Jinja2Templates(
    env=Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)
)
router = APIRouter(include_in_schema=False)


def install(app: FastAPI) -> None:
    """Add the pages and their static files to the app."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A rendered template with the dashboard's security headers."""
    response = templates.TemplateResponse(
        request, name, {"keys_required": request.app.state.keys_required, **context}, status_code
    )
    response.headers.update(SECURITY_HEADERS)
    return response


@router.get("/")
def stories_page(
    request: Request,
    core: CoreDep,
    filters: StoryFilterDep,
    offset: Offset = 0,
    order: StoryOrderQuery = StoryOrder.NEWEST,
) -> HTMLResponse:
    """The stories, newest or most contested first, searched by words.

    A search the store cannot run (no word in it) comes back with the form and what is wrong
    (422).
    """
    search = views.StorySearch(filters.q or "", order, bool(filters.contested))
    try:
        found = core.stories(offset=offset, limit=PAGE_SIZE, filters=filters, order=order)
    except InputError as exc:
        return page(request, "stories.html", 422, search=search, listing=None, error=str(exc))
    listing = views.story_list(found, search)
    return page(request, "stories.html", search=search, listing=listing, error=None)


@router.get("/stories/{story_id}")
def story_page(request: Request, story_id: Ident, core: CoreDep) -> HTMLResponse:
    """A story: its claim map and its contested facts side by side."""
    return page(request, "story.html", story=views.story_page(core.story(story_id)))


@router.get("/claims/{claim_id}")
def claim_page(request: Request, claim_id: Ident, core: CoreDep) -> HTMLResponse:
    """A claim in its article, with every piece of evidence."""
    claim = core.claim(claim_id)
    article = core.article(claim.article_id)
    return page(request, "claim.html", claim=views.claim_page(claim, article))


@router.get("/sources")
def sources_page(request: Request, core: CoreDep) -> HTMLResponse:
    """Every outlet and how its claims fare, and how the main outlets agree with each other."""
    sources = core.sources()
    details = [core.source(name) for name in views.matrix_outlets(sources)]
    return page(request, "sources.html", sources=views.sources_page(sources, details))


@router.get("/sources/{source_name}")
def source_page(request: Request, source_name: SourceName, core: CoreDep) -> HTMLResponse:
    """One outlet: its claims by verdict, and the outlets it agrees and clashes with."""
    return page(request, "source.html", source=views.source_page(core.source(source_name)))


@router.get("/compare")
def compare_form(request: Request) -> HTMLResponse:
    """The form to paste articles into."""
    return page(request, "compare.html", slots=_slots({}), error=None, report=None)


@router.post("/compare")
async def compare_page(request: Request, core: CoreDep, settings: SettingsDep) -> HTMLResponse:
    """The compare report of the pasted articles; nothing is stored.

    A form that cannot be compared comes back filled in, with what is wrong (422).
    """
    _same_site(request)
    slots = _slots({})
    try:
        slots = _slots(_form(await request.body()))
        articles = _articles(slots, settings.max_batch)
        report = await run_in_threadpool(core.compare, articles)
    except InputError as exc:
        return page(request, "compare.html", 422, slots=slots, error=str(exc), report=None)
    return page(request, "compare.html", slots=slots, error=None, report=views.report_page(report))


@router.get(LOGIN_PATH)
def key_form(
    request: Request, target: Annotated[str, Query(alias="next", max_length=2000)] = "/"
) -> HTMLResponse:
    """The form that stores an API key in a cookie for these pages."""
    return page(request, "key.html", next=_local(target), error=None)


@router.post(LOGIN_PATH)
async def key_login(request: Request, core: CoreDep) -> Response:
    """Check the key and keep it in a cookie; an empty key forgets the cookie."""
    _same_site(request)
    form = _form(await request.body())
    secret, target = _one(form, "key").strip(), _local(_one(form, "next") or "/")
    response: Response = RedirectResponse(target, status_code=303)
    if not secret:
        response.delete_cookie(KEY_COOKIE, path="/")
        return response
    try:
        await run_in_threadpool(core.authenticate, secret)
    except AuthenticationError as exc:
        return page(request, "key.html", 401, next=target, error=str(exc))
    # HttpOnly: no script reads it; SameSite=Strict: no other site's form sends it.
    response.set_cookie(KEY_COOKIE, secret, httponly=True, samesite="strict", path="/")
    return response


def _same_site(request: Request) -> None:
    """Refuse a form that another site's page sent (a browser names the page's origin).

    Raises:
        ForbiddenError: the Origin header names another host.
    """
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        raise ForbiddenError("this form is accepted from this site's own pages only")


def _form(body: bytes) -> dict[str, list[str]]:
    """An urlencoded form; bytes that are not UTF-8 are refused."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError("the form is not UTF-8") from exc
    return parse_qs(text, keep_blank_values=True)


def _one(form: dict[str, list[str]], name: str) -> str:
    return form.get(name, [""])[0]


def _local(target: str) -> str:
    """A redirect target on this site only: a path, never another host."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _slots(form: dict[str, list[str]]) -> list[tuple[str, str]]:
    """The (source, text) pairs of the form, at least COMPARE_SLOTS of them."""
    sources, texts = form.get("source", []), form.get("text", [])
    pairs = [
        (sources[i] if i < len(sources) else "", texts[i] if i < len(texts) else "")
        for i in range(max(len(sources), len(texts)))
    ]
    return pairs + [("", "")] * (COMPARE_SLOTS - len(pairs))


def _articles(slots: list[tuple[str, str]], most: int) -> list[ArticleIn]:
    """The filled-in slots as articles.

    Raises:
        InputError: fewer than two texts, more than `most`, or a field the API would refuse.
    """
    filled = [(s, t) for s, t in slots if t.strip()]
    if len(filled) < 2:
        raise InputError("paste at least two articles to compare")
    if len(filled) > most:
        raise InputError(f"{len(filled)} articles are over the limit of {most}")
    articles = []
    for number, (source, text) in enumerate(filled, 1):
        try:
            articles.append(ArticleIn(text=text, source=source.strip() or f"article {number}"))
        except ValidationError as exc:
            problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())
            raise InputError(f"article {number}: {problems}") from exc
    return articles
