"""Gradient-boosted trees as plain arrays: exported from scikit-learn or LightGBM, evaluated with numpy.

A fitted ``HistGradientBoostingClassifier`` or LightGBM booster is rewritten as complete binary
trees of one depth (a leaf above the bottom becomes a chain of always-true tests ending in copies
of itself), so every tree is three arrays and all trees are walked at once, level by level.
Nothing is pickled; scikit-learn is only needed to train, LightGBM to train and to read its dump.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.numeric import sigmoid

# Rows are scored in chunks so that the (rows x trees) index arrays stay in the CPU cache.
_CHUNK_ROWS = 1024


def _place_leaf(values: np.ndarray, slot: int, level: int, depth: int, leaf: float) -> None:
    """Every leaf of the complete tree below ``slot`` gets ``leaf``: the always-true tests lead to one of them."""
    first = slot
    for _ in range(depth - level):
        first = 2 * first + 1
    start = first - (2**depth - 1)
    values[start:start + 2 ** (depth - level)] = leaf


def _lightgbm_depth(node: dict) -> int:
    if "leaf_value" in node:
        return 0
    return 1 + max(_lightgbm_depth(node["left_child"]), _lightgbm_depth(node["right_child"]))


@dataclass
class BoostedTrees:
    """``feature``/``threshold``: (trees, 2**depth - 1) tests, go left when ``x <= threshold``;
    ``value``: (trees, 2**depth) leaf values; the raw score is ``baseline`` plus one leaf per tree."""

    feature: np.ndarray
    threshold: np.ndarray
    value: np.ndarray
    baseline: float

    @property
    def depth(self) -> int:
        return int(np.log2(self.value.shape[1]))

    @classmethod
    def from_sklearn(cls, model) -> "BoostedTrees":
        """Export a fitted binary ``HistGradientBoostingClassifier`` (numeric features, no NaN)."""
        trees = [predictors[0].nodes for predictors in model._predictors]
        depth = max(1, max(int(nodes["depth"].max()) for nodes in trees))
        inner, leaves = 2**depth - 1, 2**depth
        feature = np.zeros((len(trees), inner), dtype=np.int32)
        threshold = np.full((len(trees), inner), np.inf)
        value = np.zeros((len(trees), leaves))
        for t, nodes in enumerate(trees):
            stack = [(0, 0, 0)]  # (node, slot in the complete tree, level)
            while stack:
                node, slot, level = stack.pop()
                record = nodes[node]
                if record["is_leaf"]:
                    _place_leaf(value[t], slot, level, depth, record["value"])
                    continue
                feature[t, slot] = record["feature_idx"]
                threshold[t, slot] = record["num_threshold"]
                stack.append((int(record["left"]), 2 * slot + 1, level + 1))
                stack.append((int(record["right"]), 2 * slot + 2, level + 1))
        return cls(feature, threshold, value, float(np.ravel(model._baseline_prediction)[0]))

    @classmethod
    def from_lightgbm(cls, booster) -> "BoostedTrees":
        """Export a LightGBM ``Booster`` of numeric splits (``x <= threshold`` goes left, no missing values);
        the raw score is the sum of one leaf per tree (LightGBM folds its starting score into the first tree)."""
        trees = [info["tree_structure"] for info in booster.dump_model()["tree_info"]]
        depth = max([1, *(_lightgbm_depth(tree) for tree in trees)])
        inner, leaves = 2**depth - 1, 2**depth
        feature = np.zeros((len(trees), inner), dtype=np.int32)
        threshold = np.full((len(trees), inner), np.inf)
        value = np.zeros((len(trees), leaves))
        for t, tree in enumerate(trees):
            stack = [(tree, 0, 0)]
            while stack:
                node, slot, level = stack.pop()
                if "leaf_value" in node:
                    _place_leaf(value[t], slot, level, depth, node["leaf_value"])
                    continue
                if node["decision_type"] != "<=":
                    raise ValueError(f"tree {t}: a {node['decision_type']!r} split; only numeric '<=' splits export")
                feature[t, slot] = node["split_feature"]
                threshold[t, slot] = node["threshold"]
                stack.append((node["left_child"], 2 * slot + 1, level + 1))
                stack.append((node["right_child"], 2 * slot + 2, level + 1))
        return cls(feature, threshold, value, 0.0)

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Raw scores (log-odds) for the rows of ``X``."""
        X = np.asarray(X, dtype=np.float64)
        n_trees, inner = self.feature.shape
        # Flat indices into raveled arrays: much faster than two-dimensional fancy indexing.
        features, thresholds, values = self.feature.ravel().astype(np.intp), self.threshold.ravel(), self.value.ravel()
        tree_tests = (np.arange(n_trees) * inner)[None, :]
        tree_leaves = (np.arange(n_trees) * self.value.shape[1] - inner)[None, :]
        out = np.empty(len(X))
        for start in range(0, len(X), _CHUNK_ROWS):
            chunk = X[start:start + _CHUNK_ROWS]
            flat = chunk.ravel()
            row_cells = (np.arange(len(chunk)) * X.shape[1])[:, None]
            node = np.zeros((len(chunk), n_trees), dtype=np.intp)
            for _ in range(self.depth):
                test = node + tree_tests
                node *= 2
                node += 1
                node += flat[row_cells + features[test]] > thresholds[test]
            out[start:start + _CHUNK_ROWS] = self.baseline + values[node + tree_leaves].sum(axis=1)
        return out

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Probability of the positive class."""
        return sigmoid(self.decision_function(X))

    def arrays(self) -> dict[str, np.ndarray]:
        return {"tree_feature": self.feature, "tree_threshold": self.threshold, "tree_value": self.value,
                "tree_baseline": np.array([self.baseline])}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "BoostedTrees":
        return cls(arrays["tree_feature"], arrays["tree_threshold"], arrays["tree_value"],
                   float(arrays["tree_baseline"][0]))
