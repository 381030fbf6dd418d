"""What an article is specifically about, in words: a tf-idf fingerprint of its whole text.

Two reports of one event share its rare words (the village, the victims' names, the street, the
magnitude); two similar events share the common ones ("quake", "injured", "police"). Weighting
each word by its rarity in general news (inverse document frequency, counted once on the news
corpora and shipped in ``models/weights/idf.json.gz``) and keeping an article's heaviest words
gives a fingerprint whose cosine tells the two apart better than an embedding of the lead.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from models.errors import ModelMissingError

IDF_PATH = Path(__file__).resolve().parent / "weights" / "idf.json.gz"
FINGERPRINT_TERMS = 100
"""Words kept per fingerprint: enough for a long article's specifics, small to store."""

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Lower-case words of two characters or more."""
    return [t for t in _TOKEN.findall(text.lower()) if len(t) >= 2]


@dataclass(frozen=True)
class Idf:
    """Document frequencies of words in a news corpus."""

    documents: int
    frequencies: dict[str, int]

    @classmethod
    def load(cls, path: Path = IDF_PATH) -> Idf:
        """The shipped table.

        Raises:
            ModelMissingError: the table is not there (`make train-idf` builds it).
        """
        if not path.exists():
            raise ModelMissingError(f"no word-frequency table at {path} (make train-idf)")
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            raw = json.load(handle)
        return cls(int(raw["documents"]), {str(k): int(v) for k, v in raw["frequencies"].items()})

    @classmethod
    def count(cls, texts: list[str], min_df: int = 2) -> Idf:
        """Count a table from texts; words in fewer than min_df of them are left out (rare)."""
        frequencies: Counter[str] = Counter()
        for text in texts:
            frequencies.update(set(tokens(text)))
        return cls(len(texts), {w: n for w, n in frequencies.items() if n >= min_df})

    def save(self, path: Path) -> None:
        """Write the table (gzip JSON, words sorted)."""
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            json.dump(
                {
                    "documents": self.documents,
                    "frequencies": dict(sorted(self.frequencies.items())),
                },
                handle,
                separators=(",", ":"),
            )

    def weight(self, word: str) -> float:
        """Smoothed inverse document frequency; a word never counted is as rare as can be."""
        return math.log((1 + self.documents) / (1 + self.frequencies.get(word, 0))) + 1.0


def fingerprint(text: str, idf: Idf, terms: int = FINGERPRINT_TERMS) -> dict[str, float]:
    """The heaviest words of a text by sublinear tf × idf, L2-normalised over the kept words."""
    counts = Counter(tokens(text))
    weights = {w: (1.0 + math.log(n)) * idf.weight(w) for w, n in counts.items()}
    kept = sorted(weights.items(), key=lambda item: (-item[1], item[0]))[:terms]
    norm = math.sqrt(sum(v * v for _, v in kept)) or 1.0
    return {w: round(v / norm, 5) for w, v in kept}


def similarity(a: dict[str, float], b: dict[str, float]) -> float:
    """Cosine of two fingerprints."""
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(w, 0.0) for w, v in a.items())
