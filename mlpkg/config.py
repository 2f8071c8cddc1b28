"""Typed run configuration loaded from YAML.

``load_config("configs/topic_tfidf.yaml", overrides=["model.C=0.5"])`` returns a validated
:class:`RunConfig`. Unknown keys and bad values fail at load time, all of them in one
:class:`~mlpkg.errors.ConfigError` whose lines name the file, the dotted key, and the allowed keys or values.
"""

from __future__ import annotations

import dataclasses
import datetime
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .core.files import write_text
from .errors import ConfigError, allowed


def _choices(*values: Any, doc: str = "") -> Any:
    return field(default=values[0], metadata={"choices": values, "doc": doc})


def _within(default: Any, low: float, high: float | None = None, *, above: bool = False) -> Any:
    """A numeric setting checked at load: ``low <= value`` (``low < value`` when ``above``) and
    ``value <= high``; None passes where the type allows it."""
    return field(default=default, metadata={"range": (low, high, above)})


def _range_problem(value: Any, bounds: tuple) -> str | None:
    """The allowed range (``">= 2"``, ``"> 0.0 and <= 1.0"``) when ``value`` is outside ``bounds``
    (see :func:`_within`), else None."""
    low, high, above = bounds
    if value is None or isinstance(value, datetime.date):
        return None
    if (value > low if above else value >= low) and (high is None or value <= high):
        return None
    lower = f"> {low}" if above else f">= {low}"
    return lower if high is None else f"{lower} and <= {high}"


@dataclass
class DataConfig:
    """Where the labelled data lives and which columns mean what."""

    path: str = "data/topics.parquet"  # local parquet/jsonl/csv file, or a hub dataset name (online only)
    text_field: str = "text"
    title_field: str | None = "title"  # prepended to the text when present
    id_field: str = "id"
    label_field: str = "tags"  # a list of tags (multi-label) or one class name (single-label)
    split_field: str = "split"  # values train / dev / test
    labels: list[str] | None = None  # the label set; None = every label seen in train
    drop_labels: list[str] = field(default_factory=list)  # rows with only these labels are dropped
    heldout_split_field: str | None = None  # a second split column for an out-of-distribution test
    group_field: str | None = "group"  # near-copy groups: one group never spans two folds (absent: one row each)
    publisher_field: str | None = "publisher"  # for leave-one-publisher-out cross-validation
    date_field: str | None = "date"  # publication dates, for the newer protocol (ISO or as Indonesian sites write them)
    # the reader's confidence in a row's tags: high, low (unsure) or empty (not read); cross-validation
    # also scores the rows not marked low, to show how much of the error sits in unsure readings
    confidence_field: str | None = "confidence"
    max_train_rows: int | None = _within(None, 1)  # subsample train (quick experiments)
    # labels files of `mlpkg label` (JSONL decisions) added to the rows of `path` (protocol split: to train)
    extra_labels: list[str] = field(default_factory=list)
    # task: summarize. Absent columns are skipped (a file may have raw text and references only).
    summary_field: str = "summary"  # reference summary sentences, for ROUGE
    sentences_field: str = "sentences"  # the file's own sentence split (IndoSum's), scored besides the raw text
    paragraph_field: str = "paragraph"  # paragraph index of each of those sentences
    gold_field: str = "gold"  # gold extractive label (bool) of each sentence: what a trained summariser learns
    fold_field: str | None = None  # also rotate over its values: train on the other folds, test on each
    category_field: str | None = None  # each article's category (IndoSum's `category`): trained_lgbm.v2/.v3 read it


@dataclass
class ThresholdConfig:
    """How per-label decision thresholds are tuned on the dev split (multi-label only)."""

    objective: str = _choices("f1", "f1_calibrated", "min_precision",
                              doc="F1 peak; half the best F1 on calibrated scores; most recall at a precision floor")
    min_precision: float = _within(0.9, 0.0, 1.0, above=True)
    min_positives: int = _within(10, 0)  # labels with fewer dev positives keep 0.5 on the calibrated probability


@dataclass
class EvalConfig:
    # cv: cross-validate over every labelled row, then refit the shipped model on all of them, thresholds
    # from out-of-fold probabilities (a model that early-stops on dev: on four fifths, the fifth its dev);
    # split: train on `train`, tune on `dev`, test on `test` (data.split_field)
    protocol: str = _choices("split", "cv", doc="how the model is evaluated and what it is fitted on")
    cv_folds: int = _within(5, 2)  # grouped, multi-label stratified folds (protocol cv, mlpkg cv)
    publisher_min_rows: int = _within(150, 1)  # publishers with fewer rows share one "other publishers" fold
    # mlpkg cv --protocol newer: rows dated on or after this day (YYYY-MM-DD) are scored by a model
    # fitted on the older and undated rows; None: no such protocol
    newer_from: datetime.date | None = None
    report: bool = True  # write PNG plots and report.html
    keyword_baseline: bool = True  # score a keyword rule on the same splits (topic tagging)
    worst_errors: int = _within(20, 0)  # rows in each list of the report's worst errors (per tag: misses, false alarms)
    # tag -> the tag's own words (regular expressions, case-insensitive, matched at a word start): the
    # recall on positives whose text holds none of them ("keyword-free recall") is reported beside F1
    core_terms: dict = field(default_factory=dict)
    # JSONL of two blind readings per article ({"id", "reading": 1|2, "tags"}): per-tag agreement F1
    # between readers, reported beside the model's F1 (the bar a careful reader sets)
    reader_agreement: str | None = None


# where MLflow may keep its runs: a server, a database (SQLAlchemy URI) or a folder
TRACKING_SCHEMES = ("http", "https", "sqlite", "postgresql", "mysql", "mssql", "file")


@dataclass
class TrackingConfig:
    """MLflow tracking of ``train``, ``cv`` and ``evaluate`` runs (``pip install -e '.[track]'``); off by default.

    ``--track [URI]`` on the command line switches it on too. The store is ``--track URI``, else
    ``MLFLOW_TRACKING_URI``, else ``uri``, else ``sqlite:///mlruns.db`` in the working directory."""

    enabled: bool = False
    uri: str | None = None  # e.g. http://127.0.0.1:5000 or sqlite:///mlruns.db; scheme one of TRACKING_SCHEMES
    experiment: str = "mlpkg"  # MLflow experiment the runs go to (created when missing)


@dataclass
class RunConfig:
    task: str = _choices("classify", "summarize")
    data: DataConfig = field(default_factory=DataConfig)
    model: dict = field(default_factory=dict)  # {"name": <registered name>, **its parameters}
    thresholds: ThresholdConfig = field(default_factory=ThresholdConfig)
    evaluation: EvalConfig = field(default_factory=EvalConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    output_dir: str = "models/run"
    seed: int = _within(0, 0)  # numpy's generators take no negative seed

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _type_ok(value: Any, tp: Any) -> bool:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, arg) for arg in typing.get_args(tp))
    if tp is type(None):
        return value is None
    if origin is list:
        (inner,) = typing.get_args(tp)
        return isinstance(value, list) and all(_type_ok(v, inner) for v in value)
    if tp is dict:
        return isinstance(value, dict)
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, tp)


def _build(cls: type, raw: Any, where: Callable[[str], str], problems: list[str], prefix: str = "") -> Any:
    """``cls`` from ``raw``, every problem appended to ``problems`` (a bad key keeps its default).

    ``where(dotted_key)`` names what set the key: the file, or the ``--set`` override."""
    if not isinstance(raw, dict):
        name = prefix.rstrip(".")
        problems.append(f"{where(name)}: {name or 'the file'} must be a mapping, got {type(raw).__name__}")
        return cls()
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for name, value in raw.items():
        key = prefix + name
        if name not in fields:
            problems.append(f"{where(key)}: unknown key {key!r}; allowed keys: {allowed(fields)}")
            continue
        tp = hints[name]
        if dataclasses.is_dataclass(tp):
            kwargs[name] = _build(tp, value, where, problems, key + ".")
            continue
        choices = fields[name].metadata.get("choices")
        is_day = _type_ok(datetime.date(2000, 1, 1), tp)
        if is_day and isinstance(value, str):  # a quoted day: YAML reads an unquoted 2025-01-01 as a date already
            try:
                value = datetime.date.fromisoformat(value.strip())
            except ValueError:
                pass
        if not _type_ok(value, tp):
            expected = ("a day written YYYY-MM-DD, e.g. 2025-01-01" if is_day
                        else f"of type {getattr(tp, '__name__', tp)}")
            problems.append(f"{where(key)}: {key} must be {expected}, got {value!r}")
        elif choices and value not in choices:
            problems.append(f"{where(key)}: {key} must be one of {allowed(choices)}, got {value!r}")
        elif "range" in fields[name].metadata and (rule := _range_problem(value, fields[name].metadata["range"])):
            problems.append(f"{where(key)}: {key} must be {rule}, got {value!r}")
        else:
            kwargs[name] = value
    return cls(**kwargs)


def _blame(source: str, overrides: list[str]) -> Callable[[str], str]:
    """Who set a dotted key: the ``--set`` override that wrote it (or a key under it), else ``source``."""
    written = {item.split("=", 1)[0].strip(): item for item in overrides if "=" in item}

    def where(key: str) -> str:
        for dotted, item in written.items():
            if key == dotted or key.startswith(dotted + ".") or (key and dotted.startswith(key + ".")):
                return f"--set {item}"
        return source

    return where


def _parse_value(text: str) -> Any:
    """YAML value, with "5e-5" read as a number (YAML 1.1 wants "5.0e-5")."""
    value = yaml.safe_load(text)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def apply_overrides(raw: dict, overrides: list[str]) -> dict:
    """Apply ``a.b=value`` strings (value parsed as YAML) to a nested dict, in place."""
    for item in overrides or []:
        source = f"--set {item}"
        if "=" not in item:
            raise ConfigError(f"{source}: override {item!r} must look like key.sub=value")
        dotted, text = item.split("=", 1)
        node = raw
        parts = dotted.strip().split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"{source}: {dotted} goes through a non-mapping value")
        node[parts[-1]] = _parse_value(text)
    return raw


def parse_config(raw: dict, source: str = "<config>", overrides: list[str] | None = None) -> RunConfig:
    """A validated :class:`RunConfig` from a dict; errors name ``source``, or the override in
    ``overrides`` (already applied to ``raw``) that set the bad key. A config with several mistakes
    raises one :class:`ConfigError` that lists all of them."""
    where = _blame(source, overrides or [])
    problems: list[str] = []
    cfg = _build(RunConfig, raw, where, problems)
    if "name" not in cfg.model:
        problems.append(f"{where('model.name')}: model.name is required")
    else:
        from .core.registry import resolve

        try:
            cls = resolve(cfg.model["name"], where=f"{where('model.name')}: model.name")
        except ConfigError as exc:
            problems.extend(exc.problems)
        else:
            params = {k: v for k, v in cfg.model.items() if k != "name"}
            if "labels" in params and cls.kind == "classifier":  # the trainer sets them from data.labels
                problems.append(f"{where('model.labels')}: model.labels: a run's label set is data.labels; "
                                "set it there and remove model.labels")
            problems.extend(f"{where('model.' + exc.param)}: model.{exc.param}: {exc.detail}"
                            for exc in cls.param_problems(params))
            if getattr(cls, "uses_categories", False) and not cfg.data.category_field:
                problems.append(f"{where('data.category_field')}: data.category_field: {cfg.model['name']} learns "
                                "each article's category; name the data's category column (e.g. category)")
            problems.extend(_lead_block_problems(cfg, where))
    problems.extend(_core_terms_problems(cfg, where))
    problems.extend(_tracking_problems(cfg, where))
    if problems:
        raise ConfigError.listing(problems)
    return cfg


def _lead_block_problems(cfg: RunConfig, where: Callable[[str], str]) -> list[str]:
    """``model.lead_block_chars`` and ``model.lead_block_tags`` together, the tags from ``data.labels`` (or
    ``model.lexicon``, as for ``evaluation.core_terms``: a typo in data.labels is named where the data is read)."""
    from .classify.lead_block import lead_block_problem

    chars, tags = cfg.model.get("lead_block_chars"), cfg.model.get("lead_block_tags", [])
    if not cfg.data.labels or not isinstance(tags, (list, tuple)) or not isinstance(chars, (int, type(None))):
        return []  # no label set to check against, or a wrong type already named by the params table
    known = list(dict.fromkeys([*cfg.data.labels, *(cfg.model.get("lexicon") or {})]))
    problem = lead_block_problem(chars, tags, known)
    return [f"{where('model.lead_block_tags')}: model.{problem}"] if problem else []


def _core_terms_problems(cfg: RunConfig, where: Callable[[str], str]) -> list[str]:
    """``evaluation.core_terms``: tags of ``data.labels`` (or of ``model.lexicon``: a run narrowed to fewer
    labels keeps the config's terms for the others, unused), each a list of regular expressions."""
    import re

    problems = []
    tags = list(dict.fromkeys([*(cfg.data.labels or []), *(cfg.model.get("lexicon") or {})]))
    for tag, terms in cfg.evaluation.core_terms.items():
        key = f"evaluation.core_terms.{tag}"
        if cfg.data.labels and tag not in tags:
            problems.append(f"{where(key)}: {key}: {tag!r} is not a tag of data.labels; allowed: {allowed(tags)}")
        elif not isinstance(terms, list) or not all(isinstance(t, str) and t for t in terms):
            problems.append(f"{where(key)}: {key} must be a list of non-empty strings (regular expressions), "
                            f"got {terms!r}")
        else:
            for term in terms:
                try:
                    re.compile(term)
                except re.error as exc:
                    problems.append(f"{where(key)}: {key}: {term!r} is not a valid regular expression ({exc})")
    return problems


def tracking_uri_problem(uri: str) -> str | None:
    """What is wrong with a tracking store URI (``"must be a URI whose scheme is one of ..."``), or None:
    a typo such as ``htp://`` is named before anything runs, not after training."""
    scheme = uri.split(":", 1)[0].split("+", 1)[0].lower()  # postgresql+psycopg2:// is postgresql
    if ("://" in uri or uri.startswith("file:")) and scheme in TRACKING_SCHEMES:
        return None
    return (f"must be a URI whose scheme is one of {allowed(TRACKING_SCHEMES)}, e.g. http://127.0.0.1:5000 or "
            f"sqlite:///mlruns.db, got {uri!r}")


def _tracking_problems(cfg: RunConfig, where: Callable[[str], str]) -> list[str]:
    """``tracking.uri``: None or a URI of :data:`TRACKING_SCHEMES`; ``tracking.experiment``: not empty."""
    t, problems = cfg.tracking, []
    if t.uri is not None and (problem := tracking_uri_problem(t.uri)):
        problems.append(f"{where('tracking.uri')}: tracking.uri {problem}")
    if not t.experiment.strip():
        problems.append(f"{where('tracking.experiment')}: tracking.experiment must be a non-empty name, "
                        f"got {t.experiment!r}")
    return problems


def load_config(path: str | Path, overrides: list[str] | None = None) -> RunConfig:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"config file {str(path)!r} does not exist")
    with open(path, encoding="utf-8") as fh:
        try:
            raw = yaml.safe_load(fh) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    apply_overrides(raw, overrides or [])
    return parse_config(raw, source=str(path), overrides=overrides)


def config_yaml(cfg: RunConfig) -> str:
    """The resolved config as YAML (what a model directory keeps as ``config.yaml``)."""
    return yaml.safe_dump(cfg.to_dict(), sort_keys=False, allow_unicode=True)


def save_config(cfg: RunConfig, path: str | Path) -> None:
    write_text(path, config_yaml(cfg))
