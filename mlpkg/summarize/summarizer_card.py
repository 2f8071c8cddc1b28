"""The model card (README.md) of a summariser directory."""

from __future__ import annotations

from ..evaluate.provenance import data_scope, data_table, describe_folds, settings_lines


def summarizer_card(cfg, model, profiles: dict[str, dict], table: str, trained: bool,
                    early_stopped: bool = False) -> str:
    """The card of a summariser directory; ``profiles`` (split -> :func:`~mlpkg.evaluate.provenance.describe_rows`)
    describe the rows the run used, folds included, so the card states what this run's data was."""
    name = cfg.model["name"]
    train, dev, test = (describe_folds(profiles.get(split, {})) for split in ("train", "dev", "test"))
    if not trained:
        how = f"Unsupervised: nothing is learned; the directory holds the settings only. Tested on `test`{test}."
    elif early_stopped:
        how = f"Trained on the `train` split{train} with early stopping on `dev`{dev}; tested on `test`{test}."
    else:
        how = f"Trained on the `train`{train} and `dev`{dev} splits; tested on `test`{test}."
    if trained and model.uses_categories:
        how += (f" Beside the gold sentences it learned each article's category (column `{cfg.data.category_field}`: "
                f"{', '.join(model.reader_.classes)}), which it reads from the words of every article it summarises "
                "and gives the trees as probabilities: raw text needs no category.")
    if trained and hasattr(model, "rerank_trees_"):
        how += (f" A second model then learned to rate whole summaries: sets of {model.min_k} to "
                f"{min(model.k, model.rerank_top)} of the article's best {model.rerank_top} sentences (each set of s "
                f"drawn from the best s + 1), by the ROUGE-1 "
                f"each scores against the reference summary, on sentence scores of the training articles made out of "
                f"fold ({model.inner_folds} groups); each summary is the set it rates best.")
    lines = [
        f"# {cfg.output_dir}: extractive summariser `{name}`",
        "",
        f"Made by mlpkg from `{cfg.data.path}` (seed {cfg.seed}). {how}",
        "",
        "## Data",
        "",
        *data_table(profiles, "articles"),
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
        *settings_lines(model),
        "## Intended use",
        "",
        "Short extractive summaries of Indonesian news articles given as raw text (the summariser cleans "
        "datelines and link teasers and splits sentences itself). Sentences are copied from the article, in "
        "article order; a sentence that repeats a chosen one is never taken twice.",
        "",
        "## Limits",
        "",
        f"- {data_scope(profiles) or 'The data file records neither dates nor sources of its articles.'} "
        "Reference summaries are the data file's own; on other text (opinion, press releases, long reports) "
        "sentence position can be a weaker signal.",
        "- Extractive: a summary can only be as good as the article's own sentences; it does not resolve pronouns "
        "or remove quotes out of context.",
        "",
        "## Files",
        "",
        "`mlpkg.json` (name, parameters, feature names); for a trained model `weights.npz` (tree or linear "
        "arrays) or, for `trained_lgbm.v1`, `.v2` and `.v3`, `model.txt` (LightGBM's own text dump) and "
        "`calibration.npz` (`.v2` and `.v3` also `category_reader.npz`: the category reader's weights, intercepts and "
        "class names; `.v3` also `reranker.txt`, LightGBM's text dump of the summary rater), no pickle; "
        "`metrics.json`, `config.yaml`, `manifest.json` (sha256 of every file; loading refuses a changed file).",
    ]
    return "\n".join(lines) + "\n"
