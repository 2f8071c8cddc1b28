"""Content features for the ranking extractor: what a sentence says, beside where it stands.

On news the position of a sentence says most (see :mod:`mlpkg.summarize.sentence_features`); these
say whether it carries the article's subject: its similarity to the rest of the article, the
numbers and names it shares with the title (with the first sentence when there is no title, as
in IndoSum), how often its names recur in the article, and whether it reports speech ("who said
what": a speech verb such as *kata*, *ujar*, *menurut*, and whether a quotation mark comes with it).
All of a batch at once, linear in its words.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .vectorized import _MIX, Batch, hash_words

CONTENT_FEATURE_NAMES = (
    "rest_cosine", "title_numbers", "title_number_share", "title_names", "title_name_share",
    "recurring_name_share", "speech_verb", "quote_and_speech_verb",
)
# Indonesian reporting verbs, base and -nya forms as news writes them ("kata dia", "ujarnya").
SPEECH_VERBS = (
    "kata", "katanya", "ujar", "ujarnya", "ucap", "ucapnya", "ungkap", "ungkapnya", "jelas", "jelasnya",
    "tutur", "tuturnya", "tegas", "tegasnya", "imbuh", "imbuhnya", "papar", "paparnya", "sebut", "sebutnya",
    "terang", "terangnya", "menurut", "mengatakan", "menjelaskan", "menuturkan", "mengungkapkan",
    "menegaskan", "menyebutkan", "menambahkan", "menyatakan", "mengaku", "berkata",
)


@lru_cache(maxsize=1)
def _speech_hashes() -> np.ndarray:
    return np.unique(hash_words(list(SPEECH_VERBS)).hashes)


def _keyed(hashes: np.ndarray, doc: np.ndarray) -> np.ndarray:
    """One key per (document, word): the same word in another article is another key."""
    return hashes + doc.astype(np.uint64) * _MIX


def _member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Whether each value is in ``sorted_set`` (sorted, unique): a binary search per value."""
    if not len(sorted_set):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return sorted_set[at] == values


def content_features(batch: Batch, use_title: bool = True) -> np.ndarray:
    """One row of ``CONTENT_FEATURE_NAMES`` per sentence of ``batch``."""
    n, doc = batch.n, batch.doc
    if n == 0:
        return np.zeros((0, len(CONTENT_FEATURE_NAMES)))
    words = batch.words
    word_doc = doc[words.text]

    vectors = batch.vectors
    total = batch.sum_of_sentences()
    own = np.asarray(vectors.multiply(vectors).sum(axis=1)).ravel()
    with_total = np.asarray(vectors @ total).ravel()
    total_norm2 = np.bincount(batch.column_doc, weights=total ** 2, minlength=len(batch))[doc]
    rest_norm = np.sqrt(np.maximum(total_norm2 - 2 * with_total + own, 0.0))
    rest_cosine = np.where(rest_norm > 0, (with_total - own) / np.where(rest_norm > 0, rest_norm, 1.0), 0.0)

    # The title's words, or the first sentence's where there is none (then the first sentence shares all).
    titled = np.array([bool(d.title) and use_title for d in batch.docs], dtype=bool)
    title_words = hash_words([d.title if t else "" for d, t in zip(batch.docs, titled)])
    lead = (batch.position[words.text] == 0) & ~titled[word_doc]
    reference = np.unique(np.r_[_keyed(title_words.hashes, title_words.text),
                                _keyed(words.hashes[lead], word_doc[lead])])

    first_word = np.ones(len(words.text), dtype=bool)
    first_word[1:] = words.text[1:] != words.text[:-1]
    name = words.capitalised & ~first_word  # a capital inside the sentence: a name or an institution
    # Only capitalised words and numbers are looked up (a fifth of the words): sorting all is the cost.
    picked = np.flatnonzero(words.capitalised | words.numeric)
    keys, sentence = _keyed(words.hashes[picked], word_doc[picked]), words.text[picked]
    is_name, is_number = name[picked], words.numeric[picked]
    in_reference = _member(keys, reference)
    numbers = np.bincount(sentence, weights=is_number, minlength=n)
    names = np.bincount(sentence, weights=is_name, minlength=n)
    title_numbers = np.bincount(sentence, weights=is_number & in_reference, minlength=n)
    title_names = np.bincount(sentence, weights=is_name & in_reference, minlength=n)

    # A name recurs when it is capitalised in another sentence of the article too (first words count there).
    unique_keys, inverse = np.unique(keys, return_inverse=True)
    inverse = inverse.reshape(-1).astype(np.int64)
    sentences_with = np.bincount(np.unique(inverse * n + sentence) // n, minlength=len(unique_keys))
    recurring = np.bincount(sentence, weights=is_name & (sentences_with[inverse] > 1), minlength=n)

    speech = np.bincount(words.text, weights=_member(words.hashes, _speech_hashes()), minlength=n) > 0
    return np.column_stack((
        rest_cosine, title_numbers, title_numbers / np.maximum(numbers, 1), title_names,
        title_names / np.maximum(names, 1), recurring / np.maximum(names, 1), speech,
        speech & batch.has_quote(),
    )).astype(np.float64)
