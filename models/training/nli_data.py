"""Sentence-pair data for the relation judge: loading, honest label mapping, splits, dedup.

Every loader returns :class:`Pair` rows with one of four targets: the three NLI labels, or
``NOT_ENTAILMENT`` for two-way sets, whose "not entailed" rows may be neutral *or* contradiction.
The trainer scores those with the probability mass of both (``-log(p_n + p_c)``) instead of
pretending they are one of the two.

Evaluation splits are fixed here, by a stable hash of the grouping key (the premise, or the FNC-1
body), so the trainer and ``bench/quality.py`` agree on what is held out, and training rows that
share a premise or a pair with any evaluation row are dropped.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import random
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ENTAILMENT = 0
NEUTRAL = 1
CONTRADICTION = 2
NOT_ENTAILMENT = 3
LABEL_NAMES = ("entailment", "neutral", "contradiction", "not_entailment")

_LABEL_WORDS = {
    "entailment": ENTAILMENT,
    "entailed": ENTAILMENT,
    "neutral": NEUTRAL,
    "contradiction": CONTRADICTION,
    "not_entailment": NOT_ENTAILMENT,
    "non-entailment": NOT_ENTAILMENT,
    "not-entailed": NOT_ENTAILMENT,
}

csv.field_size_limit(1 << 30)


@dataclass(frozen=True)
class Pair:
    """One premise/hypothesis pair with its target and the data set it came from."""

    premise: str
    hypothesis: str
    label: int
    source: str


@dataclass(frozen=True)
class StanceRow:
    """A headline (the claim) against a long body (the evidence), with the set's own stance."""

    headline: str
    body: str
    stance: str
    group: str


def norm(text: str) -> str:
    """Key used for deduplication: lower case, letters and digits only, single spaces."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def bucket(key: str, salt: str = "crosscheck") -> int:
    """Stable bucket 0..99 of a grouping key (Python's hash() is salted per process)."""
    digest = hashlib.md5(f"{salt}:{norm(key)}".encode()).hexdigest()
    return int(digest[:8], 16) % 100


def _tsv(path: Path, encoding: str = "utf-8") -> Iterator[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as handle:
        yield from csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)


def _gz_tsv(path: Path) -> Iterator[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)


def _label(word: str) -> int | None:
    return _LABEL_WORDS.get(word.strip().lower())


def _pairs(
    rows: Iterable[tuple[str, str, int | None]], source: str, limit: int | None = None
) -> list[Pair]:
    out = [
        Pair(p.strip(), h.strip(), y, source)
        for p, h, y in rows
        if y is not None and p.strip() and h.strip()
    ]
    return out[:limit] if limit is not None else out


# ---------------------------------------------------------------- evaluation sets (held out)

SNLI_HELD_OUT = 35  # percent of SNLI dev premises kept for evaluation
EQUATE_HELD_OUT = 34
FNC_HELD_OUT = 20  # percent of FNC-1 bodies; the rest is a development split for thresholds


def snli_dev(data: Path, held_out: bool) -> list[Pair]:
    """SNLI dev (e-SNLI copy), split by premise: held-out part for evaluation, rest for training."""
    rows = _tsv(data / "nli/snli_dev/snli_dev_esnli.tsv")
    return _pairs(
        (
            (r["premise"], r["hypothesis"], _label(r["label"]))
            for r in rows
            if (bucket(r["premise"], "snli") < SNLI_HELD_OUT) == held_out
        ),
        "snli_dev",
    )


def mnli_mismatched(data: Path) -> list[Pair]:
    """The partial MNLI dev-mismatched union (evaluation only)."""
    rows = _tsv(data / "nli/mnli_mismatched_partial/mnli_dev_mismatched_union.tsv")
    return _pairs(((r["premise"], r["hypothesis"], _label(r["label"])) for r in rows), "mnli_mm")


def xnli_test(data: Path) -> list[Pair]:
    """XNLI English test (evaluation only: CC BY-NC)."""
    rows = _gz_tsv(data / "more/xnli_en.tsv.gz")
    return _pairs(
        ((r["premise"], r["hypothesis"], _label(r["label"])) for r in rows if r["split"] == "test"),
        "xnli_test",
    )


def sick_test(data: Path) -> list[Pair]:
    """SICK test split, original labels (evaluation only: CC BY-NC-SA)."""
    with (data / "nli/sick/SICK.txt").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return _pairs(
        (
            (r["sentence_A"], r["sentence_B"], _label(r["entailment_label"]))
            for r in rows
            if r["SemEval_set"].strip() == "TEST"
        ),
        "sick_test",
    )


def counterfactual(data: Path, split: str) -> list[Pair]:
    """Counterfactually augmented SNLI (all_combined): train / dev / test."""
    rows = _tsv(data / f"nli/counterfactual/NLI/all_combined/{split}.tsv")
    return _pairs(
        ((r["sentence1"], r["sentence2"], _label(r["gold_label"])) for r in rows),
        f"counterfactual_{split}",
    )


def rte_dev(data: Path) -> list[Pair]:
    """GLUE RTE dev: 0 = entailment, 1 = not entailment (evaluation only)."""
    rows = _tsv(data / "nli/rte/rte_dev.tsv")
    return _pairs(
        (
            (r["sentence1"], r["sentence2"], ENTAILMENT if r["label"] == "0" else NOT_ENTAILMENT)
            for r in rows
        ),
        "rte_dev",
    )


def equate(data: Path, held_out: bool) -> list[Pair]:
    """EQUATE StressTest, split by the (order-free) pair of sentences."""
    with (data / "nli/equate_stress/StressTest.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))

    def key(r: dict[str, str]) -> str:
        return min(norm(r["premise"]), norm(r["hypothesis"]))

    return _pairs(
        (
            (r["premise"], r["hypothesis"], _label(r["label"]))
            for r in rows
            if (bucket(key(r), "equate") < EQUATE_HELD_OUT) == held_out
        ),
        "equate",
    )


def fnc1(data: Path, held_out: bool) -> list[StanceRow]:
    """FNC-1 training file, split by body: held-out part for evaluation, rest for development."""
    folder = data / "stance/fnc1_train"
    with (folder / "train_bodies.csv").open(encoding="utf-8", newline="") as f:
        bodies = {r["Body ID"]: r["articleBody"] for r in csv.DictReader(f)}
    with (folder / "train_stances_merged.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [
        StanceRow(r["Headline"], bodies[r["Body ID"]], r["Stance"], r["Body ID"])
        for r in rows
        if r["Body ID"] in bodies and (bucket(r["Body ID"], "fnc") < FNC_HELD_OUT) == held_out
    ]


def arc_test(data: Path) -> list[StanceRow]:
    """ARC test stances against user-post bodies (evaluation only)."""
    folder = data / "stance/arc"
    with (folder / "arc_bodies.csv").open(encoding="utf-8", newline="") as f:
        bodies = {r["Body ID"]: r["articleBody"] for r in csv.DictReader(f)}
    with (folder / "arc_stances_test.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [
        StanceRow(r["Headline"], bodies[r["Body ID"]], r["Stance"], r["Body ID"])
        for r in rows
        if r["Body ID"] in bodies
    ]


def climate_fever(data: Path) -> list[Pair]:
    """Climate-FEVER claim / evidence-sentence pairs with the per-evidence label."""
    mapping = {"SUPPORTS": ENTAILMENT, "REFUTES": CONTRADICTION, "NOT_ENOUGH_INFO": NEUTRAL}
    out: list[Pair] = []
    path = data / "evidence/climate_fever/dataset/climate-fever.jsonl"
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            for ev in record["evidences"]:
                y = mapping.get(ev["evidence_label"])
                if y is not None:
                    out.append(Pair(ev["evidence"], record["claim"], y, "climate_fever"))
    return out


def healthver_test(data: Path) -> list[Pair]:
    """HealthVer test: evidence (premise) against claim (hypothesis)."""
    mapping = {"supports": ENTAILMENT, "refutes": CONTRADICTION, "neutral": NEUTRAL}
    with (data / "evidence/healthver/data/healthver_test.csv").open(
        encoding="utf-8", newline=""
    ) as f:
        rows = list(csv.DictReader(f))
    return _pairs(
        ((r["evidence"], r["claim"], mapping.get(r["label"].strip().lower())) for r in rows),
        "healthver_test",
    )


def evaluation_pairs(data: Path) -> list[Pair]:
    """Every pair that must never be trained on (benchmarks and their held-out parts)."""
    out = (
        snli_dev(data, held_out=True)
        + mnli_mismatched(data)
        + xnli_test(data)
        + sick_test(data)
        + counterfactual(data, "test")
        + rte_dev(data)
        + equate(data, held_out=True)
        + climate_fever(data)
        + healthver_test(data)
    )
    out += [Pair(r.body, r.headline, NEUTRAL, "fnc") for r in fnc1(data, held_out=True)]
    return out


# ---------------------------------------------------------------- training sets (shipped)


def _taxinli(data: Path) -> list[Pair]:
    # TaxiNLI minus MNLI matched = MNLI dev-mismatched rows; the eval union covers most of them,
    # and the dedup below removes those, leaving the mismatched rows the benchmark never sees.
    rows = _tsv(data / "nli/taxinli_mnli/taxinli_no_mnli_matched.tsv")
    return _pairs(((r["prem"], r["hyp"], _label(r["label"])) for r in rows), "taxinli_mnli")


def _negation(data: Path) -> list[Pair]:
    out: list[Pair] = []
    for name in ("MNLI", "SNLI", "RTE"):
        path = data / f"nli/negation/data/new_benchmarks/clean_data/{name}.txt"
        rows = _tsv(path, encoding="cp1252")
        out += _pairs(
            ((r["Text"], r["Hypothesis"], _label(r["gold_label"])) for r in rows),
            f"negation_{name.lower()}",
        )
    return out


def _breaking(data: Path, rng: random.Random, max_contradictions: int) -> list[Pair]:
    out: list[Pair] = []
    with (data / "nli/breaking_nli/data/dataset.jsonl").open(encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            y = _label(r["gold_label"])
            if y is not None:
                out.append(Pair(r["sentence1"], r["sentence2"], y, "breaking_nli"))
    # 87 % of Breaking NLI is contradiction: keep all the rest, a sample of those.
    contra = [p for p in out if p.label == CONTRADICTION]
    rng.shuffle(contra)
    return [p for p in out if p.label != CONTRADICTION] + contra[:max_contradictions]


def _hans(data: Path, rng: random.Random, limit: int) -> list[Pair]:
    rows = list(_tsv(data / "nli/hans_like/hans_like_seed12345.tsv"))
    rng.shuffle(rows)
    return _pairs(
        ((r["sentence1"], r["sentence2"], _label(r["gold_label"])) for r in rows),
        "hans_like",
        limit,
    )


def _docnli_fever(data: Path, rng: random.Random, limit: int, max_words: int) -> list[Pair]:
    out: list[Pair] = []
    for split in ("dev", "test"):
        path = data / f"nli/docnli_fever/Data/binary-FEVER-NLI/{split}.txt"
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                parts = line.rstrip("\n").split("\t")
                # Long documents would be cut at 128 tokens, possibly dropping the evidence that
                # makes a pair entailed: keep only premises that fit.
                if len(parts) == 3 and len(parts[1].split()) <= max_words:
                    out += _pairs([(parts[1], parts[2], _label(parts[0]))], "docnli_fever")
    rng.shuffle(out)
    return out[:limit]


def _more(data: Path, name: str, mapping: dict[str, int], splits: set[str] | None) -> list[Pair]:
    rows = _gz_tsv(data / f"more/{name}.tsv.gz")
    return _pairs(
        (
            (r["premise"], r["hypothesis"], mapping.get(r["label"].strip()))
            for r in rows
            if splits is None or r["split"] in splits
        ),
        name,
    )


_THREE_WAY = {"entailment": ENTAILMENT, "neutral": NEUTRAL, "contradiction": CONTRADICTION}
# HELP and MED label every non-entailed pair "neutral", contradictions included: two-way.
_MONOTONE = {"entailment": ENTAILMENT, "neutral": NOT_ENTAILMENT}


def _emergent(data: Path) -> list[Pair]:
    path = data / "stance/emergent_train/url-versions-2015-06-14-clean-train.csv"
    mapping = {"for": ENTAILMENT, "against": CONTRADICTION, "observing": NEUTRAL}
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    # The outlet's headline is the evidence, the rumour is the claim under test.
    return _pairs(
        (
            (r["articleHeadline"], r["claimHeadline"], mapping.get(r["articleHeadlineStance"]))
            for r in rows
        ),
        "emergent",
    )


def _sample(pairs: list[Pair], rng: random.Random, limit: int) -> list[Pair]:
    pairs = list(pairs)
    rng.shuffle(pairs)
    return pairs[:limit]


def _dedup(pairs: Iterable[Pair], banned_premises: set[str], banned_pairs: set[str]) -> list[Pair]:
    seen: set[str] = set()
    out: list[Pair] = []
    for p in pairs:
        key = norm(p.premise) + " || " + norm(p.hypothesis)
        if key in seen or key in banned_pairs or norm(p.premise) in banned_premises:
            continue
        seen.add(key)
        out.append(p)
    return out


def development_pairs(data: Path) -> list[Pair]:
    """Development pairs for choosing thresholds: never trained on, never benchmarked."""
    return (
        counterfactual(data, "dev")
        + _more(data, "conjnli", _THREE_WAY, {"dev"})
        + _more(data, "folio", _THREE_WAY, {"validation"})
    )


def build_training_set(
    data: Path, seed: int, synthetic: list[Pair]
) -> tuple[list[Pair], dict[str, int]]:
    """Assemble the shipped model's training pairs (licences that allow shipping only).

    Args:
        data: Root of the shared data folder.
        seed: Seed for every sample taken here.
        synthetic: Synthetic news pairs (see ``models.training.synthetic``).

    Returns:
        The shuffled, deduplicated training pairs and the count per source.
    """
    rng = random.Random(seed)
    parts: list[Pair] = []
    parts += snli_dev(data, held_out=False)
    parts += _taxinli(data)
    parts += counterfactual(data, "train")
    parts += _negation(data)
    parts += _breaking(data, rng, max_contradictions=2500)
    parts += _hans(data, rng, limit=5000)
    parts += _docnli_fever(data, rng, limit=4000, max_words=70)
    parts += equate(data, held_out=False)
    parts += _more(data, "conjnli", _THREE_WAY, {"train"})
    parts += _sample(_more(data, "help", _MONOTONE, None), rng, 3000)
    parts += _sample(_more(data, "med", _MONOTONE, None), rng, 3500)
    parts += _more(data, "folio", _THREE_WAY, {"train"})
    parts += _more(
        data, "fever_symmetric", {"SUPPORTS": ENTAILMENT, "REFUTES": CONTRADICTION}, None
    )
    parts += _more(data, "pawsx_en", {"1": ENTAILMENT, "0": NOT_ENTAILMENT}, None)
    parts += _emergent(data)
    parts += synthetic

    held = evaluation_pairs(data) + development_pairs(data)
    banned_premises = {norm(p.premise) for p in held}
    # EQUATE pairs are swapped copies of each other: ban both sides of its held-out rows.
    banned_premises |= {norm(p.hypothesis) for p in held if p.source == "equate"}
    banned_pairs = {norm(p.premise) + " || " + norm(p.hypothesis) for p in held}
    # FNC-1 headlines come from Emergent: keep the held-out FNC headlines out on either side.
    fnc_headlines = {norm(r.headline) for r in fnc1(data, held_out=True)}
    parts = [
        p
        for p in parts
        if p.source != "emergent" or not ({norm(p.premise), norm(p.hypothesis)} & fnc_headlines)
    ]
    pairs = _dedup(parts, banned_premises, banned_pairs)
    rng.shuffle(pairs)
    return pairs, dict(Counter(p.source for p in pairs))
