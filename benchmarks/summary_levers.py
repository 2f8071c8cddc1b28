"""Levers of issue 25 tried on trained_lgbm.v1, kept here so that benchmarks/summarizers.py reruns them.

None of them moved ROUGE-1 on IndoSum's rotated folds beyond the noise between runs (a tenth or
two; benchmarks/results/summarizers.md), so they stay out of the package:

- ``VectorFeatureExtractor``: in-domain word vectors (``data/word_vectors.npz``, see
  :mod:`mlpkg.data.vectors`). Each sentence's sum of content-word vectors is compared (cosine) with
  the first sentence's (IndoSum has no titles), the rest of the article's, the whole article's and
  the previous sentence's; beside them the share of its content words outside the vectors'
  vocabulary and their mean log frequency rank (how specific its words are).
- ``HookFeatureExtractor``: where the annotators skip the first sentence (18% of articles) and the
  model keeps it, the lead is mostly a feature-style hook: a question ("Pernahkah Anda ...?"), the
  reader addressed ("Anda", "kamu"), a general statement. Features: the sentence ends with a question
  mark, addresses the reader, and the same two of the article's first sentence; the previous
  sentence is a question.
- ``StackedExtractor``: a second LightGBM extractor on the first one's score of each sentence in its
  article's context (gap to the best, rank, the neighbours' and the first sentence's scores, softmax
  share); trained on out-of-fold first-stage scores (two halves of the training articles).

Round 4 (ROUGE-1 on the four rotated folds against trained_lgbm.v1's 71.15):

- ``KeyTermExtractor``: hits of the article's five most repeated content words, of the words spread
  over three paragraphs or more, the rest of the article's mass on the sentence's words, numbers and
  names another sentence repeats, hits of the topic lexicon of the article's tag
  (configs/topic_tfidf.yaml): 71.16. ``LeadFeatureExtractor`` (the first sentence's length, dateline,
  similarity to the second): 71.14; both together 71.04 (a development run on the same folds, not in the benchmark).
- Where the reference skips the first sentence (:func:`lead_skip_rates`): by category (teknologi 47%,
  hiburan 40%, tajuk utama 8%), outlet (dailysocial.id 56%, poskotanews 5%) and the lead's length (66% under
  eleven words, 8% over thirty; the trees already see it). ``OutletExtractor`` gives the trees IndoSum's
  source and category fields (an upper bound: raw text has neither): 71.46; the category alone 71.37, the
  source alone 71.22 (development runs). ``PredictedCategoryExtractor`` reads the category from the
  sentences (TF-IDF logistic regression, nine in ten right out of fold): 71.40, up on all four folds, the
  first sentence kept in 401 of the 493 articles whose reference skips it (447 before), but 1,621 articles
  per CPU second; ``PredictedOutletExtractor`` (the source read too) 71.39. Round 5 put it in the package
  as ``trained_lgbm.v2`` (:mod:`mlpkg.summarize.lgbm_category`), its reader on the batch's hashed words.
- The second stage with up to six sentences: 71.33 (71.27 and 71.26 apart: they do not add up);
  with the category read from the text (``StackedCategoryExtractor``) 71.48, at 1,306 articles/s.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from mlpkg.config import load_config
from mlpkg.data.vectors import load_vectors
from mlpkg.summarize.base import BATCH_ARTICLES
from mlpkg.summarize.lgbm_extractor import LightGBMExtractor
from mlpkg.summarize.vectorized import _MIX, Batch, _stop_hashes, hash_words

VECTORS = Path(__file__).resolve().parents[1] / "data" / "word_vectors.npz"
VECTOR_FEATURE_NAMES = ("vector_first_cosine", "vector_rest_cosine", "vector_article_cosine",
                        "vector_previous_cosine", "out_of_vocabulary_share", "mean_log_frequency_rank")
HOOK_FEATURE_NAMES = ("question", "addresses_reader", "lead_question", "lead_addresses_reader",
                      "previous_question")
CONTEXT_FEATURE_NAMES = ("first_stage_score", "gap_to_best", "rank_in_article", "previous_score",
                         "next_score", "first_sentence_score", "softmax_share")
READER = ("anda", "kamu", "kalian", "kita", "aku")
TOPIC_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "topic_tfidf.yaml"
KEY_TERMS = 5
KEY_TERM_FEATURE_NAMES = ("key_terms", "key_term_share", "key_terms_minus_lead", "spread_words",
                          "spread_word_share", "rest_mass", "repeated_word_share_elsewhere", "shared_numbers",
                          "shared_names", "tag_lexicon_hits", "tag_lexicon_share")
LEAD_FEATURE_NAMES = ("lead_words", "lead_dateline", "lead_second_cosine", "lead_content_share")
# An outlet's dateline: "Suara.com -", "Jakarta , CNN Indonesia - -", "Palu ( ANTARA News ) -", "JUARA.net -".
DATELINE = re.compile(r"^.{0,60}?(?:\.com|\.net|\.id|CNN Indonesia|ANTARA News \)|Pos Kota \)|Rimanews|kumparan)"
                      r".{0,4}[-\u2013\u2014]")
SOURCES = ("cnn indonesia", "kumparan", "dailysocial.id", "antaranews", "juara.net", "merdeka", "suara",
           "poskotanews", "goal indonesia", "rimanews")
CATEGORIES = ("tajuk utama", "olahraga", "teknologi", "showbiz", "hiburan", "inspirasi")
OUTLET_FIELDS = ("source", "category")
OUTLET_VALUES = {"source": SOURCES, "category": CATEGORIES}


@lru_cache(maxsize=1)
def vector_table(path: str = str(VECTORS)) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sorted word hashes, their vectors, log frequency rank) of the one-token words of the vector file."""
    words, vectors = load_vectors(path)
    hashed = hash_words(words)
    one_token = np.bincount(hashed.text, minlength=len(words)) == 1
    first = np.r_[True, hashed.text[1:] != hashed.text[:-1]]
    hashes = np.zeros(len(words), dtype=np.uint64)
    hashes[hashed.text[first]] = hashed.hashes[first]
    rows = np.flatnonzero(one_token)
    order = rows[np.argsort(hashes[rows])]
    return hashes[order], vectors[order], np.log1p(order.astype(np.float64))


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return np.where(norms > 0, (a * b).sum(axis=1) / np.where(norms > 0, norms, 1.0), 0.0)


def _lookup(values: np.ndarray, sorted_set: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    at = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return at, sorted_set[at] == values


@lru_cache(maxsize=1)
def _lexicon() -> dict[str, re.Pattern]:
    return topic_lexicon()


def vector_features(batch: Batch) -> np.ndarray:
    """One row of ``VECTOR_FEATURE_NAMES`` per sentence of ``batch``."""
    hashes, vectors, log_rank = vector_table()
    n, doc, w = batch.n, batch.doc, batch.words
    _, stop = _lookup(w.hashes, _stop_hashes())
    content = (w.chars > 1) & ~stop
    row, known = _lookup(w.hashes, hashes)
    known &= content
    counts = sp.csr_matrix((np.ones(int(known.sum())), (w.text[known], row[known])), shape=(n, len(hashes)))
    own = np.asarray(counts @ vectors, dtype=np.float64)
    article = np.zeros((len(batch), own.shape[1]))
    np.add.at(article, doc, own)
    previous = np.zeros_like(own)
    previous[1:] = own[:-1]
    previous[batch.position == 0] = 0.0
    n_content = np.bincount(w.text, weights=content, minlength=n)
    n_known = np.bincount(w.text, weights=known, minlength=n)
    rank = np.bincount(w.text, weights=np.where(known, log_rank[row], 0.0), minlength=n)
    return np.column_stack((
        _cosine(own, own[batch.offsets[doc]]), _cosine(own, article[doc] - own), _cosine(own, article[doc]),
        _cosine(own, previous), 1 - n_known / np.maximum(n_content, 1), rank / np.maximum(n_known, 1),
    ))


def hook_features(batch: Batch) -> np.ndarray:
    """One row of ``HOOK_FEATURE_NAMES`` per sentence of ``batch``."""
    n, w = batch.n, batch.words
    _, reader = _lookup(w.hashes, np.unique(hash_words(list(READER)).hashes))
    addresses = np.bincount(w.text, weights=reader, minlength=n) > 0
    question = np.array([s.rstrip().endswith("?") for s in batch.sentences], dtype=bool)
    first = batch.offsets[batch.doc]
    previous = np.r_[False, question[:-1]] & (batch.position > 0)
    return np.column_stack((question, addresses, question[first], addresses[first], previous)).astype(np.float64)


def context_features(batch: Batch, scores: np.ndarray) -> np.ndarray:
    """One row of ``CONTEXT_FEATURE_NAMES`` per sentence: its score beside its article's other scores."""
    doc, first = batch.doc, batch.offsets[batch.doc]
    best = batch.per_doc_max(scores)[doc]
    order = np.lexsort((-scores, doc))
    rank = np.empty(batch.n)
    rank[order] = np.arange(batch.n) - first[order]
    previous = np.r_[0.0, scores[:-1]]
    previous[batch.position == 0] = scores.min(initial=0.0) - 1
    following = np.r_[scores[1:], 0.0]
    following[batch.position == batch.sizes[doc] - 1] = scores.min(initial=0.0) - 1
    exp = np.exp(scores - best)
    return np.column_stack((scores, scores - best, rank, previous, following, scores[first],
                            exp / np.bincount(doc, weights=exp)[doc]))


class ExtraBlockExtractor(LightGBMExtractor):
    """trained_lgbm.v1 with one block of features more: ``extra_names`` and :meth:`extra_block`'s columns."""

    extra_names: tuple[str, ...] = ()

    def extra_block(self, batch: Batch) -> np.ndarray:
        raise NotImplementedError

    @property
    def feature_names(self) -> list[str]:
        return [*super().feature_names, *self.extra_names]

    def _batch_features(self, batch: Batch) -> np.ndarray:
        return np.hstack([super()._batch_features(batch), self.extra_block(batch)])


class VectorFeatureExtractor(ExtraBlockExtractor):
    """trained_lgbm.v1 with the word-vector features."""

    extra_names = VECTOR_FEATURE_NAMES
    extra_block = staticmethod(vector_features)


class HookFeatureExtractor(ExtraBlockExtractor):
    """trained_lgbm.v1 with the hook features."""

    extra_names = HOOK_FEATURE_NAMES
    extra_block = staticmethod(hook_features)


def _pick(values: Sequence | None, rows: np.ndarray) -> list | None:
    return None if values is None else [values[i] for i in rows]


class StackedExtractor(LightGBMExtractor):
    """trained_lgbm.v1's features and, from a first trained_lgbm.v1, each sentence's score in context."""

    _train_scores: np.ndarray | None = None

    @property
    def feature_names(self) -> list[str]:
        return [*super().feature_names, *CONTEXT_FEATURE_NAMES]

    def fit(self, documents=None, gold=None, *, titles=None, paragraphs=None, dev=None,
            references=None) -> "StackedExtractor":
        documents, gold = list(documents), list(gold)
        half = np.random.default_rng(self.seed).random(len(documents)) < 0.5
        out_of_fold: list[np.ndarray | None] = [None] * len(documents)
        for held in (half, ~half):
            train, test = np.flatnonzero(~held), np.flatnonzero(held)
            stage = LightGBMExtractor(seed=self.seed).fit(
                _pick(documents, train), _pick(gold, train), titles=_pick(titles, train),
                paragraphs=_pick(paragraphs, train))
            docs = stage.documents(_pick(documents, test), _pick(titles, test), _pick(paragraphs, test))
            for start in range(0, len(docs), BATCH_ARTICLES):
                batch = Batch(docs[start:start + BATCH_ARTICLES])
                scores = stage.score_batch(batch)
                for d in range(len(batch)):
                    out_of_fold[test[start + d]] = scores[batch.span(d)]
        self.stage1_ = LightGBMExtractor(seed=self.seed).fit(documents, gold, titles=titles, paragraphs=paragraphs)
        self._train_scores = np.concatenate([s for s in out_of_fold if len(s)])
        try:
            return super().fit(documents, gold, titles=titles, paragraphs=paragraphs)
        finally:
            self._train_scores = None

    def _features(self, docs) -> np.ndarray:
        if self._train_scores is None:
            return super()._features(docs)
        blocks, at = [], 0
        for start in range(0, len(docs), BATCH_ARTICLES):
            batch = Batch(docs[start:start + BATCH_ARTICLES])
            blocks.append(np.hstack([super()._batch_features(batch),
                                     context_features(batch, self._train_scores[at:at + batch.n])]))
            at += batch.n
        return np.vstack(blocks)

    def _batch_features(self, batch: Batch) -> np.ndarray:
        return np.hstack([super()._batch_features(batch),
                          context_features(batch, self.stage1_.score_batch(batch))])


# --- round 4: the article's own key terms, the lead's habits, the outlet ------------------------
def topic_lexicon() -> dict[str, re.Pattern]:
    """Each tag's lexicon of configs/topic_tfidf.yaml, as one pattern matched at a word start."""
    lexicon = load_config(TOPIC_CONFIG).model["lexicon"]
    return {tag: re.compile(r"\b(?:" + "|".join(terms) + ")") for tag, terms in lexicon.items()}


def key_term_features(batch: Batch, lexicon: dict[str, re.Pattern]) -> np.ndarray:
    """One row of ``KEY_TERM_FEATURE_NAMES`` per sentence of ``batch``: what the article keeps coming back to.

    The article's key terms are its ``KEY_TERMS`` most repeated content words (two occurrences or
    more); its spread words are those in three paragraphs or more (or in every paragraph of a shorter
    article). Names and numbers count as shared when another sentence of the article has them too.
    """
    n, doc = batch.n, batch.doc
    sentence, column = batch.term_sentence, batch.term_column
    columns = len(batch.column_doc)
    present = (batch.counts > 0).astype(np.float64)
    occurrences = np.bincount(column, minlength=columns).astype(np.float64)
    in_sentences = np.asarray(present.sum(axis=0)).ravel()
    pairs = np.unique(column.astype(np.int64) * (int(batch.paragraph.max(initial=0)) + 1) + batch.paragraph[sentence])
    in_paragraphs = np.bincount(pairs // (int(batch.paragraph.max(initial=0)) + 1), minlength=columns)
    paragraphs = batch.per_doc_max(batch.paragraph.astype(np.float64)) + 1

    order = np.lexsort((-occurrences, batch.column_doc))
    starts = np.searchsorted(batch.column_doc[order], np.arange(len(batch)))
    rank = np.empty(columns, dtype=np.int64)
    rank[order] = np.arange(columns) - starts[batch.column_doc[order]]
    key = (rank < KEY_TERMS) & (occurrences > 1)
    spread = in_paragraphs >= np.minimum(3, paragraphs[batch.column_doc])
    spread &= paragraphs[batch.column_doc] > 1
    keys_in_article = np.bincount(batch.column_doc, weights=key, minlength=len(batch))

    content = np.maximum(batch.content_lengths, 1.0)
    key_hits = present @ key
    spread_hits = present @ spread
    # How much of the rest of the article's words the sentence's words are (SumBasic's weight).
    rest_mass = present @ occurrences - batch.content_lengths
    article_words = batch.per_doc_sum(batch.content_lengths)[doc]
    repeated_elsewhere = present @ (in_sentences > 1)

    words = batch.words
    keys = words.hashes + doc[words.text].astype(np.uint64) * _MIX
    unique_keys, inverse = np.unique(keys, return_inverse=True)
    inverse = inverse.reshape(-1).astype(np.int64)
    sentences_with = np.bincount(np.unique(inverse * n + words.text) // n, minlength=len(unique_keys))
    elsewhere = sentences_with[inverse] > 1
    first_word = np.r_[True, words.text[1:] != words.text[:-1]]
    shared_numbers = np.bincount(words.text, weights=words.numeric & elsewhere, minlength=n)
    shared_names = np.bincount(words.text, weights=words.capitalised & ~first_word & elsewhere, minlength=n)

    lower = [s.lower() for s in batch.sentences]
    hits = np.array([[len(p.findall(s)) for p in lexicon.values()] for s in lower], dtype=np.float64)
    hits = hits.reshape(n, len(lexicon))
    per_article = np.zeros((len(batch), len(lexicon)))
    np.add.at(per_article, doc, hits)
    tag = per_article.argmax(axis=1)
    tag_hits = hits[np.arange(n), tag[doc]] * (per_article.max(axis=1)[doc] > 0)

    first = batch.offsets[doc]
    return np.column_stack((
        key_hits, key_hits / np.maximum(keys_in_article[doc], 1), key_hits - key_hits[first],
        spread_hits, spread_hits / content, rest_mass / np.maximum(article_words, 1),
        repeated_elsewhere / content, shared_numbers, shared_names, tag_hits,
        tag_hits / np.maximum(per_article.max(axis=1)[doc], 1),
    ))


def lead_features(batch: Batch) -> np.ndarray:
    """One row of ``LEAD_FEATURE_NAMES`` per sentence: its article's first sentence, the same on every row.

    Where the annotators skip the first sentence its habits show: it is short (two thirds of the
    first sentences under eleven words are skipped, a tenth of those over thirty), it carries no
    outlet dateline (dailysocial.id and kumparan write none and are skipped most), or the second
    sentence says it again.
    """
    doc, first = batch.doc, batch.offsets[batch.doc]
    leads = [d.sentences[0] if len(d) else "" for d in batch.docs]
    dateline = np.array([bool(DATELINE.search(s)) for s in leads], dtype=np.float64)[doc]
    second = np.minimum(first + 1, batch.offsets[doc + 1] - 1)
    lead_second = np.asarray(batch.vectors[first].multiply(batch.vectors[second]).sum(axis=1)).ravel()
    lead_second = np.where(batch.sizes[doc] > 1, lead_second, 0.0)
    return np.column_stack((batch.lengths[first], dateline, lead_second,
                            batch.content_lengths[first] / np.maximum(batch.lengths[first], 1)))


def outlet_features(batch: Batch, outlets: dict[str, tuple[str, str]]) -> np.ndarray:
    """One-hot source and category of each sentence's article, looked up by its first sentence."""
    names = [*SOURCES, *CATEGORIES]
    rows = np.zeros((len(batch), len(names)))
    for d, document in enumerate(batch.docs):
        source, category = outlets.get(document.sentences[0] if len(document) else "", ("", ""))
        for value in (source, category):
            if value in names:
                rows[d, names.index(value)] = 1.0
    return rows[batch.doc]


class KeyTermExtractor(ExtraBlockExtractor):
    """trained_lgbm.v1 with the key-term features."""

    extra_names = KEY_TERM_FEATURE_NAMES

    def extra_block(self, batch: Batch) -> np.ndarray:
        return key_term_features(batch, _lexicon())


class KeyTermLeadExtractor(KeyTermExtractor):
    """trained_lgbm.v1 with the key-term and lead features."""

    extra_names = (*KEY_TERM_FEATURE_NAMES, *LEAD_FEATURE_NAMES)

    def extra_block(self, batch: Batch) -> np.ndarray:
        return np.hstack([super().extra_block(batch), lead_features(batch)])


class LeadFeatureExtractor(ExtraBlockExtractor):
    """trained_lgbm.v1 with the lead features."""

    extra_names = LEAD_FEATURE_NAMES
    extra_block = staticmethod(lead_features)


class OutletExtractor(ExtraBlockExtractor):
    """trained_lgbm.v1 told each article's source and category (IndoSum's fields; an upper bound, since
    raw text comes without them): ``outlets`` maps an article's first sentence to the two."""

    outlets: dict[str, tuple[str, str]] = {}
    extra_names = (*(f"source={s}" for s in SOURCES), *(f"category={c}" for c in CATEGORIES))

    def extra_block(self, batch: Batch) -> np.ndarray:
        return outlet_features(batch, self.outlets)


class PredictedCategoryExtractor(LightGBMExtractor):
    """trained_lgbm.v1 with each article's IndoSum category as a TF-IDF logistic regression reads it from
    the sentences (what raw text allows): trained on the training articles' categories (looked up in
    ``outlets`` by first sentence), fed to the trees as its probabilities, out of fold for the training
    articles (four folds) so that the trees see as noisy a category as at test time. ``read`` names the
    fields read (the source too in :class:`PredictedOutletExtractor`)."""

    outlets: dict[str, tuple[str, str]] = {}
    read: tuple[str, ...] = ("category",)
    _train_probabilities: dict[str, dict[str, np.ndarray]] | None = None

    @property
    def feature_names(self) -> list[str]:
        return [*super().feature_names, *(f"predicted_{field}={value}" for field in self.read
                                          for value in OUTLET_VALUES[field])]

    def fit(self, documents=None, gold=None, *, titles=None, paragraphs=None, dev=None,
            references=None) -> "PredictedCategoryExtractor":
        from sklearn.model_selection import cross_val_predict
        from threadpoolctl import threadpool_limits

        documents = [list(d) for d in documents]
        texts = [" ".join(d) for d in documents]
        self.readers_, self._train_probabilities = {}, {}
        for field in self.read:
            labels = [self.outlets.get(d[0] if d else "", ("", ""))[OUTLET_FIELDS.index(field)] for d in documents]
            with threadpool_limits(limits=1, user_api="blas"):  # BLAS threads on a loaded machine: 15x slower
                self.readers_[field] = _category_model(self.seed).fit(texts, labels)
                out_of_fold = cross_val_predict(_category_model(self.seed), texts, labels, cv=4,
                                                method="predict_proba")
            self._train_probabilities[field] = {d[0]: p for d, p in zip(documents, out_of_fold) if d}
        try:
            return super().fit(documents, gold, titles=titles, paragraphs=paragraphs, references=references)
        finally:
            self._train_probabilities = None

    def _read_probabilities(self, batch: Batch, field: str) -> np.ndarray:
        reader = self.readers_[field]
        if self._train_probabilities is not None:
            found = np.array([self._train_probabilities[field][d.sentences[0]] for d in batch.docs])
        else:
            from threadpoolctl import threadpool_limits

            with threadpool_limits(limits=1, user_api="blas"):
                found = reader.predict_proba([" ".join(d.sentences) for d in batch.docs])
        classes, values = list(reader.classes_), OUTLET_VALUES[field]
        rows = np.zeros((len(batch), len(values)))
        for j, value in enumerate(values):
            if value in classes:
                rows[:, j] = found[:, classes.index(value)]
        return rows[batch.doc]

    def _batch_features(self, batch: Batch) -> np.ndarray:
        return np.hstack([super()._batch_features(batch),
                          *(self._read_probabilities(batch, field) for field in self.read)])


class PredictedOutletExtractor(PredictedCategoryExtractor):
    """trained_lgbm.v1 with each article's source and category as read from its sentences."""

    read = ("source", "category")


def _category_model(seed: int):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(TfidfVectorizer(sublinear_tf=True, min_df=2),
                         LogisticRegression(C=10.0, max_iter=2000, random_state=seed))


def outlets_by_first_sentence(path: str | Path) -> dict[str, tuple[str, str]]:
    """IndoSum's (source, category) of each article of ``path``, keyed by its first sentence."""
    import pandas as pd

    frame = pd.read_parquet(path, columns=["sentences", "source", "category"])
    return {s[0]: (source, category) for s, source, category in zip(frame.sentences, frame.source, frame.category)
            if len(s)}


def lead_skip_rates(path: str | Path) -> str:
    """A markdown table: how often the reference skips the first sentence, by source, category, dateline
    and the first sentence's length in words."""
    import pandas as pd

    frame = pd.read_parquet(path, columns=["sentences", "gold", "source", "category"])
    frame["skips"] = [not g[0] for g in frame.gold]
    frame["dateline"] = ["yes" if DATELINE.search(s[0]) else "no" for s in frame.sentences]
    frame["first sentence, words"] = pd.cut([len(s[0].split()) for s in frame.sentences], [0, 10, 15, 20, 30, 500],
                                            labels=["1-10", "11-15", "16-20", "21-30", "31+"])
    lines = [f"All {len(frame):,} articles: the reference skips the first sentence in {int(frame.skips.sum())} "
             f"({100 * frame.skips.mean():.1f}%).", "", "| by | value | articles | skips sentence 1 % |",
             "|---|---|---:|---:|"]
    for by in ("source", "category", "dateline", "first sentence, words"):
        rates = frame.groupby(by, observed=True).skips.agg(["mean", "size"]).sort_values("mean", ascending=False)
        lines += [f"| {by} | {value} | {int(row['size']):,} | {100 * row['mean']:.1f} |"
                  for value, row in rates.iterrows()]
    return "\n".join(lines)


class StackedCategoryExtractor(StackedExtractor, PredictedCategoryExtractor):
    """The second stage on out-of-fold scores, with the category read from the text among its features."""
