"""Plain-text page-furniture filter: which lines of a pasted or scraped page are article body.

Scraped news pages carry menus, captcha prompts, share widgets, bylines, photo credits, teaser
headlines of other articles and repeated headlines. None of it is a claim of the article. The
filter works line by line with a little context (position relative to "Related …" markers,
whether the article's headline has been seen, lines seen before) and rules on the line's shape
(length, terminal punctuation, title case). Rules rather than a model: they are cheap, explain
themselves, and were checked against a hand-labelled sample (tests/fixtures/furniture_sample.tsv).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

# Whole-line furniture: navigation, widgets, boilerplate. Matched against the stripped line.
_FULL_LINE = re.compile(
    r"""^(?:
        close(?:\s+button)? | advertisement | sponsored(?:\s+content)? | comments? |
        share(?:\s+this(?:\s+(?:story|article|page))?)? | tweet | e-?mail | print | facebook |
        twitter | whatsapp | linkedin | pinterest | reddit | up\s+next | link\s+to\s+this\s+video |
        more\s+videos?(?:\s*\(\d+\s+of\s+\d+\))? | get\s+digital\s+access |
        \d+\s+min(?:ute)?\s+read |
        reuse\s+this\s+content | special\s+features | skip(?:\s+to\s+(?:main\s+)?content)? |
        (?:read|see|show)\s+(?:more|less|all) | load\s+more | loading\.*\s* |
        (?:photo|image|video)\s+gallery | watch(?:\s+video)? | listen | menu | search | log\s*in |
        sign\s*in | sign\s+up | subscribe(?:\s+now)? | follow\s+us |
        check\s+back\s+(?:later\s+)?for\s+updates\.? |
        update\s*(?:\([^)]*\))?[\d:.apm ]*(?:[a-z]+day)?\s*:?
    )$""",
    re.IGNORECASE | re.VERBOSE,
)

# Markers after which, until the end of the page, everything is other articles or widgets.
_HARD_TAIL = re.compile(
    r"""^(?:special\s+features | (?:more|other|top|popular|trending|latest|recommended)\s+
        (?:stories|articles|news|headlines)(?:\s+.*)? | you\s+may\s+(?:also\s+)?like.* |
        recommended(?:\s+for\s+you)? | most\s+(?:popular|read|viewed|shared).* |
        trending(?:\s+now)? |
        around\s+the\s+web | also\s+on\s+\S+ | from\s+around\s+the\s+web | promoted\s+stories |
        sponsored\s+stories
    )\s*:?$""",
    re.IGNORECASE | re.VERBOSE,
)

# Markers after which short or title-like lines are teasers; a long body line ends the list.
_SOFT_LIST = re.compile(
    r"""^(?:related(?:\s+(?:coverage|links|stories|articles|content|news|topics|posts))? |
        in\s+other\s+news | see\s+also | also\s+read | read\s+more | more\s+coverage | tags? |
        topics?
    )\s*:?$""",
    re.IGNORECASE | re.VERBOSE,
)

# Furniture wherever it occurs in the line.
_ANYWHERE = re.compile(
    r"""(?:
        enter\s+the\s+characters | a\s+friend\s+wanted\s+you\s+to\s+see | ^message\s*:\s*\* |
        having\s+trouble\s+loading | ^switch\s+to\b.*\?$ | pic\.twitter\.com |
        \((?:photo|credit|source|courtesy|file|image|video)s?\b[^)]*(?:\)|$) |
        \([\w .-]{0,24}\b(?:image|photo|file\s+photo|video|photo\s+credit)\)\s*$ |
        \bap\s+photo\b | \bbuy\s+photo\b | caption\s+close | \bembed\s+x\s+share\b |
        \bskip\s+in\s+skip\b | ^image\s+\d+\s+of\s+\d+ | \bimage\s+\d+\s+of\s+/?\s*\d+ |
        ^photos?(?:\s+credit)?\s*: | ^(?:photo|image)\s+(?:by|courtesy)\b | public\s+domain |
        getty\s+images | \(published\b | all\s+rights\s+reserved | ^copyright\b | ^©|^\(c\)\s |
        ^contribut(?:ing|ors?)\s*: | contributed\s+to\s+this\s+report |
        ^contact\s+\S+.*\bat\s+\S+@ | ^e-?mail\s*: | twitter\s*:\s*@ |
        \bnewsletters?\b | click\s+here | read\s+or\s+share\s+this\s+story |
        sign\s+up\s+for\s+(?:our|the|a|one)\b |
        \bsubscri(?:be|ption)\b.*\b(?:access|service|now|today)\b |
        \bzip\s?code\b | digital\s+access | \bcookies?\b.*\b(?:use|accept|policy|consent)\b |
        enable\s+javascript | \bdownload\s+(?:the|our)\b.*\bapp\b | developing\s+(?:news\s+)?story |
        (?:will|continue\s+to)\s+update\s+(?:this|the)\s+(?:page|story|article) |
        ^(?:previous|next)\s+(?:article|post|story) | ^published\s+(?:at|on)\b |
        ^(?:posted|updated|last\s+updated)\s*(?:at|on|:)?\s*\S*\d | ^caption\b | ^stay\s+with\b |
        \bstay\s+with\b.*\b(?:for|app|updates|latest)\b | story\s+is\s+developing | check\s+back\b |
        get\s+e-?mail\s+notifications | your\s+notification\s+has\s+been |
        saving\s+your\s+notification |
        e-?mail\s+(?:news\s+)?updates | ^you['’]re\s+all\s+set | view\s+full\s+caption |
        working\s+to\s+learn\s+more | ^(?:additional\s+)?(?:reporting|writing|editing)\s+by\b |
        ^contact\b.*(?:@|\d{3}[-.]\d{4}) |
        ^stay\s+(?:on|tuned|updated)\b | ^sign\s+up\b | ^keep\s+up\s+with\b |
        ^(?:follow|like|join|listen|watch|find\s+us|for\s+more)\b.*
            \b(?:facebook|twitter|instagram|youtube|rss|radio|app|here)\b |
        [.!?]\s*\|\s*[^.!?|]{2,40}$ |
        \bfor\s+the\s+latest\b.{0,20}$ | ^follow\b.*\b(?:facebook|twitter|instagram)\b |
        ^(?:photo|image|video|slideshow|gallery)s?\s*:\s | ^\(.*\)\.?$ | ^\[.*\]$ |
        ^(?:related|story|more|read\s+more|watch|video|photos?|see\s+also|also\s+read|listen)
        \s*:\s |
        ^related\s+(?:coverage|stories|links|articles|content)\s+\S |
        ^home\s+(?:\S+\s+){1,}\S+[^.!?"”]$ |
        ^[^a-z]*[”"]?\s*/?>\s*$
    )""",
    re.IGNORECASE | re.VERBOSE,
)

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WEEKDAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?"
# A line made of nothing but a date and/or time (optionally "Published"/"Updated" in front).
_DATE_LINE = re.compile(
    rf"""^(?:(?:published|updated|posted|last\s+updated)\s*(?:at|on)?\s*:?\s*)?
        (?:(?:{_WEEKDAY}|{_MONTH}|\d{{1,4}}(?:st|nd|rd|th)?|at|[ap]\.?m\.?|[a-z]{{2,4}}t|utc|gmt|
        \+\d{{4}}|\d{{1,2}}:\d{{2}}(?::\d{{2}})?(?:\s*[ap]\.?m\.?)?)[\s,./|-]*)+$""",
    re.IGNORECASE | re.VERBOSE,
)
# Video playlists list "0:45 Title", and a dateline alone on its line ("DETROIT -").
_TIMESTAMP_ITEM = re.compile(r"^\d{1,2}:\d{2}\s+\S")
_DATELINE_ONLY = re.compile(r"^[A-Z][A-Z .,'()]{1,40}\s*[-–—]+\s*$")
# A caption ends with a short source tag after its sentence: "... on Tuesday. (NBC4)".
_SOURCE_TAG = re.compile(r"[.!?]\s*\([A-Z][A-Za-z0-9 ]{1,12}\)\s*$")
_BYLINE = re.compile(r"^by\s+[A-Z]", re.IGNORECASE)
_CAPTION_LABEL = re.compile(r"^[A-Z][\w'’-]*(?:\s+[\w'’-]+){0,2}:\s+[A-Z0-9“\"‘']")
# Broken markup: attributes or tags. Furniture unless real text is left once they are removed.
_MARKUP = re.compile(
    r"""\b(?:target|rel|href|src|class|style|id|data-[\w-]+)\s*=\s*["”“'’]|</?[a-z][a-z0-9]*[\s>/]"""
    r"""|=["”“'’][^"”“'’]*["”“'’]\s*/?>""",
    re.IGNORECASE,
)
_TAG = re.compile(r"<[^>]*>?|\b[\w-]+\s*=\s*[\"”“'’][^\"”“'’]*[\"”“'’]")
# Author notes ("X is a staff writer … can be reached at …"); a long line is a paragraph that
# merely ends with a byline, and its text is kept.
_AUTHOR_NOTE = re.compile(r"\bstaff\s+writers?\b|can\s+be\s+reached\s+at", re.IGNORECASE)
_URL = re.compile(r"https?://|www\.\S+\.\w{2,}")
_BULLET = re.compile(r"^[•·●▪■◦*‣–-]\s*")
_TERMINAL = frozenset(".!?:;…")
_CLOSERS = "\"'”’)]»"
_SMALL_WORDS = frozenset(
    "a an and as at but by for from in into nor of on or over the to up via vs with".split()
)
_STOP_WORDS = frozenset(
    """a about after all also an and are as at be been before but by can could did do does for
    from had has have he her his if in into is it its may more not of on or our she so than
    that the their them then there they this to up was we were what when where which while who
    will with would you""".split()
)

# A text whose letters are mostly capitals is written in capitals throughout (a wire story).
_CAPITALS_TEXT = 0.6
# A title-like line has at most this many words, or is mostly capitalised words.
_SHORT_WORDS = 14
_LONG_BODY_WORDS = 15
# Shorter title-shaped lines before the body are section labels or names, not headlines.
_HEADLINE_MIN_WORDS = 4


def _lines(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, stripped line) for each non-blank line; offsets cover the stripped text."""
    offset = 0
    for raw in text.splitlines(keepends=True):
        content = raw.rstrip("\r\n")
        stripped = content.strip()
        if stripped:
            start = offset + (len(content) - len(content.lstrip()))
            yield start, start + len(stripped), stripped
        offset += len(raw)


def _normalise(line: str) -> str:
    return re.sub(r"\W+", " ", _BULLET.sub("", line).lower()).strip()


def _words(line: str) -> list[str]:
    return re.findall(r"[\w'’-]+", line)


def _ends_like_sentence(line: str) -> bool:
    core = line.rstrip(_CLOSERS + " ")
    return bool(core) and core[-1] in _TERMINAL


def _title_case_share(words: list[str]) -> float:
    content = [w for w in words if w.lower() not in _SMALL_WORDS]
    if not content:
        return 0.0
    return sum(w[0].isupper() or w[0].isdigit() for w in content) / len(content)


def _is_title_like(line: str) -> bool:
    """Headline-shaped: no final punctuation, and short or mostly capitalised words."""
    if _ends_like_sentence(line):
        return False
    words = _words(line)
    if line.rstrip(_CLOSERS + " ").endswith(","):
        return False  # the sentence continues on the next line
    if words and words[-1].lower() in _STOP_WORDS | _SMALL_WORDS:
        return False  # a hard-wrapped body line stops mid-sentence; a title does not
    if len(words) < _SHORT_WORDS:
        return True
    return len(words) < 25 and _title_case_share(words) >= 0.85


def _is_shouting(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 30 and sum(c.isupper() for c in letters) / len(letters) > 0.8


def _stop_share(words: list[str]) -> float:
    return sum(w.lower() in _STOP_WORDS for w in words) / len(words) if words else 0.0


def _capitals_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(c.isupper() for c in letters) / len(letters) if letters else 0.0


def _is_furniture_line(line: str, shouting_stands_out: bool = True) -> bool:
    """Context-free rules: the line is furniture whatever surrounds it.

    A line in capitals is furniture (a menu, a banner) only where capitals stand out from the
    text around it: case is not evidence of furniture in a wire story written in capitals.
    """
    core = _BULLET.sub("", line).strip()
    words = _words(core)
    if not words:
        return True  # punctuation or symbols only
    if _FULL_LINE.match(core) or _ANYWHERE.search(core):
        return True
    if _DATE_LINE.match(core) or _TIMESTAMP_ITEM.match(core) or _DATELINE_ONLY.match(core):
        return True
    if _BYLINE.match(core) and len(words) <= 10 and not _ends_like_sentence(core):
        return True
    # "Label: text" without a final stop is a photo caption ("Ambushed: Jeremy Lewis, of ...").
    if _CAPTION_LABEL.match(core) and not _ends_like_sentence(core) and len(words) >= 5:
        return True
    if _MARKUP.search(core):
        text = _TAG.sub(" ", core)
        if len(_words(text)) < 8 or not _ends_like_sentence(text):
            return True
    if _SOURCE_TAG.search(core) or (shouting_stands_out and _is_shouting(core)):
        return True
    if _AUTHOR_NOTE.search(core) and len(words) < 30:
        return True
    if _URL.search(core) and len(words) < 20:
        return True
    # A bulleted line that is not a sentence is a tag or a link list entry ("• Iraq").
    return core != line and not _ends_like_sentence(core) and len(words) < 8


def body_spans(text: str) -> list[tuple[int, int]]:
    """Character spans (start, end) into `text` of the lines that are article body, in order.

    Args:
        text: plain text of a page, one paragraph (or wrapped piece of one) per line.

    Returns:
        Spans of the stripped body lines; `text[start:end]` is the line without its surrounding
        whitespace. Furniture lines, repeated lines and blank lines have no span.
    """
    spans: list[tuple[int, int]] = []
    seen: set[str] = set()
    headline_kept = False
    body_seen = False
    tail = False  # after a hard marker: the rest of the page is not this article
    teaser_list = False  # after a soft marker: teasers until a long body line
    # Capitals stand out only in a text mostly in lower case.
    capitals_stand_out = _capitals_share(text) < _CAPITALS_TEXT

    for start, end, line in _lines(text):
        key = _normalise(line)
        repeated = key in seen
        seen.add(key)
        if tail or repeated:
            continue
        core = _BULLET.sub("", line).strip()
        if _HARD_TAIL.match(core):
            tail = True
            continue
        if _SOFT_LIST.match(core):
            teaser_list = True
            continue
        words = _words(core)
        title_like = _is_title_like(core)
        # The page's first heading is its headline, in capitals or not.
        headline_slot = title_like and not (headline_kept or body_seen)
        if _is_furniture_line(line, capitals_stand_out and not headline_slot):
            continue
        if teaser_list:
            long_sentence = (
                _ends_like_sentence(core)
                and len(words) >= _LONG_BODY_WORDS
                and _stop_share(words) >= 0.25
            )
            if not long_sentence:
                continue
            teaser_list = False
        if title_like:
            # Only the article's own headline, the first heading before any body, is kept;
            # later title-shaped lines are bylines, subheads, teasers or widget labels.
            if headline_kept or body_seen or len(words) < _HEADLINE_MIN_WORDS:
                continue
            headline_kept = True
        else:
            body_seen = True
        spans.append((start, end))
    return spans


def body_text(text: str) -> str:
    """The body lines of `text` joined by newlines (for display and quick checks)."""
    return "\n".join(text[s:e] for s, e in body_spans(text))


def furniture_confusion(
    articles: Iterable[Sequence[tuple[str, str]]],
) -> tuple[int, int, int]:
    """True positives, false positives and false negatives of the furniture class.

    Args:
        articles: Each article's lines in order, as (label, line) with label "body" or
            "furniture"; an article's lines are joined by newlines and filtered as one text.
    """
    tp = fp = fn = 0
    for rows in articles:
        text = "\n".join(line for _, line in rows)
        spans = set(body_spans(text))
        offset = 0
        for label, line in rows:
            start = offset + len(line) - len(line.lstrip())
            kept = (start, start + len(line.strip())) in spans
            offset += len(line) + 1
            if not kept:
                tp += label == "furniture"
                fp += label == "body"
            elif label == "furniture":
                fn += 1
    return tp, fp, fn
