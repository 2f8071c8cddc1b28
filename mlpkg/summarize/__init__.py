"""Extractive summarisers (LEAD, centroid, TextRank/LexRank, trained, BertSum), their training, evaluation, cards."""

from .base import Summarizer
from .centroid import CentroidSummarizer
from .document import Document
from .graph import LexRankSummarizer, TextRankSummarizer
from .position import LeadSummarizer
from .trained import TrainedExtractor

__all__ = ["CentroidSummarizer", "Document", "LeadSummarizer", "LexRankSummarizer", "Summarizer",
           "TextRankSummarizer", "TrainedExtractor"]
