"""Tests run offline: nothing may reach a model or dataset hub."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


@pytest.fixture(scope="session")
def topics() -> pd.DataFrame:
    return pd.read_parquet(DATA / "topics.parquet")


@pytest.fixture(scope="session")
def indosum() -> pd.DataFrame:
    """IndoSum's rows of data/ (sentences, gold flags, paragraphs, summary, category, fold, split)."""
    return pd.read_parquet(DATA / "indosum.parquet")


@pytest.fixture(scope="session")
def topic_sample(topics) -> pd.DataFrame:
    """Every koperasi/umkm article of the train split plus pendidikan and other articles: ~500 rows."""
    train = topics[topics["split"] == "train"]
    rare = train[train["tags"].map(lambda t: "koperasi" in t or "umkm" in t)]
    edu = train[train["tags"].map(lambda t: list(t) == ["pendidikan"])].head(120)
    other = train[train["tags"].map(len) == 0].head(300)
    return pd.concat([rare, edu, other]).sample(frac=1.0, random_state=0).reset_index(drop=True)


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory, topics) -> str:
    """A tiny BERT checkpoint folder trained from our corpus (built once per session; needs torch)."""
    pytest.importorskip("torch")
    from bert_helpers import build_tiny_bert

    from mlpkg.text.normalize import article_text

    texts = [article_text(t, b) for t, b in zip(topics.title[:1000], topics.text[:1000])]
    return str(build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"), texts))
