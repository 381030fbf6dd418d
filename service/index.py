"""FAISS indexes over sentence embeddings: evidence retrieval within a story."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import faiss
import numpy as np

from models.embedder import DIMENSION, Vectors


def set_search_threads(threads: int) -> None:
    """How many threads each search of this process uses (FAISS's setting is per process)."""
    faiss.omp_set_num_threads(threads)


@dataclass(frozen=True)
class Hit:
    """A retrieved sentence: which article (by position), which sentence, and its similarity."""

    article: int
    sentence: int
    score: float


class SentenceIndex:
    """Exact inner-product search over the sentences of several articles (unit vectors)."""

    def __init__(self, blocks: Sequence[Vectors]) -> None:
        self._owner: list[tuple[int, int]] = [
            (a, s) for a, block in enumerate(blocks) for s in range(len(block))
        ]
        self._articles = len(blocks)
        self._index = faiss.IndexFlatIP(DIMENSION)
        if self._owner:
            self._index.add(np.ascontiguousarray(np.vstack([b for b in blocks if len(b)])))

    def __len__(self) -> int:
        return len(self._owner)

    def search(self, queries: Vectors, per_article: int) -> list[list[Hit]]:
        """For each query, the `per_article` most similar sentences of every article."""
        if not len(self._owner) or not len(queries):
            return [[] for _ in range(len(queries))]
        # Searching deep enough that every article can fill its quota in the common case.
        depth = min(len(self._owner), per_article * self._articles * 3)
        scores, ids = self._index.search(np.ascontiguousarray(queries, dtype=np.float32), depth)
        results: list[list[Hit]] = []
        for row_scores, row_ids in zip(scores, ids, strict=True):
            taken: dict[int, int] = defaultdict(int)
            hits = []
            for score, ident in zip(row_scores, row_ids, strict=True):
                if ident < 0:
                    continue
                article, sentence = self._owner[int(ident)]
                if taken[article] < per_article:
                    taken[article] += 1
                    hits.append(Hit(article, sentence, float(score)))
            results.append(hits)
        return results
