"""Indonesian stop words and stemming (PySastrawi), cached because Sastrawi is slow."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Sastrawi's Indonesian stop word list."""
    from Sastrawi.StopWordRemover.StopWordRemoverFactory import StopWordRemoverFactory

    return frozenset(StopWordRemoverFactory().get_stop_words())


@lru_cache(maxsize=1)
def _stemmer():
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()


@lru_cache(maxsize=200_000)
def stem_word(word: str) -> str:
    """Stem one word; results are cached, so repeated vocabulary costs nothing.

    >>> stem_word("pemberdayaan")
    'daya'
    """
    return _stemmer().stem(word)


def stem(text: str) -> str:
    return " ".join(stem_word(w) for w in text.split())


def remove_stopwords(tokens: list[str]) -> list[str]:
    stop = stopwords()
    return [t for t in tokens if t.lower() not in stop]
