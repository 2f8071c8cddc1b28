"""Many articles as flat arrays, one row per sentence: words, TF-IDF vectors, similarities.

Scoring one article at a time spends its time in numpy's per-call overhead, so every step here
runs once for a whole batch of articles:

- words are hashed to 64-bit integers with numpy (no Python string per word);
- a TF-IDF column is a (document, word) pair, so each article has its own IDF (its sentences are
  the documents) and nothing needs to be learned or stored;
- the sentence similarity matrix is sparse and block-diagonal: sentences of different articles
  share no column, so no similarity between them is ever computed.

Within one article the all-pairs matrix is still quadratic: 20,000 one-word lines of the same word
make 400 million similarities (about 10 GB). Only the graph summarisers build it
(:attr:`Batch.similarity`); what the trained extractor and MMR need is computed in linear memory
(:meth:`Batch.max_similarity_to_earlier`, :meth:`Batch.similarity_row`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import scipy.sparse as sp

from ..text.lexicon import stopwords
from .document import Document

# Odd 64-bit constants: multiplying by them is a bijection modulo 2**64 (uint64 arithmetic wraps).
_BASE = np.uint64(0x100000001B3)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_POWERS = np.cumprod(np.r_[np.uint64(1), np.full(63, _BASE, dtype=np.uint64)], dtype=np.uint64)
_QUOTES = (ord('"'), 0x201C, 0x201D)
# How many sentences back "similarity to an earlier sentence" looks: longer than any IndoSum article
# (79 sentences), and it bounds the work per sentence however long the article is.
EARLIER_WINDOW = 256


@dataclass
class Words:
    """Every word of a list of texts, in order: hash, text index and a few properties."""

    hashes: np.ndarray  # uint64
    text: np.ndarray  # index of the text each word is in
    capitalised: np.ndarray  # bool: starts with A-Z
    numeric: np.ndarray  # bool: digits only
    chars: np.ndarray  # length in characters


def _avalanche(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit flips half the output bits. Without it the
    polynomial hash is linear, and a word's key (hash + document * constant) could equal
    another word's key in another document."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _character_classes() -> np.ndarray:
    """Class of every code point up to U+FFFF: 0 separator, 1 letter, 2 A-Z, 3 digit."""
    table = np.zeros(0x10000, dtype=np.uint8)
    table[ord("a"):ord("z") + 1] = 1
    table[ord("A"):ord("Z") + 1] = 2
    table[ord("0"):ord("9") + 1] = 3
    # Beyond ASCII: letters (any script), except the punctuation and symbol blocks.
    table[0xC0:] = 1
    for low, high in ((0xD7, 0xD7), (0xF7, 0xF7), (0x2000, 0x2BFF), (0x3000, 0x303F), (0xD800, 0xF8FF),
                      (0xFE00, 0xFE6F), (0xFEFF, 0xFEFF), (0xFF00, 0xFF0F), (0xFFF0, 0xFFFF)):
        table[low:high + 1] = 0
    return table


_CLASSES = _character_classes()


def _code_points(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Code points of the texts joined by newlines, and where each text starts."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    starts = np.cumsum(lengths + 1) - (lengths + 1)
    return np.frombuffer("\n".join(texts).encode("utf-32-le"), dtype=np.uint32), starts


def hash_words(texts: Sequence[str]) -> Words:
    """Words are runs of letters and digits (any script), compared case-insensitively (A-Z).

    >>> w = hash_words(["Koperasi desa", "KOPERASI, 2025!"])
    >>> bool(w.hashes[0] == w.hashes[2]), w.text.tolist(), w.numeric.tolist()
    (True, [0, 0, 1, 1], [False, False, False, True])
    """
    return _hash_code_points(*_code_points(texts))


def _hash_code_points(c: np.ndarray, starts: np.ndarray) -> Words:
    kind = _CLASSES[np.minimum(c, 0xFFFF)]  # beyond U+FFFF (emoji): separators
    chars = np.flatnonzero(kind)
    if not len(chars):
        empty = np.zeros(0, dtype=np.int64)
        return Words(np.zeros(0, dtype=np.uint64), empty, empty.astype(bool), empty.astype(bool), empty)
    kind = kind[chars]
    starts_word = np.r_[True, chars[1:] != chars[:-1] + 1]
    first = np.flatnonzero(starts_word)
    offset = np.minimum(np.arange(len(chars)) - first[np.cumsum(starts_word) - 1], 63)
    lower = c[chars].astype(np.uint64) + (kind == 2) * np.uint64(32)
    length = np.diff(np.r_[first, len(chars)])
    hashes = _avalanche(np.add.reduceat(lower * _POWERS[offset], first) * _MIX + length.astype(np.uint64))
    n_digits = np.add.reduceat((kind == 3).astype(np.int64), first)
    text = np.searchsorted(starts, chars[first], side="right") - 1
    return Words(hashes, text, kind[first] == 2, n_digits == length, length)


@lru_cache(maxsize=1)
def _stop_hashes() -> np.ndarray:
    return np.unique(hash_words(sorted(stopwords())).hashes)


class Batch:
    """The sentences of many documents, concatenated; ``doc``/``position`` say where each is from.

    >>> b = Batch([Document.from_sentences(["Koperasi desa tumbuh.", "Koperasi desa kuat."]),
    ...            Document.from_sentences(["Sekolah dibuka."])])
    >>> b.doc.tolist(), b.position.tolist(), b.similarity.toarray().round(2).tolist()[0]
    ([0, 0, 1], [0, 1, 0], [0.0, 0.5, 0.0])
    """

    def __init__(self, docs: Sequence[Document]):
        self.docs = list(docs)
        self.sizes = np.array([len(d) for d in self.docs], dtype=np.int64)
        self.offsets = np.r_[0, np.cumsum(self.sizes)].astype(np.int64)
        self.n = int(self.offsets[-1])
        self.doc = np.repeat(np.arange(len(self.docs)), self.sizes)
        self.position = np.arange(self.n) - self.offsets[self.doc]
        self.sentences = [s for d in self.docs for s in d.sentences]
        paragraphs = np.concatenate([d.paragraphs for d in self.docs] or [np.zeros(0, dtype=np.int64)])
        self.paragraph = paragraphs - paragraphs[self.offsets[self.doc]] if self.n else paragraphs

    def __len__(self) -> int:
        return len(self.docs)

    def span(self, d: int) -> slice:
        return slice(int(self.offsets[d]), int(self.offsets[d + 1]))

    # --- per-document reductions -------------------------------------------------------------
    def per_doc_max(self, values: np.ndarray) -> np.ndarray:
        """The maximum of ``values`` within each document (0 for an empty one)."""
        out = np.zeros(len(self.docs))
        filled = self.sizes > 0
        if filled.any():
            out[filled] = np.maximum.reduceat(values, self.offsets[:-1][filled])
        return out

    def per_doc_sum(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.doc, weights=values, minlength=len(self.docs))

    # --- words --------------------------------------------------------------------------------
    @cached_property
    def _code_points(self) -> tuple[np.ndarray, np.ndarray]:
        return _code_points(self.sentences)

    @cached_property
    def words(self) -> Words:
        return _hash_code_points(*self._code_points)

    @cached_property
    def word_offsets(self) -> np.ndarray:
        return np.r_[0, np.cumsum(self.lengths)].astype(np.int64)

    @cached_property
    def lengths(self) -> np.ndarray:
        """Words per sentence."""
        return np.bincount(self.words.text, minlength=self.n).astype(np.int64)

    def word_set(self, i: int) -> set[int]:
        """The words (hashes) of sentence ``i``."""
        return set(self.words.hashes[self.word_offsets[i]:self.word_offsets[i + 1]].tolist())

    def has_quote(self) -> np.ndarray:
        """Whether each sentence has a quotation mark."""
        c, starts = self._code_points
        if not len(c):
            return np.zeros(self.n, dtype=bool)
        return np.add.reduceat(((c == _QUOTES[0]) | (c == _QUOTES[1]) | (c == _QUOTES[2])).astype(np.int64), starts) > 0

    # --- TF-IDF over content words: no stop words, no one-character words ---------------------
    @cached_property
    def _terms(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(sentence of each content word, its column, column keys, document of each column)."""
        w = self.words
        stop = _stop_hashes()
        at = np.minimum(np.searchsorted(stop, w.hashes), len(stop) - 1)
        keep = (w.chars > 1) & (stop[at] != w.hashes)
        sentence = w.text[keep]
        keys = w.hashes[keep] + self.doc[sentence].astype(np.uint64) * _MIX
        columns, column = np.unique(keys, return_inverse=True)
        column_doc = np.zeros(len(columns), dtype=np.int64)
        column_doc[column] = self.doc[sentence]
        return sentence, column.reshape(-1), columns, column_doc

    @property
    def term_sentence(self) -> np.ndarray:
        return self._terms[0]

    @property
    def term_column(self) -> np.ndarray:
        return self._terms[1]

    @property
    def column_doc(self) -> np.ndarray:
        return self._terms[3]

    @property
    def column_words(self) -> np.ndarray:
        """The word (hash) of each column: its key less its document's share (uint64 arithmetic wraps)."""
        _, _, columns, column_doc = self._terms
        return columns - column_doc.astype(np.uint64) * _MIX

    @cached_property
    def counts(self) -> sp.csr_matrix:
        """Content-word counts: one row per sentence, one column per (document, word)."""
        sentence, column, columns, _ = self._terms
        return sp.csr_matrix((np.ones(len(column)), (sentence, column)), shape=(self.n, len(columns)))

    @cached_property
    def content_lengths(self) -> np.ndarray:
        return np.bincount(self.term_sentence, minlength=self.n).astype(np.float64)

    @cached_property
    def idf(self) -> np.ndarray:
        df = np.bincount(self.counts.indices, minlength=self.counts.shape[1])
        return np.log((1.0 + self.sizes[self.column_doc]) / (1.0 + df)) + 1.0

    @cached_property
    def vectors(self) -> sp.csr_matrix:
        """L2-normalised TF-IDF rows (a sentence without content words is a zero row)."""
        vectors = self.counts.copy()
        vectors.data *= self.idf[vectors.indices]
        rows = np.repeat(np.arange(self.n), np.diff(vectors.indptr))
        norms = np.sqrt(np.bincount(rows, weights=vectors.data ** 2, minlength=self.n))
        vectors.data /= norms[rows]
        return vectors

    @cached_property
    def similarity(self) -> sp.csr_matrix:
        """Cosine similarity between the sentences of each document; zero diagonal."""
        sim = (self.vectors @ self.vectors.T).tocsr()
        sim.data[np.repeat(np.arange(self.n), np.diff(sim.indptr)) == sim.indices] = 0.0
        sim.eliminate_zeros()
        return sim

    @cached_property
    def _vectors_by_column(self) -> sp.csc_matrix:
        return self.vectors.tocsc()

    def similarity_row(self, i: int) -> np.ndarray:
        """Similarities of sentence ``i`` to every sentence of its document (0 to itself), as a dense array.

        From the sentences that share each of its columns (all in its document), so the cost is
        the number of those entries, not the all-pairs matrix.
        """
        span = self.span(int(self.doc[i]))
        v, by_column = self.vectors, self._vectors_by_column
        columns, weights = v.indices[v.indptr[i]:v.indptr[i + 1]], v.data[v.indptr[i]:v.indptr[i + 1]]
        starts, counts = by_column.indptr[columns], np.diff(by_column.indptr)[columns]
        entries = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        row = np.bincount(by_column.indices[entries] - span.start, minlength=span.stop - span.start,
                          weights=by_column.data[entries] * np.repeat(weights, counts))
        row[i - span.start] = 0.0
        return row

    def max_similarity_to_earlier(self, window: int = EARLIER_WINDOW) -> np.ndarray:
        """Per sentence, its highest similarity to one of the ``window`` sentences before it in its article.

        ``window`` rows at a time against the ``window`` rows before them: at most ``2 * window**2``
        similarities exist at once, however long the article.

        >>> Batch([Document.from_sentences(["Koperasi desa tumbuh.", "Sekolah dibuka.", "Koperasi desa kuat."])]
        ...       ).max_similarity_to_earlier().round(2).tolist()
        [0.0, 0.0, 0.54]
        """
        out = np.zeros(self.n)
        for start in range(0, self.n, window):
            stop, low = min(start + window, self.n), max(start - window, 0)
            block = (self.vectors[start:stop] @ self.vectors[low:stop].T).tocoo()
            row, col = block.row + start, block.col + low  # other articles share no column: no entry
            keep = (col < row) & (col >= row - window)
            np.maximum.at(out, row[keep], block.data[keep])
        return out

    # --- vectors of a whole article --------------------------------------------------------
    # A column belongs to one document, so one dense vector over all columns holds one vector
    # per document (a centroid, a title) side by side.
    def sum_of_sentences(self, weights: np.ndarray | None = None) -> np.ndarray:
        """Per document, the (weighted) sum of its sentence vectors, as one vector over all columns."""
        weights = np.ones(self.n) if weights is None else np.asarray(weights, dtype=np.float64)
        return np.asarray(self.vectors.T @ weights).ravel()

    @cached_property
    def titles(self) -> np.ndarray:
        """Per document, its title's TF-IDF vector in its own columns (unit length; zero without a title)."""
        w = hash_words([d.title or "" for d in self.docs])
        _, _, columns, _ = self._terms
        keys = w.hashes + w.text.astype(np.uint64) * _MIX
        at = np.minimum(np.searchsorted(columns, keys), max(len(columns) - 1, 0))
        found = (columns[at] == keys) if len(columns) else np.zeros(len(keys), dtype=bool)
        vector = np.bincount(at[found], minlength=len(columns)) * self.idf
        norms = np.sqrt(np.bincount(self.column_doc, weights=vector ** 2, minlength=len(self.docs)))
        return vector / np.where(norms > 0, norms, 1.0)[self.column_doc]

    def cosine_to(self, vector: np.ndarray) -> np.ndarray:
        """Cosine of each sentence with its document's part of ``vector`` (one value per column)."""
        norms = np.sqrt(np.bincount(self.column_doc, weights=vector ** 2, minlength=len(self.docs)))
        return np.asarray(self.vectors @ vector).ravel() / np.where(norms > 0, norms, 1.0)[self.doc]

    def centroid_cosine(self, title_weight: float = 0.0) -> np.ndarray:
        """Cosine of each sentence with the sum of its document's sentence vectors (and title)."""
        centroid = self.sum_of_sentences()
        if title_weight > 0:
            centroid = centroid + title_weight * self.titles
        return self.cosine_to(centroid)
