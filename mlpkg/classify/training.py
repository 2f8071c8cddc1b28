"""Train, tune and evaluate a model from a :class:`~mlpkg.config.RunConfig`; write its directory."""

from __future__ import annotations

import difflib
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..config import DataConfig, RunConfig, config_yaml
from ..core.directory import check_model_dir_target, new_model_dir, write_model_files
from ..core.files import write_json
from ..core.registry import build_model, resolve
from ..data.load import check_schema, load_table, resolve_data_path
from ..errors import ConfigError, DataError
from ..extras import require_for
from ..text.normalize import article_text


@dataclass
class LabelledSplit:
    ids: list[str]
    texts: list[str]
    y: list = field(default_factory=list)
    groups: list = field(default_factory=list)  # near-copy groups (the row's own index where the file has none)
    publishers: list = field(default_factory=list)  # empty where the file has no publisher column
    titles: list = field(default_factory=list)  # for reports; empty where the file has no title column
    dates: list = field(default_factory=list)  # publication dates as written; empty where the file has none
    confidence: list = field(default_factory=list)  # "high", "low" or "" (not read); empty where the file has none
    dropped: int = 0  # rows left out because every label they carry is in data.drop_labels
    # per row, the tags nobody decided (labels-file rows: masked for those tags); empty where every tag is decided
    undecided: list = field(default_factory=list)

    def subset(self, index) -> "LabelledSplit":
        pick = [int(i) for i in index]
        columns = (self.ids, self.texts, self.y, self.groups, self.publishers, self.titles, self.dates,
                   self.confidence)
        undecided = [self.undecided[i] for i in pick] if self.undecided else []
        return LabelledSplit(*([values[i] for i in pick] if values else [] for values in columns),
                             undecided=undecided if any(undecided) else [])

    def sure_rows(self) -> np.ndarray | None:
        """Rows whose reading was not marked unsure (confidence ``low``), or None where no row is marked."""
        low = np.array([c == "low" for c in self.confidence], dtype=bool)
        return ~low if low.any() else None


def check_label_set(ds, d: DataConfig) -> None:
    """Blame ``data.labels`` when one of its labels is on no row and a row carries a label close to
    it (a typo in the config, not in the data file)."""
    if not d.labels or d.label_field not in ds.column_names:
        return
    present = {t for v in ds[d.label_field] for t in ([v] if isinstance(v, str) else v or [])}
    outside = sorted(present - set(d.labels) - set(d.drop_labels))
    for label in d.labels:
        guess = difflib.get_close_matches(label, outside, n=1) if label not in present else []
        if guess:
            raise ConfigError(f"data.labels: {label!r} is the label of no row of {d.path} (column {d.label_field!r}), "
                              f"which has {outside} besides data.labels; did you mean {guess[0]!r}?")


def load_split(d: DataConfig, split: str | None, split_field: str | None = None,
               config_labels: bool = True, multi_label: bool | None = None) -> LabelledSplit:
    """Rows of one split (``None``: every row) as ids, article texts (title + body) and labels.

    ``config_labels``: ``d.labels`` was written in a config (so a typo in it is blamed on the config);
    ``False`` where the labels come from a saved model. ``multi_label``: how a CSV's label column is
    read (:func:`~mlpkg.data.load.csv_tags`; None: from the column).
    """
    split_field = split_field or d.split_field
    ds = load_table(d.path, split, split_field, columns=(d.text_field, d.label_field), tag_field=d.label_field,
                    multi_label=multi_label)
    if config_labels:
        check_label_set(ds, d)
    check_schema(ds, d.path, text_field=d.text_field, label_field=d.label_field,
                 labels=(d.labels + d.drop_labels) if d.labels else None)
    has_titles = bool(d.title_field) and d.title_field in ds.column_names
    titles = ds[d.title_field] if has_titles else [None] * len(ds)
    ids = ds[d.id_field] if d.id_field in ds.column_names else [f"{split or 'row'}:{i}" for i in range(1, len(ds) + 1)]
    texts = [article_text(t, b) for t, b in zip(titles, ds[d.text_field])]
    labels = ds[d.label_field]
    drop = set(d.drop_labels)
    # a row whose labels are all dropped is dropped (a multi-label row must not become a negative);
    # a multi-label row that keeps some labels loses only the dropped ones
    keep = [i for i, y in enumerate(labels) if not (drop and _labels_of(y) and set(_labels_of(y)) <= drop)]
    if isinstance(labels[0] if labels else None, list):
        labels = [[t for t in y if t not in drop] for y in labels]
    dropped = len(labels) - len(keep)
    if d.max_train_rows and split == "train":
        keep = keep[: d.max_train_rows]
    groups = ds[d.group_field] if d.group_field and d.group_field in ds.column_names else list(range(len(ds)))
    publishers = ds[d.publisher_field] if d.publisher_field and d.publisher_field in ds.column_names else []
    dates = ds[d.date_field] if d.date_field and d.date_field in ds.column_names else []
    confidence = _confidence(ds, d)
    data = LabelledSplit([ids[i] for i in keep], [texts[i] for i in keep], [labels[i] for i in keep],
                         [groups[i] for i in keep], [publishers[i] for i in keep] if publishers else [],
                         [titles[i] for i in keep] if has_titles else [], [dates[i] for i in keep] if dates else [],
                         [confidence[i] for i in keep] if confidence else [], dropped)
    return with_extra_labels(data, d) if d.extra_labels and split in (None, "train") else data


def _confidence(ds, d: DataConfig) -> list[str]:
    """``d.confidence_field`` as "high", "low" or "" (not read), or [] where the file has no such column."""
    from ..label.store import CONFIDENCE

    if not d.confidence_field or d.confidence_field not in ds.column_names:
        return []
    values = [str(v or "").strip().lower() for v in ds[d.confidence_field]]
    bad = next((i for i, v in enumerate(values) if v and v not in CONFIDENCE), None)
    if bad is not None:
        raise DataError(f"{d.path}: row {bad + 1}: {d.confidence_field} (data.confidence_field) must be one of "
                        f"{', '.join(CONFIDENCE)} or empty (not read), got {ds[d.confidence_field][bad]!r}; "
                        "set data.confidence_field=null if the column means something else")
    return values


def with_extra_labels(data: LabelledSplit, d: DataConfig) -> LabelledSplit:
    """``data`` plus the live decisions of ``d.extra_labels`` (each its own near-copy group), after the
    labels files' checks: known tags, a reason where unsure, no id decided twice or already in ``d.path``."""
    from ..label.store import labelled_rows

    if not d.labels:
        raise ConfigError("data.extra_labels needs data.labels (the tag set the labels files are checked against)")
    table = load_table(d.path, columns=(d.text_field, d.label_field))
    known = table[d.id_field] if d.id_field in table.column_names else []
    rows = labelled_rows([resolve_data_path(p) for p in d.extra_labels], d.labels, known, d.path)
    undecided = (data.undecided or [[] for _ in data.ids]) + [r["undecided"] for r in rows]
    add = [[r["id"] for r in rows], [article_text(r["title"], r["text"]) for r in rows], [r["tags"] for r in rows],
           [f"label:{r['id']}" for r in rows], ["(labels file)"] * len(rows) if data.publishers else [],
           [r["title"] or "" for r in rows] if data.titles else [], [None] * len(rows) if data.dates else [],
           [r["confidence"] for r in rows] if data.confidence else []]
    return LabelledSplit(*(old + new for old, new in zip(
        (data.ids, data.texts, data.y, data.groups, data.publishers, data.titles, data.dates, data.confidence), add)),
        data.dropped, undecided if any(undecided) else [])


def labels_files(d: DataConfig) -> list[dict]:
    """Provenance of ``d.extra_labels`` (name, sha256, decisions, articles), for the log, run.json and the card."""
    from ..label.store import describe_labels_files

    return describe_labels_files((p, resolve_data_path(p)) for p in d.extra_labels)


def _log_labels_files(d: DataConfig, log) -> list[dict]:
    from ..label.store import labels_files_line

    files = labels_files(d)
    if files:
        log(labels_files_line(files))
    return files


def _labels_of(y) -> list:
    return [y] if isinstance(y, str) else list(y or [])


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


def fit_line(name: str, done: dict) -> str:
    """What :func:`final_fit` did, in words: ``"refitted ... on all 12,844 rows; thresholds from ..."``."""
    rows = f"all {done['of']:,}" if done["rows"] == done["of"] else f"{done['rows']:,} of the {done['of']:,}"
    return f"refitted {name} on {rows} rows; thresholds from {done['thresholds']}"


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


def reader_bar_inputs(cfg: RunConfig, data: LabelledSplit) -> tuple[dict | None, np.ndarray | None]:
    """What :func:`reader_bar` needs of the config and the rows, read once for every protocol and system:
    the readers' agreement per tag (``evaluation.reader_agreement``) and which positives lack the tag's
    own words (``evaluation.core_terms``); None where the config sets it not."""
    from ..evaluate.agreement import keyword_free_rows, read_agreement

    agreement = (read_agreement(resolve_data_path(cfg.evaluation.reader_agreement), cfg.data.labels)
                 if cfg.evaluation.reader_agreement else None)
    free = (keyword_free_rows(data.texts, cfg.evaluation.core_terms, cfg.data.labels)
            if cfg.evaluation.core_terms else None)
    return agreement, free


def reader_bar(cfg: RunConfig, inputs: tuple[dict | None, np.ndarray | None], cv: dict,
               rule: dict | None = None) -> dict:
    """What the config measures the model against besides F1: the readers' agreement and the
    keyword-free recall of the model and the keyword rule on the rows ``cv`` scored (``inputs`` from
    :func:`reader_bar_inputs`). Empty where the config sets neither."""
    from ..evaluate.agreement import keyword_free_recall

    agreement, free = inputs
    out: dict = {"reader_agreement": agreement} if agreement is not None else {}
    if free is not None:
        scored = ~np.isnan(cv["proba"]).any(axis=1)
        out["keyword_free"] = keyword_free_recall(cv["Y"], cv["pred"], free, cfg.data.labels, scored)
        if rule is not None:
            out["keyword_rule_keyword_free"] = keyword_free_recall(rule["Y"], rule["pred"], free, cfg.data.labels,
                                                                   scored)
    return out


def reader_bar_table(bar: dict, model: dict, markdown: bool = False) -> str:
    """The model's F1 beside the readers' agreement, with its keyword-free recall ('' where no bar is set)."""
    from ..evaluate.agreement import agreement_table

    if not bar:
        return ""
    return agreement_table(bar.get("reader_agreement"), model, bar.get("keyword_free"),
                           "Against the readers: agreement between two blind readings, and recall on positives "
                           "without the tag's own words (evaluation.core_terms)", markdown,
                           bar.get("keyword_rule_keyword_free"))


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
    from .classifier_card import calibration_note
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


SPLIT_TITLES = {
    "dev": "dev split (thresholds tuned here: optimistic)",
    "test": "test split",
    "heldout_test": "held-out test split (a model retrained without it)",
    "keyword_rule_test": "keyword rule, test split",
    "keyword_rule_heldout_test": "keyword rule, held-out test split",
}
CV_TITLES = {
    "cv": "Model, grouped cross-validation (out of fold)",
    "cv_sure": "Model, the same predictions",
    "keyword_rule_cv": "Keyword rule (3+ hits of the lexicon's terms), same folds",
}


def sure_title(left_out: int) -> str:
    """The title of a table scored without the rows whose reading was marked unsure."""
    return f"sure labels only (the {left_out:,} rows read with low confidence left out)"


def train(cfg: RunConfig, log=print, overwrite: bool = False) -> dict:
    """Run what the config describes; returns the output directory and the metrics.

    The model folder replaces ``output_dir`` whole when that is missing, empty or a previous
    model; any other folder is refused before training starts, unless ``overwrite``.
    """
    require_for(resolve(cfg.model["name"]), f"model {cfg.model['name']!r}")
    check_model_dir_target(cfg.output_dir, overwrite)
    if cfg.task == "summarize":
        from ..summarize.training import train_summarizer

        return train_summarizer(cfg, log=log, overwrite=overwrite)
    return train_classifier(cfg, log=log, overwrite=overwrite)


def summary_lines(result: dict) -> list[str]:
    from ..evaluate.metrics import format_table
    from .cross_validation import format_cv_table

    lines = []
    for key, metrics in result["metrics"].items():
        # summarisers log their ROUGE table while training; classifiers are tabulated here
        if isinstance(metrics, dict) and "per_label" in metrics:
            lines += ["", format_table(metrics, SPLIT_TITLES.get(key, key))]
        elif isinstance(metrics, dict) and "summary" in metrics:
            title = CV_TITLES.get(key, key)
            if "left_out" in metrics:
                title += f", {sure_title(metrics['left_out'])}"
            lines += ["", format_cv_table(metrics, title)]
    if "reader_bar" in result["metrics"]:
        lines += ["", reader_bar_table(result["metrics"]["reader_bar"], result["metrics"]["cv"])]
    lines += ["", f"model written to {result['output_dir']} ({result['seconds']}s); model card: "
              f"{Path(result['output_dir']) / 'README.md'}"]
    if "report" in result:
        lines.append(f"report: {result['report']} (open it in a browser)")
    return lines
