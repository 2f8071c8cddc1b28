"""Data in: raw sources, the corpus build, dedupe, folds, keywords, loading through HF datasets, schema checks."""

from .folds import grouped_splits
from .load import check_schema, load_table

__all__ = ["check_schema", "grouped_splits", "load_table"]
