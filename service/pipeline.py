"""The ingest pipeline: clean → claims → embed → story → match → judge → verdicts.

`analyse` runs the model stages on one article without touching the database, so that a
whole batch is checked before anything is stored; `Pipeline.store` then places an analysed
article in its story, matches it against the other origins and records the verdicts.
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

from models.claims import Claim, ClaimExtractor, stack
from models.embedder import Embedder, Vectors
from models.errors import InputError, ModelMissingError
from models.events import LEAD_SENTENCES, event_signature
from models.judge import Judge
from models.lexical import Idf, fingerprint
from models.mentions import name_key
from models.nlp import load_spacy
from models.published import published_time
from models.text import Document, Format, clean, detect_format, html_to_text
from service.config import Settings
from service.index import set_search_threads
from service.matching import ClaimView, SentenceView, Side
from service.schemas import in_calendar
from service.stories import (
    Placement,
    content_hash,
    normalise_source,
    outlet_keys,
    plain,
    shingles,
)

if TYPE_CHECKING:
    from spacy.language import Language

    from service.schemas import ArticleIn

_ENTITY_LABELS = {"PERSON", "ORG", "GPE", "NORP", "FAC", "EVENT"}


@dataclass
class Models:
    """Every model the pipeline needs, loaded once per process."""

    nlp: Language
    embedder: Embedder
    extractor: ClaimExtractor
    judge: Judge
    idf: Idf
    status: dict[str, str]

    @classmethod
    def load(cls, settings: Settings) -> Models:
        """Load spaCy, the embedder, the check-worthiness model and the judge."""
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        status: dict[str, str] = {}
        set_search_threads(settings.search_threads)
        nlp = load_spacy()
        status["spacy"] = "ok"
        embedder = Embedder()
        status["embedder"] = "ok"
        idf = Idf.load()
        status["word_frequencies"] = "ok"
        checkworthy = None
        try:
            from models.checkworthy import CheckWorthiness

            checkworthy = CheckWorthiness.load()
            status["checkworthiness"] = "ok"
        except ModelMissingError as exc:
            status["checkworthiness"] = f"ok (rule-of-thumb scores: {exc})"
        nli = None
        if settings.use_nli:
            try:
                from models.nli import NLIModel

                nli = NLIModel.load()
                status["nli"] = "ok"
            except (ModelMissingError, ImportError) as exc:
                status["nli"] = f"ok (cues and similarity only: {exc})"
        else:
            status["nli"] = "disabled"
        extractor = ClaimExtractor(checkworthy, settings.checkworthiness_threshold)
        judge = Judge(nlp, embedder, nli, overrides=settings.judge_thresholds)
        return cls(nlp, embedder, extractor, judge, idf, status)


@dataclass
class Analysed:
    """An article after the model stages, before it is placed in a story."""

    source: str
    domain: str | None
    url: str | None
    title: str | None
    published_at: datetime
    story_key: str | None
    document: Document
    sentence_vectors: Vectors
    claims: list[Claim]
    claim_vectors: Vectors
    placement: Placement
    """What story assignment compares (its story still unknown)."""
    shingles: set[int]
    content_hash: str

    def side(self, key: str, origin: str) -> Side:
        """This article as the matcher sees it."""
        return Side(
            key=key,
            origin=origin,
            source=self.source,
            outlet=outlet_keys(self.source, self.domain),
            text=self.document.text,
            sentences=[SentenceView(s.text, s.start, s.end) for s in self.document.sentences],
            sentence_vectors=self.sentence_vectors,
            claims=[
                ClaimView(c.reads or c.text, c.sentence_index, c.attribution) for c in self.claims
            ],
            claim_vectors=self.claim_vectors,
            published=self.published_at,
        )


# A sentence end for counting work: . ! ? or … with any closing quotes or brackets, then a space.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|\n")


def work_of(article: ArticleIn) -> tuple[int, int]:
    """What analysing an article would cost, measured cheaply before any model runs.

    The text (HTML converted first) is cut at line breaks and sentence ends. The parser cuts
    sentences its own way, but never across a line break: a long run without either is a
    long parse, and many runs are many sentences to embed and judge.

    Returns:
        The number of runs holding a letter, and the length of the longest.
    """
    fmt: Format = article.format or detect_format(article.text)
    text = html_to_text(article.text) if fmt == "html" else article.text
    runs = [run for run in _SENTENCE_BREAK.split(text) if any(ch.isalpha() for ch in run)]
    return len(runs), max((len(run.strip()) for run in runs), default=0)


def analyse(models: Models, article: ArticleIn, max_chars: int) -> Analysed:
    """Clean an article, extract its claims and embed everything.

    Raises:
        InputError: the text is too long, empty, or nothing but page furniture.
    """
    if len(article.text) > max_chars:
        raise InputError(f"text is {len(article.text)} characters long; the limit is {max_chars}")
    if not article.text.strip():
        raise InputError("text is empty")
    fmt: Format = article.format or detect_format(article.text)
    document = clean(article.text, models.nlp, fmt)
    title = plain(article.title) or None if article.title else document.title
    # The sentences and the lead in one call of the embedder; the claims then reuse the
    # vector of the sentence they are (most are whole sentences), and only the parts cut
    # from a sentence are embedded on their own.
    lead = lead_text(title, document)
    embedded = models.embedder.encode([*(s.text for s in document.sentences), lead])
    sentence_vectors, lead_vector = embedded[:-1], embedded[-1]
    claims = models.extractor.extract(document.sentences, sentence_vectors)
    claim_vectors = claim_embeddings(models.embedder, claims, document, sentence_vectors)
    stated = stated_time(article, fmt)
    published = stated or datetime.now(UTC)
    source, domain = normalise_source(article.source, article.url)
    return Analysed(
        source=source,
        domain=domain,
        url=article.url,
        title=title,
        published_at=published,
        story_key=article.story,
        document=document,
        sentence_vectors=sentence_vectors,
        claims=claims,
        claim_vectors=claim_vectors,
        placement=placement(models, title, document, stated, published, lead_vector),
        shingles=shingles(document.text),
        content_hash=content_hash(source, document.text),
    )


def claim_embeddings(
    embedder: Embedder, claims: list[Claim], document: Document, sentence_vectors: Vectors
) -> Vectors:
    """One vector per claim: its sentence's where the claim is the whole sentence, else its
    own (the parts cut from a sentence, embedded together in one call)."""
    if not claims:
        return stack([])
    out = np.zeros((len(claims), sentence_vectors.shape[1]), dtype=np.float32)
    parts: list[int] = []
    for k, claim in enumerate(claims):
        if claim.text == document.sentences[claim.sentence_index].text:
            out[k] = sentence_vectors[claim.sentence_index]
        else:
            parts.append(k)
    if parts:
        out[parts] = embedder.encode([claims[k].text for k in parts])
    return out


def stated_time(article: ArticleIn, fmt: Format) -> datetime | None:
    """When the article was published, as the client or the page itself says (UTC)."""
    if article.published_at:
        return in_calendar(article.published_at)
    # A page can state any date ("0001-01-01"); one outside the calendar dates nothing.
    stated = published_time(article.text, fmt == "html")
    return in_calendar(stated) if stated is not None else None


def placement(
    models: Models,
    title: str | None,
    document: Document,
    stated: datetime | None,
    published: datetime,
    lead_vector: Vectors | None = None,
) -> Placement:
    """What story assignment compares: the embedding of title and lead (`lead_vector`, when
    already computed), the word fingerprint of the whole text, the names of the first
    sentences, and the event signature (its days resolved against the stated publication time
    only: an assumed time dates nothing)."""
    if lead_vector is None:
        lead_vector = models.embedder.encode([lead_text(title, document)])[0]
    return Placement(
        story="",
        vector=lead_vector,
        fingerprint=fingerprint(document.text, models.idf),
        entities=lead_entities(document),
        event=event_signature(
            models.nlp, title, [s.text for s in document.sentences[:LEAD_SENTENCES]], stated
        ),
        published=published,
    )


def lead_text(title: str | None, document: Document) -> str:
    """The title and first two sentences: what the story embedding reads."""
    return " ".join([title or "", *[s.text for s in document.sentences[:2]]])


def lead_entities(document: Document) -> frozenset[str]:
    """Keys of the names (people, organisations, places, events) of the first sentences."""
    keys = {
        name_key(e.text)
        for s in document.sentences[:8]
        if s.span is not None
        for e in s.span.ents
        if e.label_ in _ENTITY_LABELS
    }
    return frozenset(k for k in keys if k)


def new_id() -> str:
    """A fresh identifier (32 hex digits)."""
    return uuid.uuid4().hex
