"""``mlpkg evaluate``: score any saved model directory on a labelled file."""

from __future__ import annotations

from pathlib import Path

import yaml

from ..data.load import check_schema, load_table
from ..models import load_model
from ..models.directory import write_json
from ..text.normalize import article_text
from .metrics import format_table


def _training_data_fields(model_dir: Path) -> dict:
    cfg_file = Path(model_dir) / "config.yaml"
    if cfg_file.exists():
        return (yaml.safe_load(cfg_file.read_text(encoding="utf-8")) or {}).get("data", {})
    return {}


def evaluate_model_dir(model_dir: str, data: str, split: str | None = None, output: str | None = None,
                       text_field: str | None = None, label_field: str | None = None) -> dict:
    """Metrics of a saved classifier or summariser on ``data``; optionally writes a report folder."""
    model = load_model(model_dir)
    if model.kind == "summarizer":
        from ..summarize.evaluation import evaluate_summarizer_file

        return evaluate_summarizer_file(model, data, split=split, output=output)

    from .classify import score_classifier, write_classifier_report

    fields = _training_data_fields(Path(model_dir))
    text_field = text_field or fields.get("text_field", "text")
    label_field = label_field or fields.get("label_field", "tags")
    title_field = fields.get("title_field", "title")
    ds = load_table(data, split, fields.get("split_field", "split"))
    check_schema(ds, data, text_field=text_field, label_field=label_field, labels=model.labels_)
    titles = ds[title_field] if title_field and title_field in ds.column_names else [None] * len(ds)
    texts = [article_text(t, b) for t, b in zip(titles, ds[text_field])]
    ids = ds["id"] if "id" in ds.column_names else None
    scored = score_classifier(model, texts, ds[label_field], ids)
    name = split or Path(data).stem
    if output:
        out = Path(output)
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / "metrics.json", {name: scored["metrics"]})
        write_classifier_report(out, model, {name: scored}, title=f"{model_dir} on {data}")
    return {"metrics": scored["metrics"], "table": format_table(scored["metrics"], f"{model_dir} on {data} ({name})")}
