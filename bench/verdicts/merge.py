"""Turn the labellers' files (sentence tags, pair ids) into the benchmark's labels (references).

    python bench/verdicts/merge.py /tmp/crosscheck-labels

Reads ``<incident>.pairs.jsonl`` and ``<incident>.facts.json`` written against the reading
packets, and writes ``labels/<incident>.jsonl`` (one labelled pair a line) and
``facts/<incident>.json`` with every sentence as ``article_id:start-end`` (see GUIDE.md).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LABELS = {"supports", "partial", "contradicts", "silent"}
TYPES = {"count", "age", "time", "date", "place", "name", "event", "other"}


def label_row(
    item: dict[str, Any], incident: str, split: str, pid: str, claim: str, evidence: str
) -> dict[str, Any]:
    """A labeller's reading of one pair (`{"label", "type", "note"}`) as a row of `labels/`;
    a contradiction of no known type is of type "other"."""
    label = item["label"]
    kind = item.get("type") if label == "contradicts" else None
    if label == "contradicts" and kind not in TYPES:
        kind = "other"
    return {
        "incident": incident,
        "split": split,
        "pair": pid,
        "claim": claim,
        "evidence": evidence,
        "label": label,
        "type": kind,
        "note": str(item.get("note") or "")[:120],
    }


def main() -> None:
    source = Path(sys.argv[1])
    refs = json.loads((HERE / "refs.json").read_text(encoding="utf-8"))
    (HERE / "labels").mkdir(exist_ok=True)
    (HERE / "facts").mkdir(exist_ok=True)
    done = 0
    for incident, ref in refs.items():
        name = incident.replace(":", "_")
        pairs_file = source / f"{name}.pairs.jsonl"
        if not pairs_file.exists():
            print(f"{incident}: not labelled yet")
            continue
        rows = []
        seen = set()
        for line in pairs_file.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            pid = item["pair"]
            if pid not in ref["pairs"] or item["label"] not in LABELS or pid in seen:
                raise SystemExit(f"{incident}: bad row {item}")
            seen.add(pid)
            claim, evidence = ref["pairs"][pid]
            rows.append(label_row(item, incident, ref["split"], pid, claim, evidence))
        missing = set(ref["pairs"]) - seen
        if missing:
            print(f"{incident}: {len(missing)} pairs unlabelled")
        out = HERE / "labels" / f"{name}.jsonl"
        out.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        facts_file = source / f"{name}.facts.json"
        facts = json.loads(facts_file.read_text(encoding="utf-8")) if facts_file.exists() else {}
        tags = ref["sentences"]
        groups = [[tags[t] for t in group if t in tags] for group in facts.get("facts", [])]
        conflicts = [
            {
                "a": tags[c["a"]],
                "b": tags[c["b"]],
                "type": c.get("type") if c.get("type") in TYPES else "other",
                "note": str(c.get("note") or "")[:120],
            }
            for c in facts.get("conflicts", [])
            if c.get("a") in tags and c.get("b") in tags
        ]
        (HERE / "facts" / f"{name}.json").write_text(
            json.dumps(
                {
                    "incident": incident,
                    "split": ref["split"],
                    "facts": [g for g in groups if len(g) >= 2],
                    "conflicts": conflicts,
                },
                indent=1,
            )
            + "\n",
            encoding="utf-8",
        )
        done += 1
        print(f"{incident}: {len(rows)} pairs, {len(groups)} facts, {len(conflicts)} conflicts")
    print(f"{done} incidents merged")


if __name__ == "__main__":
    main()
