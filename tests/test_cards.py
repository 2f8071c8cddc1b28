"""Model cards describe the run's own data (dates, sources, folds of the rows used), never a fixed corpus."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mlpkg.classify.training import train_classifier
from mlpkg.config import parse_config
from mlpkg.summarize.training import train_summarizer

ROOT = Path(__file__).resolve().parents[1]


def test_classifier_card_had_a_hard_coded_corpus_claim_and_a_link_outside_the_repo(topics, tmp_path):
    rows = topics[topics.date.str.startswith("2022")]
    train = rows[rows.split == "train"]
    # every tag among the 150 train rows, whatever order a rebuilt data set puts them in
    positives = pd.concat([topics[(topics.split == "train") & topics.tags.map(lambda t, tag=tag: tag in t)].head(5)
                           for tag in ("koperasi", "umkm", "pendidikan")]).drop_duplicates("id")
    train = pd.concat([positives, train[~train.id.isin(positives.id)].head(150 - len(positives))])
    rows = pd.concat([train] + [rows[rows.split == s].head(60) for s in ("dev", "test")])
    rows.to_parquet(tmp_path / "t.parquet")
    cfg = parse_config({"task": "classify", "output_dir": str(tmp_path / "m"),
                        "data": {"path": str(tmp_path / "t.parquet"), "labels": ["koperasi", "umkm", "pendidikan"]},
                        "model": {"name": "tfidf_linear.v1", "char_ngrams": [], "min_df": 1},
                        "evaluation": {"report": False, "keyword_baseline": False}})
    card = (Path(train_classifier(cfg, log=lambda *_: None)["output_dir"]) / "README.md").read_text()
    assert "2015" not in card and "national portals" not in card and "LABELLING.md" not in card
    dates = pd.to_datetime(rows.date, format="mixed")
    assert f"dated {dates.min().date()} to {dates.max().date()}" in card
    top = rows[rows.split == "train"].publisher.value_counts()
    assert f"| train | 150 | {len(top)} | {top.index[0]} ({top.iloc[0]})" in card


def _summary_card(path: Path, out: Path, fold_field: str | None) -> str:
    cfg = parse_config({"task": "summarize", "output_dir": str(out), "model": {"name": "lead.v1"},
                        "data": {"path": str(path), "title_field": None, "fold_field": fold_field}})
    return (Path(train_summarizer(cfg, log=lambda *_: None)["output_dir"]) / "README.md").read_text()


def test_summary_card_always_said_folds_1_3_and_fold_4(tmp_path):
    df = pd.read_parquet(ROOT / "data" / "indosum.parquet")
    df = pd.concat([df[df.fold == f].head(10) for f in (1, 2, 3, 4)])
    df["split"] = df.fold.map({1: "test", 2: "train", 3: "train", 4: "dev"})  # not IndoSum's own split
    df.to_parquet(tmp_path / "s.parquet")
    card = _summary_card(tmp_path / "s.parquet", tmp_path / "a", "fold")
    assert "Tested on `test` (fold 1)" in card and "| train (fold 2, 3) | 20 |" in card
    assert "folds 1-3" not in card and "2017" not in card
    assert "fold" not in _summary_card(tmp_path / "s.parquet", tmp_path / "b", None).split("## Data")[0]
