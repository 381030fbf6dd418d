"""Sentence embeddings: both backends give the same unit vectors, and they mean something."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.embedder import DIMENSION, Embedder

SENTENCES = [
    "Iraqi security forces shot down two drones aimed at the prime minister's residence.",
    "Two drones heading for the premier's home were downed by Iraqi forces.",
    "The bakery on the corner sells sourdough bread on Saturdays.",
    "",
    "word " * 400,  # longer than the 128-token cap
]


@pytest.fixture(scope="module")
def vectors() -> dict[str, np.ndarray]:
    return {b: Embedder(backend=b).encode(SENTENCES) for b in ("torch", "openvino")}


def test_unit_vectors_of_the_right_shape(vectors: dict[str, np.ndarray]) -> None:
    for block in vectors.values():
        assert block.shape == (len(SENTENCES), DIMENSION) and block.dtype == np.float32
        assert np.allclose(np.linalg.norm(block, axis=1), 1.0, atol=1e-4)


def test_backends_agree(vectors: dict[str, np.ndarray]) -> None:
    cosines = (vectors["torch"] * vectors["openvino"]).sum(axis=1)
    assert cosines.min() > 0.999


def test_paraphrase_is_nearer_than_an_unrelated_sentence(vectors: dict[str, np.ndarray]) -> None:
    v = vectors["openvino"]
    assert v[0] @ v[1] > 0.6 > v[0] @ v[2]


def test_unknown_backend_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="openvino"):
        Embedder(backend="gpu")


def test_empty_input() -> None:
    assert Embedder().encode([]).shape == (0, DIMENSION)


def test_conversion_is_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSCHECK_CACHE_DIR", str(tmp_path))
    fresh = Embedder(backend="openvino").encode(SENTENCES[:2])
    (xml,) = list(tmp_path.glob("minilm-*.xml"))
    assert xml.with_suffix(".bin").is_file()
    again = Embedder(backend="openvino").encode(SENTENCES[:2])  # now read from the cache
    assert np.allclose(fresh, again, atol=1e-5)
