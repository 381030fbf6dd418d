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
