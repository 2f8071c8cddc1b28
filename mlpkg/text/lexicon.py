"""Indonesian stop words (Sastrawi's list, shipped in the package) and stemming (PySastrawi, the ``stem``
extra), both cached because Sastrawi is slow."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

from ..extras import require


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Sastrawi's Indonesian stop word list (``data/stopwords_id.txt``, its licence beside it)."""
    lines = files(__package__).joinpath("data", "stopwords_id.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


@lru_cache(maxsize=1)
def _stemmer():
    require("stem", "Indonesian stemming (stem, stem_word)")
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
