"""Check-worthiness on news: the hand-labelled sentences and the news threshold chosen on them."""

from __future__ import annotations

import json

import numpy as np
import pytest

from models.checkworthy import DEFAULT_PATH, CheckWorthiness
from models.training import checkworthy as training

# Measured with the shipped weights: F1 of the check-worthy class on the test half at the news
# threshold (0.023). The test allows a small margin for package drift in spaCy or the embedder.
MEASURED_NEWS_F1 = 0.803
MARGIN = 0.05


def test_fixture_is_labelled_and_split_by_article() -> None:
    examples = training.load_news()
    assert len(examples) >= 250
    assert {e.label for e in examples} == {0, 1}
    assert all("\t" not in e.text and e.text for e in examples)
    dev, test = training.news_split(examples)
    assert len(dev) + len(test) == len(examples)
    assert {e.group for e in dev}.isdisjoint({e.group for e in test})
    for half in (dev, test):
        assert {e.group.split(" ", 1)[0] for e in half} == {"gv", "bbc"}
        assert 0 < sum(e.label for e in half) < len(half)
    again_dev, _ = training.news_split(training.load_news())
    assert [e.text for e in again_dev] == [e.text for e in dev]


def test_news_threshold_falls_back_to_threshold() -> None:
    layers = [(np.ones((3, 1), np.float32), np.zeros(1, np.float32))]
    mean, scale = np.zeros(3, np.float32), np.ones(3, np.float32)
    assert CheckWorthiness(layers, mean, scale, 0.4).news_threshold == pytest.approx(0.4)
    assert CheckWorthiness(
        layers, mean, scale, 0.4, news_threshold=0.1
    ).news_threshold == pytest.approx(0.1)


def test_choose_news_threshold_prefers_the_higher_of_near_ties() -> None:
    labels = np.asarray([1, 1, 1, 1, 0, 1, 0, 0], dtype=np.int_)
    scores = np.asarray([0.9, 0.8, 0.7, 0.6, 0.5, 0.02, 0.01, 0.005], dtype=np.float32)
    groups = ["a", "a", "b", "b", "c", "c", "d", "d"]
    choice = training.choose_news_threshold(labels, scores, groups)
    assert choice["argmax_threshold"] <= choice["threshold"]
    assert choice["dev_f1"] >= choice["argmax_dev_f1"] - choice["standard_error"] - 1e-9


@pytest.mark.models
def test_shipped_news_threshold() -> None:
    model = CheckWorthiness.load()
    config = json.loads((DEFAULT_PATH / "config.json").read_text(encoding="utf-8"))
    assert 0.0 <= model.news_threshold <= 1.0
    assert model.news_threshold == pytest.approx(config["news_threshold"])
    assert model.news_threshold <= model.threshold


@pytest.mark.models
def test_news_threshold_beats_claimbuster_threshold_on_the_test_half() -> None:
    model = CheckWorthiness.load()
    _, test = training.news_split(training.load_news())
    texts = [e.text for e in test]
    labels = np.asarray([e.label for e in test], dtype=np.int_)
    scores = model.score_rows(training.Featurizer(None)(texts), texts)
    news_f1 = training.prf(labels, scores >= model.news_threshold)[2]
    claimbuster_f1 = training.prf(labels, scores >= model.threshold)[2]
    assert news_f1 >= MEASURED_NEWS_F1 - MARGIN
    assert news_f1 >= claimbuster_f1
