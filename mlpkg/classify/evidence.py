"""Why a linear tagger gave a tag: each sentence's share of the tag's decision score.

A linear tagger's score for a tag is ``b + sum_f w_f x_f`` over its features. Each feature is a
count of something in the text (an n-gram, a lexicon term in the title, the lead or the body), so
its term ``w_f x_f`` is split among the sentences in proportion to how often the feature occurs in
each: a sentence's share is the sum of its parts (a title-and-lead block's n-grams go to the title and the
sentences inside the lead). The shares add up to the score less the
intercept and the part of n-grams that span two sentences (a bigram across a full stop belongs to
neither), so "the sentence that most supports koperasi" is read off the model itself, not guessed.

>>> tagger.evidence([article], [["koperasi"]])  # doctest: +SKIP
[{'koperasi': ['... forum koordinasi pemberdayaan koperasi 2019, guna memperkuat peranan koperasi ...']}]
"""

from __future__ import annotations

import numpy as np

from ..text.clean import clean
from ..text.sentences import split_sentences
from .lead_block import lead_portions, lead_text
from .lexicon_features import split_title


def evidence_problem(model) -> str | None:
    """Why ``model`` cannot name its evidence, or None: the decomposition needs a multi-label linear
    tagger on word n-grams (and lexicon densities); character n-grams cross sentence boundaries."""
    if not getattr(model, "multi_label_", False) or not hasattr(model, "word_vectorizer_"):
        return f"{model.registered_name} is not a multi-label linear TF-IDF tagger"
    if getattr(model, "char_vectorizer_", None) is not None:
        return f"{model.registered_name} uses character n-grams (model.char_ngrams), which span sentences"
    return None


def _sentences(text: str) -> tuple[str, list[str]]:
    """The cleaned article's title (or '') and its body's sentences, as the model reads them."""
    title, body = split_title(clean(text))
    return title, split_sentences(body)


def sentence_shares(model, text: str) -> tuple[list[str], np.ndarray]:
    """The article's units (title first where there is one, then the body's sentences) and each
    unit's share of every tag's decision score, shape (units, tags)."""
    title, body = _sentences(text)
    units = ([title] if title else []) + body
    forms = [model._feature_form(u) for u in units]
    if not units:
        return [], np.zeros((0, len(model.classes_)))
    parts = (forms[0] if title else "", " ".join(forms[1:] if title else forms))
    prepared = " ".join(p for p in parts if p)
    counts = _counting(model._word_counter(), model.word_vectorizer_)
    X = model._features([prepared])  # the article's own TF-IDF row, as predict computes it
    n_word = len(model.word_vectorizer_.vocabulary_)
    W = model.coef_
    doc_counts = counts([prepared]).toarray()[0]
    unit_counts = counts(forms).toarray()
    x = X.toarray()[0]
    feature_terms = x[None, :] * W[:, :n_word]  # (tags, features): w_f x_f
    if hasattr(model, "vector_values_"):  # the mean word vector is linear in x too, once its norm is fixed
        feature_terms += _vector_terms(model, x, W[:, W.shape[1] - model.vector_values_.shape[1]:])  # the last columns
    per_count = np.divide(feature_terms, doc_counts, out=np.zeros_like(feature_terms), where=doc_counts > 0)
    shares = unit_counts @ per_count.T  # (units, tags)
    if _lexicon_width(model):
        shares += _lexicon_shares(model, parts, forms, bool(title), W[:, n_word:])
    lead = model._lead_block_span() if hasattr(model, "_lead_block_span") else None
    if lead:
        shares += _lead_shares(model, parts, forms, bool(title), W[:, lead[0]:lead[1]])
    return units, shares


def _counting(counter, vectorizer):
    """The function that gives a block's n-gram rows of a list of texts: the fast counter's counts, or the
    vectorizer's own rows where the counter cannot reproduce it."""
    return counter.counts if counter is not None else vectorizer.transform


def _lexicon_width(model) -> int:
    return model._lexicon_width() if hasattr(model, "_lexicon_width") else 0


def _lead_shares(model, parts: tuple[str, str], forms: list[str], has_title: bool, W: np.ndarray) -> np.ndarray:
    """Each unit's share of the title-and-lead block's terms (:mod:`.lead_block`): like the word block's, by
    the unit's count of each n-gram, counting only the part of a sentence that falls inside the lead."""
    x = model._lead_features([parts]).toarray()[0]
    counts = _counting(model._lead_counter(), model.lead_vectorizer_)
    body_forms = forms[1:] if has_title else forms
    portions = ([forms[0]] if has_title else []) + lead_portions(body_forms, model.lead_block_chars)
    doc_counts = counts([lead_text(parts, model.lead_block_chars)]).toarray()[0]
    terms = x[None, :] * W  # (tags, lead features)
    per_count = np.divide(terms, doc_counts, out=np.zeros_like(terms), where=doc_counts > 0)
    return counts(portions).toarray() @ per_count.T


def _vector_terms(model, x: np.ndarray, W_vector: np.ndarray) -> np.ndarray:
    """Each word feature's part of the vector columns' terms (``tfidf_lexicon_vectors.v1``): the columns are
    ``weight * (x @ M) / |x @ M|``, so feature f adds ``weight * x_f * (M_f . w) / |x @ M|`` to a tag's score."""
    M = model._vector_map()
    norm = max(float(np.linalg.norm(x @ M)), 1e-12)
    return x[None, :] * (W_vector @ M.T) * (model.vector_weight / norm)


def _lexicon_shares(model, parts: tuple[str, str], forms: list[str], has_title: bool, W: np.ndarray) -> np.ndarray:
    """Each unit's share of the lexicon features' terms: title hits go to the title, lead hits to the
    sentences inside the lead, body hits and density by each sentence's hits."""
    lexicon = model._lexicon()
    dense = lexicon.transform_parts([parts])[0] * model.lexicon_weight  # (4 * lexicon tags,)
    body_forms = forms[1:] if has_title else forms
    starts = np.cumsum([0] + [len(f) + 1 for f in body_forms])[:-1]
    in_lead = starts < lexicon.lead_chars
    out = np.zeros((len(forms), W.shape[0]))
    for t, count in enumerate(lexicon._patterns.values()):
        if has_title:
            out[0] += W[:, 4 * t] * dense[4 * t]
        hits = np.array([count(" " + f) for f in body_forms], dtype=float)
        for part, weights in ((1, hits * in_lead), (2, hits), (3, hits)):
            if weights.sum() > 0:
                term = W[:, 4 * t + part] * dense[4 * t + part]  # (tags,)
                out[int(has_title):] += np.outer(weights / weights.sum(), term)
    return out


def evidence(model, texts: list[str], tags: list[list[str]], k: int = 2) -> list[dict[str, list[str]]]:
    """For each text and each tag given to it, the ``k`` sentences (or title) with the largest positive
    share of that tag's score, most supporting first."""
    out = []
    for text, given in zip(texts, tags):
        units, shares = sentence_shares(model, text)
        row = {}
        for tag in given:
            j = list(model.classes_).index(tag)
            order = [i for i in np.argsort(-shares[:, j], kind="stable") if shares[i, j] > 0][:k]
            row[tag] = [units[i] for i in order]
        out.append(row)
    return out
