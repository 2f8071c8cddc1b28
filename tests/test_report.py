"""What the report and model card add for a shipping decision: bootstrap intervals, per-publisher
metrics, run metadata."""

import numpy as np
import pytest

from mlpkg.evaluate.bootstrap import bootstrap_intervals
from mlpkg.evaluate.metrics import metrics_by_group, tag_matrix
from mlpkg.evaluate.provenance import run_metadata
from mlpkg.evaluate.tables import group_table

TAGS = ["koperasi", "umkm", "pendidikan"]


@pytest.fixture(scope="module")
def calls(topics):
    """Truth from data/ and decisions that miss every fifth tagged article."""
    rows = topics.head(600)
    Y = tag_matrix([list(t) for t in rows["tags"]], TAGS)
    P = Y.copy()
    P[::5] = 0
    return rows, Y, P


def test_bootstrap_intervals_are_reproducible_and_wider_on_few_positives(calls):
    rows, Y, P = calls
    ci = bootstrap_intervals(Y, P, TAGS)
    assert ci == bootstrap_intervals(Y, P, TAGS)
    for tag in TAGS:
        lo, hi = ci[tag]["recall"]
        assert 0 <= lo <= hi <= 1
    few, many = (int(Y[:, TAGS.index(t)].sum()) for t in ("koperasi", "pendidikan"))
    width = {t: np.subtract(*ci[t]["f1"][::-1]) for t in ("koperasi", "pendidikan")}
    assert few < many and width["koperasi"] > width["pendidikan"]
    assert ci["pendidikan"]["precision"] == [1.0, 1.0]  # no false alarms in any resample


def test_metrics_by_publisher_put_small_publishers_in_one_row(calls):
    rows, Y, P = calls
    by = metrics_by_group(Y, P, TAGS, rows["publisher"].tolist(), min_rows=20)
    assert sum(m["n"] for m in by.values()) == len(rows)
    names = list(by)
    assert names[-1].endswith("each under 20 articles") and all(by[n]["n"] >= 20 for n in names[:-1])
    header, table = group_table(by, TAGS, "publisher")
    assert header[0] == "publisher" and len(table) == len(by) and "–" in {c for row in table for c in row}


def test_run_metadata_names_commit_data_hash_and_versions():
    meta = run_metadata("data/topics.parquet")
    assert len(meta["data_sha256"]) == 64 and meta["date"].endswith("+00:00")
    assert {"mlpkg", "numpy", "scikit-learn"} <= set(meta["packages"])
    assert meta["git_commit"] is None or len(meta["git_commit"].split("+")[0]) == 40
    assert run_metadata("hub/dataset")["data_sha256"] is None
