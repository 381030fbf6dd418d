"""Check-worthiness: how likely a sentence is a factual claim worth checking.

Two parts, added as logits: a small MLP that reads the sentence embedding the pipeline computes
anyway plus a few linguistic features from the spaCy parse, and a tf-idf logistic regression on
word unigrams and bigrams (ClaimBuster's words — "percent", "million", "voted" — carry signal the
embedding blurs). `models.training.checkworthy` fits both and chooses the mixing weight and the
threshold on development data. Inference is plain numpy; the weights are an `.npz` of arrays, a
`config.json` and a `vocabulary.json`, never a pickle.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from spacy.tokens import Span

from models.errors import ModelMissingError

Array = npt.NDArray[np.float32]

DEFAULT_PATH = Path(__file__).resolve().parent / "weights" / "checkworthy"
WEIGHTS_FILE = "weights.npz"
CONFIG_FILE = "config.json"
VOCABULARY_FILE = "vocabulary.json"
# The tokenisation of scikit-learn's TfidfVectorizer (lower-cased, words of two or more
# characters), reproduced here so that inference needs no scikit-learn.
_TOKEN = re.compile(r"(?u)\b\w\w+\b")

_NUMERIC_ENTS = frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"})
_TIME_ENTS = frozenset({"DATE", "TIME"})
_PLACE_ENTS = frozenset({"GPE", "LOC", "NORP", "FAC"})
_OTHER_ENTS = frozenset({"EVENT", "LAW", "PRODUCT", "WORK_OF_ART", "LANGUAGE", "ORDINAL"})
_FIRST_SINGULAR = frozenset({"i", "me", "my", "mine", "myself"})
_FIRST_PLURAL = frozenset({"we", "us", "our", "ours", "ourselves"})
_SECOND = frozenset({"you", "your", "yours", "yourself", "yourselves"})
# Verbs of belief and wish mark opinions ("I think ...", "we hope ..."), not facts.
_OPINION_LEMMAS = frozenset(
    {"think", "believe", "feel", "hope", "guess", "wish", "want", "love", "like", "hate", "suppose"}
)
_REPORTING_LEMMAS = frozenset(
    {"say", "tell", "report", "confirm", "announce", "deny", "state", "claim", "add", "accord"}
)
_QUOTES = frozenset({'"', "“", "”", "‘", "’", "'"})

FEATURE_NAMES: tuple[str, ...] = (
    "log_tokens",
    "has_number",
    "numeric_ents",
    "money_or_percent",
    "time_ents",
    "person_ents",
    "org_ents",
    "place_ents",
    "other_ents",
    "past_tense_share",
    "has_past_tense",
    "present_perfect",
    "modal",
    "first_singular",
    "first_plural",
    "second_person",
    "question",
    "exclamation",
    "quote",
    "opinion_verb",
    "reporting_verb",
    "comparative",
    "negation",
    "interjection",
    "proper_noun_share",
    "stop_share",
)


def span_features(span: Span) -> Array:
    """Linguistic features of one sentence, in the order of `FEATURE_NAMES`.

    Args:
        span: a sentence (or any span) of a document parsed by the spaCy English pipeline.

    Returns:
        A float32 vector of `len(FEATURE_NAMES)` values, mostly counts clipped to small ranges
        and shares in [0, 1], so that one outlier sentence cannot dominate the head.
    """
    tokens = [t for t in span if not t.is_space]
    n = max(len(tokens), 1)
    words = [t for t in tokens if not t.is_punct]
    n_words = max(len(words), 1)
    lower = [t.lower_ for t in tokens]
    labels = [e.label_ for e in span.ents]

    def count(kinds: frozenset[str]) -> float:
        return min(sum(label in kinds for label in labels), 3) / 3.0

    tags = [t.tag_ for t in tokens]
    past = sum(tag == "VBD" for tag in tags)
    verbs = max(sum(tag.startswith("VB") or tag == "MD" for tag in tags), 1)
    perfect = any(
        t.tag_ == "VBN" and any(c.dep_ == "aux" and c.lemma_ == "have" for c in t.children)
        for t in tokens
    )
    text = span.text
    values = (
        np.log1p(n) / 4.0,
        float(any(t.like_num or any(ch.isdigit() for ch in t.text) for t in tokens)),
        count(_NUMERIC_ENTS),
        float(any(label in {"MONEY", "PERCENT"} for label in labels)),
        count(_TIME_ENTS),
        count(frozenset({"PERSON"})),
        count(frozenset({"ORG"})),
        count(_PLACE_ENTS),
        count(_OTHER_ENTS),
        past / verbs,
        float(past > 0),
        float(perfect),
        float("MD" in tags),
        float(any(w in _FIRST_SINGULAR for w in lower)),
        float(any(w in _FIRST_PLURAL for w in lower)),
        float(any(w in _SECOND for w in lower)),
        float(text.rstrip().endswith("?")),
        float("!" in text),
        float(any(ch in _QUOTES for ch in text)),
        float(any(t.lemma_.lower() in _OPINION_LEMMAS and t.pos_ == "VERB" for t in tokens)),
        float(any(t.lemma_.lower() in _REPORTING_LEMMAS and t.pos_ == "VERB" for t in tokens)),
        float(any(tag in {"JJR", "JJS", "RBR", "RBS"} for tag in tags)),
        float(any(t.dep_ == "neg" for t in tokens)),
        float(any(t.pos_ == "INTJ" for t in tokens)),
        sum(t.pos_ == "PROPN" for t in words) / n_words,
        sum(t.is_stop for t in words) / n_words,
    )
    return np.asarray(values, dtype=np.float32)


def features_matrix(sentences: Sequence[Span]) -> Array:
    """Stack `span_features` of many sentences into an (n, len(FEATURE_NAMES)) array."""
    if not sentences:
        return np.zeros((0, len(FEATURE_NAMES)), dtype=np.float32)
    return np.stack([span_features(s) for s in sentences])


class LexicalModel:
    """A tf-idf (sublinear tf, smoothed idf, L2 norm) logistic regression over word n-grams."""

    def __init__(
        self, vocabulary: Sequence[str], idf: Array, coef: Array, intercept: float
    ) -> None:
        self.index = {term: i for i, term in enumerate(vocabulary)}
        self.idf = np.asarray(idf, np.float32)
        self.coef = np.asarray(coef, np.float32)
        self.intercept = float(intercept)
        if not len(self.index) == len(self.idf) == len(self.coef):
            raise ValueError("vocabulary, idf and coefficients differ in length")

    @staticmethod
    def ngrams(text: str) -> list[str]:
        """Unigrams and bigrams of `text`, as scikit-learn's word analyzer builds them."""
        tokens = _TOKEN.findall(text.lower())
        return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]

    def logits(self, texts: Sequence[str]) -> Array:
        """Decision values of the regression for each text."""
        out = np.full(len(texts), self.intercept, dtype=np.float64)
        for row, text in enumerate(texts):
            counts = Counter(t for t in self.ngrams(text) if t in self.index)
            if not counts:
                continue
            idx = np.fromiter((self.index[t] for t in counts), dtype=np.int64)
            tf = np.fromiter((1.0 + math.log(c) for c in counts.values()), dtype=np.float64)
            weights = tf * self.idf[idx]
            weights /= np.linalg.norm(weights)
            out[row] += float(weights @ self.coef[idx])
        return out.astype(np.float32)


def _sigmoid(x: Array) -> Array:
    # Clipping keeps exp() finite for extreme logits without changing any probability that
    # float32 can tell apart from 0 or 1.
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(x, -40.0, 40.0))), dtype=np.float32)


class CheckWorthiness:
    """Scores sentences for being check-worthy factual claims.

    Attributes:
        threshold: the decision threshold chosen on ClaimBuster development data (debates).
        news_threshold: the decision threshold for news articles, chosen on hand-labelled news
            development sentences (`news_threshold` in `config.json`; `threshold` when absent).
        layers: (weight, bias) pairs; ReLU between layers; the last gives the dense logit.
        mean: per-input mean used to standardise the concatenated [embedding, features] vector.
        scale: per-input standard deviation for the same standardisation.
    """

    def __init__(
        self,
        layers: Sequence[tuple[Array, Array]],
        mean: Array,
        scale: Array,
        threshold: float,
        config: dict[str, Any] | None = None,
        lexical: LexicalModel | None = None,
        lexical_weight: float = 0.0,
        news_threshold: float | None = None,
    ) -> None:
        if not layers:
            raise ValueError("a check-worthiness head needs at least one layer")
        if layers[-1][0].shape[1] != 1:
            raise ValueError("the last layer of the head must have one output")
        self.layers = [(np.asarray(w, np.float32), np.asarray(b, np.float32)) for w, b in layers]
        self.mean = np.asarray(mean, np.float32)
        self.scale = np.asarray(scale, np.float32)
        self.threshold = float(threshold)
        self.news_threshold = self.threshold if news_threshold is None else float(news_threshold)
        self.config: dict[str, Any] = dict(config or {})
        self.lexical = lexical
        self.lexical_weight = float(lexical_weight) if lexical is not None else 0.0

    @property
    def input_dim(self) -> int:
        """Length of the vector the head reads: embedding dimension plus feature count."""
        return int(self.layers[0][0].shape[0])

    @classmethod
    def load(cls, path: Path | None = None) -> CheckWorthiness:
        """Load the head from a weights directory.

        Args:
            path: directory with `weights.npz`, `config.json` and (when the head has a
                lexical part) `vocabulary.json`; default `models/weights/checkworthy`.

        Returns:
            The loaded scorer.

        Raises:
            ModelMissingError: a weights file is missing (the message names it and the command
                that rebuilds it).
        """
        directory = Path(path) if path is not None else DEFAULT_PATH
        weights_path = directory / WEIGHTS_FILE
        config_path = directory / CONFIG_FILE
        for required in (weights_path, config_path):
            if not required.is_file():
                raise ModelMissingError(
                    f"check-worthiness weights missing: {required} "
                    "(rebuild them with `make train-claims`)"
                )
        config: dict[str, Any] = json.loads(config_path.read_text(encoding="utf-8"))
        lexical_weight = float(config.get("lexical_weight", 0.0))
        vocabulary_path = directory / VOCABULARY_FILE
        if lexical_weight and not vocabulary_path.is_file():
            raise ModelMissingError(
                f"check-worthiness weights missing: {vocabulary_path} "
                "(rebuild them with `make train-claims`)"
            )
        lexical = None
        with np.load(weights_path, allow_pickle=False) as arrays:
            n_layers = int(config["n_layers"])
            layers = [(arrays[f"W{i}"], arrays[f"b{i}"]) for i in range(n_layers)]
            mean, scale = arrays["mean"], arrays["scale"]
            if lexical_weight:
                vocabulary = json.loads(vocabulary_path.read_text(encoding="utf-8"))
                lexical = LexicalModel(
                    vocabulary,
                    arrays["lex_idf"],
                    arrays["lex_coef"],
                    float(arrays["lex_intercept"][0]),
                )
        if tuple(config.get("features", FEATURE_NAMES)) != FEATURE_NAMES:
            raise ModelMissingError(
                f"check-worthiness weights in {directory} were trained on other features; "
                "rebuild them with `make train-claims`"
            )
        news_threshold = config.get("news_threshold")
        return cls(
            layers,
            mean,
            scale,
            float(config["threshold"]),
            config,
            lexical,
            lexical_weight,
            float(news_threshold) if news_threshold is not None else None,
        )

    def dense_logits(self, inputs: Array) -> Array:
        """Logits of the MLP part for already concatenated [embedding, features] rows."""
        x = (np.asarray(inputs, np.float32) - self.mean) / self.scale
        for i, (w, b) in enumerate(self.layers):
            x = x @ w + b
            if i < len(self.layers) - 1:
                x = np.maximum(x, 0.0)
        return np.asarray(x[:, 0], dtype=np.float32)

    def score_rows(self, inputs: Array, texts: Sequence[str]) -> Array:
        """Probabilities from [embedding, features] rows and the same sentences' texts."""
        logits = self.dense_logits(inputs)
        if self.lexical is not None and self.lexical_weight:
            logits = logits + self.lexical_weight * self.lexical.logits(texts)
        return _sigmoid(logits)

    def score(self, sentences: Sequence[Span], embeddings: npt.NDArray[np.float32]) -> Array:
        """Probability that each sentence is a check-worthy factual claim.

        Args:
            sentences: spaCy sentence spans.
            embeddings: the Embedder's (n, 384) vectors of the same sentences' text.

        Returns:
            A float32 array of n probabilities in [0, 1].

        Raises:
            ValueError: the embeddings do not match the sentences or the head.
        """
        emb = np.asarray(embeddings, dtype=np.float32)
        if emb.ndim != 2 or emb.shape[0] != len(sentences):
            raise ValueError(
                f"expected {len(sentences)} embeddings, got an array of shape {emb.shape}"
            )
        if not sentences:
            return np.zeros(0, dtype=np.float32)
        inputs = np.hstack([emb, features_matrix(sentences)])
        if inputs.shape[1] != self.input_dim:
            raise ValueError(
                f"the head reads {self.input_dim} values per sentence, got {inputs.shape[1]}"
            )
        return self.score_rows(inputs, [s.text for s in sentences])
