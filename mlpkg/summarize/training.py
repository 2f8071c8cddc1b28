"""Train (when the summariser learns) and evaluate a summariser from a config; write its directory.

The trained extractor learns on the ``train`` and ``dev`` splits (IndoSum folds 1-3) and is
tested on ``test`` (fold 4); a summariser that early-stops (``uses_dev``) learns on ``train``
and gets ``dev`` as ``fit(..., dev=(documents, gold))``. With ``data.fold_field`` set, the metrics also
hold a fold rotation: each fold summarised by a model trained on the other folds.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..config import RunConfig, config_yaml
from ..core.directory import write_model_dir
from ..core.registry import build_model
from ..errors import DataError
from ..evaluate.provenance import describe_rows
from .base import Summarizer
from .evaluation import (
    SummaryData,
    baselines,
    evaluate_summarizer,
    format_summary_table,
    load_summary_data,
    score_choices,
)
from .summarizer_card import summarizer_card


def _load(cfg: RunConfig, split: str | None = None) -> SummaryData:
    d = cfg.data
    data = load_summary_data(d.path, split, split_field=d.split_field, id_field=d.id_field, text_field=d.text_field,
                             title_field=d.title_field, summary_field=d.summary_field,
                             sentences_field=d.sentences_field, paragraph_field=d.paragraph_field,
                             gold_field=d.gold_field, fold_field=d.fold_field, category_field=d.category_field)
    if split == "train" and d.max_train_rows:
        data = data.subset(range(min(d.max_train_rows, len(data))))
    return data


def _new_model(cfg: RunConfig) -> Summarizer:
    model = build_model(cfg.model, cfg.seed)
    if not isinstance(model, Summarizer):
        raise DataError(f"model.name {cfg.model['name']!r} is a {model.kind or type(model).__name__}, "
                        "not a summariser; task: summarize needs one of the summarisers")
    return model


def _fit(model: Summarizer, train: SummaryData, dev: SummaryData | None = None) -> Summarizer:
    if not model.needs_training:
        return model.fit()
    if train.sentences is None or train.gold is None:
        raise DataError(f"{model.registered_name} learns from gold labels: the data needs the sentences "
                        "and gold columns")
    extra = {"references": train.references} if model.uses_references else {}
    if model.uses_categories:
        extra["categories"] = train.categories
    return model.fit(train.sentences, train.gold, titles=train.titles, paragraphs=train.paragraphs,
                     dev=(dev.sentences, dev.gold) if dev is not None and model.uses_dev else None, **extra)


def fold_rotation(cfg: RunConfig, data: SummaryData, log=print) -> dict:
    """Every article summarised by a model that did not see its fold; metrics over all of them."""
    if data.folds is None:
        raise DataError(f"{cfg.data.path}: no fold column {cfg.data.fold_field!r}")
    folds = sorted(set(data.folds))
    chosen: list[list[int] | None] = [None] * len(data)
    seconds = 0.0
    per_fold = {}
    for fold in folds:
        test_rows = [i for i, f in enumerate(data.folds) if f == fold]
        model = _fit(_new_model(cfg), data.subset([i for i, f in enumerate(data.folds) if f != fold]))
        test = data.subset(test_rows)
        start = time.process_time()
        picks = model.choose(model.documents(test.sentences, test.titles, test.paragraphs))
        seconds += time.process_time() - start
        for i, c in zip(test_rows, picks):
            chosen[i] = c
        per_fold[str(fold)] = score_choices(test, picks)["rouge1"]
        log(f"fold {fold}: {len(test_rows)} articles, ROUGE-1 {per_fold[str(fold)]:.2f}")
    return {"sentences": {**score_choices(data, chosen, seconds), "rouge1_per_fold": per_fold}}


def train_summarizer(cfg: RunConfig, log=print, overwrite: bool = False) -> dict:
    """Fit (if trained) and evaluate; write model, config.yaml, metrics.json, README.md, manifest (a fresh
    folder replaces ``output_dir`` whole: :func:`~mlpkg.core.directory.new_model_dir`)."""
    start = time.perf_counter()
    out = Path(cfg.output_dir)
    model = _new_model(cfg)
    train, dev, test = (_load(cfg, s) for s in ("train", "dev", "test"))
    if not len(test):
        raise DataError(f"{cfg.data.path}: the test split is empty")
    log(f"data: {cfg.data.path} train={len(train)} dev={len(dev)} test={len(test)}")
    takes_dev = model.needs_training and model.uses_dev
    if takes_dev:
        model = _fit(model, train, dev)
    else:
        model = _fit(model, SummaryData.concat([train, dev]))
    log(f"fitted {cfg.model['name']} in {time.perf_counter() - start:.1f}s")

    results = {cfg.model["name"]: evaluate_summarizer(model, test), **baselines(test)}
    metrics = {"test": results}
    if cfg.data.fold_field:
        everything = SummaryData.concat([train, dev, test])
        if model.needs_training:
            metrics["fold_rotation"] = fold_rotation(cfg, everything, log)
        else:  # nothing is learned: every fold is already unseen
            metrics["fold_rotation"] = evaluate_summarizer(model, everything, ("sentences",))
    tables = [(results, f"Test split of {cfg.data.path}")]
    if "fold_rotation" in metrics:
        tables.append(({cfg.model["name"]: metrics["fold_rotation"]},
                       f"Fold rotation over {cfg.data.fold_field} (all splits)"))
    log("\n\n".join(format_summary_table(*t) for t in tables))
    table = "\n\n".join(format_summary_table(*t, markdown=True) for t in tables)

    profiles = {name: describe_rows(cfg.data.path, split.ids, cfg.data.id_field, cfg.data.fold_field)
                for name, split in (("train", train), ("dev", dev), ("test", test))}
    card = summarizer_card(cfg, model, profiles, table, trained=model.needs_training, early_stopped=takes_dev)
    write_model_dir(out, model, {"config.yaml": config_yaml(cfg), "metrics.json": metrics, "README.md": card},
                    overwrite)
    return {"output_dir": str(out), "metrics": metrics, "seconds": round(time.perf_counter() - start, 1)}
