"""Issue 27 item 3: the trained summariser's memory grows linearly with the article's sentences.

The peak of a 20,000-sentence article is measured in benchmarks/summary_memory.py; here the
allocations are counted (tracemalloc sees numpy's and scipy's arrays), which is deterministic:
four times the sentences must take about four times the memory, not sixteen.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlpkg.summarize import Document, TrainedExtractor
from mlpkg.summarize.vectorized import Batch

DATA = Path(__file__).resolve().parents[1] / "data" / "indosum.parquet"


@pytest.fixture(scope="module")
def articles() -> pd.DataFrame:
    return pd.read_parquet(DATA).head(80)


@pytest.fixture(scope="module")
def extractor(articles) -> TrainedExtractor:
    return TrainedExtractor().fit([list(s) for s in articles.sentences], [list(g) for g in articles.gold],
                                  paragraphs=[list(p) for p in articles.paragraph])


def _peak_bytes(model: TrainedExtractor, docs: list[Document]) -> int:
    tracemalloc.start()
    try:
        model.choose(docs)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("mmr_lambda", [1.0, 0.7])
def test_trained_summarizer_memory_is_linear_in_sentences(extractor, articles, mmr_lambda):
    # One real sentence repeated: every pair of sentences is similar, the all-pairs worst case.
    sentence = articles.sentences.iloc[0][0]
    model = TrainedExtractor(**{**extractor.get_params(), "mmr_lambda": mmr_lambda})
    model.__dict__.update({k: v for k, v in vars(extractor).items() if k.endswith("_")})
    small = _peak_bytes(model, [Document.from_sentences([sentence] * 400)])
    large = _peak_bytes(model, [Document.from_sentences([sentence] * 1600)])
    assert large < 6 * small, f"400 sentences: {small:,} bytes at peak, 1,600: {large:,} (quadratic: about 16x)"


def test_max_similarity_to_earlier_is_exact_within_its_window(articles):
    docs = [Document.from_sentences(list(s)) for s in articles.sentences.head(30)]
    batch = Batch(docs)
    dense = batch.similarity.toarray()
    lower = np.tril(dense, k=-1)
    assert np.allclose(batch.max_similarity_to_earlier(), lower.max(axis=1))
    # a window of 3 looks back three sentences only (and never into the article before)
    banded = np.triu(lower, k=-3)
    assert np.allclose(batch.max_similarity_to_earlier(window=3), banded.max(axis=1))
    assert batch.max_similarity_to_earlier(window=3)[batch.position == 0].max() == 0.0
