"""The text pipeline (clean → sentences → claims) on arbitrary Unicode, property-based.

Zero-width and bidi characters, mixed scripts, control characters, huge lines and lone
surrogates: nothing raises but the documented InputError, and every offset slices the text
it claims. Bounded and repeatable: derandomized, a few dozen examples.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.errors import InputError
from models.text import clean
from service.core import Crosscheck

pytestmark = pytest.mark.models

NEWS = [
    "Police said two men were arrested on Sunday.",
    "The ministry reported 14 dead and 3 wounded in Baghdad.",
    "Iraqi security sources said they shot down two other drones.",
    "Jane Doe, 16, told reporters the fire started at 3:15 a.m.",
    "Reuters",
    "Close button",
]
SPECIALS = (
    "\u200b\u200c\u200d\u2060\ufeff"  # zero-width space, non-joiner, joiner, word joiner, BOM
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"  # bidi
    "\u0000\u0007\u0085\u2028\u2029\r\t\u00a0\u3000"  # controls and odd spaces
    "\ud800\udbff\udc00\udfff"  # lone surrogates
    "\u0301\u0308\ufdfa\ufb01"  # combining marks, characters NFKC lengthens
    "’‘“”<>&"
)
MIXED = ["الشرطة قالت", "המשטרה אמרה", "警方表示", "Полиция сообщила", "पुलिस ने कहा", "😀👍🏽"]

fragment = st.one_of(
    st.sampled_from(NEWS),
    st.sampled_from(MIXED),
    st.text(alphabet=SPECIALS, max_size=8),
    st.text(st.characters(exclude_categories=()), max_size=40),  # any code point, Cs included
)
line = st.lists(fragment, max_size=8).map(" ".join)
huge_line = st.builds(
    lambda word, count: (word + " ") * count,
    st.sampled_from([*NEWS[:3], "\u200b" * 7, "ﷺ", "a" * 50]),
    st.integers(100, 250),
)
article = st.lists(st.one_of(line, line, line, huge_line), min_size=1, max_size=6).map("\n".join)


@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(text=article, fmt=st.sampled_from(["text", "html"]))
def test_any_unicode_gives_offsets_that_slice_or_an_input_error(
    core: Crosscheck, text: str, fmt: str
) -> None:
    models = core.models
    try:
        document = clean(text, models.nlp, "html" if fmt == "html" else "text")
    except InputError:
        return  # the documented refusal: nothing but furniture, or nothing at all
    assert document.sentences
    for sentence in document.sentences:
        assert 0 <= sentence.start < sentence.end <= len(document.text)
        assert document.text[sentence.start : sentence.end] == sentence.text
    vectors = models.embedder.encode([s.text for s in document.sentences])
    claims = models.extractor.extract(document.sentences, vectors)
    for claim in claims:
        sentence = document.sentences[claim.sentence_index]
        assert claim.sentence == sentence.text
        assert document.text[claim.start : claim.end] == claim.sentence
    # What is stored must be storable: UTF-8 encodable, and no NUL (PostgreSQL refuses it).
    document.text.encode("utf-8")
    assert "\x00" not in document.text
