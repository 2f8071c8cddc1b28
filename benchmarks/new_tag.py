"""A new tag from a lexicon and thirty examples: `otomotif`, held out from the publishers' own sections.

    python benchmarks/new_tag.py

What a data scientist adding a tag of their own would do: write a lexicon for it in the config and
label thirty articles. We play that with a tag our corpus already knows from publisher sections —
CLICK-ID, detik, Tribunnews and the 2015 corpus file articles under "Otomotif"/"oto" — so every
other article of those sources (sections known, not automotive; the mixed "Autotekno" section left
out) is a negative. Grouped 5-fold: in each fold the systems see only 30 positives of the other
folds (three seeds) plus all their negatives, and are scored on the held-out fold.
Writes ``benchmarks/results/new_tag.{md,json}``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from _results import write_results

from mlpkg.classify.lexicon_features import TagLexicon
from mlpkg.classify.training import fit_on_all
from mlpkg.config import load_config
from mlpkg.data.folds import grouped_folds, train_rows
from mlpkg.data.labelled import LabelledSplit
from mlpkg.evaluate.metrics import multilabel_metrics
from mlpkg.text.normalize import article_text

ROOT = Path(__file__).resolve().parents[1]
TAG = "otomotif"
SECTIONED = ("clickid", "detik_2025_9cat", "indonesian_news_corpus_2015", "tribun_categories_2020")
LEXICON = ["otomotif", "mobil", "sepeda motor", "motor\\b", "kendaraan", "pabrikan", "dealer", "diler", "suv\\b",
           "mpv\\b", "sedan", "transmisi", "mesin", "berkendara", "pengendara", "modifikasi", "toyota", "honda",
           "daihatsu", "mitsubishi", "suzuki", "yamaha", "hyundai", "wuling", "nissan", "bmw\\b", "ban\\b", "oli\\b"]
# the same lexicon without its general words (engines, tyres, oil, vehicles and riders turn up in
# accident, fuel and factory news too): only words that name the automotive trade itself
OWN_WORDS = [t for t in LEXICON if t not in ("motor\\b", "kendaraan", "pabrikan", "mesin", "pengendara", "ban\\b",
                                            "oli\\b")]
N_POSITIVES, SEEDS = 30, (0, 1, 2)


def main() -> None:
    df = pd.read_parquet(ROOT / "data" / "topics.parquet")
    df = df[df["dataset"].isin(SECTIONED) & (df["section"] != "") & (df["section"] != "Autotekno")]
    df = df.reset_index(drop=True)
    positive = df["section"].str.lower().isin(["otomotif", "oto"]).to_numpy()
    data = LabelledSplit(df["id"].tolist(), [article_text(t, b) for t, b in zip(df["title"], df["text"])],
                         [[TAG] if p else [] for p in positive], df["group"].tolist())
    # the systems that learn, each the default config restricted to the tag, with its own lexicon ({}: none)
    systems = {name: load_config(ROOT / "configs" / "topic_tfidf.yaml",
                                 [f"data.labels=[{TAG}]", f"model.lexicon={{{TAG}: {terms}}}" if terms else
                                  "model.lexicon={}"])
               for name, terms in (("model alone, 30 examples", None), ("hybrid: lexicon + 30 examples", LEXICON),
                                   ("hybrid: own-words lexicon + 30 examples", OWN_WORDS))}
    lexicon = TagLexicon({TAG: LEXICON})
    folds = grouped_folds(positive[:, None].astype(int), data.groups, 5, seed=0)
    scores: dict[str, list[dict]] = {"lexicon rule (3+ hits)": [], **{name: [] for name in systems}}
    for name, test in folds:
        truth = positive[test][:, None].astype(int)
        # title + body hits (the lead is part of the body)
        hits = np.array([sum(lexicon.counts(data.texts[i])[TAG][0:3:2]) for i in test])
        scores["lexicon rule (3+ hits)"].append(multilabel_metrics(truth, (hits >= 3)[:, None].astype(int), [TAG]))
        train = train_rows(test, data.groups)
        for seed in SEEDS:
            pos = train[positive[train]]
            keep = np.r_[np.random.default_rng(seed).choice(pos, N_POSITIVES, replace=False), train[~positive[train]]]
            part = data.subset(np.sort(keep))
            for system, c in systems.items():
                model = fit_on_all(c, part)
                pred = model.predict([data.texts[i] for i in test])
                scores[system].append(multilabel_metrics(truth, pred, [TAG]))
        print(name, {k: round(v[-1]["per_label"][TAG]["f1"], 3) for k, v in scores.items()}, flush=True)
    md = [f"# A new tag from a lexicon and {N_POSITIVES} examples: `{TAG}`", "",
          f"{len(df)} articles with a known section ({', '.join(SECTIONED)}), {int(positive.sum())} in an automotive "
          f"section. Grouped 5-fold; training sees {N_POSITIVES} positives (seeds {SEEDS}) and every negative of the "
          "other folds. Lexicon: " + ", ".join(f"`{t}`" for t in LEXICON) + "; own-words lexicon: the same "
          "without " + ", ".join(f"`{t}`" for t in LEXICON if t not in OWN_WORDS) + ".", "",
          "| system | precision | recall | F1 (mean ± std over folds × seeds) |", "|---|---:|---:|---:|"]
    out = {}
    for system, runs in scores.items():
        m = {k: np.array([r["per_label"][TAG][k] for r in runs]) for k in ("precision", "recall", "f1")}
        out[system] = {k: {"mean": float(v.mean()), "std": float(v.std())} for k, v in m.items()}
        md.append(f"| {system} | {m['precision'].mean():.3f} | {m['recall'].mean():.3f} | "
                  f"{m['f1'].mean():.3f} ± {m['f1'].std():.3f} |")
    print("\n".join(md))
    write_results("new_tag", "\n".join(md), {"rows": len(df), "positives": int(positive.sum()), "systems": out})


if __name__ == "__main__":
    main()
