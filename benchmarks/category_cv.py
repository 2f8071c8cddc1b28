"""IndoSum news categories: 5-fold macro-F1 of our TF-IDF heads beside plain scikit-learn baselines.

    python benchmarks/category_cv.py

Five classes (``inspirasi``, 20 articles, dropped), IndoSum dev folds 1-4 deduplicated by id
(``data/categories.parquet``), 5 stratified folds with a fixed seed; every system sees the
same folds in the same run. Writes ``benchmarks/results/category_cv.{md,json}``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
from _results import write_results
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from mlpkg.classify import TfidfClassifier

ROOT = Path(__file__).resolve().parents[1]

SYSTEMS = {
    "CountVectorizer + MultinomialNB": lambda: make_pipeline(CountVectorizer(), MultinomialNB()),
    "word 1-2 TF-IDF + LinearSVC": lambda: make_pipeline(TfidfVectorizer(ngram_range=(1, 2)), LinearSVC()),
    "mlpkg tfidf_linear.v1 linear_svc (configs/category_tfidf.yaml)": lambda: TfidfClassifier(
        head="linear_svc", C=0.5, char_ngrams=[3, 5]
    ),
    "mlpkg tfidf_linear.v1 complement_nb": lambda: TfidfClassifier(head="complement_nb", alpha=0.3, char_ngrams=[3, 5]),
}


def main() -> None:
    df = pd.read_parquet(ROOT / "data" / "categories.parquet")
    texts, labels = df["text"].tolist(), df["label"].to_numpy()
    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(texts, labels))
    results = {}
    for name, make in SYSTEMS.items():
        scores, start = [], time.perf_counter()
        for tr, te in folds:
            model = make().fit([texts[i] for i in tr], labels[tr].tolist())
            pred = model.predict([texts[i] for i in te])
            scores.append(100 * f1_score(labels[te], np.asarray(pred), average="macro"))
        results[name] = {
            "macro_f1_mean": round(float(np.mean(scores)), 2),
            "macro_f1_std": round(float(np.std(scores)), 2),
            "folds": [round(s, 2) for s in scores],
            "seconds": round(time.perf_counter() - start, 1),
        }
        print(name, results[name], flush=True)
    lines = [
        f"# IndoSum categories, 5-fold macro-F1 ({len(df)} articles, {df['label'].nunique()} classes)",
        "",
        "| system | macro-F1 (mean ± std) | seconds (5 folds) |",
        "|---|---:|---:|",
    ]
    lines += [
        f"| {n} | {r['macro_f1_mean']:.2f} ± {r['macro_f1_std']:.2f} | {r['seconds']} |" for n, r in results.items()
    ]
    write_results("category_cv", "\n".join(lines), results)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
