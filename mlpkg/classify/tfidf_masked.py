"""``tfidf_lexicon_vectors.v1`` that also learns from its positives with the tag's own words removed.

Most labelled small-business stories say "UMKM", and the model learns mainly that word: a story of a
home cracker business or of ikat weavers that never says it scores low (keyword-free recall). Here each
positive row that holds its tags' lexicon terms is learnt twice: as written, and as a copy with those
terms (and the words they start) blanked out, same tags, same near-copy group (so a copy never lands
in another fold than its original). The copy teaches what the rest of a positive story says: warung,
perajin, omzet, honorer. Scores, calibration and thresholds are those of the parent; the out-of-fold
scores kept for the thresholds are those of the original rows only.
"""

from __future__ import annotations

import re

import numpy as np

from .tfidf_vectors import TfidfLexiconVectorsClassifier


def term_pattern(terms: list[str]) -> re.Pattern:
    """The lexicon's terms (written for feature form) matched in raw text: any run of non-word
    characters between words, case-insensitive, at a word start, with the rest of the word (the
    longest of the terms that start at one word).

    >>> term_pattern(["umkm\\\\b", "usaha mikro"]).sub("", "Pelaku UMKM dan usaha-mikronya tumbuh").split()
    ['Pelaku', 'dan', 'tumbuh']
    """
    return re.compile(r"\b(?:" + "|".join(t.replace(" ", r"[\W_]+") for t in sorted(terms, key=len, reverse=True)) + r")\w*", re.IGNORECASE)


class TfidfMaskedCopiesClassifier(TfidfLexiconVectorsClassifier):
    """:class:`TfidfLexiconVectorsClassifier` fitted on its rows plus keyword-masked copies of its positives.

    >>> clf = TfidfMaskedCopiesClassifier(lexicon=lexicon).fit(texts, tags, groups=groups)  # doctest: +SKIP
    """

    registered_name = "tfidf_lexicon_vectors_masked.v1"

    def masked_copies(self, texts: list[str], Y: np.ndarray) -> tuple[list[int], list[str]]:
        """(rows, copies): each positive row whose text holds one of its tags' lexicon terms, and its text
        with the terms of all its tags blanked out."""
        patterns = {j: term_pattern(self.lexicon[tag]) for j, tag in enumerate(self.labels_)
                    if tag in (self.lexicon or {})}
        rows, copies = [], []
        for i, text in enumerate(texts):
            masked = text
            for j in np.flatnonzero(Y[i]):
                if j in patterns:
                    masked = patterns[j].sub("", masked)
            if masked != text:
                rows.append(i)
                copies.append(masked)
        return rows, copies

    def _fit_texts(self, texts: list[str], Y: np.ndarray, groups: np.ndarray | None = None,
                   dev: tuple[list[str], np.ndarray] | None = None, known: np.ndarray | None = None) -> None:
        rows, copies = self.masked_copies(texts, Y)
        groups = np.arange(len(texts)) if groups is None else np.asarray(groups, dtype=object)
        known = np.ones(Y.shape, dtype=bool) if known is None else known
        super()._fit_texts(texts + copies, np.vstack([Y, Y[rows]]), np.concatenate([groups, groups[rows]]), dev,
                           np.vstack([known, known[rows]]))
        self.oof_proba_ = self.oof_proba_[: len(texts)]
