"""Indonesian text handling: cleaning, sentence splitting, detokenising, stop words, stemming."""

from .clean import clean, drop_repeated_paragraphs, strip_boilerplate
from .lexicon import remove_stopwords, stem, stem_word, stopwords
from .normalize import article_text, normalize_for_features
from .sentences import detokenize, split_sentences

__all__ = [
    "article_text", "clean", "detokenize", "drop_repeated_paragraphs", "normalize_for_features",
    "remove_stopwords", "split_sentences", "stem", "stem_word", "stopwords", "strip_boilerplate",
]
