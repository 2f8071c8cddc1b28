"""``mlpkg evaluate``: score any saved model directory on a labelled file."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import yaml

from ..config import TrackingConfig
from ..core.directory import load_model
from ..core.files import write_json
from ..errors import LearnedRowsWarning
from .metrics import format_table


def _training_data_fields(model_dir: Path) -> dict:
    cfg_file = Path(model_dir) / "config.yaml"
    if cfg_file.exists():
        return (yaml.safe_load(cfg_file.read_text(encoding="utf-8")) or {}).get("data", {})
    return {}


def saved_tracking(model_dir: str) -> TrackingConfig:
    """The ``tracking`` settings of the config a model was trained with (defaults where it has none)."""
    cfg_file = Path(model_dir) / "config.yaml"
    saved = (yaml.safe_load(cfg_file.read_text(encoding="utf-8")) or {}).get("tracking") if cfg_file.is_file() else None
    fields = TrackingConfig.__dataclass_fields__
    return TrackingConfig(**{k: v for k, v in (saved or {}).items() if k in fields})


def evaluate_model_dir(model_dir: str, data: str, split: str | None = None, output: str | None = None,
                       text_field: str | None = None, label_field: str | None = None,
                       split_field: str | None = None) -> dict:
    """Metrics of a saved classifier or summariser on ``data``; optionally writes a report folder."""
    model = load_model(model_dir)
    if model.kind == "summarizer":
        from ..summarize.evaluation import evaluate_summarizer_file

        fields = {"split_field": split_field} if split_field else {}
        return evaluate_summarizer_file(model, data, split=split, output=output, **fields)

    from ..classify.evaluation import score_classifier, write_classifier_report
    from ..config import DataConfig
    from ..data.labelled import load_split
    from .provenance import run_metadata

    saved = {k: v for k, v in _training_data_fields(Path(model_dir)).items() if k in DataConfig.__dataclass_fields__}
    # exactly the file and split asked for, with the model's own label set: no dropped labels, no train
    # subsampling, and none of the labels files the model was trained with (its own training rows)
    fields = DataConfig(**{**saved, "path": data, "labels": list(model.classes_), "drop_labels": [],
                           "max_train_rows": None, "extra_labels": []})
    fields.text_field = text_field or fields.text_field
    fields.label_field = label_field or fields.label_field
    rows = load_split(fields, split, split_field, config_labels=False, multi_label=model.multi_label_)
    scored = score_classifier(model, rows)
    name = split or Path(data).stem
    result = {"metrics": scored["metrics"], "table": format_table(scored["metrics"], f"{model_dir} on {data} ({name})")}
    warning = _learned_rows_warning(Path(model_dir), rows.ids)
    if warning:
        result["learned_rows"] = warning.learned
        warnings.warn(warning, stacklevel=2)
    if output:
        out = Path(output)
        out.mkdir(parents=True, exist_ok=True)
        learned = {"learned_rows": warning.learned} if warning else {}
        write_json(out / "metrics.json", {name: {**scored["metrics"], "intervals": scored["intervals"],
                                                 "by_publisher": scored["by_publisher"], **learned}})
        note = f"The thresholds saved with the model (see {model_dir}/README.md for how they were tuned)."
        result["report"] = str(write_classifier_report(out, model, {name: scored}, title=f"{model_dir} on {data}",
                                                       run=run_metadata(data), threshold_note=note,
                                                       warning=str(warning) if warning else ""))
    return result


def _learned_rows_warning(model_dir: Path, ids: list) -> LearnedRowsWarning | None:
    """A warning when some of ``ids`` are rows the model learned from (its ``learned_from.json``), else None."""
    from .provenance import learned_rows

    path = model_dir / "learned_from.json"
    if not path.is_file():
        return None
    learned = json.loads(path.read_text(encoding="utf-8"))
    n = learned_rows(learned, ids)
    if not n:
        return None
    warning = LearnedRowsWarning(
        f"{n:,} of the {len(ids):,} rows evaluated are rows {model_dir} learned from ({learned['selection']} of "
        f"{learned['data']}): their scores are optimistic, not an estimate for new articles. For figures from "
        f"a model that never saw the row: mlpkg cv --config {model_dir / 'config.yaml'}")
    warning.learned = n
    return warning
