"""Contested claims whose evidence comes from another event, with the whole pipeline.

    python bench/stories/contested.py --code DIR --data ../shared/data --part test --out F.json

`--code` is the root of the crosscheck tree to run (this tree, or a release extracted by
``bench.py``); only what every release has is used: ``Crosscheck(Settings)``, ``submit`` and
the ``claims`` and ``links`` tables. The ECB+ documents of one part are submitted one by one,
in the order of the story benchmark, without story keys, into a fresh SQLite file; then every
contested claim is read with its contradicting links, and each link's article is mapped back
to its gold event. Writes the stories of the documents and the contested claims as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--code", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--part", default="test")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    sys.path[:0] = [str(args.code.resolve()), str(HERE)]
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from corpus import documents, ingest_order, part_of  # type: ignore[import-not-found]

    from service.config import Settings
    from service.core import Crosscheck
    from service.schemas import ArticleIn

    docs = ingest_order([d for d in documents(args.data, "ecb") if part_of(d.group) == args.part])
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        core = Crosscheck(Settings(database_url=f"sqlite:///{db}", demo_dir=None))
        article_doc: dict[str, str] = {}
        story_of: dict[str, str] = {}
        for i, doc in enumerate(docs):
            try:
                answer = core.submit([ArticleIn(text=doc.text, source=doc.source)])
            except Exception as exc:  # a refused document counts as refused, whatever the release
                print(f"  refused {doc.id}: {type(exc).__name__}", file=sys.stderr)
                continue
            article = answer.data[0].article
            article_doc[article.id] = doc.id
            story_of[doc.id] = article.story_id
            if (i + 1) % 50 == 0:
                print(f"  submitted {i + 1}/{len(docs)}", file=sys.stderr)
        core.close()
        with sqlite3.connect(db) as connection:
            rows = connection.execute(
                "SELECT c.id, c.article_id, c.text, l.article_id FROM claims c "
                "JOIN links l ON l.claim_id = c.id "
                "WHERE c.verdict = 'contested' AND l.relation = 'contradicts'"
            ).fetchall()
    contested: dict[str, dict[str, object]] = {}
    for claim, article, text, evidence in rows:
        entry = contested.setdefault(
            claim, {"doc": article_doc[article], "text": text, "evidence": []}
        )
        entry["evidence"].append(article_doc[evidence])  # type: ignore[attr-defined]
    args.out.write_text(
        json.dumps({"stories": story_of, "contested": contested}, indent=1), encoding="utf-8"
    )


if __name__ == "__main__":
    main()
