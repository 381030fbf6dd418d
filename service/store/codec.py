"""How the store writes what the pipeline computes: embeddings as bytes, a claim's typed facts
as JSON, and back. The pipeline and ingest never see these shapes."""

from __future__ import annotations

import numpy as np

from models.claims import Attribution, Claim
from models.embedder import DIMENSION, Vectors


def vector_bytes(vectors: Vectors) -> bytes:
    """Embeddings as stored: float32, row after row."""
    return np.ascontiguousarray(vectors, dtype=np.float32).tobytes()


def vectors_from(blob: bytes, dimension: int = DIMENSION) -> Vectors:
    """Embeddings back from their stored bytes (rows of the embedder's dimension)."""
    return np.frombuffer(blob, dtype=np.float32).reshape(-1, dimension)


def claim_facts(claim: Claim) -> dict[str, object]:
    """The typed facts of a claim as its JSON column holds them."""
    return {
        "entities": [{"text": t, "label": label} for t, label in claim.entities],
        "numbers": [{"value": q.value, "text": q.text, "counts": q.counts} for q in claim.numbers],
        "dates": claim.dates,
        "attribution": (
            {
                "source": claim.attribution.source,
                "verb": claim.attribution.verb,
                "time": claim.attribution.time,
            }
            if claim.attribution
            else None
        ),
        "hedges": claim.hedges,
        "reads": claim.reads,
    }


def reads_from(facts: dict[str, object]) -> str | None:
    """The claim as compared, stored among its facts (None: as written, and for claims stored
    before it was kept)."""
    raw = facts.get("reads")
    return raw if isinstance(raw, str) else None


def attribution_from(facts: dict[str, object]) -> Attribution | None:
    """The attribution stored among a claim's facts."""
    raw = facts.get("attribution")
    if not isinstance(raw, dict):
        return None
    return Attribution(str(raw["source"]), str(raw["verb"]), raw.get("time"))
