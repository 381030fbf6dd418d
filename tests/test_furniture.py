"""The plain-text furniture filter on the two seed articles and on a hand-labelled sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.furniture import body_spans, body_text, furniture_confusion

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = FIXTURES / "seeds"
SAMPLE = FIXTURES / "furniture_sample.tsv"

IRANWIRE_FURNITURE = [
    "close button",
    "Switch to Iranwire Light?",
    "It looks like you’re having trouble loading the content on this page.",
    "November 8, 2021",
    "Mahmoud Al-Shamari",
    "1 min read",
    "Related coverage:",
    "Iraqi Civilians Driven Out of Homes in Reprisal Attack by Iran-Backed Militias",
    "IRGC Commander in Baghdad as Pro-Iran Groups Lose Ground in Election",
    "Iraq's Al-Sadr Vows to Deal With Foreign Interference",
    "Iran Has Told Shia Partners",
    "Killers of Iraqi Reporters and Activists Sentenced to Death in Basra",
    "Special Features",
    "Jailed Critic to Khamenei: Your Time's Running Out",
    "2 min read",
]
GUARDIAN_FURNITURE = [
    "Home Uncategorized",
    "• Iraq",
    "• Iran",
    "Middle East and North Africa",
    "• news",
    "target=",
    "Reuse this content",
    "Published at Sun, 07 Nov 2021 19:14:16 +0000",
    "Previous article",
    "It’s Official: Antoni Porowski Is the Sexiest Chef Alive",
    "Next article",
    "What Do the National Conservatives Want?",
]
GUARDIAN_HEADLINE = "Drone attack by militants on Iraqi PM ‘marks escalation’ in power struggle"


def read_seed(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8")


def kept_lines(text: str) -> list[str]:
    return [text[start:end] for start, end in body_spans(text)]


def paragraphs(text: str, min_words: int = 15) -> list[str]:
    """Real body paragraphs of a seed: long lines that end like sentences."""
    lines = [line.strip() for line in text.splitlines()]
    return [
        line
        for line in lines
        if len(line.split()) >= min_words and line.rstrip("”’\"'").endswith((".", "?", "!"))
    ]


@pytest.mark.parametrize("name", ["iranwire.txt", "guardian.txt"])
def test_spans_are_valid_offsets_in_order(name: str) -> None:
    text = read_seed(name)
    spans = body_spans(text)
    assert spans
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        assert text[start:end] == text[start:end].strip()
        assert "\n" not in text[start:end]
        previous_end = end


@pytest.mark.parametrize(
    ("name", "furniture"),
    [("iranwire.txt", IRANWIRE_FURNITURE), ("guardian.txt", GUARDIAN_FURNITURE)],
)
def test_seed_furniture_is_never_body(name: str, furniture: list[str]) -> None:
    text = read_seed(name)
    body = kept_lines(text)
    for fragment in furniture:
        assert fragment in text, f"fixture drift: {fragment!r} is not in {name}"
        hits = [line for line in body if fragment in line]
        assert not hits, f"furniture {fragment!r} kept as body: {hits}"


@pytest.mark.parametrize(
    ("name", "furniture"),
    [("iranwire.txt", IRANWIRE_FURNITURE), ("guardian.txt", GUARDIAN_FURNITURE)],
)
def test_every_seed_paragraph_is_kept(name: str, furniture: list[str]) -> None:
    text = read_seed(name)
    body = set(kept_lines(text))
    expected = [p for p in paragraphs(text) if not any(f in p for f in furniture)]
    assert len(expected) >= 5
    missing = [p for p in expected if p not in body]
    assert not missing


def test_seed_headlines_and_standfirst() -> None:
    guardian = kept_lines(read_seed("guardian.txt"))
    assert sum(GUARDIAN_HEADLINE in line for line in guardian) <= 1
    assert guardian[0] == GUARDIAN_HEADLINE
    assert any(line.startswith("Officials see strike on premier’s home") for line in guardian)
    iranwire = kept_lines(read_seed("iranwire.txt"))
    headline = "Quds Force Chief in Baghdad After Attempt on Iraqi PM's Life"
    assert iranwire.count(headline) == 1
    assert iranwire[0] == headline


def test_repeated_line_keeps_first_occurrence_only() -> None:
    text = "Police said two people were hurt in the shooting on Main Street.\n" * 3
    assert body_spans(text) == [(0, 64)]


def test_empty_and_blank_text() -> None:
    assert body_spans("") == []
    assert body_spans("\n \n\t\n") == []


def test_site_furniture_examples() -> None:
    text = "\n".join(
        [
            "You must enter the characters with black color that stand out from the other "
            "characters",
            "Message: * A friend wanted you to see this item from WRAL.com: http://wral.com/1",
            "— A 12-year-old was in critical condition Tuesday after he and three others were "
            "shot on a Rocky Mount basketball court.",
            "Police found the boy near the court. (Source: Jeff Ferrell/KSLA News 12)",
            "Copyright 2016 WALB. All rights reserved.",
            "Read or Share this story: http://on.wwltv.com/1RSTd4Z",
        ]
    )
    assert kept_lines(text) == [
        "— A 12-year-old was in critical condition Tuesday after he and three others were "
        "shot on a Rocky Mount basketball court."
    ]


def load_sample() -> list[tuple[str, list[tuple[str, str]]]]:
    """Articles of the labelled sample: (doc header, [(label, line), ...])."""
    articles: list[tuple[str, list[tuple[str, str]]]] = []
    for raw in SAMPLE.read_text(encoding="utf-8").splitlines():
        if raw.startswith("# doc "):
            articles.append((raw, []))
        elif raw and not raw.startswith("#"):
            label, line = raw.split("\t", 1)
            assert label in {"body", "furniture"}
            articles[-1][1].append((label, line))
    return articles


def sample_counts() -> tuple[int, int, int]:
    """True positives, false positives, false negatives of the furniture class on the sample."""
    return furniture_confusion(rows for _, rows in load_sample())


def test_labelled_sample_shape() -> None:
    articles = load_sample()
    assert len(articles) == 40
    assert 400 <= sum(len(rows) for _, rows in articles) <= 600


def test_furniture_precision_and_recall_on_labelled_sample() -> None:
    tp, fp, fn = sample_counts()
    precision = tp / (tp + fp)
    recall = tp / (tp + fn)
    assert precision >= 0.95, (tp, fp, fn)
    assert recall >= 0.90, (tp, fp, fn)


def test_a_wire_story_in_capitals_is_text() -> None:
    wire = (
        "GUNMAN KILLS TWO AT RIVERTON WAREHOUSE\n"
        "RIVERTON, MARCH 8 - A GUNMAN KILLED TWO WORKERS AT A RIVERTON WAREHOUSE ON SUNDAY, "
        "POLICE SAID.\n"
        "THE SUSPECT, A FORMER EMPLOYEE, WAS ARRESTED AT HIS HOME HOURS LATER.\n"
    )
    kept = body_text(wire)
    assert "A GUNMAN KILLED TWO WORKERS" in kept
    assert "THE SUSPECT, A FORMER EMPLOYEE" in kept


def test_a_headline_in_capitals_stays_the_headline() -> None:
    page = (
        "TWO HURT IN SHOOTING OUTSIDE RIVERTON GROCERY STORE\n"
        "March 8, 2026\n"
        "Two people were hurt when shots were fired outside a grocery store on Sunday.\n"
        "SUBSCRIBE TO OUR NEWSLETTER FOR THE LATEST HEADLINES EVERY MORNING\n"
        "Police said the suspect fled on foot and was still at large on Monday.\n"
    )
    kept = body_text(page).splitlines()
    assert kept[0] == "TWO HURT IN SHOOTING OUTSIDE RIVERTON GROCERY STORE"
    # Below the headline, a line in capitals in a lower-case page is still a banner.
    assert not any("SUBSCRIBE" in line for line in kept)
    assert "March 8, 2026" not in kept
