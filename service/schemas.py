"""Request and response models: the public contract of the HTTP API and `compare --json`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from models.labels import Reason, Relation, Verdict
from models.text import strip_controls
from service.stories import plain

SHORT_CHARS = 300
"""Longest name, title, key or id, once normalised: the varchar(300) columns that hold them."""
MAX_HOST_CHARS = 253
"""Longest host name DNS allows; the host of a URL becomes the source when none is given."""
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
"""Earliest publication time accepted; the latest is one day from now (clocks drift)."""
LATEST_AHEAD = timedelta(days=1)

# C0 and C1 control characters and lone surrogates (JSON can encode "\ud800"): no database
# stores NUL, PostgreSQL refuses it, and UTF-8 cannot encode a lone surrogate. Text keeps its
# line structure (\t, \n, \r: models.text.strip_controls); short fields lose every control
# character.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_URL_FORBIDDEN = re.compile(r'[\x00-\x20\x7f-\x9f\ud800-\udfff<>"`{}|\\^]')


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _short(value: str) -> str:
    # Bound the value as stored: NFKC can make a character 18 times longer (U+FDFA).
    cleaned = plain(_CONTROLS.sub(" ", value))
    if not cleaned:
        raise ValueError("holds nothing once markup and control characters are removed")
    if len(cleaned) > SHORT_CHARS:
        raise ValueError(
            f"is {len(cleaned)} characters long once normalised (Unicode NFKC, markup removed); "
            f"the limit is {SHORT_CHARS}"
        )
    return cleaned


def _url(value: str) -> str:
    if _URL_FORBIDDEN.search(value):
        raise ValueError("holds a space, a control character or a character URLs must escape")
    try:
        host = urlsplit(value).hostname or ""
    except ValueError as exc:
        raise ValueError(f"is not a valid URL: {exc}") from exc
    if not host:
        raise ValueError("names no host")
    if len(host) > MAX_HOST_CHARS:
        raise ValueError(f"has a host of {len(host)} characters; the limit is {MAX_HOST_CHARS}")
    return value


def datetime_string(value: Any) -> Any:
    """The value, when it is a datetime or an ISO 8601 string (raises ValueError else)."""
    # Strict where pydantic is lax: a number is not a time (it would be read as epoch seconds).
    if isinstance(value, datetime) or (isinstance(value, str) and _ISO_DATE.match(value)):
        return value
    raise ValueError("must be an ISO 8601 string such as 2021-11-07T10:00:00+03:00")


def in_calendar(moment: datetime) -> datetime | None:
    """The moment in UTC when it lies between 1900 and one day from now, else None (a naive
    moment is read as UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    if not EARLIEST <= aware <= datetime.now(UTC) + LATEST_AHEAD:
        return None
    return aware.astimezone(UTC)


def published_time(value: datetime) -> datetime:
    """The moment in UTC (raises ValueError outside 1900 to one day from now)."""
    moment = in_calendar(value)
    if moment is None:
        raise ValueError("must lie between 1900-01-01 and one day from now")
    return moment


ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=SHORT_CHARS),
    AfterValidator(_short),
]
"""A name, title, key or id: control characters and markup removed, NFKC, single spaces,
at most 300 characters after all that."""
BodyText = Annotated[str, AfterValidator(strip_controls)]
"""An article or a sentence: control characters other than tab and line breaks removed."""
UrlText = Annotated[
    str,
    # The pattern tells clients (and schema-driven generators) what `_url` refuses.
    StringConstraints(max_length=2000, pattern=r'^https?://[^\x00-\x20\x7f-\x9f<>"`{}|\\^]+$'),
    AfterValidator(_url),
]
PublishedAt = Annotated[datetime, BeforeValidator(datetime_string), AfterValidator(published_time)]

SEED_EXAMPLE = (
    "Ismail Qaani, commander of the Islamic Revolutionary Guard Corps' expeditionary Quds Force, "
    "arrived in Baghdad late on Sunday, November 7 in an unannounced visit. Tehran initially "
    "denied the visit, which was later confirmed by Reuters."
)


class Strict(BaseModel):
    """Base of request models: unknown fields are refused rather than silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ArticleIn(Strict):
    """One article to compare: plain text or HTML, with what is known of its origin."""

    text: BodyText = Field(
        min_length=1,
        description="The article: plain text or HTML (detected, or set by `format`); "
        "control characters other than tab and line breaks are removed.",
        examples=[SEED_EXAMPLE],
    )
    source: ShortText | None = Field(
        None,
        description="Outlet name; derived from the URL's domain when missing.",
        examples=["IranWire"],
    )
    url: UrlText | None = Field(
        None, description="Canonical URL; a second submission of it is idempotent."
    )
    title: ShortText | None = Field(None, description="Headline; the first body line when missing.")
    published_at: PublishedAt | None = Field(
        None,
        description="Publication time (an ISO 8601 string, 1900 to one day from now), stored "
        "and answered in UTC; without an offset it is read as UTC. When missing, the time the "
        "page states, else the submission time.",
    )
    story: ShortText | None = Field(
        None,
        description="Client story key: articles with the same key form one story; "
        "when missing, the article joins the nearest recent story or opens a new one.",
    )
    format: Literal["text", "html"] | None = Field(
        None, description="Format of `text`; detected from its content when missing."
    )


class ArticleBatchIn(Strict):
    """A batch of articles, processed in order."""

    articles: list[ArticleIn] = Field(min_length=1, description="The articles, at most max_batch.")


class EvidencePublic(BaseModel):
    """Another outlet's words about a claim."""

    article_id: str | None = Field(description="Id of the article holding the evidence.")
    source: str = Field(description="Outlet of the evidence.")
    text: str = Field(description="The evidence sentence(s), as that outlet wrote them.")
    start: int = Field(description="Character offset of the evidence in that article's text.")
    end: int = Field(description="End offset (exclusive) of the evidence.")
    relation: Relation
    score: float = Field(description="Probability of the relation, 0 to 1.")
    reason: Reason
    explanation: str = Field(description="Why, in words a person can read.")
    independent: bool = Field(
        True,
        description="Whether the evidence comes from another outlet and another origin; "
        "evidence of the claim's own outlet is shown but never corroborates or contests.",
    )


class Attribution(BaseModel):
    """Who a claim is attributed to, and how."""

    source: str = Field(description='The speaker or body the text credits ("officials").')
    verb: str = Field(description='The reporting verb ("told", "said").')
    time: str | None = Field(None, description="When it was said, if stated.")


class Quantity(BaseModel):
    """A number in a claim and what it counts."""

    value: float
    text: str = Field(description='The number as written ("two other drones").')
    counts: str | None = Field(description='Lemma of the counted noun ("drone").')


class Entity(BaseModel):
    """A named entity found in a claim."""

    text: str
    label: str = Field(description="spaCy entity label: PERSON, ORG, GPE, DATE, …")


class ClaimPublic(BaseModel):
    """A check-worthy factual claim with its verdict and evidence."""

    id: str
    article_id: str
    source: str
    text: str = Field(description="The claim as an atomic statement.")
    sentence: str = Field(description="The sentence the claim comes from.")
    start: int = Field(description="Character offset of that sentence in the article text.")
    end: int = Field(description="End offset (exclusive) of that sentence.")
    checkworthiness: float = Field(description="Check-worthiness score, 0 to 1.")
    verdict: Verdict
    supporting_origins: int = Field(description="Independent origins that support the claim.")
    contradicting_origins: int = Field(description="Origins that contradict the claim.")
    entities: list[Entity] = []
    numbers: list[Quantity] = []
    dates: list[str] = []
    attribution: Attribution | None = None
    hedges: list[str] = Field([], description='Hedging words ("reportedly", "allegedly").')
    reads: str | None = Field(
        None,
        description="The claim as compared with other outlets, where its opening pronoun was "
        'read as the one person the sentence before names ("She died at the scene" → "Jane '
        'Doe died at the scene"); null where the claim was compared as written.',
    )
    evidence: list[EvidencePublic] = []


class ArticleSummary(BaseModel):
    """An article without its claims."""

    id: str
    story_id: str
    source: str
    origin_id: str = Field(description="Articles sharing an origin are copies of one report.")
    url: str | None
    title: str | None
    published_at: datetime
    created_at: datetime
    pinned: bool = Field(
        False,
        description="Placed in its story by hand (an edit); automatic assignment never moves it.",
    )


class ArticlePublic(ArticleSummary):
    """An article with its cleaned text and claims."""

    text: str = Field(description="The text that claim and evidence offsets refer to.")
    claims: list[ClaimPublic]


class SubmitResult(BaseModel):
    """What became of one submitted article."""

    created: bool = Field(description="False when the article was already stored (idempotent).")
    article: ArticlePublic


class SubmitResponse(BaseModel):
    """Results of a submission, in the order of the articles."""

    data: list[SubmitResult]
    count: int


class JobStatus(StrEnum):
    """Where a queued ingest stands."""

    QUEUED = "queued"
    """Stored, waiting for a worker."""
    RUNNING = "running"
    """A worker is analysing and storing its articles (again, after a worker died)."""
    DONE = "done"
    """Its articles are stored: `articles` holds them."""
    FAILED = "failed"
    """Nothing was stored: `error` says why, as a synchronous request would have been told."""


class JobError(BaseModel):
    """Why a job failed: the problem document (RFC 9457) of the synchronous answer."""

    type: str = Field(description="URI naming the kind of problem.")
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="The HTTP status a synchronous request would have had.")
    detail: str = Field(description="What went wrong, in words.")


class JobArticle(BaseModel):
    """One article of a job: as submitted, then as stored."""

    index: int = Field(description="Its position in the submission, from 0.")
    source: str | None = Field(description="The outlet as submitted.")
    url: str | None = Field(description="The URL as submitted.")
    created: bool | None = Field(
        description="Once the job is done: False when the article was already stored."
    )
    article: ArticlePublic | None = Field(description="Once the job is done: the stored article.")


class JobPublic(BaseModel):
    """A queued ingest; GET /v1/jobs/{id} follows it to `done` or `failed`."""

    id: str
    status: JobStatus
    attempts: int = Field(description="Runs started: more than one after a worker died.")
    created_at: datetime
    started_at: datetime | None = Field(description="When the latest run started.")
    finished_at: datetime | None
    articles: list[JobArticle]
    error: JobError | None = Field(description="Why the job failed; null otherwise.")


class JobResponse(BaseModel):
    """A job, as answered by POST /v1/articles?wait=false and GET /v1/jobs/{id}."""

    job: JobPublic


class StorySummary(BaseModel):
    """A story with its counts."""

    id: str
    key: str | None = Field(description="The client's story key, if one was given.")
    title: str | None
    created_at: datetime
    updated_at: datetime
    articles: int
    sources: int
    claims: int
    corroborated: int
    contested: int
    single_source: int


class StoriesPublic(BaseModel):
    """One page of stories, newest first."""

    data: list[StorySummary]
    count: int = Field(description="Number of stories in all.")
    offset: int
    limit: int


class GroupedClaim(BaseModel):
    """One outlet's telling of a fact."""

    claim_id: str
    article_id: str
    source: str
    text: str
    verdict: Verdict


class ClaimGroup(BaseModel):
    """The same fact as told by each outlet."""

    verdict: Verdict = Field(description="contested if any telling is contested, and so on.")
    claims: list[GroupedClaim]


class StoryPublic(StorySummary):
    """A story: its articles, every claim with verdict and evidence, and claims grouped by fact."""

    article_list: list[ArticleSummary]
    claim_list: list[ClaimPublic]
    claim_groups: list[ClaimGroup]


class SourcePublic(BaseModel):
    """An outlet and how its claims fare."""

    name: str
    domain: str | None
    articles: int
    claims: int
    corroborated_share: float
    contested_share: float
    single_source_share: float


class SourcesPublic(BaseModel):
    """Every outlet seen."""

    data: list[SourcePublic]
    count: int


class SourceAgreement(BaseModel):
    """How often one outlet's claims and another outlet's words agree or clash."""

    source: str = Field(description="The other outlet.")
    agreeing: int = Field(
        description="Claim pairs where one outlet's evidence supports the other's claim."
    )
    contradicting: int = Field(
        description="Claim pairs where one outlet's evidence contests the other's claim "
        "(a decisive contradiction, the kind that makes a claim contested)."
    )
    agreement_share: float = Field(
        description="agreeing / (agreeing + contradicting): 1 always agrees, 0 always clashes."
    )


class VerdictCounts(BaseModel):
    """Claims by verdict."""

    corroborated: int
    contested: int
    single_source: int


class SourceDetail(SourcePublic):
    """One outlet: its claims by verdict, and the outlets it agrees and disagrees with.

    A claim pair is one stored judgement: a claim of one outlet and the other outlet's sentence
    about it, counted once in whichever direction it was judged. Only independent evidence
    counts (another outlet and another origin, as for verdicts); silent pairs and
    contradictions too weak to contest a claim count in neither column.
    """

    verdicts: VerdictCounts
    agrees_with: list[SourceAgreement] = Field(
        description="Outlets with at least one agreeing pair, most agreeing pairs first."
    )
    disagrees_with: list[SourceAgreement] = Field(
        description="Outlets with at least one contradicting pair, most contradicting first."
    )


class ClaimFound(ClaimPublic):
    """A claim with the story and article it belongs to, as a search across the store finds it."""

    story_id: str
    url: str | None = Field(description="URL of the claim's article, if one was given.")
    title: str | None = Field(description="Title of the claim's article.")
    published_at: datetime = Field(description="Publication time of the claim's article.")


class ClaimsPublic(BaseModel):
    """One page of claims, newest article first."""

    data: list[ClaimFound]
    count: int = Field(description="Number of matching claims in all.")
    offset: int
    limit: int


class ClaimFilter(BaseModel):
    """Which claims a search keeps; every field left out keeps all."""

    model_config = ConfigDict(frozen=True)

    verdict: Verdict | None = None
    source: str | None = Field(None, description="The outlet's name.")
    story: str | None = Field(None, description="The story's id or client key.")
    q: str | None = Field(None, description="Words that the claim or its sentence all hold.")
    since: datetime | None = Field(None, description="Articles published at or after this.")
    min_checkworthiness: float | None = None


class StoryOrder(StrEnum):
    """The order of a story listing."""

    NEWEST = "newest"
    """Most recently updated first."""
    CONTESTED = "contested"
    """Most contested claims first; among equals, most recently updated first."""


class StoryFilter(BaseModel):
    """Which stories a listing keeps; every field left out keeps all."""

    model_config = ConfigDict(frozen=True)

    q: str | None = Field(None, description="Words that one claim of the story all holds.")
    since: datetime | None = Field(None, description="Stories updated at or after this.")
    contested: bool | None = Field(
        None, description="True: stories with a contested claim; False: stories without one."
    )


class CompareIn(Strict):
    """Articles to compare without storing anything."""

    articles: list[ArticleIn] = Field(min_length=1)


class CompareEvidence(BaseModel):
    """Evidence in a compare report."""

    article: int = Field(description="Index of the evidence's article in the request.")
    source: str
    text: str
    start: int
    end: int
    relation: Relation
    reason: Reason
    explanation: str
    score: float
    independent: bool = Field(
        True, description="From another outlet and origin (only such evidence decides verdicts)."
    )


class CompareClaim(BaseModel):
    """A claim in a compare report."""

    id: str = Field(description='Article index and claim index: "0.3".')
    text: str
    sentence: str
    start: int
    end: int
    verdict: Verdict
    attribution: Attribution | None = None
    hedges: list[str] = []
    reads: str | None = Field(
        None,
        description="The claim as compared with other outlets, where its opening pronoun was "
        'read as the one person the sentence before names ("She died at the scene" → "Jane '
        'Doe died at the scene"); null where the claim was compared as written.',
    )
    evidence: list[CompareEvidence]


class CompareArticle(BaseModel):
    """One article of a compare report."""

    source: str
    title: str | None
    origin: int = Field(description="Index of the first article of this article's origin.")
    claims: list[CompareClaim]


class CompareStory(BaseModel):
    """Totals of a compare report."""

    articles: int
    origins: int
    claims: int
    corroborated: int
    contested: int
    single_source: int
    claim_groups: list[list[str]] = Field(
        description="Claim ids of the same fact across outlets, grouped."
    )


class CompareReport(BaseModel):
    """The claim-by-claim report on a set of articles."""

    articles: list[CompareArticle]
    story: CompareStory


class JudgePairIn(Strict):
    """A claim and a piece of another outlet's text."""

    claim: BodyText = Field(min_length=1, max_length=5000, examples=["Two drones were shot down."])
    evidence: BodyText = Field(
        min_length=1, max_length=20000, examples=["Security forces shot down three drones."]
    )


class JudgeIn(Strict):
    """Pairs to judge."""

    pairs: list[JudgePairIn] = Field(min_length=1)


class JudgementPublic(BaseModel):
    """The relation of the evidence to the claim."""

    relation: Relation
    probability: float
    reason: Reason
    explanation: str
    evidence_start: int = Field(description="Offset of the deciding span in the evidence.")
    evidence_end: int


class JudgementsPublic(BaseModel):
    """Judgements in the order of the pairs."""

    data: list[JudgementPublic]
    count: int


class EditAction(StrEnum):
    """What an edit of stories by hand did."""

    MERGE = "merge"
    SPLIT = "split"
    MOVE = "move"
    UPDATE = "update"


class EditIn(Strict):
    """Base of edit requests: who makes the edit, kept with it."""

    by: ShortText | None = Field(None, description="Who makes the edit (free text).")


class StoryMergeIn(EditIn):
    """Merge another story into this one."""

    story: ShortText = Field(description="Id of the story whose articles move into this one.")


class StorySplitIn(EditIn):
    """Split articles off a story into a new one."""

    articles: list[ShortText] = Field(
        min_length=1, description="Ids of the articles to move: some, not all, of the story's."
    )
    title: ShortText | None = Field(
        None, description="Title of the new story; the first moved article's when missing."
    )


class ArticleUpdateIn(EditIn):
    """Move an article to another story."""

    story: ShortText = Field(description="Id of the existing story the article moves to.")


def _story_update_schema(schema: dict[str, Any]) -> None:
    # Say in the schema what the validator below refuses: a title may be left out but not
    # null, and a body must name `key` or `title` (`by` alone changes nothing).
    title = schema["properties"]["title"]
    string = next(branch for branch in title.pop("anyOf") if branch.get("type") != "null")
    title.update(string)
    title.pop("default", None)
    schema["anyOf"] = [{"required": ["key"]}, {"required": ["title"]}]


class StoryUpdateIn(EditIn):
    """Set a story's client key or title; a field left out is left as it is."""

    model_config = ConfigDict(json_schema_extra=_story_update_schema)

    key: ShortText | None = Field(
        None, description="Client story key (articles sent with it join this story); null drops it."
    )
    title: ShortText | None = Field(None, description="The story's title.")

    @model_validator(mode="after")
    def _something_to_change(self) -> StoryUpdateIn:
        if not {"key", "title"} & self.model_fields_set:
            raise ValueError("give `key`, `title` or both")
        if "title" in self.model_fields_set and self.title is None:
            raise ValueError("`title` cannot be null")
        return self


class RevertIn(EditIn):
    """Revert an edit."""


class MovedArticle(BaseModel):
    """An article an edit moved, and the story it came from."""

    article_id: str
    from_story_id: str


class StoryChange(BaseModel):
    """A field of a story that an edit changed."""

    field: Literal["key", "title"]
    before: str | None
    after: str | None


class StoryEditPublic(BaseModel):
    """An edit of stories by hand; reverting it restores what it changed."""

    id: str
    action: EditAction
    story_id: str = Field(
        description="The story the articles went into (merge: the surviving story; split: the "
        "new story; move: the article's new story), or the story whose key or title changed."
    )
    from_story_id: str | None = Field(
        description="The story the articles came from (merge: the merged-away story)."
    )
    articles: list[MovedArticle] = Field(description="The articles moved.")
    changes: list[StoryChange] = Field(description="Key and title changes.")
    by: str | None
    at: datetime
    reverted_at: datetime | None
    reverted_by: str | None


class StoryEditsPublic(BaseModel):
    """A story's edits, newest first."""

    data: list[StoryEditPublic]
    count: int


class Health(BaseModel):
    """Liveness or readiness."""

    status: Literal["ok", "loading", "unavailable"]
    detail: dict[str, str] = {}


class Scope(StrEnum):
    """What an API key may do; each scope includes the ones before it."""

    READ = "read"
    """Every GET route."""
    INGEST = "ingest"
    """Read, and POST articles, compare and judge."""
    ADMIN = "admin"
    """Everything: story edits, reverts and /metrics as well."""

    def allows(self, needed: Scope) -> bool:
        """Whether a key of this scope may do what `needed` guards."""
        order = list(Scope)
        return order.index(self) >= order.index(needed)


class ApiKeyPublic(BaseModel):
    """An API key as it is listed: never its secret, which is shown once at creation."""

    id: str
    name: str = Field(description="Who or what the key was made for.")
    scope: Scope
    outlets: list[str] = Field(description="Outlets it may post articles as; empty: any.")
    created_at: datetime
    last_used_at: datetime | None = Field(description="Last request made with it (to a minute).")
    revoked_at: datetime | None


class EventType(StrEnum):
    """What happened, as told by `GET /v1/events` and webhooks."""

    ARTICLE_ADDED = "article.added"
    """A new article was stored (data: article_id, source, title, url, claims)."""
    VERDICT_CHANGED = "verdict.changed"
    """A stored claim's verdict changed (data: the claim, `before` and `after`)."""
    CLAIM_CONTESTED = "claim.contested"
    """A claim became contested, a new one included (`before` is then null)."""
    STORY_EDITED = "story.edited"
    """An edit by hand (merge, split, move, key or title, or its revert) changed the story."""


class EventPublic(BaseModel):
    """One event: the `data:` of a server-sent event and the body of a webhook delivery."""

    id: int = Field(
        description="Increasing number of the event (the SSE `id`; `Last-Event-ID` resumes "
        "after it)."
    )
    type: EventType
    story_id: str = Field(description="The story it happened in.")
    at: datetime = Field(description="When it was committed (UTC).")
    data: dict[str, Any] = Field(description="What happened; its members depend on `type`.")


def _unique_events(value: list[EventType]) -> list[EventType]:
    return list(dict.fromkeys(value))


class WebhookIn(Strict):
    """A URL to receive events, and the secret that signs each delivery."""

    url: UrlText = Field(description="Where events are posted: an http:// or https:// URL.")
    events: Annotated[list[EventType], AfterValidator(_unique_events)] = Field(
        default_factory=lambda: list(EventType),
        min_length=1,
        description="The event types to receive; every type when missing.",
    )
    secret: str = Field(
        min_length=16,
        max_length=300,
        pattern=r"^[\x21-\x7e]+$",
        description="Shared secret of 16 to 300 printable ASCII characters: each delivery "
        "carries the HMAC-SHA256 of its timestamp and body made with it. Shown only in the "
        "answer that creates the webhook.",
    )


class WebhookUpdateIn(Strict):
    """Pause or resume a webhook."""

    active: bool = Field(
        strict=True,
        description="False: no event is delivered to it, and retries due are dropped; true: "
        "events committed from now on are.",
    )


class WebhookPublic(BaseModel):
    """A webhook as listed: never its secret."""

    id: str
    url: str
    events: list[EventType]
    created_at: datetime
    active: bool


class WebhookCreated(WebhookPublic):
    """The answer that creates a webhook: the only one that shows its secret."""

    secret: str


class WebhooksPublic(BaseModel):
    """Every webhook, oldest first."""

    data: list[WebhookPublic]
    count: int


class DeliveryPublic(BaseModel):
    """One attempt to deliver an event to a webhook."""

    id: int
    event_id: int
    event_type: EventType
    attempt: int = Field(description="1 for the first try, then each retry.")
    delivered: bool = Field(description="The receiver answered 2xx.")
    status_code: int | None = Field(description="The receiver's status; null without answer.")
    error: str | None = Field(description="Why the attempt failed; null when delivered.")
    at: datetime
    next_retry_at: datetime | None = Field(
        description="When the next attempt is due; null when delivered or out of attempts."
    )


class DeliveriesPublic(BaseModel):
    """A page of a webhook's delivery log, newest first."""

    data: list[DeliveryPublic]
    count: int
    offset: int
    limit: int
