"""The stateless half of crosscheck: analyse articles, compare them, judge pairs.

Nothing here reads or writes a database: `crosscheck compare` and `crosscheck judge` run on an
`Analyser` alone, and the stored core (`service.core.Crosscheck`) wraps one for ingest.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.errors import InputError, ModelMissingError
from service.config import Settings
from service.deadline import check_deadline
from service.errors import WorkLimitError, check_batch
from service.pipeline import Analysed, Models, analyse, work_of
from service.report import compare_report
from service.schemas import (
    ArticleIn,
    CompareReport,
    JudgementPublic,
    JudgementsPublic,
    JudgePairIn,
)


class Analyser:
    """The models and the work limits of the settings; no storage."""

    def __init__(
        self, settings: Settings, models: Models | None = None, *, load_models: bool = True
    ) -> None:
        """Load the models (or take ones already loaded).

        Args:
            settings: Service settings (work limits, judge thresholds).
            models: Models already loaded (tests share one set).
            load_models: False for work that needs none (API keys): no model is loaded.
        """
        self.settings = settings
        self._models = models if models is not None or not load_models else Models.load(settings)

    @property
    def models(self) -> Models:
        """The loaded models.

        Raises:
            ModelMissingError: the analyser was built without models.
        """
        if self._models is None:
            raise ModelMissingError("this core was built without models (load_models=False)")
        return self._models

    def check_work(self, articles: Sequence[ArticleIn]) -> None:
        """Refuse a request whose text would cost more than the work limits allow, before
        any model runs.

        Raises:
            WorkLimitError: naming the limit and its setting.
        """
        limit, longest_limit = self.settings.max_sentences, self.settings.max_sentence_chars
        total = 0
        for position, article in enumerate(articles):
            count, longest = work_of(article)
            prefix = f"article {position}: " if len(articles) > 1 else ""
            if longest > longest_limit:
                raise WorkLimitError(
                    f"{prefix}a sentence of {longest} characters is over the limit of "
                    f"{longest_limit} (setting CROSSCHECK_MAX_SENTENCE_CHARS)"
                )
            total += count
        if total > limit:
            raise WorkLimitError(
                f"{total} sentences in one request are over the limit of {limit} "
                "(setting CROSSCHECK_MAX_SENTENCES); send fewer or shorter articles"
            )

    def analyse_all(self, articles: Sequence[ArticleIn]) -> list[Analysed]:
        """Analyse a batch, in order, within the batch and work limits.

        Raises:
            InputError: an article is empty, furniture only or too long (naming its position
                in a batch); WorkLimitError for a request over the work limits.
            RequestTimeoutError: the request's deadline passed.
        """
        check_batch(articles, self.settings.max_batch, "articles")
        self.check_work(articles)
        analysed = []
        for position, article in enumerate(articles):
            check_deadline()
            try:
                analysed.append(analyse(self.models, article, self.settings.max_text_chars))
            except InputError as exc:
                prefix = f"article {position}: " if len(articles) > 1 else ""
                raise InputError(prefix + str(exc)) from exc
        return analysed

    def compare(self, articles: Sequence[ArticleIn]) -> CompareReport:
        """The claim-by-claim report on these articles as one story; nothing is stored.

        Raises:
            InputError: as for `analyse_all`.
        """
        analysed = self.analyse_all(articles)
        check_deadline()
        return compare_report(analysed, self.models.judge, self.settings)

    def judge(self, pairs: Sequence[JudgePairIn]) -> JudgementsPublic:
        """Judge claim / evidence pairs."""
        check_batch(pairs, self.settings.max_batch, "pairs")
        check_deadline()
        judgements = self.models.judge.judge([(p.claim, p.evidence) for p in pairs])
        data = [JudgementPublic.model_validate(j, from_attributes=True) for j in judgements]
        return JudgementsPublic(data=data, count=len(data))
