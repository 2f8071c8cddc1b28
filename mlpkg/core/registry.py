"""Registered model and summariser names, resolved from configs.

A lazy map of name -> ``"module:Class"``: importing this module imports no model, and no model
imports it (each class names itself in ``registered_name``), so there is no import circle. A
registered name never changes meaning: a new behaviour gets a new versioned name
(``tfidf_linear.v2``), so an old config keeps training the model it always did. To add a model,
add one line here and set ``registered_name`` on its class.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError, allowed

REGISTRY: dict[str, str] = {
    "tfidf_linear.v1": "mlpkg.classify.tfidf:TfidfClassifier",
    "tfidf_lexicon.v1": "mlpkg.classify.tfidf_lexicon:TfidfLexiconClassifier",
    "tfidf_lexicon_vectors.v1": "mlpkg.classify.tfidf_vectors:TfidfLexiconVectorsClassifier",
    "tfidf_lexicon_vectors_agencies.v1": "mlpkg.classify.tfidf_agencies:TfidfAgencyNamesClassifier",
    "indobert_classifier.v1": "mlpkg.classify.bert:BertClassifier",
    "lead.v1": "mlpkg.summarize.position:LeadSummarizer",
    "centroid.v1": "mlpkg.summarize.centroid:CentroidSummarizer",
    "textrank.v1": "mlpkg.summarize.graph:TextRankSummarizer",
    "lexrank.v1": "mlpkg.summarize.graph:LexRankSummarizer",
    "trained_extractor.v1": "mlpkg.summarize.trained:TrainedExtractor",
    "trained_lgbm.v1": "mlpkg.summarize.lgbm_extractor:LightGBMExtractor",
    "indobert_extractor.v1": "mlpkg.summarize.bertsum:BertSumSummarizer",
}


def registered_names() -> list[str]:
    return sorted(REGISTRY)


def resolve(name: str, where: str = "model.name") -> type:
    """The class registered as ``name`` (its module is imported now, not before)."""
    try:
        target = REGISTRY[name]
    except KeyError:
        raise ConfigError(f"{where}: unknown name {name!r}; registered: {allowed(sorted(REGISTRY))}") from None
    module, _, attr = target.partition(":")
    cls = getattr(importlib.import_module(module), attr)
    if cls.registered_name != name:
        raise TypeError(f"{target} names itself {cls.registered_name!r}, but is registered as {name!r}")
    return cls


def build_model(model: Mapping[str, Any], seed: int | None = None) -> Any:
    """The one way to build an estimator from a config's ``model`` block (``{"name": ..., **params}``);
    ``seed`` is the run's seed, used where the block sets none and the model takes one."""
    cls = resolve(model["name"])
    params = {k: v for k, v in model.items() if k != "name"}
    if seed is not None and "seed" in cls.params:
        params.setdefault("seed", seed)
    return cls(**params)
