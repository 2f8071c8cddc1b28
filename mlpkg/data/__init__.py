"""Data in: the shipped corpus files, loading through HF datasets, schema checks."""

from .load import check_schema, load_table

__all__ = ["check_schema", "load_table"]
