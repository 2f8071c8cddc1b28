"""The model card: README.md in every model directory."""

from __future__ import annotations

from pathlib import Path

from ..evaluate.bootstrap import N_RESAMPLES
from ..evaluate.metrics import format_table
from ..evaluate.provenance import data_scope, data_table, metadata_rows, settings_lines
from ..evaluate.tables import group_table, render_table

DROPPED_COUNT = "rows dropped (every label in data.drop_labels)"


def _cv_metrics(cfg, metrics: dict) -> list[str]:
    from .cross_validation import format_cv_table

    lines = [
        f"Grouped {cfg.evaluation.cv_folds}-fold cross-validation over every labelled row (near-copies in one fold, "
        "folds stratified on each group's rarest tag). Each fold refits the model, its calibration and its thresholds on the other "
        "folds. F1 mean ± std counts the folds with 3+ positives of the tag (a fold's macro averages the tags it can "
        "measure); *pooled* scores all out-of-fold "
        "predictions at once; ECE is the expected calibration error of the out-of-fold probabilities (10 bins).",
        "",
        format_cv_table(metrics["cv"], "Model", markdown=True),
        "",
    ]
    if "cv_sure" in metrics:
        lines += [
            f"The same out-of-fold predictions scored without the {metrics['cv_sure']['left_out']:,} rows whose "
            f"reader marked the decision unsure (`{cfg.data.confidence_field}` low): how much of the error sits "
            "in articles the labelling rule book leaves borderline.",
            "",
            format_cv_table(metrics["cv_sure"], "Model, sure labels only", markdown=True),
            "",
        ]
    if "final_fit" in metrics:
        lines += [f"The shipped model: {fit_line('`' + cfg.model['name'] + '`', metrics['final_fit'])}.", ""]
    if "keyword_rule_cv" in metrics:
        lines += [format_cv_table(metrics["keyword_rule_cv"], "Keyword rule (a tag at 3+ hits of its model.lexicon terms)", markdown=True), ""]
    if "publisher_cv" in metrics:
        lines += [format_cv_table(metrics["publisher_cv"], "Leave one publisher out (`mlpkg cv`)", markdown=True), ""]
    if "reader_bar" in metrics:
        from ..evaluate.agreement import reader_bar_table

        lines += [
            "The bar: how far two readers applying the rule book agree (each article read twice, blind), beside "
            "the model's pooled out-of-fold F1; and the recall on positives whose text holds none of the tag's "
            "own words (`evaluation.core_terms`): whether the model reads the topic or counts its acronym.",
            "",
            reader_bar_table(metrics["reader_bar"], metrics["cv"], markdown=True),
            "",
        ]
    return lines


def threshold_note(cfg, from_cv: bool, tuned_on: str | None = None) -> str:
    """How the thresholds were chosen, for the card and the report (``tuned_on``: what the final fit
    tuned them on, from :func:`~mlpkg.classify.training.final_fit`, where it held out a dev fifth)."""
    t = cfg.thresholds
    how = {"min_precision": f" (precision >= {t.min_precision})",
           "f1_calibrated": " (the cut is half the best F1 those probabilities reach)"}
    goal = f"`{t.objective}`" + how.get(t.objective, "")
    if from_cv and tuned_on:
        return (f"Tuned for {goal} on {tuned_on}. A tag with fewer than {t.min_positives} positives there is "
                "not tuned: it keeps 0.5.")
    if from_cv:
        return (f"Tuned for {goal} on the calibrated out-of-fold probabilities of every labelled row (each row "
                f"scored by a model fitted without its near-copy group). A tag with fewer than {t.min_positives} "
                "positives is not tuned: it keeps 0.5.")
    return (f"Tuned for {goal} on the dev split. A tag with fewer than {t.min_positives} positive dev articles is "
            "not tuned: it keeps 0.5 on the calibrated probability.")


def held_out_note(metrics: dict) -> str | None:
    """What the final fit tuned its thresholds on where it held out a dev fifth, else None."""
    done = metrics.get("final_fit")
    return done["thresholds"] if done and done["rows"] < done["of"] else None


def calibration_note(model) -> str:
    """How each tag's probability was calibrated, where the model records it (``calibration_["out_of_fold"]``),
    else ''."""
    out_of_fold = getattr(model, "calibration_", {}).get("out_of_fold")
    if out_of_fold is None:
        return ""
    done = [f"`{label}`" for label, ok in zip(model.classes_, out_of_fold) if ok]
    rare = [f"`{label}`" for label, ok in zip(model.classes_, out_of_fold) if not ok]
    note = f"Calibrated by smoothed Platt scaling on out-of-fold scores: {', '.join(done)}." if done else ""
    if rare:
        note += (f" Too rare to calibrate out of fold (warning W001): {', '.join(rare)}: the uncalibrated sigmoid "
                 "of the decision score, threshold 0.5, not tuned (label more of them).")
    return note.strip()


def _uncertainty_lines(evaluated: dict, labels: list[str]) -> list[str]:
    """Bootstrap intervals and the per-publisher table of the main evaluation, where present."""
    lines = []
    metrics = evaluated.get("pooled", evaluated)
    if evaluated.get("intervals") and "per_label" in metrics:
        ci = evaluated["intervals"]
        rows = [[label, f"{m['f1']:.3f}", "{:.3f}–{:.3f}".format(*ci[label]["f1"]), str(m["support"])]
                for label, m in metrics["per_label"].items()]
        rows.append(["macro", f"{metrics['macro']['f1']:.3f}", "{:.3f}–{:.3f}".format(*ci["macro"]["f1"]), ""])
        lines += [render_table(["tag", "F1", "95% CI", "positives"], rows, "lrrr",
                               f"F1 with 95% bootstrap intervals (articles resampled {N_RESAMPLES:,} times, seed 0)", True), ""]
    if evaluated.get("by_publisher"):
        header, rows = group_table(evaluated["by_publisher"], labels, "publisher")
        lines += [render_table(header, rows, "lr" + "r" * (len(labels) + 1), "By publisher", True), ""]
    return lines


def _labels_line(data_path: str) -> list[str]:
    """Where the labels are documented: the data's own datasheet, when it ships beside the file."""
    from ..data.load import resolve_data_path

    sheet = resolve_data_path(data_path).parent / "DATASHEET.md"
    return [f"- How the labels were made: `{Path(data_path).parent / 'DATASHEET.md'}`."] if sheet.is_file() else []


def _run_lines(run: dict | None) -> list[str]:
    if not run:
        return []
    return ["## Run", "", render_table(["field", "value"], [[k, f"`{v}`"] for k, v in metadata_rows(run)], "ll",
                                       markdown=True), ""]


def _labels_files_note(run: dict | None) -> str:
    files = (run or {}).get("labels_files") or []
    return "".join(f" and the labels file `{f['file']}` ({f['decisions']} decisions on {f['articles']} articles)"
                   for f in files)


def classifier_card(cfg, model, profiles: dict[str, dict], metrics: dict, run: dict | None = None) -> str:
    """The card of a trained classifier; ``profiles`` (split -> :func:`~mlpkg.evaluate.provenance.describe_rows`)
    describe the rows the run used, so every claim about the data comes from the data."""
    name = cfg.model["name"]
    lines = [
        f"# {cfg.output_dir}: {'multi-label topic tagger' if model.multi_label_ else 'news category classifier'}",
        "",
        f"Model `{name}` trained by mlpkg from `{cfg.data.path}`{_labels_files_note(run)} (seed {cfg.seed}). Labels: "
        + ", ".join(f"`{label}`" for label in model.classes_)
        + ("; no tag means *other*." if model.multi_label_ else "."),
        "",
        "## Data",
        "",
        *data_table(profiles),
        "",
        *([f"{DROPPED_COUNT}: {sum(p['dropped'] for p in profiles.values())}.", ""]
          if any("dropped" in p for p in profiles.values()) else []),
        "## Metrics",
        "",
    ]
    if "cv" in metrics:
        lines += _cv_metrics(cfg, metrics)
    else:
        lines += [format_table(metrics["test"], "Test split (in distribution)", markdown=True), ""]
    for key, title in (
        ("dev", "Dev split (thresholds tuned on it, so optimistic)"),
        ("heldout_test", f"Held-out split `{cfg.data.heldout_split_field}` (a model retrained without it)"),
        ("keyword_rule_test", "Keyword rule on the test split (a tag at 3+ hits of its model.lexicon terms)"),
        ("keyword_rule_heldout_test", "Keyword rule on the held-out split"),
    ):
        if key in metrics:
            lines += [format_table(metrics[key], title, markdown=True), ""]
    main = "cv" if "cv" in metrics else "test"
    lines += _uncertainty_lines(metrics.get(main, {}), list(model.classes_))
    if model.multi_label_:
        lines += [
            "## Decision thresholds",
            "",
            ", ".join(f"`{k}` {v:.3f}" for k, v in model.thresholds_.items()) + ". "
            + threshold_note(cfg, from_cv="cv" in metrics, tuned_on=held_out_note(metrics)),
            "",
            *([calibration_note(model), ""] if calibration_note(model) else []),
        ]
    lines += [
        *settings_lines(model),
        "## Intended use",
        "",
        "Tagging Indonesian news articles (title + body, raw text: the model cleans datelines and link teasers "
        "itself) for routing and monitoring. Scores are calibrated probabilities; tags use the thresholds above.",
        "",
        "## Limits",
        "",
        "- Rare tags have few examples (see supports above): per-label F1 on tens of articles moves by several "
        "points with one article; read the counts, not only the scores.",
        f"- {data_scope(profiles) or 'The data file records neither dates nor sources of its rows.'} Text from "
        "other periods, outlets or genres (opinion, press releases, social media) may score differently.",
        *_labels_line(cfg.data.path),
        "",
        *_run_lines(run),
        "## Files",
        "",
        "`mlpkg.json` (metadata, labels, thresholds), `weights.npz`/`vocab_*.json` or `model.safetensors` (weights, "
        "no pickle), `metrics.json`, `config.yaml`, `run.json` (date, commit, data sha256, versions), "
        "`learned_from.json` (the rows it learned from, as hashed ids: `mlpkg evaluate` warns on them), "
        "`report.html` with PNG plots, `manifest.json` (sha256 of every file; "
        "loading refuses a changed file).",
    ]
    return "\n".join(lines) + "\n"


def fit_line(name: str, done: dict) -> str:
    """What :func:`final_fit` did, in words: ``"refitted ... on all 12,844 rows; thresholds from ..."``."""
    rows = f"all {done['of']:,}" if done["rows"] == done["of"] else f"{done['rows']:,} of the {done['of']:,}"
    return f"refitted {name} on {rows} rows; thresholds from {done['thresholds']}"
