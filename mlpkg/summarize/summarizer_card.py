"""The model card (README.md) of a summariser directory."""

from __future__ import annotations


def summarizer_card(cfg, model, counts: dict[str, int], table: str, trained: bool, early_stopped: bool = False) -> str:
    name = cfg.model["name"]
    if not trained:
        how = "Unsupervised: nothing is learned; the directory holds the settings only."
    elif early_stopped:
        how = "Trained on the `train` split with early stopping on `dev`; tested on `test`."
    else:
        how = "Trained on the `train` and `dev` splits (IndoSum folds 1-3); tested on `test` (fold 4)."
    params = ", ".join(f"{k}={v!r}" for k, v in model.get_params().items())
    lines = [
        f"# {cfg.output_dir}: extractive summariser `{name}`",
        "",
        f"Made by mlpkg from `{cfg.data.path}` (seed {cfg.seed}). {how}",
        "",
        "## Data",
        "",
        "| split | articles |",
        "|---|---:|",
        *[f"| {k} | {v} |" for k, v in counts.items()],
        "",
        "## Metrics",
        "",
        "ROUGE F1 x 100 (rouge-score, no stemming; ROUGE-L is ROUGE-Lsum over newline-joined sentences), mean "
        "over articles. *paper* columns score the system text lower-cased, without punctuation and with digits "
        "as 0, the IndoSum paper's preprocessing for its non-neural rows. *gold F1*: chosen sentences against "
        "the gold extractive labels. *articles/s*: per CPU second, summariser only. LEAD-3 and ORACLE (the "
        "first three gold sentences) are scored on the same articles.",
        "",
        table,
        "",
        "## Settings",
        "",
        f"`{params}`",
        "",
        "The full resolved configuration is in `config.yaml`.",
        "",
        "## Intended use",
        "",
        "Short extractive summaries of Indonesian news articles given as raw text (the summariser cleans "
        "datelines and link teasers and splits sentences itself). Sentences are copied from the article, in "
        "article order; a sentence that repeats a chosen one is never taken twice.",
        "",
        "## Limits",
        "",
        "- IndoSum's news is 2017 national-portal news; summaries were written by annotators, mostly from the "
        "first paragraphs. On other text (opinion, press releases, long reports) position is a weaker signal.",
        "- Extractive: a summary can only be as good as the article's own sentences; it does not resolve pronouns "
        "or remove quotes out of context.",
        "",
        "## Files",
        "",
        "`mlpkg.json` (name, parameters, feature names), `weights.npz` for a trained model (tree or linear "
        "arrays, no pickle), `metrics.json`, `config.yaml`, `manifest.json` (sha256 of every file; loading "
        "refuses a changed file).",
    ]
    return "\n".join(lines) + "\n"
