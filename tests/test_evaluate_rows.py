"""Issue 26, items 2-5: `mlpkg evaluate` and the report, as a new user meets them (one test per item)."""

from __future__ import annotations

import json

import pytest

from mlpkg.config import parse_config

LABELS = ["koperasi", "umkm", "pendidikan"]


@pytest.fixture(scope="module")
def trained(topic_sample, tmp_path_factory):
    """A small tagger trained under protocol cv on 300 rows (the `make train` way: every row learned)."""
    from mlpkg.classify.training import train

    folder = tmp_path_factory.mktemp("trained")
    topic_sample.head(300)[["id", "title", "text", "tags", "group"]].to_parquet(folder / "rows.parquet")
    cfg = parse_config({"model": {"name": "tfidf_linear.v1", "char_ngrams": [], "max_features_word": 5000},
                        "output_dir": str(folder / "m"),
                        "data": {"path": str(folder / "rows.parquet"), "labels": LABELS},
                        "evaluation": {"protocol": "cv", "report": False, "keyword_baseline": False}}, "x.yaml")
    train(cfg, log=lambda *_: None)
    return folder / "m"


def test_evaluate_on_rows_the_model_learned_from_warns_with_their_count(trained, topic_sample, tmp_path, capsys):
    from mlpkg.cli import main

    rows = topic_sample.iloc[250:330][["id", "title", "text", "tags"]]  # 50 learned rows, 30 new ones
    rows.to_parquet(tmp_path / "eval.parquet")
    assert main(["evaluate", "--model", str(trained), "--data", str(tmp_path / "eval.parquet"),
                 "--output", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert f"mlpkg evaluate: warning: [W002] 50 of the 80 rows evaluated are rows {trained} learned from" in err
    assert "mlpkg cv --config" in err
    assert json.loads((tmp_path / "out" / "metrics.json").read_text())["eval"]["learned_rows"] == 50
    assert "[W002] 50 of the 80 rows evaluated" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    rows.iloc[50:].to_parquet(tmp_path / "new.parquet")
    assert main(["evaluate", "--model", str(trained), "--data", str(tmp_path / "new.parquet"),
                 "--output", str(tmp_path / "new")]) == 0
    assert "warning" not in capsys.readouterr().err
