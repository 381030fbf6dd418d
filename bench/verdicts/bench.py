"""Verdicts on real news: the release and this tree side by side, on the labelled incidents.

    python bench/verdicts/bench.py --data ../shared/data [--split test] [--baseline REF]

The release (`--baseline`, a git ref; default the first release) is extracted from git into
the cache and run with this virtual environment; its predictions are cached by commit and
split. This tree is always run afresh. Labels: ``labels/``, ``facts/``, GUIDE.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from bench.release import release_tree  # noqa: E402
from bench.verdicts.score import load_gold, pair_scores, story_scores  # noqa: E402

RELEASE = "ba03ae4"


def _labels_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted([*(HERE / "labels").glob("*"), *(HERE / "facts").glob("*")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _cache() -> Path:
    base = os.environ.get("CROSSCHECK_CACHE_DIR")
    path = (Path(base) if base else Path.home() / ".cache" / "crosscheck") / "bench-verdicts"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _predict(code: Path, data: Path, split: str, out: Path) -> dict[str, Any]:
    subprocess.run(
        [
            sys.executable,
            str(HERE / "predict.py"),
            "--code",
            str(code),
            "--data",
            str(data),
            "--split",
            split,
            "--out",
            str(out),
        ],
        check=True,
    )
    return dict(json.loads(out.read_text(encoding="utf-8")))


def _release(ref: str, data: Path, split: str) -> tuple[str, dict[str, Any]]:
    sha, tree = release_tree(ref, _cache())
    cached = _cache() / f"{sha}-{split}-{_labels_digest()}.json"
    if cached.exists():
        return sha, dict(json.loads(cached.read_text(encoding="utf-8")))
    return sha, _predict(tree, data, split, cached)


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def _share(a: int, b: int) -> str:
    return f"{a / b:.2f} ({a}/{b})" if b else "—"


def rows(gold: Any, preds: dict[str, Any], texts: dict[str, str]) -> list[tuple[str, str]]:
    """The table's rows for one version's predictions."""
    p = pair_scores(gold, preds["pairs"])
    s = story_scores(gold, preds["incidents"], texts)["counts"]
    out = [("labelled pairs scored", str(p["pairs"]))]
    for name, title in (
        ("supports", "supports"),
        ("contradicts", "contradicts (shown)"),
        ("decisive", "contradicts (decisive)"),
    ):
        pr, rc, f1 = p[name]
        out.append((f"pairs: {title} P / R / F1", f"{_fmt(pr)} / {_fmt(rc)} / {_fmt(f1)}"))
    for kind, (found, n) in p["types"].items():
        out.append((f"  contradicts recall, {kind}", f"{found}/{n}"))
    ok, bad, unk = s["contested_ok"], s["contested_bad"], s["contested_unk"]
    out.append(("precision of contested", f"{_share(ok, ok + bad)} +{unk} unlabelled"))
    ok, bad, unk = s["corroborated_ok"], s["corroborated_bad"], s["corr_unk"]
    out.append(("precision of corroborated", f"{_share(ok, ok + bad)} +{unk} unlabelled"))
    out.append(("recall of facts told by 2+ outlets", _share(s["facts_found"], s["facts"])))
    out.append(("  of which a claim was extracted", _share(s["facts_claimed"], s["facts"])))
    out.append(("real conflicts contested", _share(s["conflicts_caught"], s["conflicts"])))
    out.append(("corroborated only by own outlet", _share(s["own_outlet"], s["corroborated_all"])))
    seeds = preds["seeds"]
    out.append(
        (
            "seeds: contested / corroborated",
            f"{seeds['contested']} / {seeds['corroborated']} of {seeds['claims']}",
        )
    )
    out.append(
        (
            "seeds: drone attack, Quds both sides",
            f"{'yes' if seeds['drone'] else 'no'}, {'yes' if seeds['quds'] else 'no'}",
        )
    )
    for name, accuracy in preds.get("nli", {}).items():
        out.append((f"NLI accuracy: {name}", f"{accuracy:.3f}"))
    secs = preds["seconds"]
    out.append(("seconds (pairs, stories)", f"{secs['pairs']:.0f}, {secs['stories']:.0f}"))
    return out


TARGETS = {
    "precision of contested": ">= 0.90",
    "precision of corroborated": ">= 0.92",
    "recall of facts told by 2+ outlets": ">= 0.85",
    "real conflicts contested": ">= 0.70",
    "corroborated only by own outlet": "0",
    "seeds: contested / corroborated": "0 contested",
    "seeds: drone attack, Quds both sides": "yes, yes",
    **{
        f"NLI accuracy: {name}": "no worse"
        for name in (
            "SNLI dev held-out",
            "MNLI mismatched",
            "counterfactual test",
            "EQUATE stress held-out",
        )
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--split", default="test", choices=["train", "dev", "test", "fresh"])
    parser.add_argument("--baseline", default=RELEASE)
    args = parser.parse_args()
    data = args.data.resolve()
    gold = load_gold(args.split)
    sha, old = _release(args.baseline, data, args.split)
    # Kept for reading: the outputs of this tree, beside the release's.
    new = _predict(ROOT, data, args.split, _cache() / f"tree-{args.split}.json")
    incidents = len(new["incidents"])
    print(
        f"crosscheck verdicts on real news — split {args.split}: {incidents} incidents, "
        f"{len(gold.pairs)} labelled pairs (labels {_labels_digest()})"
    )
    from bench.verdicts.corpus import load_articles

    texts = {a.id: a.text for a in load_articles(data).values()}
    left, right = rows(gold, old, texts), rows(gold, new, texts)
    width = max(len(name) for name, _ in left) + 2
    print(f"{'measure':<{width}} {'release ' + sha:<30} {'this tree':<30} target")
    for (name, a), (_n, b) in zip(left, right, strict=True):
        print(f"{name:<{width}} {a:<30} {b:<30} {TARGETS.get(name, '')}")


if __name__ == "__main__":
    main()
