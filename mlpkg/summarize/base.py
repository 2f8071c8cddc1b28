"""The summariser contract: score sentences, then choose them (length, MMR, near-duplicates).

Every registered summariser subclasses :class:`Summarizer` and implements
:meth:`Summarizer.score_batch` (one relevance value per sentence of a
:class:`~mlpkg.summarize.vectorized.Batch` of articles). The base class does the rest the same way for
all of them: raw text is cleaned and split, the summary is ``k`` sentences, a word budget or a
ratio of the article, never more than half its sentences (rounded up: see :func:`half_of`),
redundancy is controlled by MMR and near-duplicate removal, and the sentences come back in
document order.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from sklearn.utils import Tags

from ..core.estimator import Estimator, Param
from ..errors import DataError, ParameterError
from .document import Document, for_display
from .mmr import rank_sentences, select_sentences
from .vectorized import Batch

SELECTION_PARAMS = {
    "k": Param(int, 3, low=1, doc="sentences per summary"),
    "max_words": Param((int, type(None)), None, low=1, doc="a word budget instead of k sentences"),
    "ratio": Param((float, type(None)), None, low=0.01, high=1.0,
                   doc="a share of the article's sentences (rounded up) instead of k"),
    "mmr_lambda": Param(float, 1.0, low=0.0, high=1.0,
                        doc="MMR trade-off: 1 ranks by relevance only; lower values penalise similarity "
                            "to the sentences already chosen"),
    # 0 is excluded: every sentence would be a near-duplicate of the first one chosen
    "duplicate_threshold": Param(float, 0.7, low=0.0, exclusive_low=True, high=1.0,
                                 doc="word overlap (Jaccard) at which a sentence is a near-duplicate of a chosen one; "
                                     "1.0 drops only sentences with the same words"),
}
# Articles scored together: large enough to amortise numpy's per-call cost, small enough for memory.
BATCH_ARTICLES = 512


def half_of(sizes: np.ndarray) -> np.ndarray:
    """The most sentences a summary of articles of ``sizes`` sentences may have: half, rounded up, so a
    summary is shorter than its article (a one-sentence article's is that sentence).

    >>> half_of(np.array([1, 2, 3, 4, 9])).tolist()
    [1, 1, 2, 2, 5]
    """
    return (sizes + 1) // 2


def _as_list(values, n: int, name: str) -> list:
    if values is None:
        return [None] * n
    values = list(values)
    if len(values) != n:
        raise DataError(f"got {n} articles but {len(values)} {name}")
    return values


class Summarizer(Estimator):
    """Extractive summariser: ``fit`` (a no-op unless trained), ``summarize``, ``save``/``load``.

    A scikit-learn estimator with no mixin: a summary (sentences of each article) is not a label
    (``ClassifierMixin.score`` would be accuracy), not a number (``RegressorMixin``), and not features
    for a next step (``TransformerMixin``); ``clone``, ``get_params`` and ``GridSearchCV`` with a
    scorer of one's own (ROUGE) work, and nothing offers a ``score`` it cannot give.

    >>> from mlpkg.summarize import LeadSummarizer
    >>> LeadSummarizer(k=2).fit().summarize("Koperasi tumbuh. Anggota bertambah. Modal naik. Laba dibagi.")
    [['Koperasi tumbuh.', 'Anggota bertambah.']]
    """

    kind = "summarizer"
    needs_training: ClassVar[bool] = False  # fit learns from gold sentence flags (else it only validates)
    uses_references: ClassVar[bool] = False  # fit also takes the reference summaries (``references=``)
    uses_categories: ClassVar[bool] = False  # fit also takes each article's category (``categories=``)
    params = SELECTION_PARAMS

    def __init__(self, *, k: int = 3, max_words: int | None = None, ratio: float | None = None,
                 mmr_lambda: float = 1.0, duplicate_threshold: float = 0.7) -> None:
        self.k = k
        self.max_words = max_words
        self.ratio = ratio
        self.mmr_lambda = mmr_lambda
        self.duplicate_threshold = duplicate_threshold

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = self.needs_training
        return tags

    @classmethod
    def param_problems(cls, values: dict[str, Any]) -> list[ParameterError]:
        problems = super().param_problems(values)
        if values.get("max_words") is not None and values.get("ratio") is not None:
            problems.append(ParameterError("ratio", f"set max_words or ratio, not both (got "
                                                    f"max_words={values['max_words']!r}, ratio={values['ratio']!r})"))
        return problems

    def score_batch(self, batch: Batch) -> np.ndarray:
        """Relevance of every sentence of ``batch`` (higher is better), as one flat array."""
        raise NotImplementedError

    def fit(self, documents: Sequence[Sequence[str]] | None = None, gold: Sequence[Sequence[bool]] | None = None,
            *, titles: Sequence[str | None] | None = None, paragraphs: Sequence[Sequence[int]] | None = None,
            dev: tuple[Sequence[Sequence[str]], Sequence[Sequence[bool]]] | None = None) -> "Summarizer":
        """The summariser contract's ``fit``: articles as sentence lists, one ``gold`` flag per sentence,
        ``dev`` ``(documents, gold)`` for those that early-stop (``uses_dev``).

        Unsupervised summarisers (``needs_training`` False) learn nothing: this validates the
        parameters and returns self.
        """
        self._validate()
        self.is_fitted_ = True
        return self

    # --- summaries ----------------------------------------------------------------------------
    def summarize(self, texts: str | Sequence[str], titles: Sequence[str | None] | None = None) -> list[list[str]]:
        """Summaries of raw article texts: one list of readable sentences per text.

        A single string is one article (the result is still a list of one summary).
        """
        self._check_fitted()
        texts = [texts] if isinstance(texts, str) else list(texts)
        titles = _as_list(titles, len(texts), "titles")
        docs = [Document.from_text(text, title) for text, title in zip(texts, titles)]
        return [[for_display(doc.sentences[i]) for i in chosen] for doc, chosen in zip(docs, self.choose(docs))]

    def summarize_sentences(self, documents: Sequence[Sequence[str]], titles: Sequence[str | None] | None = None,
                            paragraphs: Sequence[Sequence[int]] | None = None) -> list[list[str]]:
        """Summaries of articles already split into sentences (e.g. IndoSum's); sentences come back verbatim.

        ``paragraphs`` gives the paragraph index of each sentence; without it every sentence is
        its own paragraph.
        """
        docs = self.documents(documents, titles, paragraphs)
        return [[doc.sentences[i] for i in chosen] for doc, chosen in zip(docs, self.choose(docs))]

    @staticmethod
    def documents(documents: Sequence[Sequence[str]], titles: Sequence[str | None] | None = None,
                  paragraphs: Sequence[Sequence[int]] | None = None) -> list[Document]:
        """Pre-split articles as :class:`Document` objects (a length mismatch is a :class:`DataError`)."""
        documents = list(documents)
        titles = _as_list(titles, len(documents), "titles")
        paragraphs = _as_list(paragraphs, len(documents), "paragraph lists")
        try:
            return [Document.from_sentences(s, p, t) for s, p, t in zip(documents, paragraphs, titles)]
        except ValueError as exc:
            raise DataError(str(exc)) from None

    def labelled_documents(self, documents: Sequence[Sequence[str]] | None, gold: Sequence[Sequence[bool]] | None,
                           titles: Sequence[str | None] | None = None,
                           paragraphs: Sequence[Sequence[int]] | None = None) -> list[Document]:
        """:meth:`documents` for a trained summariser's ``fit``: one gold flag per sentence of every article
        (a missing or mismatched list is a :class:`DataError` naming the article)."""
        if documents is None or gold is None:
            raise DataError(f"{type(self).__name__}.fit needs sentence lists and one gold label list per article")
        docs = self.documents(documents, titles, paragraphs)
        if len(gold) != len(docs):
            raise DataError(f"fit got {len(docs)} articles but {len(gold)} label lists")
        for i, (doc, flags) in enumerate(zip(docs, gold)):
            if len(flags) != len(doc):
                raise DataError(f"article {i}: {len(doc)} sentences but {len(flags)} gold labels")
        return docs

    def choose(self, docs: Sequence[Document]) -> list[list[int]]:
        """Indices of the summary sentences of each document, in document order."""
        self._check_fitted()
        chosen: list[list[int]] = []
        for start in range(0, len(docs), BATCH_ARTICLES):
            batch = Batch(docs[start:start + BATCH_ARTICLES])
            chosen.extend(self.choose_in_batch(batch, self.score_batch(batch) if batch.n else np.zeros(0)))
        return chosen

    def choose_in_batch(self, batch: Batch, scores: np.ndarray) -> list[list[int]]:
        """The chosen sentences of each document of ``batch`` given their ``scores``: the best ones, as many as
        :meth:`sentence_counts` says, through :func:`~mlpkg.summarize.mmr.select_sentences`."""
        ranked = rank_sentences(batch, scores)
        counts = np.minimum(self.sentence_counts(batch, scores), half_of(batch.sizes)).tolist()
        chosen = []
        for d in range(len(batch)):
            span = batch.span(d)
            chosen.append(select_sentences(
                batch, d, ranked[span] - span.start, scores[span], k=counts[d], max_words=self.max_words,
                mmr_lambda=self.mmr_lambda, duplicate_threshold=self.duplicate_threshold))
        return chosen

    def sentence_counts(self, batch: Batch, scores: np.ndarray) -> np.ndarray:
        """Summary length in sentences of each document: ``k``, a ``ratio`` of it, or all under a word budget."""
        if self.max_words is not None:
            return batch.sizes
        if self.ratio is not None:
            return np.maximum(1, np.ceil(self.ratio * batch.sizes)).astype(np.int64)
        return np.full(len(batch), self.k, dtype=np.int64)

    # --- persistence: parameters only, unless a subclass has fitted state --------------------
    def _state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return {}, {}

    @classmethod
    def _from_state(cls, meta: dict[str, Any], directory: Path) -> "Summarizer":
        model = cls(**meta["params"])
        model.is_fitted_ = True
        return model
