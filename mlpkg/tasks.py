"""The tasks a config can run, dispatched on ``task`` (classify or summarize): :func:`train` and :func:`cv`,
and the lines ``mlpkg train`` prints. The one module that imports both classification and summarisation."""

from __future__ import annotations

from pathlib import Path

from .config import RunConfig
from .core.directory import check_model_dir_target
from .core.registry import resolve
from .errors import ConfigError
from .extras import require_for

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


def train(cfg: RunConfig, log=print, overwrite: bool = False) -> dict:
    """Run what the config describes; returns the output directory and the metrics.

    The model folder replaces ``output_dir`` whole when that is missing, empty or a previous
    model; any other folder is refused before training starts, unless ``overwrite``.
    """
    require_for(resolve(cfg.model["name"]), f"model {cfg.model['name']!r}")
    check_model_dir_target(cfg.output_dir, overwrite)
    if cfg.task == "summarize":
        from .summarize.training import train_summarizer

        return train_summarizer(cfg, log=log, overwrite=overwrite)
    from .classify.training import train_classifier

    return train_classifier(cfg, log=log, overwrite=overwrite)


def summary_lines(result: dict) -> list[str]:
    from .classify.cross_validation import format_cv_table
    from .classify.training import sure_title
    from .evaluate.agreement import reader_bar_table
    from .evaluate.metrics import format_table

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


def cv_protocols(cfg: RunConfig, protocol: str) -> list[str]:
    """The protocols ``mlpkg cv --protocol`` runs for ``cfg`` (``all``: every one the config has). A summariser
    is refused: its folds are scored by :func:`train` (the fold rotation over ``data.fold_field``)."""
    if cfg.task == "summarize":
        raise ConfigError("mlpkg cv cross-validates classifiers (task: classify); a summariser's folds are scored by "
                          "mlpkg train, in its fold rotation over data.fold_field")
    from .classify.training import protocols_for

    return protocols_for(cfg, protocol)


def cv(cfg: RunConfig, protocol: str, out: str | Path, log=print) -> dict:
    """Cross-validate a classifier config under ``protocol`` (:func:`cv_protocols`), see
    :func:`~mlpkg.classify.training.run_cv`."""
    from .classify.training import run_cv

    return run_cv(cfg, cv_protocols(cfg, protocol), out, log=log)
