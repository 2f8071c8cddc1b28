"""Train, tune and evaluate a model from a :class:`~mlpkg.config.RunConfig`; write its directory."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..config import DataConfig, RunConfig, config_yaml
from ..core.directory import new_model_dir, write_model_files
from ..core.files import write_json
from ..core.registry import build_model, resolve
from ..data.labelled import LabelledSplit, labels_files, load_split
from ..data.load import resolve_data_path
from ..errors import ConfigError, DataError
from ..extras import require_for


def _log_labels_files(d: DataConfig, log) -> list[dict]:
    from ..label.store import labels_files_line

    files = labels_files(d)
    if files:
        log(labels_files_line(files))
    return files


def _dropped_note(d: DataConfig, *splits: LabelledSplit) -> str:
    if not d.drop_labels:
        return ""
    return f"; dropped {sum(s.dropped for s in splits)} rows whose labels are all in data.drop_labels"


def _tune(cfg: RunConfig, model, rows: LabelledSplit, proba) -> None:
    """Thresholds from ``proba`` of ``rows``; a tag undecided for a row leaves that row out of its tuning."""
    from .thresholds import tune_thresholds

    t = cfg.thresholds
    known = ~model.binarize(rows.undecided).astype(bool) if rows.undecided else None
    model.set_thresholds(tune_thresholds(model.binarize(rows.y), proba, list(model.classes_), t.objective,
                                         t.min_precision, t.min_positives, known=known))


def _new_model(cfg: RunConfig):
    """The config's unfitted classifier, its label set ``data.labels`` (None: the labels seen in the data)."""
    return build_model(cfg.model, cfg.seed).set_params(labels=cfg.data.labels or None)


def _fit_tuned(cfg: RunConfig, train: LabelledSplit, dev: LabelledSplit):
    model = _new_model(cfg)
    model.fit(train.texts, train.y, groups=train.groups, dev=(dev.texts, dev.y),
              undecided=train.undecided or None)
    if not len(model.classes_):
        raise DataError(f"{cfg.data.path}: the train split has no labels")
    if model.multi_label_:
        _tune(cfg, model, dev, model.predict_proba(dev.texts))
    return model


def fit_on_all(cfg: RunConfig, data: LabelledSplit, oof: np.ndarray | None = None):
    """Fit on every row of ``data``, thresholds tuned on out-of-fold probabilities: the model's own
    (``oof_proba_``) where it scores its training rows out of fold, else ``oof`` (the cross-validation's
    probabilities of these rows, columns in ``data.labels`` order). A model that early-stops on dev
    (``uses_dev``), or one given no ``oof`` (inside a cross-validation fold), is fitted on four fifths
    instead: one grouped fifth is held out as its dev (:func:`final_fit` says which was done)."""
    model = _new_model(cfg)
    if getattr(type(model), "scores_out_of_fold", False):
        model.fit(data.texts, data.y, groups=data.groups, undecided=data.undecided or None)
        if model.multi_label_:
            _tune(cfg, model, data, model.oof_proba_)
        return model
    if oof is not None and not type(model).uses_dev:
        model.fit(data.texts, data.y, groups=data.groups, undecided=data.undecided or None)
        if model.multi_label_:
            _tune(cfg, model, data, oof)
        return model
    fit_rows, dev_rows = _dev_fifth(cfg, data)
    return _fit_tuned(cfg, data.subset(fit_rows), data.subset(dev_rows))


def _dev_fifth(cfg: RunConfig, data: LabelledSplit) -> tuple[np.ndarray, np.ndarray]:
    """(rows to fit on, dev rows): one grouped fifth held out, without the near-copies of its rows."""
    from ..data.folds import grouped_folds, train_rows
    from ..evaluate.metrics import tag_matrix

    _, dev_rows = grouped_folds(tag_matrix(data.y, cfg.data.labels), data.groups, 5, cfg.seed)[0]
    return train_rows(dev_rows, data.groups), dev_rows


def final_fit(cfg: RunConfig, data: LabelledSplit, oof: np.ndarray) -> tuple[object, dict]:
    """:func:`fit_on_all` after cross-validation (``oof``: its out-of-fold probabilities), and what was
    done: ``{"rows": fitted on, "of": labelled rows, "thresholds": tuned on what}`` for the log and the card."""
    model = fit_on_all(cfg, data, oof)
    kind = type(model)
    if getattr(kind, "scores_out_of_fold", False):
        done = {"rows": len(data.texts), "thresholds": "its own out-of-fold scores of every row"}
    elif not kind.uses_dev:
        done = {"rows": len(data.texts), "thresholds": "the cross-validation's out-of-fold probabilities of every row"}
    else:
        fit_rows, dev_rows = _dev_fifth(cfg, data)
        done = {"rows": len(fit_rows), "thresholds": f"a held-out grouped fifth ({len(dev_rows)} rows; the model "
                                                     "early-stops on it, so it is not fitted on them)"}
    if not model.multi_label_:
        done["thresholds"] = "none (single-label: the likeliest class)"
    return model, {**done, "of": len(data.texts)}


def cv_folds(cfg: RunConfig, data: LabelledSplit, protocol: str) -> list:
    """The folds of ``protocol`` (``group``: grouped k-fold; ``publisher``: one publisher out;
    ``newer``: the news dated ``evaluation.newer_from`` or later)."""
    from ..data.folds import grouped_folds, newer_folds, publisher_folds
    from ..evaluate.metrics import tag_matrix

    if not cfg.data.labels:
        raise DataError("cross-validation needs data.labels (the tag set) in the config")
    if protocol == "publisher":
        if not data.publishers:
            raise DataError(f"{cfg.data.path}: no column {cfg.data.publisher_field!r} for publisher folds")
        return publisher_folds(data.publishers, cfg.evaluation.publisher_min_rows)
    if protocol == "newer":
        if cfg.evaluation.newer_from is None:
            raise ConfigError("the newer protocol needs evaluation.newer_from (a day, YYYY-MM-DD), "
                              "e.g. --set evaluation.newer_from=2025-01-01")
        if not data.dates:
            raise DataError(f"{cfg.data.path}: no column {cfg.data.date_field!r} (data.date_field) "
                            "for the newer protocol")
        return newer_folds(data.dates, cfg.evaluation.newer_from)
    n_groups = len({str(g) for g in data.groups})
    if n_groups < cfg.evaluation.cv_folds:  # a fold without rows would score nothing (an IndexError once)
        raise DataError(f"{cfg.data.path}: {len(data.texts)} rows in {n_groups} near-copy groups cannot fill "
                        f"evaluation.cv_folds={cfg.evaluation.cv_folds} folds (a group stays in one fold); "
                        f"set evaluation.cv_folds to at most {n_groups} (at least 2), or label more articles")
    return grouped_folds(tag_matrix(data.y, cfg.data.labels), data.groups, cfg.evaluation.cv_folds, cfg.seed)


def cross_validate_config(cfg: RunConfig, data: LabelledSplit, folds: list, log=print) -> dict:
    """Cross-validate what ``cfg`` trains (thresholds and calibration refitted in every fold)."""
    from .cross_validation import cross_validate

    return cross_validate(lambda part: fit_on_all(cfg, part), data, folds, cfg.data.labels, log=log)


def keyword_rule_for(cfg: RunConfig, labels: list[str], log=print):
    """The keyword rule of ``cfg``: its tags counted with the terms of ``model.lexicon``, or None (said in
    the log) where the config has no lexicon; a tag without terms is named (the rule never gives it)."""
    from .keyword_rule import KeywordRule

    lexicon = cfg.model.get("lexicon") or {}
    if not lexicon:
        log("keyword rule: not scored (it counts the terms of model.lexicon, which this config does not set)")
        return None
    bare = [tag for tag in labels if not lexicon.get(tag)]
    if bare:
        log(f"keyword rule: no terms in model.lexicon for {', '.join(bare)}: the rule never gives "
            f"{'that tag' if len(bare) == 1 else 'those tags'}")
    return KeywordRule(labels, lexicon)


def keyword_rule_cv(cfg: RunConfig, data: LabelledSplit, folds: list, rule=None) -> dict:
    """The keyword rule (``rule``, default :func:`keyword_rule_for`) scored on the same folds (it learns
    nothing, so only the rows differ)."""
    from .cross_validation import cross_validate

    rule = rule or keyword_rule_for(cfg, cfg.data.labels, log=lambda *_: None)
    return cross_validate(lambda part: rule, data, folds, cfg.data.labels, log=lambda *_: None, n_jobs=1)


def reader_bar_inputs(cfg: RunConfig, data: LabelledSplit) -> tuple[dict | None, np.ndarray | None, tuple | None]:
    """What :func:`reader_bar` needs of the config and the rows, read once for every protocol and system:
    the readers' agreement per tag (``evaluation.reader_agreement``), which positives lack the tag's
    own words (``evaluation.core_terms``), and the two readings of the articles read twice that are rows
    of ``data`` (their row numbers, reading 1, reading 2); None where the config sets it not."""
    from ..evaluate.agreement import agreement, keyword_free_rows, read_readings

    agreed = readings = None
    if cfg.evaluation.reader_agreement:
        ids, first, second = read_readings(resolve_data_path(cfg.evaluation.reader_agreement), cfg.data.labels)
        agreed = agreement(first, second, cfg.data.labels)
        row_of = {uid: i for i, uid in enumerate(data.ids)}
        found = [k for k, uid in enumerate(ids) if uid in row_of]
        if found:
            readings = (np.asarray([row_of[ids[k]] for k in found]), first[found], second[found])
    free = (keyword_free_rows(data.texts, cfg.evaluation.core_terms, cfg.data.labels)
            if cfg.evaluation.core_terms else None)
    return agreed, free, readings


def reader_bar(cfg: RunConfig, inputs: tuple[dict | None, np.ndarray | None, tuple | None], cv: dict,
               rule: dict | None = None) -> dict:
    """What the config measures the model against besides F1: the readers' agreement, the model's
    out-of-fold predictions against each reading on the same articles, and the keyword-free recall of
    the model and the keyword rule on the rows ``cv`` scored (``inputs`` from :func:`reader_bar_inputs`).
    Empty where the config sets neither."""
    from ..evaluate.agreement import against_readers, keyword_free_recall

    agreement, free, readings = inputs
    out: dict = {"reader_agreement": agreement} if agreement is not None else {}
    scored = ~np.isnan(cv["proba"]).any(axis=1)
    if readings is not None:
        out["model_vs_readers"] = against_readers(cv["pred"], *readings, cfg.data.labels, scored)
    if free is not None:
        out["keyword_free"] = keyword_free_recall(cv["Y"], cv["pred"], free, cfg.data.labels, scored)
        if rule is not None:
            out["keyword_rule_keyword_free"] = keyword_free_recall(rule["Y"], rule["pred"], free, cfg.data.labels,
                                                                   scored)
    return out


def _write_model_dir(cfg: RunConfig, model, metrics: dict, scored: dict, extra: dict,
                     splits: dict[str, LabelledSplit], start: float, learned: tuple[list, str],
                     labels_files: list[dict], overwrite: bool) -> dict:
    """Save the model with its config, run metadata, metrics (bootstrap intervals and per-publisher
    figures included), report, model card, what it learned from (``learned``: the ids of the rows it was
    fitted or tuned on, and which rows they are) and manifest: a fresh folder replaces ``output_dir`` whole
    (see :func:`~mlpkg.core.directory.new_model_dir`; ``overwrite`` for a folder that holds no model)."""
    from ..evaluate.provenance import describe_rows, learned_from, run_metadata
    from .classifier_card import classifier_card, held_out_note, threshold_note
    from .evaluation import write_classifier_report

    out = Path(cfg.output_dir)
    for key, s in scored.items():
        metrics[key] = {**metrics[key], "intervals": s["intervals"], "by_publisher": s["by_publisher"]}
    run = run_metadata(cfg.data.path)
    if labels_files:
        run["labels_files"] = labels_files
    profiles = {name: describe_rows(cfg.data.path, split.ids, cfg.data.id_field) for name, split in splits.items()}
    if cfg.data.drop_labels:
        profiles = {name: {**p, "dropped": splits[name].dropped} for name, p in profiles.items()}
    result = {"output_dir": str(out), "metrics": metrics}
    files = {"config.yaml": config_yaml(cfg), "metrics.json": metrics, "run.json": run,
             "learned_from.json": learned_from(cfg.data.path, *learned, cfg.data.extra_labels),
             "README.md": classifier_card(cfg, model, profiles, metrics, run)}
    with new_model_dir(out, overwrite) as folder:
        write_model_files(folder, model, files)
        if cfg.evaluation.report:
            note = threshold_note(cfg, from_cv="cv" in metrics, tuned_on=held_out_note(metrics))
            title = f"{cfg.model['name']} on {cfg.data.path}"
            result["report"] = str(out / write_classifier_report(folder, model, scored, extra, title, run, note).name)
    return {**result, "seconds": round(time.perf_counter() - start, 1)}


def train_classifier_cv(cfg: RunConfig, log=print, overwrite: bool = False) -> dict:
    """Grouped k-fold cross-validation over every labelled row, then the model refitted on all."""
    from .classifier_card import calibration_note, fit_line
    from .cross_validation import on_rows
    from .evaluation import scored_from_cv

    start = time.perf_counter()
    data = load_split(cfg.data, None)
    log(f"data: {cfg.data.path} rows={len(data.texts)} (all labelled rows; protocol: cv)"
        + _dropped_note(cfg.data, data))
    files = _log_labels_files(cfg.data, log)
    folds = cv_folds(cfg, data, "group")
    log(f"grouped {len(folds)}-fold cross-validation over near-copy groups:")
    cv = cross_validate_config(cfg, data, folds, log=log)
    metrics = {"cv": {"summary": cv["summary"], "pooled": cv["pooled"], "folds": cv["folds"]}}
    sure = data.sure_rows()
    if sure is not None:
        metrics["cv_sure"] = on_rows(cv, folds, sure, cfg.data.labels)
    extra, rule = {}, None
    if cfg.evaluation.keyword_baseline and (rule := keyword_rule_for(cfg, cfg.data.labels, log)) is not None:
        rule = keyword_rule_cv(cfg, data, folds, rule)
        metrics["keyword_rule_cv"] = {"summary": rule["summary"], "pooled": rule["pooled"]}
        extra["Keyword rule, same folds (pooled)"] = rule["pooled"]
    bar = reader_bar(cfg, reader_bar_inputs(cfg, data), cv, rule)
    if bar:
        metrics["reader_bar"] = bar
    model, metrics["final_fit"] = final_fit(cfg, data, cv["proba"])
    log(fit_line(cfg.model["name"], metrics["final_fit"]) + ": "
        + ", ".join(f"{k} {v:.3f}" for k, v in model.thresholds_.items()))
    if not all(getattr(model, "calibration_", {}).get("out_of_fold", [True])):
        log(calibration_note(model).replace("`", ""))
    scored = {"cv": scored_from_cv(cv, data, list(model.classes_), cfg.evaluation.worst_errors)}
    return _write_model_dir(cfg, model, metrics, scored, extra, {"all (cross-validated, then the final fit)": data},
                            start, (data.ids, "every labelled row (protocol cv)"), files, overwrite)


def train_classifier(cfg: RunConfig, log=print, overwrite: bool = False) -> dict:
    from .evaluation import keyword_baseline, score_classifier

    if cfg.evaluation.protocol == "cv":
        return train_classifier_cv(cfg, log=log, overwrite=overwrite)
    start = time.perf_counter()
    train, dev, test = (load_split(cfg.data, s) for s in ("train", "dev", "test"))
    log(f"data: {cfg.data.path} train={len(train.texts)} dev={len(dev.texts)} test={len(test.texts)}"
        + _dropped_note(cfg.data, train, dev, test))
    files = _log_labels_files(cfg.data, log)
    model = _fit_tuned(cfg, train, dev)
    log(f"trained {cfg.model['name']} in {time.perf_counter() - start:.1f}s")

    worst = cfg.evaluation.worst_errors
    scored = {"dev": score_classifier(model, dev, worst), "test": score_classifier(model, test, worst)}
    metrics = {name: s["metrics"] for name, s in scored.items()}
    extra = {}
    rule = (keyword_rule_for(cfg, list(model.classes_), log)
            if model.multi_label_ and cfg.evaluation.keyword_baseline else None)
    if rule is not None:
        metrics["keyword_rule_test"] = extra["Keyword rule, test split"] = keyword_baseline(rule, test)
    if cfg.data.heldout_split_field:
        field_ = cfg.data.heldout_split_field
        h_train, h_dev, h_test = (load_split(cfg.data, s, field_) for s in ("train", "dev", "test"))
        h_model = _fit_tuned(cfg, h_train, h_dev)
        scored["heldout_test"] = score_classifier(h_model, h_test, worst)
        metrics["heldout_test"] = scored["heldout_test"]["metrics"]
        if rule is not None:
            metrics["keyword_rule_heldout_test"] = extra["Keyword rule, held-out split"] = keyword_baseline(
                rule, h_test)
        log(f"held-out evaluation on {field_}: test={len(h_test.texts)}")
    learned = (train.ids + dev.ids, f"{cfg.data.split_field} = train (fitted) and dev (thresholds tuned)")
    return _write_model_dir(cfg, model, metrics, scored, extra, {"train": train, "dev": dev, "test": test}, start,
                            learned, files, overwrite)


PROTOCOL_TITLES = {
    "group": "grouped k-fold (near-copies together, stratified on each group's rarest tag)",
    "publisher": "leave one publisher out (publishers below evaluation.publisher_min_rows share one fold)",
    "newer": "newest news held out (dated evaluation.newer_from or later; fitted on older and undated news)",
}


def protocols_for(cfg: RunConfig, choice: str) -> list[str]:
    """The protocols ``mlpkg cv --protocol`` runs: ``all`` is group, publisher and, where the config
    sets ``evaluation.newer_from``, newer; ``both`` is group and publisher."""
    if choice == "all":
        return ["group", "publisher"] + (["newer"] if cfg.evaluation.newer_from is not None else [])
    return ["group", "publisher"] if choice == "both" else [choice]


def run_cv(cfg: RunConfig, protocols: list[str], out: str | Path, log=print) -> dict:
    """Cross-validate ``cfg`` under each protocol beside the keyword rule on the same folds; write
    ``cv.json``, ``cv.md`` and (``evaluation.report``) ``report.html`` with out-of-fold plots to ``out``.
    Where readers marked decisions unsure (``data.confidence_field``), both are also scored on the
    same predictions without those rows (``model_sure``, ``keyword_rule_sure``)."""
    from ..evaluate.agreement import reader_bar_table
    from .cross_validation import format_cv_table, on_rows
    from .evaluation import scored_from_cv, write_classifier_report

    require_for(resolve(cfg.model["name"]), f"model {cfg.model['name']!r}")
    out = Path(out)
    data = load_split(cfg.data, None)
    log(f"data: {cfg.data.path} rows={len(data.texts)}")
    sure = data.sure_rows()
    keyword_rule = keyword_rule_for(cfg, cfg.data.labels, log)
    bar_inputs = reader_bar_inputs(cfg, data)
    results, md, scored = {}, [f"# Cross-validation of `{cfg.model['name']}` on `{cfg.data.path}`", ""], {}
    text = [f"Cross-validation of {cfg.model['name']} on {cfg.data.path}"]
    for protocol in protocols:
        if protocol not in PROTOCOL_TITLES:
            raise ConfigError(f"--protocol: unknown protocol {protocol!r}; allowed: {', '.join(PROTOCOL_TITLES)}")
        folds = cv_folds(cfg, data, protocol)
        log(f"{protocol}: {PROTOCOL_TITLES[protocol]}, {len(folds)} fold{'s' if len(folds) > 1 else ''}")
        cv = cross_validate_config(cfg, data, folds, log=log)
        rule = keyword_rule_cv(cfg, data, folds, keyword_rule) if keyword_rule is not None else None
        results[protocol] = {"model": {"summary": cv["summary"], "pooled": cv["pooled"], "folds": cv["folds"]}}
        tables = [(results[protocol]["model"], "Model")]
        if rule is not None:
            results[protocol]["keyword_rule"] = {"summary": rule["summary"], "pooled": rule["pooled"]}
            tables.append((results[protocol]["keyword_rule"], "Keyword rule (3+ hits of the lexicon's terms)"))
        if sure is not None:  # the same predictions without the rows whose readers were unsure
            results[protocol]["model_sure"] = on_rows(cv, folds, sure, cfg.data.labels)
            title = sure_title(results[protocol]["model_sure"]["left_out"])
            tables.append((results[protocol]["model_sure"], f"Model, {title}"))
            if rule is not None:
                rule_sure = on_rows(rule, folds, sure, cfg.data.labels)
                results[protocol]["keyword_rule_sure"] = {"summary": rule_sure["summary"],
                                                          "pooled": rule_sure["pooled"]}
                tables.append((results[protocol]["keyword_rule_sure"], f"Keyword rule, {title}"))
        bar = reader_bar(cfg, bar_inputs, cv, rule)
        if bar:
            results[protocol]["reader_bar"] = bar
        md += [f"## {protocol}: {PROTOCOL_TITLES[protocol]}", ""]
        text += ["", f"{protocol}: {PROTOCOL_TITLES[protocol]}"]
        for result, name in tables:
            md += [format_cv_table(result, name, markdown=True), ""]
            text += ["", format_cv_table(result, name)]
        if bar:
            md += [reader_bar_table(bar, results[protocol]["model"], markdown=True), ""]
            text += ["", reader_bar_table(bar, results[protocol]["model"])]
        scored[protocol] = scored_from_cv(cv, data, cfg.data.labels, cfg.evaluation.worst_errors)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "cv.json", results)
    (out / "cv.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    if cfg.evaluation.report:
        labels_only = _LabelsOnly(cfg.data.labels)
        write_classifier_report(out, labels_only, scored, title=f"Cross-validation of {cfg.model['name']}")
    return {"output_dir": str(out), "results": results, "markdown": "\n".join(md), "text": "\n".join(text)}


class _LabelsOnly:
    """What the report writer reads of a model when the figures come from out-of-fold predictions."""

    multi_label_ = True

    def __init__(self, labels: list[str]):
        self.classes_ = list(labels)
        self.thresholds_ = {}

    def binarize(self, y: list):
        from ..evaluate.metrics import tag_matrix

        return tag_matrix(y, self.classes_)


def sure_title(left_out: int) -> str:
    """The title of a table scored without the rows whose reading was marked unsure."""
    return f"sure labels only (the {left_out:,} rows read with low confidence left out)"


