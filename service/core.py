"""The one core that the HTTP API, the CLI and the dashboard share.

Every public operation of crosscheck is a method here; route handlers and click commands only
parse their input, call one method, and format the result.
"""

from __future__ import annotations

from collections.abc import Sequence

from service.config import Settings
from service.schemas import (
    ArticleIn,
    ArticlePublic,
    ClaimPublic,
    CompareReport,
    JudgePairIn,
    JudgementsPublic,
    SourcesPublic,
    StoriesPublic,
    StoryPublic,
    SubmitResponse,
)


class Crosscheck:
    """Models, database and pipeline behind one facade (built once per process)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        raise NotImplementedError  # being written by the lead

    def close(self) -> None:
        """Release the database connections."""
        raise NotImplementedError

    def ready(self) -> dict[str, str]:
        """Names of the loaded components and their state ("ok" when usable)."""
        raise NotImplementedError

    def submit(self, articles: Sequence[ArticleIn]) -> SubmitResponse:
        """Ingest articles in order; an article already stored is returned, not duplicated.

        Raises:
            InputError: an article is empty, furniture only, or longer than max_text_chars;
                nothing of the batch is stored.
        """
        raise NotImplementedError

    def article(self, article_id: str) -> ArticlePublic:
        """One stored article with its claims. Raises NotFoundError."""
        raise NotImplementedError

    def stories(self, offset: int = 0, limit: int = 20) -> StoriesPublic:
        """A page of stories, most recently updated first."""
        raise NotImplementedError

    def story(self, story_id: str) -> StoryPublic:
        """A story with every claim, verdict, evidence and claim groups. Raises NotFoundError."""
        raise NotImplementedError

    def claim(self, claim_id: str) -> ClaimPublic:
        """One claim with its verdict and evidence. Raises NotFoundError."""
        raise NotImplementedError

    def sources(self) -> SourcesPublic:
        """Every outlet with its share of corroborated, contested and single-source claims."""
        raise NotImplementedError

    def compare(self, articles: Sequence[ArticleIn]) -> CompareReport:
        """The claim-by-claim report on these articles as one story; nothing is stored.

        Raises:
            InputError: as for submit.
        """
        raise NotImplementedError

    def judge(self, pairs: Sequence[JudgePairIn]) -> JudgementsPublic:
        """Judge claim / evidence pairs."""
        raise NotImplementedError
