"""Scores of one version's predictions against the labels: pair level and story level.

Pure functions over the JSON that ``predict.py`` writes and the files under ``labels/`` and
``facts/``; see ``bench.py`` for the table and GUIDE.md for how labels were decided.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def parse_ref(ref: str) -> tuple[str, int, int]:
    """(article id, start, end) of a sentence reference."""
    article, span = ref.rsplit(":", 1)
    start, end = span.split("-")
    return article, int(start), int(end)


@dataclass
class Gold:
    """The labels of one split."""

    pairs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    facts: dict[str, list[list[str]]] = field(default_factory=dict)
    conflicts: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    sentences: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict)

    def sentence_of(self, article: str, start: int, end: int) -> list[str]:
        """References of the labelled sentences that overlap a span of an article."""
        return [
            ref
            for s, e, ref in self.sentences.get(article, [])
            if s < max(end, start + 1) and start < e
        ]


def load_gold(split: str, folder: Path = HERE) -> Gold:
    """Labels, fact groups and conflicts of the incidents of one split."""
    gold = Gold()
    refs = json.loads((folder / "refs.json").read_text(encoding="utf-8"))
    for path in sorted((folder / "labels").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["split"] == split:
                gold.pairs[(row["claim"], row["evidence"])] = row
    for path in sorted((folder / "facts").glob("*.json")):
        item = json.loads(path.read_text(encoding="utf-8"))
        if item["split"] != split:
            continue
        gold.facts[item["incident"]] = item["facts"]
        gold.conflicts[item["incident"]] = [(c["a"], c["b"], c["type"]) for c in item["conflicts"]]
        for ref in refs[item["incident"]]["sentences"].values():
            article, s, e = parse_ref(ref)
            gold.sentences.setdefault(article, []).append((s, e, ref))
    return gold


def prf(tp: int, fp: int, fn: int) -> tuple[float | None, float | None, float | None]:
    """Precision, recall and F1 (None where undefined)."""
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    f = 2 * p * r / (p + r) if p is not None and r is not None and p + r else None
    return p, r, f


def pair_scores(gold: Gold, predicted: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Precision / recall / F1 of `supports` and `contradicts` on the labelled pairs, and the
    recall of contradictions by type."""
    counts: Counter[str] = Counter()
    by_type: Counter[str] = Counter()
    found_by_type: Counter[str] = Counter()
    for (claim, evidence), row in gold.pairs.items():
        got = predicted.get(f"{claim}|{evidence}")
        if got is None:
            continue
        relation, label = got["relation"], row["label"]
        decided = relation == "contradicts" and got.get("decisive", True)
        if decided and label == "contradicts":
            counts["decisive_tp"] += 1
        elif decided:
            counts["decisive_fp"] += 1
        elif label == "contradicts":
            counts["decisive_fn"] += 1
        for name in ("supports", "contradicts"):
            if relation == name and label == name:
                counts[f"{name}_tp"] += 1
            elif relation == name:
                counts[f"{name}_fp"] += 1
            elif label == name:
                counts[f"{name}_fn"] += 1
        if label == "contradicts":
            by_type[row["type"]] += 1
            found_by_type[row["type"]] += relation == "contradicts"
        counts["pairs"] += 1
    out: dict[str, Any] = {"pairs": counts["pairs"]}
    for name in ("supports", "contradicts", "decisive"):
        out[name] = prf(counts[f"{name}_tp"], counts[f"{name}_fp"], counts[f"{name}_fn"])
        out[f"{name}_gold"] = counts[f"{name}_tp"] + counts[f"{name}_fn"]
    out["types"] = {t: (found_by_type[t], n) for t, n in sorted(by_type.items())}
    return out


def _label(gold: Gold, claim_refs: list[str], evidence_refs: list[str]) -> set[str]:
    found = set()
    for c in claim_refs:
        for e in evidence_refs:
            row = gold.pairs.get((c, e))
            if row is not None:
                found.add(row["label"])
    return found


def copies(texts: dict[str, str], threshold: float = 0.9) -> dict[str, str]:
    """Each article's report: articles whose word 5-grams are ≥ 90 % shared are copies of one
    report (syndication), which tell a fact once however many domains carry them."""
    from service.stories import containment, shingles

    prints = {a: shingles(t) for a, t in texts.items()}
    origin: dict[str, str] = {}
    for a in sorted(texts):
        origin[a] = next(
            (origin[b] for b in origin if containment(prints[a], prints[b]) >= threshold), a
        )
    return origin


def story_scores(
    gold: Gold, incidents: dict[str, Any], texts: dict[str, str] | None = None
) -> dict[str, Any]:
    """Verdict precision, fact recall, conflicts caught and own-outlet corroboration.

    A fact counts as told by two outlets only when its tellings come from two reports, not
    from copies of one (`copies`); the product rightly never corroborates a copy by its
    original.
    """
    c: Counter[str] = Counter()
    examples: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for incident, report in incidents.items():
        origin = copies({a: texts[a] for a in report["articles"]}) if texts else {}

        def report_of(ref: str, origin: dict[str, str] = origin) -> str:
            article = parse_ref(ref)[0]
            return origin.get(article, article)

        fact_refs: set[str] = set()
        for group in gold.facts.get(incident, []):
            if len({report_of(r) for r in group}) >= 2:
                fact_refs.update(
                    r for r in group if any(report_of(o) != report_of(r) for o in group)
                )
        for (claim, evidence), row in gold.pairs.items():
            if (
                row["incident"] == incident
                and row["label"] == "supports"
                and report_of(claim) != report_of(evidence)
            ):
                fact_refs.add(claim)
        conflicts = {
            frozenset((a, b))
            for a, b, _t in gold.conflicts.get(incident, [])
            if parse_ref(a)[0] != parse_ref(b)[0]
        }
        conflicts |= {
            frozenset((claim, evidence))
            for (claim, evidence), row in gold.pairs.items()
            if row["incident"] == incident and row["label"] == "contradicts"
        }
        corroborated_refs: set[str] = set()
        claimed_refs: set[str] = set()
        caught: set[frozenset[str]] = set()
        for claim in report["claims"]:
            own_refs = gold.sentence_of(claim["article"], claim["start"], claim["end"])
            verdict = claim["verdict"]
            if verdict == "corroborated":
                c["corroborated_all"] += 1
                supporters = [e for e in claim["evidence"] if e["relation"] == "supports"]
                if supporters and all(e["outlet"] == claim["outlet"] for e in supporters):
                    c["own_outlet"] += 1
            if not own_refs:
                continue  # a claim of an unlabelled article
            claimed_refs.update(own_refs)
            sentence_len = sum(parse_ref(r)[2] - parse_ref(r)[1] for r in own_refs)
            part = len(claim["text"]) < 0.8 * sentence_len
            if verdict == "corroborated":
                corroborated_refs.update(own_refs)
                labels: set[str] = set()
                for e in claim["evidence"]:
                    if e["relation"] == "supports":
                        labels |= _label(
                            gold, own_refs, gold.sentence_of(e["article"], e["start"], e["end"])
                        )
                good = "supports" in labels or (part and "partial" in labels)
                key = "corroborated_ok" if good else "corroborated_bad" if labels else "corr_unk"
                c[key] += 1
                if good:
                    examples["corroborated"].append({"incident": incident, **claim})
            if verdict == "contested":
                labels = set()
                for e in claim["evidence"]:
                    if e["relation"] != "contradicts":
                        continue
                    ev_refs = gold.sentence_of(e["article"], e["start"], e["end"])
                    labels |= _label(gold, own_refs, ev_refs)
                    hit = {frozenset((a, b)) for a in own_refs for b in ev_refs} & conflicts
                    if hit:
                        labels.add("contradicts")
                        caught |= hit
                key = (
                    "contested_ok"
                    if "contradicts" in labels
                    else "contested_bad"
                    if labels
                    else "contested_unk"
                )
                c[key] += 1
                if key == "contested_ok":
                    examples["contested"].append({"incident": incident, **claim})
                elif key == "contested_bad":
                    examples["contested_wrong"].append({"incident": incident, **claim})
        c["facts"] += len(fact_refs)
        c["facts_found"] += len(fact_refs & corroborated_refs)
        c["facts_claimed"] += len(fact_refs & claimed_refs)
        c["conflicts"] += len(conflicts)
        c["conflicts_caught"] += len(caught)
    return {"counts": c, "examples": examples}
