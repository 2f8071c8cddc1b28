"""What a trained summariser's ``fit`` takes beside sentences and gold flags, from rows of data/indosum.parquet."""

from __future__ import annotations

import pandas as pd


def fit_extras(model, rows: pd.DataFrame) -> dict:
    """``categories=`` and ``references=`` where the model learns them (``uses_categories``, ``uses_references``),
    as :func:`mlpkg.summarize.training._fit` passes them from a config's data."""
    extra = {}
    if model.uses_categories:
        extra["categories"] = list(rows.category)
    if model.uses_references:
        extra["references"] = [list(r) for r in rows.summary]
    return extra
