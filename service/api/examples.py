"""OpenAPI request examples, cut from the two seed articles of the demo story."""

from __future__ import annotations

from typing import Any

IRANWIRE = (
    "Quds Force Chief in Baghdad After Attempt on Iraqi PM's Life\n\n"
    "Ismail Qaani, commander of the Islamic Revolutionary Guard Corps’ expeditionary Quds Force, "
    "arrived in Baghdad late on Sunday, November 7 in an unannounced visit. Tehran initially "
    "denied the visit, which was later confirmed by Reuters and an Iraqi MP who spoke to "
    "IranWire.\n\n"
    "Qaani's visit came less than a day after al-Kadhimi announced that he had survived an attack "
    "on his home by a drone laden with explosives. Iraqi security sources have confirmed they "
    "shot down two other drones aimed for al-Kadhimi’s residence in the Green Zone. Officials "
    "told the media on Monday that both the drones and explosives were Iranian-made."
)

GUARDIAN = (
    "Drone attack by militants on Iraqi PM ‘marks escalation’ in power struggle\n\n"
    "Officials see strike on premier’s home as assassination attempt by Iran-backed groups "
    "trying to overturn election result\n\n"
    "One significant complication is the relatively weak hand of Suleimani’s replacement as "
    "leader of the Iranian Revolutionary Guard’s Quds Force, Ismail Ghani, who has had a rough "
    "induction to the role pioneered by his predecessor.\n\n"
    "While Kadhimi has not announced whether he will stand for a second term, he is widely "
    "expected to do so by allies and adversaries alike."
)

IRANWIRE_ARTICLE: dict[str, Any] = {
    "text": IRANWIRE,
    "source": "IranWire",
    "title": "Quds Force Chief in Baghdad After Attempt on Iraqi PM's Life",
    "published_at": "2021-11-08T09:00:00Z",
    "story": "kadhimi-drone-attack",
}

GUARDIAN_ARTICLE: dict[str, Any] = {
    "text": GUARDIAN,
    "source": "The Guardian",
    "url": "https://www.theguardian.com/world/2021/nov/07/drone-attack-iraqi-pm-escalation",
    "published_at": "2021-11-07T19:14:16Z",
    "story": "kadhimi-drone-attack",
}

HTML_ARTICLE: dict[str, Any] = {
    "text": "<html><body><h1>Quds Force Chief in Baghdad</h1><p>Ismail Qaani arrived in Baghdad "
    "late on Sunday, November 7 in an unannounced visit.</p></body></html>",
    "source": "IranWire",
    "format": "html",
}

SUBMIT: dict[str, dict[str, Any]] = {
    "one": {"summary": "One article (IranWire)", "value": IRANWIRE_ARTICLE},
    "batch": {
        "summary": "A batch: both seed articles in one story",
        "value": {"articles": [IRANWIRE_ARTICLE, GUARDIAN_ARTICLE]},
    },
    "html": {"summary": "One HTML article", "value": HTML_ARTICLE},
}

COMPARE: dict[str, dict[str, Any]] = {
    "seeds": {
        "summary": "The two seed articles",
        "value": {
            "articles": [
                {"text": IRANWIRE, "source": "IranWire"},
                {"text": GUARDIAN, "source": "The Guardian"},
            ]
        },
    }
}

JUDGE: dict[str, dict[str, Any]] = {
    "pairs": {
        "summary": "A differing number and a transliterated name",
        "value": {
            "pairs": [
                {
                    "claim": "Iraqi security sources have confirmed they shot down two other "
                    "drones aimed for al-Kadhimi’s residence.",
                    "evidence": "Security forces said they shot down three other drones "
                    "aimed at the prime minister's residence.",
                },
                {
                    "claim": "Ismail Qaani is the commander of the Quds Force.",
                    "evidence": "Suleimani’s replacement as leader of the Iranian Revolutionary "
                    "Guard’s Quds Force, Ismail Ghani, has had a rough induction to the role.",
                },
            ]
        },
    }
}

MERGE: dict[str, dict[str, Any]] = {
    "merge": {
        "summary": "Merge a story told under a second key into this one",
        "value": {"story": "7d0c1f5e2a9b4c3d8e6f0a1b2c3d4e5f", "by": "desk editor"},
    }
}

SPLIT: dict[str, dict[str, Any]] = {
    "split": {
        "summary": "Split off the articles about another event",
        "value": {
            "articles": ["0f1e2d3c4b5a69788796a5b4c3d2e1f0"],
            "title": "Warehouse fire in Riverton",
            "by": "desk editor",
        },
    }
}

MOVE: dict[str, dict[str, Any]] = {
    "move": {
        "summary": "Move an article to another story",
        "value": {"story": "7d0c1f5e2a9b4c3d8e6f0a1b2c3d4e5f", "by": "desk editor"},
    }
}

UPDATE_STORY: dict[str, dict[str, Any]] = {
    "key": {
        "summary": "Pin a client key to the story",
        "value": {"key": "kadhimi-drone-attack", "by": "desk editor"},
    },
    "title": {
        "summary": "Set the title",
        "value": {"title": "Drone attack on the Iraqi prime minister's home"},
    },
}

REVERT: dict[str, dict[str, Any]] = {
    "revert": {"summary": "Who reverts the edit", "value": {"by": "desk editor"}},
}

WEBHOOK: dict[str, dict[str, Any]] = {
    "contested": {
        "summary": "Tell a desk's server about contested claims and changed verdicts",
        "value": {
            "url": "https://desk.example.org/hooks/crosscheck",
            "events": ["claim.contested", "verdict.changed"],
            "secret": "a-long-random-string-of-yours",
        },
    },
    "everything": {
        "summary": "Every event type",
        "value": {"url": "https://desk.example.org/hooks/all", "secret": "0123456789abcdef"},
    },
}

UPDATE_WEBHOOK: dict[str, dict[str, Any]] = {
    "pause": {"summary": "Pause deliveries", "value": {"active": False}},
    "resume": {"summary": "Resume deliveries", "value": {"active": True}},
}
