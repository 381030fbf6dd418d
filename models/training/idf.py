"""Count the word-frequency table of `models.lexical` on the news corpora.

    python -m models.training.idf --data ../shared/data --out models/weights/idf.json.gz

Reads the BBC News and Reuters-21578 articles of ``../shared/data/news`` (bodies only) and
keeps every word found in two documents or more.
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

from models.lexical import Idf

CORPORA = ("news/bbc/bbc_news.jsonl.gz", "news/reuters21578/reuters21578.jsonl.gz")


def texts(data: Path) -> list[str]:
    """The body of every article of the corpora."""
    found = []
    for name in CORPORA:
        with gzip.open(data / name, "rt", encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                body = row.get("text") or row.get("body") or ""
                if body.strip():
                    found.append(body)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    table = Idf.count(texts(args.data))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.save(args.out)
    print(f"{len(table.frequencies)} words from {table.documents} articles → {args.out}")


if __name__ == "__main__":
    main()
