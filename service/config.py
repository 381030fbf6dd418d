"""Settings: every knob of the service in one place, from CROSSCHECK_* environment variables."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class AuthMode(StrEnum):
    """When requests must carry an API key."""

    REQUIRED = "required"
    """Always (except health probes and the API docs)."""
    OFF = "off"
    """Never; keys are not even read."""
    AUTO = "auto"
    """Required when the server listens beyond loopback (`--host 0.0.0.0`); optional on
    127.0.0.1, where a key that is sent is still checked."""


class Settings(BaseSettings):
    """Service settings; each field's description is its documentation (a test checks)."""

    model_config = SettingsConfigDict(env_prefix="CROSSCHECK_", extra="ignore")

    database_url: str = Field(
        "sqlite:///crosscheck.db",
        description="SQLAlchemy URL of the database: a SQLite file by default, or "
        "postgresql+psycopg://user@host/db.",
    )
    max_body_bytes: int = Field(
        2 * 1024 * 1024, gt=0, description="Largest request body accepted, in bytes (413 above)."
    )
    max_text_chars: int = Field(
        200_000, gt=0, description="Longest article text accepted, in characters (422 above)."
    )
    max_batch: int = Field(
        100, gt=0, le=1000, description="Most articles (or judge pairs) accepted in one request."
    )
    story_window_hours: float = Field(
        72.0,
        gt=0,
        description="Articles published this close join a story at story_join_similarity; "
        "further apart, only follow-ups join.",
    )
    story_join_similarity: float = Field(
        0.8,
        ge=0,
        le=3,
        description="Least score for joining a story within the window: the cosine of "
        "title-and-lead embeddings plus the cosine of word fingerprints (0 to 2), and 0.05 "
        "for each shared name up to four.",
    )
    story_followup_days: float = Field(
        30.0,
        ge=0,
        description="How long before or after a story's article a follow-up (an arrest, a "
        "charge, a trial) can join it, at the higher story_followup_similarity.",
    )
    story_followup_similarity: float = Field(
        1.1,
        ge=0,
        le=3,
        description="Least score for joining a story with an article outside the window.",
    )
    story_place_penalty: float = Field(
        0.3,
        ge=0,
        le=3,
        description="Added to the score two articles need to share a story when both name "
        "places and none in common (a neighbourhood inside a city counts as common).",
    )
    story_people_penalty: float = Field(
        0.3,
        ge=0,
        le=3,
        description="Added to the score two articles need to share a story when each puts at "
        "the centre of its title and first sentence people the other never names.",
    )
    story_day_tolerance_days: int = Field(
        1,
        ge=0,
        le=30,
        description="Days by which two articles may date their event apart and still tell one "
        "event; further apart, they are kept in different stories.",
    )
    duplicate_similarity: float = Field(
        0.9,
        ge=0,
        le=1,
        description="Share of shared word shingles above which two articles have one origin.",
    )
    candidates_per_origin: int = Field(
        2,
        gt=0,
        le=50,
        description="Evidence windows retrieved per claim from each other origin: the nearest "
        "by embedding. Further ones rarely state the claim and support it wrongly more often "
        "than rightly (the verdict benchmark's train, dev and fresh incidents).",
    )
    checkworthiness_threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Least check-worthiness score for a sentence to become a claim; "
        "unset means the threshold shipped with the model.",
    )
    judge_thresholds: dict[str, float] = Field(
        default_factory=dict,
        description="Overrides of the judge's thresholds by name, as JSON "
        "('{\"cue_gate\": 0.6}'); see models.judge.JudgeThresholds for the names and defaults.",
    )
    use_nli: bool = Field(
        True,
        description="Use the trained NLI cross-encoder in the judge when its weights are present.",
    )
    search_threads: int = Field(
        1,
        ge=1,
        le=64,
        description="Threads of one vector search (FAISS). One search reads a few thousand "
        "vectors: one thread answers it sooner than several that wait for each other, and "
        "leaves the other cores to other requests.",
    )
    demo_dir: Path | None = Field(
        None, description="Directory of example articles loaded as a demo story at start-up."
    )
    log_level: str = Field("INFO", description="Logging level of the service.")
    auth: AuthMode = Field(
        AuthMode.AUTO,
        description="When requests need an API key (Authorization: Bearer KEY): required, "
        "off, or auto (required when listening beyond loopback, optional on 127.0.0.1).",
    )
    metrics_open: bool = Field(
        False,
        description="Serve GET /metrics without a key (for a scraper on a private network); "
        "otherwise it needs an admin key whenever keys are required.",
    )
    rate_limit_requests: int = Field(
        120,
        gt=0,
        description="Requests per minute allowed to one API key (or one client address when "
        "no key is used); 429 with Retry-After above. Counted in memory, per process.",
    )
    rate_limit_chars: int = Field(
        2_000_000,
        gt=0,
        description="Characters of request bodies per minute allowed to one API key (or one "
        "client address); 429 with Retry-After above. Counted in memory, per process.",
    )
    max_sentences: int = Field(
        5_000,
        gt=0,
        description="Most sentences the articles of one request may hold, counted before "
        "analysis (422 above).",
    )
    max_sentence_chars: int = Field(
        3_000,
        gt=0,
        description="Longest sentence accepted, in characters, counted before analysis: a "
        "run of text without a sentence end or line break (422 above).",
    )
    request_timeout_seconds: float = Field(
        300.0,
        gt=0,
        description="Longest time one request may take; past it the answer is 503 and "
        "nothing is stored.",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins allowed to call the API from a browser (CORS), as JSON "
        "('[\"https://desk.example.org\"]'); none by default.",
    )

    story_cache_size: int = Field(
        64,
        ge=0,
        le=100_000,
        description="Assembled stories kept in memory per process, each under its last change: "
        "an unchanged story is read again without assembling it; 0 turns the cache off.",
    )
    events_buffer: int = Field(
        1_000,
        gt=0,
        le=1_000_000,
        description="Events kept in memory for GET /v1/events to resume from (Last-Event-ID), "
        "and most events waiting for one slow stream before it is closed.",
    )
    events_heartbeat_seconds: float = Field(
        15.0,
        gt=0,
        description="Seconds of quiet after which GET /v1/events sends a comment, so that "
        "proxies keep the stream open.",
    )
    webhook_attempts: int = Field(
        5, gt=0, le=20, description="Most attempts to deliver one event to one webhook."
    )
    webhook_base_delay_seconds: float = Field(
        2.0,
        gt=0,
        description="Wait before the second attempt of a delivery; each later one waits twice "
        "as long as the one before, up to webhook_max_delay_seconds.",
    )
    webhook_max_delay_seconds: float = Field(
        600.0, gt=0, description="Longest wait between two attempts of a delivery."
    )
    webhook_timeout_seconds: float = Field(
        5.0,
        gt=0,
        le=60,
        description="Time a webhook receiver has to answer one delivery before it counts as "
        "failed.",
    )
    webhook_workers: int = Field(
        2,
        gt=0,
        le=32,
        description="Threads delivering webhooks, so one slow receiver does "
        "not hold up the others.",
    )

    broker_url: str | None = Field(
        None,
        description="Celery broker URL (redis://host:6379/0). When set, POST /v1/articles?wait="
        "false queues each job there for `crosscheck worker` processes, which share "
        "database_url with the API; unset, queued jobs run in a background thread of the API "
        "process.",
    )
    jobs_queue: str = Field(
        "crosscheck",
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="Name of the broker queue that jobs are sent to (`crosscheck worker "
        "--queues` names the queues a worker takes jobs from).",
    )
    broker_visibility_timeout_seconds: float = Field(
        900.0,
        gt=0,
        description="Seconds after which a job taken by a worker that died (killed, lost its "
        "machine) is handed to another worker; longer than the longest job, or a slow job "
        "runs twice (harmlessly: jobs are idempotent, but the work is done twice).",
    )
    job_retries: int = Field(
        5,
        ge=0,
        le=100,
        description="Times a job is tried again after an error of the database or the broker "
        "(not after an error of its input, which fails the job at once).",
    )

    @field_validator("judge_thresholds")
    @classmethod
    def _known_thresholds(cls, value: dict[str, float]) -> dict[str, float]:
        from models.judge import THRESHOLD_NAMES

        unknown = sorted(set(value) - THRESHOLD_NAMES)
        if unknown:
            raise ValueError(
                f"unknown judge thresholds {unknown}; valid: {', '.join(sorted(THRESHOLD_NAMES))}"
            )
        if any(not 0.0 <= v <= 1.0 for v in value.values()):
            raise ValueError("judge thresholds lie between 0 and 1")
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("database_url must be a sqlite:// or postgresql:// URL")
        return value

    @field_validator("broker_url")
    @classmethod
    def _known_broker(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://")):
            raise ValueError("broker_url must be a redis:// or rediss:// URL")
        return value
