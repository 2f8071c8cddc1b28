"""Sentence features for the trained extractor: position, length, similarity, centrality, n-grams.

On news the position of a sentence carries most of the signal, so position comes in several
forms (absolute, relative, by paragraph, within the paragraph); the rest says how long, how
central and how typical of its article a sentence is. Centrality is the mean similarity to the
other sentences: PageRank over the same graph added nothing to it on IndoSum (fold rotation,
ROUGE-1 70.92 without it, 70.84 with it) and cost a tenth of the extractor's time. The surface
features (numbers, capitals, quotes) are worth 1.4 ROUGE-1. All features of a batch are computed
together (see :mod:`mlpkg.summarize.vectorized`) and are finite, so trees need no missing values.
Memory is linear in the sentences: no feature builds the all-pairs similarity matrix, and the
highest similarity to an earlier sentence looks back at most ``EARLIER_WINDOW`` (256) sentences,
more than any IndoSum article has.
"""

from __future__ import annotations

import numpy as np

from .vectorized import Batch

FEATURE_NAMES = (
    "position", "relative_position", "sentences_in_article", "paragraph", "relative_paragraph",
    "paragraphs_in_article", "first_in_paragraph", "position_in_paragraph",
    "words", "content_words", "words_before", "share_of_words_before", "words_in_article",
    "centroid_cosine", "centroid_cosine_to_best", "centroid_rank",
    "title_cosine", "first_sentence_cosine", "mean_similarity", "max_similarity_to_earlier",
    "lead_overlap", "mean_word_frequency", "repeated_word_share", "repeated_bigram_share",
    "number_share", "capitalised_share", "has_quote",
    "previous_centroid_cosine", "next_centroid_cosine", "previous_words", "next_words",
)
LEAD_SENTENCES = 3


def _neighbour(batch: Batch, values: np.ndarray, by: int) -> np.ndarray:
    """The value of the sentence ``by`` places earlier (negative: later) in the same article, else 0."""
    out = np.zeros(batch.n)
    if by > 0:
        out[by:] = values[:-by]
        out[batch.position < by] = 0.0
    else:
        out[:by] = values[-by:]
        out[batch.position >= batch.sizes[batch.doc] + by] = 0.0
    return out


def _repeated_bigram_share(batch: Batch) -> np.ndarray:
    """Share of each sentence's content-word bigrams that occur more than once in its article."""
    sentence, column = batch.term_sentence, batch.term_column
    same = sentence[1:] == sentence[:-1]
    if not same.any():
        return np.zeros(batch.n)
    codes = column[:-1][same].astype(np.int64) * (int(column.max()) + 1) + column[1:][same]
    _, inverse, counts = np.unique(codes, return_inverse=True, return_counts=True)
    rows = sentence[1:][same]
    repeated = np.bincount(rows, weights=counts[inverse.reshape(-1)] > 1, minlength=batch.n)
    return repeated / np.maximum(np.bincount(rows, minlength=batch.n), 1)


def sentence_features(batch: Batch, use_title: bool = True) -> np.ndarray:
    """One row of ``FEATURE_NAMES`` per sentence of ``batch``.

    ``title_cosine`` is the similarity to the title, or to the first sentence when there is no
    title or ``use_title`` is false (a model trained without titles must not be shown them).
    """
    n, doc = batch.n, batch.doc
    if n == 0:
        return np.zeros((0, len(FEATURE_NAMES)))
    position = batch.position.astype(np.float64)
    size = batch.sizes[doc].astype(np.float64)
    first = batch.offsets[doc]  # index of the first sentence of each sentence's article
    last_paragraph = batch.per_doc_max(batch.paragraph.astype(np.float64))[doc]
    first_in_paragraph = np.r_[True, batch.paragraph[1:] != batch.paragraph[:-1]] | (batch.position == 0)
    index = np.arange(n)
    paragraph_start = np.maximum.accumulate(np.where(first_in_paragraph, index, 0))

    lengths = batch.lengths.astype(np.float64)
    words_before = np.cumsum(lengths) - lengths
    words_before -= words_before[first]
    article_words = batch.per_doc_sum(lengths)[doc]
    content = batch.content_lengths
    safe_content = np.maximum(content, 1.0)

    centroid = batch.centroid_cosine()
    centroid_best = batch.per_doc_max(centroid)[doc]
    order = np.lexsort((-centroid, doc))
    centroid_rank = np.empty(n)
    centroid_rank[order] = index - first[order]
    first_cos = batch.cosine_to(batch.sum_of_sentences(batch.position == 0))
    title_cos = first_cos
    has_title = np.array([bool(d.title) for d in batch.docs], dtype=bool)[doc] & use_title
    if has_title.any():
        title_cos = np.where(has_title, batch.cosine_to(batch.titles), first_cos)

    vectors = batch.vectors
    # Mean similarity to the other sentences from the article's sum of vectors, without the
    # all-pairs matrix (quadratic in the article's length): v . sum(v_j) - v . v.
    self_similarity = np.asarray(vectors.multiply(vectors).sum(axis=1)).ravel()
    similarity_sum = np.asarray(vectors @ batch.sum_of_sentences()).ravel() - self_similarity
    counts = batch.counts
    present = (counts > 0).astype(np.float64)
    in_lead = np.asarray(present[batch.position < LEAD_SENTENCES].sum(axis=0)).ravel() > 0
    column_total = np.asarray(counts.sum(axis=0)).ravel()
    column_share = column_total / np.maximum(batch.per_doc_sum(content)[batch.column_doc], 1.0)
    in_several = np.asarray(present.sum(axis=0)).ravel() > 1

    words = batch.words
    numbers = np.bincount(words.text, weights=words.numeric, minlength=n)
    capitals = np.bincount(words.text, weights=words.capitalised, minlength=n)

    columns = (
        position, position / np.maximum(size - 1, 1), size, batch.paragraph,
        batch.paragraph / np.maximum(last_paragraph, 1), last_paragraph + 1, first_in_paragraph,
        index - paragraph_start,
        lengths, content, words_before, words_before / np.maximum(article_words, 1), article_words,
        centroid, centroid / np.maximum(centroid_best, 1e-12), centroid_rank,
        title_cos, first_cos,
        similarity_sum / np.maximum(size - 1, 1), batch.max_similarity_to_earlier(),
        (counts @ in_lead) / safe_content, (counts @ column_share) / safe_content,
        (counts @ in_several) / safe_content, _repeated_bigram_share(batch),
        numbers / np.maximum(lengths, 1), capitals / np.maximum(lengths, 1), batch.has_quote(),
        _neighbour(batch, centroid, 1), _neighbour(batch, centroid, -1),
        _neighbour(batch, lengths, 1), _neighbour(batch, lengths, -1),
    )
    return np.column_stack(columns).astype(np.float64)
