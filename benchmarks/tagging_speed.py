"""Tagging speed of the trained TF-IDF tagger against the bare scikit-learn pipeline, same run.

    python benchmarks/tagging_speed.py [--model models/topic_tfidf] [--against OTHER_MODEL_DIR --name NAME]

"Bare" is what a user would write first: ``FeatureUnion(word 1-2 TF-IDF, char_wb 3-5 TF-IDF)`` +
``LinearSVC`` fitted on the same train split, predicting on raw text (no cleaning). Ours is
``model.predict`` on raw text: cleaning, normalisation, features, calibration and thresholds.
Both run on one core over the same articles; the ratio is what to compare across machines.
``--against`` times a second model directory (say, the previous default) on the same articles in the same
run. Writes ``benchmarks/results/tagging_speed.{md,json}`` (``--name``: another file name).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
from _results import write_results
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline, make_union
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.svm import LinearSVC

from mlpkg.classify.training import train_classifier
from mlpkg.config import load_config
from mlpkg.core.directory import load_model
from mlpkg.text.normalize import article_text

ROOT = Path(__file__).resolve().parents[1]


def best_of(fns: list, repeats: int = 3) -> list[float]:
    """Each function's best time of ``repeats``, the functions taking turns, so a change in the machine's
    load reaches them all alike."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, spent in zip(fns, times):
            start = time.perf_counter()
            fn()
            spent.append(time.perf_counter() - start)
    return [min(spent) for spent in times]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(ROOT / "models" / "topic_tfidf"))
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--against", type=Path, help="another model directory to time on the same articles")
    parser.add_argument("--name", default="tagging_speed", help="results file name under benchmarks/results/")
    args = parser.parse_args()
    model_dir = Path(args.model)
    if not (model_dir / "manifest.json").exists():
        cfg = load_config(
            ROOT / "configs" / "topic_tfidf.yaml",
            [f"output_dir={model_dir}", "data.heldout_split_field=null", "evaluation.report=false"],
        )
        train_classifier(cfg, log=lambda *_: None)
    model = load_model(model_dir)

    df = pd.read_parquet(ROOT / "data" / "topics.parquet")
    train = df[df["split"] == "train"]
    bare = make_pipeline(
        make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2),
        ),
        OneVsRestClassifier(LinearSVC(C=0.5, class_weight="balanced")),
    )
    bare.fit(
        [article_text(t, b) for t, b in zip(train["title"], train["text"])],
        MultiLabelBinarizer(classes=model.classes_).fit_transform(train["tags"]),
    )
    pool = df[df["split"] != "train"]
    texts = [article_text(t, b) for t, b in zip(pool["title"], pool["text"])]
    texts = (texts * (args.n // len(texts) + 1))[: args.n]

    other = load_model(args.against) if args.against else None
    for m in filter(None, (model, other)):
        m.predict(texts[:200])  # warm the word cache as a running job would
    ours, base, *theirs = best_of([lambda: model.predict(texts), lambda: bare.predict(texts)]
                                  + ([lambda: other.predict(texts)] if other else []))
    result = {
        "articles": len(texts),
        "mlpkg_articles_per_s": round(len(texts) / ours),
        "bare_sklearn_articles_per_s": round(len(texts) / base),
        "speed_ratio_mlpkg_over_bare": round(base / ours, 2),
    }
    against = []
    if theirs:
        result |= {"against_model": str(args.against), "against_articles_per_s": round(len(texts) / theirs[0]),
                   "speed_ratio_mlpkg_over_against": round(theirs[0] / ours, 2)}
        against = [f"| `{args.against}` `model.predict`, the same way | {result['against_articles_per_s']:,} |"]
    lines = [
        "# Tagging speed, one core",
        "",
        "| pipeline | articles/s |",
        "|---|---:|",
        f"| mlpkg `model.predict` (clean + features + calibrated thresholds) | {result['mlpkg_articles_per_s']:,} |",
        f"| bare scikit-learn word+char TF-IDF + LinearSVC `predict` (no cleaning) | "
        f"{result['bare_sklearn_articles_per_s']:,} |",
        *against,
        "",
        f"Ratio mlpkg / bare: **{result['speed_ratio_mlpkg_over_bare']}x** on {len(texts):,} articles "
        "(best of 3; the ratio, not the absolute rate, carries across machines).",
    ]
    if args.against:
        lines.append(f"Ratio `{model_dir}` / `{args.against}`: **{result['speed_ratio_mlpkg_over_against']}x**.")
    write_results(args.name, "\n".join(lines), result)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
