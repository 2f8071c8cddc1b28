"""Folds for cross-validation that keep near-copies together.

``grouped_folds`` keeps near-copy groups whole and stratifies on each row's rarest tag;
``publisher_folds`` holds out one publisher at a time; ``newer_folds`` holds out the newest news;
``train_rows`` drops from training every row that shares a near-copy group with a test row;
``grouped_splits`` gives grouped folds as the (train, test) pairs scikit-learn's ``cv=`` takes.
"""

from __future__ import annotations

from datetime import date

import numpy as np

OTHER_PUBLISHERS = "(smaller publishers)"


def _group_index(groups: list) -> np.ndarray:
    return np.unique(np.asarray([str(g) for g in groups]), return_inverse=True)[1]


def grouped_folds(Y: np.ndarray, groups: list, n_splits: int = 5, seed: int = 0) -> list[tuple[str, np.ndarray]]:
    """(name, test rows) per fold: whole near-copy groups, stratified on each group's rarest tag
    (or "no tag"), so every fold gets its share of the rarest tag.

    Groups of one stratum are shuffled (seeded) and each goes to the fold holding the fewest rows of
    that stratum so far. scikit-learn's ``StratifiedGroupKFold`` gives the same kind of folds but took
    7.9 s per call on ``data/topics.parquet`` here (its greedy search is quadratic in Python), and a
    model fit computes folds for its own calibration; ``iterative-stratification`` installs a
    top-level ``tests`` package that shadows ours.
    """
    Y = np.asarray(Y)
    inv = _group_index(groups)
    n_groups = inv.max() + 1 if len(inv) else 0
    rarest_first = np.argsort(Y.sum(axis=0), kind="stable")
    G = np.zeros((n_groups, Y.shape[1]), dtype=int)
    np.maximum.at(G, inv, Y[:, rarest_first].astype(int))
    stratum = np.where(G.any(axis=1), G.argmax(axis=1), Y.shape[1])
    size = np.bincount(inv, minlength=n_groups)
    order = np.random.default_rng(seed).permutation(n_groups)
    fold_of = np.empty(n_groups, dtype=int)
    in_fold = np.zeros((Y.shape[1] + 1, n_splits), dtype=int)
    total = np.zeros(n_splits, dtype=int)
    for g in order[np.argsort(stratum[order], kind="stable")]:
        k = min(range(n_splits), key=lambda f: (in_fold[stratum[g], f], total[f]))
        fold_of[g] = k
        in_fold[stratum[g], k] += size[g]
        total[k] += size[g]
    row_fold = fold_of[inv]
    return [(f"fold {k + 1}", np.flatnonzero(row_fold == k)) for k in range(n_splits)]


def grouped_splits(Y: np.ndarray, groups: list, n_splits: int = 5, seed: int = 0
                   ) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`grouped_folds` as (train rows, test rows) pairs, the ``cv=`` of ``GridSearchCV`` or
    ``cross_val_predict``; the train rows leave out the test rows' near-copies (:func:`train_rows`).

    >>> splits = grouped_splits([[1], [0], [1], [0]], groups=["a", "a", "b", "c"], n_splits=2)
    >>> [(train.tolist(), test.tolist()) for train, test in splits]  # rows 0 and 1 are near-copies: one fold
    [([2, 3], [0, 1]), ([0, 1], [2, 3])]
    """
    return [(train_rows(test, groups), test) for _, test in grouped_folds(Y, groups, n_splits, seed)]


def publisher_folds(publishers: list[str], min_rows: int = 150) -> list[tuple[str, np.ndarray]]:
    """(publisher, test rows) per publisher with ``min_rows`` rows or more; smaller ones form one fold."""
    names = np.asarray([p or "unknown" for p in publishers])
    kept, counts = np.unique(names, return_counts=True)
    big = set(kept[counts >= min_rows])
    names = np.where(np.isin(names, list(big)), names, OTHER_PUBLISHERS)
    return [(name, np.flatnonzero(names == name)) for name in sorted(set(names))]


def newer_folds(dates: list, since: date) -> list[tuple[str, np.ndarray]]:
    """One fold: the rows dated ``since`` or later (read by :func:`~mlpkg.data.load.parse_dates`).
    Its model learns from the older rows and the undated ones, so it is scored on news from months
    it never saw."""
    import pandas as pd

    from ..errors import DataError
    from .load import parse_dates

    days = parse_dates(dates)
    if days.isna().all():
        raise DataError("the newer protocol needs publication dates: no row has a readable date in data.date_field")
    newer = (days >= pd.Timestamp(since)).to_numpy()
    if not newer.any() or newer.all():
        raise DataError(f"evaluation.newer_from {since.isoformat()}: the rows are dated {days.min():%Y-%m-%d} "
                        f"to {days.max():%Y-%m-%d}; pick a day inside that range so both sides have rows")
    return [(f"dated {since.isoformat()} or later", np.flatnonzero(newer))]


def train_rows(test: np.ndarray, groups: list) -> np.ndarray:
    """Every row outside the test rows' near-copy groups (a syndicated copy must not train its twin)."""
    inv = _group_index(groups)
    return np.flatnonzero(~np.isin(inv, inv[test]))
