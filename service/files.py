"""Articles from files: the demo directory, `compare` and `ingest` read them alike."""

from __future__ import annotations

from pathlib import Path

from models.errors import InputError
from service.schemas import ArticleIn

ARTICLE_SUFFIXES = {".txt": "text", ".html": "html", ".htm": "html"}


def article_files(directory: Path) -> list[Path]:
    """The article files (`*.txt`, `*.html`, `*.htm`) of a directory, in name order."""
    return sorted(
        p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES
    )


def read_article(path: Path, *, source: str | None = None, story: str | None = None) -> ArticleIn:
    """One article from a text or HTML file; the source defaults to the file name's stem.

    Raises:
        InputError: the file is not UTF-8 text.
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    fmt = ARTICLE_SUFFIXES.get(path.suffix.lower())
    return ArticleIn(
        text=text,
        source=source or path.stem,
        story=story,
        format="html" if fmt == "html" else None,
    )
