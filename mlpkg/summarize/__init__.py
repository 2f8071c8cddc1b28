"""Extractive summarisers (registered by name, same contract as the classifiers).

Importing this package registers every summariser; ``mlpkg.core.load_model`` loads any saved one.
"""

from .base import Summarizer
from .centroid import CentroidSummarizer
from .document import Document
from .graph import LexRankSummarizer, TextRankSummarizer
from .position import LeadSummarizer
from .trained import TrainedExtractor

__all__ = ["CentroidSummarizer", "Document", "LeadSummarizer", "LexRankSummarizer", "Summarizer",
           "TextRankSummarizer", "TrainedExtractor"]
from . import bertsum  # noqa: E402, F401  (registers indobert_extractor.v1)
