"""mlpkg: topic tagging and extractive summaries for Indonesian news."""

__version__ = "0.1.0"
