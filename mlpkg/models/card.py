"""The model card: README.md in every model directory."""

from __future__ import annotations

from ..evaluate.metrics import format_table


def _cv_metrics(cfg, metrics: dict) -> list[str]:
    from ..evaluate.cv import format_cv_table

    lines = [
        f"Grouped {cfg.evaluation.cv_folds}-fold cross-validation over every labelled row (near-copies in one fold, "
        "folds stratified on every tag). Each fold refits the model, its calibration and its thresholds on the other "
        "folds. F1 mean ± std counts the folds with 3+ positives of the tag (a fold's macro averages the tags it can "
        "measure); *pooled* scores all out-of-fold "
        "predictions at once; ECE is the expected calibration error of the out-of-fold probabilities (10 bins).",
        "",
        format_cv_table(metrics["cv"], "**Model**"),
        "",
    ]
    if "keyword_rule_cv" in metrics:
        lines += [format_cv_table(metrics["keyword_rule_cv"], "**Keyword rule** (a tag at 3+ keyword hits)"), ""]
    if "publisher_cv" in metrics:
        lines += [format_cv_table(metrics["publisher_cv"], "**Leave one publisher out** (`mlpkg cv`)"), ""]
    return lines


def classifier_card(cfg, model, data_counts: dict[str, int], metrics: dict) -> str:
    name = cfg.model["name"]
    lines = [
        f"# {cfg.output_dir}: {'multi-label topic tagger' if model.multi_label_ else 'news category classifier'}",
        "",
        f"Model `{name}` trained by mlpkg from `{cfg.data.path}` (seed {cfg.seed}). Labels: "
        + ", ".join(f"`{label}`" for label in model.labels_)
        + ("; no tag means *other*." if model.multi_label_ else "."),
        "",
        "## Data",
        "",
        "| split | rows |",
        "|---|---:|",
        *[f"| {k} | {v} |" for k, v in data_counts.items()],
        "",
        "## Metrics",
        "",
    ]
    if "cv" in metrics:
        lines += _cv_metrics(cfg, metrics)
    else:
        lines += [format_table(metrics["test"], "Test split (in distribution)"), ""]
    for key, title in (
        ("heldout_test", f"Held-out split `{cfg.data.heldout_split_field}` (a model retrained without it)"),
        ("keyword_rule_test", "Keyword rule on the test split (a tag when its words occur 3+ times)"),
        ("keyword_rule_heldout_test", "Keyword rule on the held-out split"),
    ):
        if key in metrics:
            lines += [format_table(metrics[key], title), ""]
    if model.multi_label_ and "cv" in metrics:
        lines += [
            "## Decision thresholds",
            "",
            f"Tuned for `{cfg.thresholds.objective}` on the calibrated out-of-fold probabilities of every labelled "
            "row (each row scored by a model fitted without its near-copy group): "
            + ", ".join(f"`{k}` {v:.3f}" for k, v in model.thresholds_.items())
            + f". A label with fewer than {cfg.thresholds.min_positives} positives keeps 0.5.",
            "",
        ]
    elif model.multi_label_:
        lines += [
            "## Decision thresholds",
            "",
            f"Tuned on the dev split for `{cfg.thresholds.objective}`"
            + (f" (precision >= {cfg.thresholds.min_precision})" if cfg.thresholds.objective == "min_precision" else "")
            + ": "
            + ", ".join(f"`{k}` {v:.3f}" for k, v in model.thresholds_.items())
            + f". A label with fewer than {cfg.thresholds.min_positives} positive dev articles is not tuned: "
            "it keeps 0.5 on the calibrated probability.",
            "",
        ]
    params = ", ".join(f"{k}={v!r}" for k, v in model.get_params().items())
    lines += [
        "## Settings",
        "",
        f"`{params}`",
        "",
        "The full resolved configuration is in `config.yaml`.",
        "",
        "## Intended use",
        "",
        "Tagging Indonesian news articles (title + body, raw text: the model cleans datelines and link teasers "
        "itself) for routing and monitoring. Scores are calibrated probabilities; tags use the thresholds above.",
        "",
        "## Limits",
        "",
        "- Rare tags have few examples (see supports above): per-label F1 on tens of articles moves by several "
        "points with one article; read the counts, not only the scores.",
        "- Trained on 2015-2025 news from a handful of national portals; regional outlets, opinion pieces and "
        "non-news text (press releases, social media) were not seen.",
        "- Labels follow `LABELLING.md`: an article is tagged only when it is mainly about the topic.",
        "",
        "## Files",
        "",
        "`mlpkg.json` (metadata, labels, thresholds), `weights.npz`/`vocab_*.json` or `model.safetensors` (weights, "
        "no pickle), `metrics.json`, `config.yaml`, `report.html` with PNG plots, `manifest.json` (sha256 of every file; "
        "loading refuses a changed file).",
    ]
    return "\n".join(lines) + "\n"
