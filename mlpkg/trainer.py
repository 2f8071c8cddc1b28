"""Train, tune and evaluate a model from a :class:`~mlpkg.config.RunConfig`; write its directory."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .config import DataConfig, RunConfig, save_config
from .data.load import check_schema, load_table
from .errors import DataError
from .models.directory import write_json, write_manifest
from .registry import resolve
from .text.normalize import article_text


@dataclass
class LabelledSplit:
    ids: list[str]
    texts: list[str]
    y: list = field(default_factory=list)


def load_split(d: DataConfig, split: str | None, split_field: str | None = None) -> LabelledSplit:
    """Rows of one split (``None``: every row) as ids, article texts (title + body) and labels."""
    split_field = split_field or d.split_field
    ds = load_table(d.path, split, split_field)
    check_schema(ds, d.path, text_field=d.text_field, label_field=d.label_field,
                 labels=(d.labels + d.drop_labels) if d.labels else None)
    titles = ds[d.title_field] if d.title_field and d.title_field in ds.column_names else [None] * len(ds)
    ids = ds[d.id_field] if d.id_field in ds.column_names else [f"{split or 'row'}:{i}" for i in range(len(ds))]
    texts = [article_text(t, b) for t, b in zip(titles, ds[d.text_field])]
    labels = ds[d.label_field]
    keep = [i for i, y in enumerate(labels) if not (isinstance(y, str) and y in d.drop_labels)]
    if isinstance(labels[0] if labels else None, list):
        labels = [[t for t in y if t not in d.drop_labels] for y in labels]
    if d.max_train_rows and split == "train":
        keep = keep[: d.max_train_rows]
    return LabelledSplit([ids[i] for i in keep], [texts[i] for i in keep], [labels[i] for i in keep])


def _fit_tuned(cfg: RunConfig, train: LabelledSplit, dev: LabelledSplit):
    from .models.thresholds import tune_thresholds

    params = {k: v for k, v in cfg.model.items() if k != "name"}
    cls = resolve(cfg.model["name"])
    if "seed" in cls.params:
        params.setdefault("seed", cfg.seed)
    model = cls(**params)
    if hasattr(model, "fit_with_dev"):  # models that early-stop on dev
        model.fit_with_dev(train.texts, train.y, dev.texts, dev.y, labels=cfg.data.labels)
    else:
        model.fit(train.texts, train.y, labels=cfg.data.labels)
    if not model.labels_:
        raise DataError(f"{cfg.data.path}: the train split has no labels")
    if model.multi_label_:
        proba = model.predict_proba(dev.texts)
        model.set_thresholds(tune_thresholds(model.binarize(dev.y), proba, model.labels_, cfg.thresholds.objective,
                                             cfg.thresholds.min_precision, cfg.thresholds.min_positives))
    return model


def train_classifier(cfg: RunConfig, log=print) -> dict:
    from .evaluate.classify import keyword_baseline, score_classifier, write_classifier_report
    from .models.card import classifier_card

    out = Path(cfg.output_dir)
    start = time.perf_counter()
    train, dev, test = (load_split(cfg.data, s) for s in ("train", "dev", "test"))
    log(f"data: {cfg.data.path} train={len(train.texts)} dev={len(dev.texts)} test={len(test.texts)}")
    model = _fit_tuned(cfg, train, dev)
    log(f"trained {cfg.model['name']} in {time.perf_counter() - start:.1f}s")

    scored = {"test": score_classifier(model, test.texts, test.y, test.ids, cfg.evaluation.worst_errors)}
    metrics = {"test": scored["test"]["metrics"]}
    extra = {}
    if model.multi_label_ and cfg.evaluation.keyword_baseline:
        rule = keyword_baseline(test.texts, test.y, model.labels_)
        metrics["keyword_rule_test"] = extra["Keyword rule, test split"] = rule
    if cfg.data.heldout_split_field:
        field_ = cfg.data.heldout_split_field
        h_train, h_dev, h_test = (load_split(cfg.data, s, field_) for s in ("train", "dev", "test"))
        h_model = _fit_tuned(cfg, h_train, h_dev)
        scored["heldout_test"] = score_classifier(h_model, h_test.texts, h_test.y, h_test.ids,
                                                  cfg.evaluation.worst_errors)
        metrics["heldout_test"] = scored["heldout_test"]["metrics"]
        if model.multi_label_ and cfg.evaluation.keyword_baseline:
            metrics["keyword_rule_heldout_test"] = extra["Keyword rule, held-out split"] = keyword_baseline(
                h_test.texts, h_test.y, model.labels_)
        log(f"held-out evaluation on {field_}: test={len(h_test.texts)}")

    out.mkdir(parents=True, exist_ok=True)
    model.save(out)
    save_config(cfg, out / "config.yaml")
    write_json(out / "metrics.json", metrics)
    if cfg.evaluation.report:
        write_classifier_report(out, model, scored, extra, title=f"{cfg.model['name']} on {cfg.data.path}")
    counts = {"train": len(train.texts), "dev": len(dev.texts), "test": len(test.texts)}
    (out / "README.md").write_text(classifier_card(cfg, model, counts, metrics), encoding="utf-8")
    write_manifest(out)
    return {"output_dir": str(out), "metrics": metrics, "seconds": round(time.perf_counter() - start, 1)}


def train(cfg: RunConfig, log=print) -> dict:
    """Run what the config describes; returns the output directory and the metrics."""
    if cfg.task == "summarize":
        from .summarize.training import train_summarizer

        return train_summarizer(cfg, log=log)
    return train_classifier(cfg, log=log)


def summary_lines(result: dict) -> list[str]:
    from .evaluate.metrics import format_table

    lines = []
    for key, metrics in result["metrics"].items():
        # summarisers log their ROUGE table while training; classifiers are tabulated here
        if isinstance(metrics, dict) and "per_label" in metrics:
            lines += ["", format_table(metrics, key)]
    lines += ["", f"model written to {result['output_dir']} ({result['seconds']}s)"]
    return lines
