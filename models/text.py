"""Cleaning and sentence segmentation: submitted text in, body sentences with offsets out."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from models.errors import InputError
from models.furniture import body_spans

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Span

Format = Literal["text", "html"]

_HTML_HINT = re.compile(
    r"<\s*(html|body|p|div|article|span|h[1-6]|br|a|script|style|head|section|ul|li|img)\b[^>]*>",
    re.IGNORECASE,
)
_TAG = re.compile(r"<[^>]{0,2000}>")
# Markup in a plain-text article: script and style elements with their content, comments, and
# tags proper ("<b>", "</p>", "<img src=x onerror=…>"); "2 < 3 and 5 > 4" is left alone.
_TEXT_MARKUP = re.compile(
    r"<(script|style)\b[^>]{0,2000}>.*?</\1\s*>"
    r"|<!--.*?-->"
    r"|</?[A-Za-z][\w:-]{0,64}(?:\s[^<>]{0,2000})?/?>",
    re.IGNORECASE | re.DOTALL,
)
# C0 and C1 controls but tab and line breaks, and lone surrogates (JSON can encode "\ud800"):
# PostgreSQL stores no NUL, UTF-8 encodes no lone surrogate.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_APOSTROPHE = re.compile(r"(?<=\w)[’‘](?=\w|\s|$)")
_SPACES = re.compile(r"[ \t\u00a0]+")
# A headline is short and does not end like a sentence.
_SENTENCE_END = re.compile(r"[.!?…:;\"”’)]\s*$")


@dataclass(frozen=True)
class Sentence:
    """A body sentence and its character span in `Document.text`."""

    text: str
    start: int
    end: int
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Document:
    """A cleaned article: the text that offsets refer to, its title and its body sentences."""

    text: str
    title: str | None
    sentences: list[Sentence]


def detect_format(text: str) -> Format:
    """Guess whether `text` is HTML or plain text."""
    return "html" if len(_HTML_HINT.findall(text[:20000])) >= 2 else "text"


def html_to_text(markup: str) -> str:
    """Main text of an HTML page, one paragraph a line; markup, scripts and handlers removed."""
    import trafilatura

    extracted = trafilatura.extract(
        markup, include_comments=False, include_tables=False, include_images=False
    )
    if not extracted:
        # trafilatura gives up on fragments; fall back to the visible text of the markup.
        from lxml import html as lxml_html
        from lxml_html_clean import Cleaner

        try:
            tree = lxml_html.fromstring(markup)
        except Exception:  # lxml raises several unrelated types on junk input
            return _TAG.sub(" ", markup)
        cleaned = Cleaner(scripts=True, javascript=True, style=True, comments=True)(tree)
        if cleaned is None:
            return ""
        extracted = "\n".join(
            t.strip() for t in cleaned.itertext() if isinstance(t, str) and t.strip()
        )
    # Escaped markup inside the text (&lt;script&gt;) must not come back as markup either.
    return _TAG.sub(" ", html.unescape(extracted))


def strip_controls(text: str) -> str:
    """Text without control characters (tab and line breaks kept) or lone surrogates."""
    return _CONTROLS.sub("", text)


def strip_markup(text: str) -> str:
    """A plain-text article without the markup it carries (scripts with their content, tags,
    comments): markup never comes back in an answer, whatever the declared format."""
    return _TEXT_MARKUP.sub(" ", text)


def _is_headline(line: str) -> bool:
    return len(line) <= 160 and not _SENTENCE_END.search(line)


def clean(text: str, nlp: Language, fmt: Format | None = None) -> Document:
    """Clean an article and split its body into sentences.

    Args:
        text: The submitted article, plain text or HTML.
        nlp: The spaCy pipeline (sentence boundaries, parse, entities).
        fmt: "text" or "html"; detected when None.

    Returns:
        The document. For plain text, offsets refer to the submitted text without its markup;
        for HTML, to the extracted text; either becomes the article's text.

    Raises:
        InputError: nothing but page furniture (or nothing at all) is left.
    """
    text = strip_controls(text)
    if (fmt or detect_format(text)) == "html":
        text = html_to_text(text)
    else:
        text = strip_markup(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    spans = [(s, e) for s, e in body_spans(text) if text[s:e].strip()]
    title: str | None = None
    sentences: list[Sentence] = []
    lines = [(s, e, text[s:e]) for s, e in spans]
    # The headline is the first body line when it reads like one; it names the story but is
    # not checked as a claim (outlets rewrite headlines freely).
    if lines and _is_headline(lines[0][2].strip()):
        title = _SPACES.sub(" ", lines[0][2].strip())
        lines = lines[1:]
    # The parser reads typographic apostrophes ("Guard’s") as quotes; the straight ones have
    # the same length, so offsets into the submitted text survive the swap.
    parsed = nlp.pipe([_APOSTROPHE.sub("'", line) for _, _, line in lines])
    for (start, _end, _line), doc in zip(lines, parsed, strict=True):
        for sent in doc.sents:
            body = sent.text.strip()
            if not body or (not any(ch.isalpha() for ch in body)):
                continue
            offset = start + sent.start_char + (len(sent.text) - len(sent.text.lstrip()))
            end = offset + len(body)
            sentences.append(Sentence(text[offset:end], offset, end, sent))
    if not sentences:
        raise InputError("the text holds no article body: only page furniture, or nothing")
    return Document(text=text, title=title, sentences=sentences)
