"""Topic and category classifiers (TF-IDF, TF-IDF + lexicon, IndoBERT), their training, evaluation and cards.

The classes load on first use, so a tagging worker that loads one model imports that model's module
only (not the BERT code).
"""

from importlib import import_module

_CLASSES = {
    "BertClassifier": ".bert",
    "Classifier": ".classifier",
    "TfidfClassifier": ".tfidf",
    "TfidfLexiconClassifier": ".tfidf_lexicon",
}


def __getattr__(name: str):
    if name in _CLASSES:
        return getattr(import_module(_CLASSES[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted(_CLASSES)
