"""Indonesian text handling: cleaning, sentence splitting, detokenising, stop words, stemming.

Sentence splitting needs nltk: it is imported when ``split_sentences`` or ``detokenize`` is first
used, not by cleaning (a tagging worker cleans text but never splits it into sentences).
"""

from .clean import clean, drop_repeated_paragraphs, strip_boilerplate
from .lexicon import remove_stopwords, stem, stem_word, stopwords
from .normalize import article_text, normalize_for_features


def __getattr__(name: str):
    if name in ("detokenize", "split_sentences"):
        from . import sentences

        return getattr(sentences, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "article_text", "clean", "detokenize", "drop_repeated_paragraphs", "normalize_for_features",
    "remove_stopwords", "split_sentences", "stem", "stem_word", "stopwords", "strip_boilerplate",
]
