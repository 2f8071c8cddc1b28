"""Topic and category classifiers (TF-IDF, TF-IDF + lexicon, IndoBERT), their training, evaluation and cards."""

from .bert import BertClassifier
from .classifier import Classifier
from .tfidf import TfidfClassifier
from .tfidf_lexicon import TfidfLexiconClassifier

__all__ = ["BertClassifier", "Classifier", "TfidfClassifier", "TfidfLexiconClassifier"]
