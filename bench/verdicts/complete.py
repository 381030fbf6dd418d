"""Complete the labels: every pair a version of crosscheck decided a verdict on gets a reading.

    python bench/verdicts/complete.py packets --split test --out /tmp/crosscheck-complete \\
        PREDICTIONS.json [PREDICTIONS.json ...]
    python bench/verdicts/complete.py merge /tmp/crosscheck-complete

`bench-verdicts` scores a corroborated claim by the label of one of its supporting pairs, a
contested one by a contradicting pair; a claim whose pairs were never labelled counts as
"unlabelled" and is left out of the precision. GUIDE.md asks for every pair that the release or
this tree corroborates or contests to be labelled, so ``packets`` takes the predictions of any
versions (``predict.py`` outputs, e.g. those `bench.py` keeps in its cache), finds those
pairs, and writes reading packets in the form of ``packets.py``: the incident's articles in
tagged sentences, then the pairs. Each such pair comes with a decoy — the same claim against
the most similar other sentence of the same evidence article that has no label either — and
the pairs are shuffled, so that a labeller cannot tell which ones a product decided. The
packets hold article text: they are written outside the repository.

``merge`` reads the labellers' files (``<incident>.jsonl``, one ``{"pair", "label", "type",
"note"}`` a line, against the packet's pair ids) and appends the labelled pairs to
``labels/<incident>.jsonl`` and their references to ``refs.json``. Pair ids start with "x" and
go on from the incident's last, so each merge adds and never rewrites.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.verdicts.corpus import benchmark_incidents  # noqa: E402
from bench.verdicts.merge import LABELS, label_row  # noqa: E402
from bench.verdicts.score import Gold, _label, load_gold, parse_ref  # noqa: E402

DECIDED = {"corroborated": "supports", "contested": "contradicts"}


def unlabelled_pairs(gold: Gold, predictions: dict[str, Any]) -> dict[str, set[tuple[str, str]]]:
    """(claim sentence, evidence sentence) of every corroborated or contested claim of a
    labelled article none of whose deciding pairs has a label, by incident."""
    found: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for incident, report in predictions["incidents"].items():
        for claim in report["claims"]:
            relation = DECIDED.get(claim["verdict"])
            own = gold.sentence_of(claim["article"], claim["start"], claim["end"])
            if relation is None or not own:
                continue
            evidence = [
                gold.sentence_of(e["article"], e["start"], e["end"])
                for e in claim["evidence"]
                if e["relation"] == relation
            ]
            if any(_label(gold, own, refs) for refs in evidence):
                continue
            pairs = {(c, e) for refs in evidence for c in own for e in refs}
            if pairs:  # evidence only in articles nobody labelled: nothing to read
                found[incident] |= pairs
    return dict(found)


def _next_id(rows: list[dict[str, Any]]) -> int:
    taken = [int(r["pair"][1:]) for r in rows if r["pair"].startswith("x")]
    return max(taken, default=0) + 1


def packets(args: argparse.Namespace) -> None:
    from models.embedder import Embedder

    gold = load_gold(args.split)
    wanted: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for path in args.predictions:
        for incident, pairs in unlabelled_pairs(gold, json.loads(path.read_text())).items():
            wanted[incident] |= pairs
    refs = json.loads((HERE / "refs.json").read_text(encoding="utf-8"))
    labelled = set(gold.pairs)
    embedder = Embedder()
    rng = random.Random(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    key: dict[str, dict[str, list[str]]] = {}
    for incident, articles, _split in benchmark_incidents(args.data):
        if incident not in wanted:
            continue
        tags: dict[str, str] = refs[incident]["sentences"]
        tag_of = {ref: tag for tag, ref in tags.items()}
        texts: dict[str, str] = {}
        by_id = {a.id: a for a in articles}
        lines = [f"# Incident {incident}", ""]
        order = sorted(tags, key=lambda t: (t[0], int(t[1:])))
        for letter in dict.fromkeys(t[0] for t in order):
            mine = [t for t in order if t[0] == letter]
            article = by_id[parse_ref(tags[mine[0]])[0]]
            lines.append(
                f"## Article {letter} — outlet {article.outlet} — published "
                f"{article.published or 'unknown'} — id {article.id}"
            )
            if article.title:
                lines.append(f"Title: {article.title}")
            for tag in mine:
                _id, start, end = parse_ref(tags[tag])
                texts[tag] = article.text[start:end]
                lines.append(f"[{tag}] {texts[tag]}")
            lines.append("")
        decided = sorted((tag_of[c], tag_of[e]) for c, e in wanted[incident])
        chosen = set(decided)
        decoys = []
        for claim_tag, evidence_tag in decided:
            others = [
                t
                for t in order
                if t[0] == evidence_tag[0]
                and (claim_tag, t) not in chosen
                and (tags[claim_tag], tags[t]) not in labelled
            ]
            if not others:
                continue
            vectors = embedder.encode([texts[claim_tag], *(texts[t] for t in others)])
            decoy = others[int(np.argmax(vectors[1:] @ vectors[0]))]
            chosen.add((claim_tag, decoy))
            decoys.append((claim_tag, decoy))
        pairs = decided + decoys
        rng.shuffle(pairs)
        lines.append("## Pairs to label (CLAIM is the first tag, EVIDENCE the second)")
        key[incident] = {}
        for n, (claim_tag, evidence_tag) in enumerate(pairs, 1):
            pid = f"x{n:03d}"
            key[incident][pid] = [tags[claim_tag], tags[evidence_tag]]
            lines += [
                f"{pid}  {claim_tag} -> {evidence_tag}",
                f"   CLAIM    {texts[claim_tag]}",
                f"   EVIDENCE {texts[evidence_tag]}",
            ]
        name = incident.replace(":", "_")
        (args.out / f"{name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{incident:16} {len(decided)} decided, {len(decoys)} decoys")
    (args.out / "key.json").write_text(json.dumps(key, indent=1), encoding="utf-8")


def merge(args: argparse.Namespace) -> None:
    key = json.loads((args.source / "key.json").read_text(encoding="utf-8"))
    refs_path = HERE / "refs.json"
    refs = json.loads(refs_path.read_text(encoding="utf-8"))
    for incident, pairs in key.items():
        name = incident.replace(":", "_")
        read = args.source / f"{name}.jsonl"
        items = [json.loads(x) for x in read.read_text(encoding="utf-8").splitlines() if x]
        if sorted(i["pair"] for i in items) != sorted(pairs):
            raise SystemExit(f"{incident}: the labels do not answer the packet's pairs one to one")
        labels_path = HERE / "labels" / f"{name}.jsonl"
        rows = [json.loads(x) for x in labels_path.read_text(encoding="utf-8").splitlines() if x]
        first = _next_id(rows)
        split = refs[incident]["split"]
        for n, item in enumerate(sorted(items, key=lambda i: i["pair"])):
            if item["label"] not in LABELS:
                raise SystemExit(f"{incident}: bad label in {item}")
            pid = f"x{first + n:03d}"
            claim, evidence = pairs[item["pair"]]
            refs[incident]["pairs"][pid] = [claim, evidence]
            rows.append(label_row(item, incident, split, pid, claim, evidence))
        labels_path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        print(f"{incident}: {len(items)} pairs added")
    refs_path.write_text(json.dumps(refs, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("packets", help="write reading packets of the unlabelled pairs")
    make.add_argument("predictions", type=Path, nargs="+")
    make.add_argument("--split", default="test")
    make.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    make.add_argument("--out", type=Path, default=Path("/tmp/crosscheck-complete"))
    make.add_argument("--seed", type=int, default=7)
    add = commands.add_parser("merge", help="append the labellers' readings to labels/")
    add.add_argument("source", type=Path)
    args = parser.parse_args()
    packets(args) if args.command == "packets" else merge(args)


if __name__ == "__main__":
    main()
