"""How the default tagger grows with labelled data: the same grouped folds, each fold's training rows
cut to a share of their near-copy groups, scored on every held-out row with today's labels.

This is the question a team asks before a labelling round: how many more read articles, of the kind
already read, would bring a tag to the readers' agreement? Each share is trained on a random part of
every training fold's groups (nested: the 50% groups include the 25% ones; ``--seeds`` draws), scored
on the whole held-out fold, so every point has the same test rows. The table gives pooled F1, the
F1 against each of the two blind readings of the articles read twice (like for like with the readers'
agreement), keyword-free recall and the training positives per fold; the last section fits F1 against
log2(training positives) per tag (least squares over the points) and says, at that slope, how many
doublings of today's labels the readers' agreement minus 0.03 would need. An extrapolation, not a
promise: it only says what more of today's kind of labels is worth. Run from the repository root:

    python benchmarks/topic_learning_curve.py [--shares 0.25 0.5 0.75 1] [--seeds 0 1]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from mlpkg.classify.cross_validation import cross_validate
from mlpkg.classify.training import cv_folds, fit_on_all, reader_bar, reader_bar_inputs
from mlpkg.config import load_config
from mlpkg.data.labelled import load_split
from mlpkg.evaluate.metrics import tag_matrix

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results"


def share_of_groups(groups: np.ndarray, share: float, seed: int) -> np.ndarray:
    """Rows whose group falls in a random ``share`` of the groups; nested in ``share`` for one seed
    (each group gets one uniform draw, kept when it is under ``share``)."""
    unique, inverse = np.unique(groups, return_inverse=True)
    draw = np.random.default_rng(seed).random(len(unique))
    return draw[inverse] < share


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "topic_tfidf.yaml"))
    parser.add_argument("--shares", nargs="+", type=float, default=[0.25, 0.5, 0.75, 1.0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--name", default="topic_learning_curve")
    args = parser.parse_args()
    start = time.perf_counter()
    cfg = load_config(args.config)
    labels = cfg.data.labels
    data = load_split(cfg.data, None)
    inputs = reader_bar_inputs(cfg, data)
    agreed = inputs[0] or {}
    folds = cv_folds(cfg, data, "group")
    groups = np.asarray(data.groups)
    Y = tag_matrix(data.y, labels)
    row_of = {uid: i for i, uid in enumerate(data.ids)}

    points = []  # one per (share, seed): training positives per tag (mean over folds) and the scores
    for share in sorted(args.shares):
        for seed in (args.seeds if share < 1 else args.seeds[:1]):
            kept = share_of_groups(groups, share, seed) if share < 1 else np.ones(len(groups), dtype=bool)
            train_positives = np.zeros(len(labels))
            for _, test in folds:
                train = np.ones(len(groups), dtype=bool)
                train[test] = False
                train_positives += Y[train & kept].sum(axis=0) / len(folds)

            def fit(part, kept=kept):
                return fit_on_all(cfg, part.subset([i for i, uid in enumerate(part.ids) if kept[row_of[uid]]]))

            res = cross_validate(fit, data, folds, labels, log=lambda *_: None)
            bar = reader_bar(cfg, inputs, res)
            point = {"share": share, "seed": seed, "train_positives": train_positives.round(1).tolist(),
                     "f1": [res["pooled"]["per_label"][t]["f1"] for t in labels],
                     "vs_readers": [bar.get("model_vs_readers", {}).get("per_label", {}).get(t, {}).get("mean")
                                    for t in labels],
                     "keyword_free_recall": [bar.get("keyword_free", {}).get(t, {}).get("recall") for t in labels],
                     "keyword_free_positives": [bar.get("keyword_free", {}).get(t, {}).get("positives")
                                                for t in labels]}
            points.append(point)
            print(json.dumps(point), flush=True)

    def cell(v):
        return "–" if v is None else f"{v:.3f}"

    lines = [f"# Learning curve of the default tagger ({cfg.model['name']}), grouped folds, today's labels", "",
             f"`python benchmarks/topic_learning_curve.py --shares {' '.join(map(str, args.shares))} "
             f"--seeds {' '.join(map(str, args.seeds))}`: {len(data.texts):,} rows, {len(folds)} grouped folds; "
             "each fold trains on the given share of its training groups and is scored on all its held-out rows. "
             f"{time.perf_counter() - start:.0f} s.", "",
             "| share of training groups | seed | " + " | ".join(
                 f"{t}: training positives / F1 / vs readings / keyword-free recall ({n} positives)"
                 for t, n in zip(labels, points[-1]["keyword_free_positives"])) + " |",
             "|---:|---:|" + "---|" * len(labels)]
    for p in points:
        lines.append(f"| {p['share']:.2f} | {p['seed']} | " + " | ".join(
            f"{p['train_positives'][j]:.0f} / {cell(p['f1'][j])} / {cell(p['vs_readers'][j])} / "
            f"{cell(p['keyword_free_recall'][j])}" for j in range(len(labels))) + " |")
    lines += ["", "## Slope per doubling of the labels, and what the readers' agreement would need", "",
              "| tag | readers' agreement | today's pooled F1 | F1 per doubling | doublings to agreement − 0.03 "
              "| vs readings per doubling | doublings to agreement − 0.03 (vs readings) |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    summary = {}
    for j, tag in enumerate(labels):
        x = np.log2([p["train_positives"][j] for p in points])
        target = agreed.get("per_label", {}).get(tag, {}).get("f1")
        row = {"agreement": target}
        cells = []
        for key in ("f1", "vs_readers"):
            y = np.array([np.nan if p[key][j] is None else p[key][j] for p in points], dtype=float)
            ok = ~np.isnan(y)
            if ok.sum() < 2 or np.ptp(x[ok]) == 0:
                cells += ["–", "–"]
                continue
            slope, intercept = np.polyfit(x[ok], y[ok], 1)
            today = y[ok][-1]
            if target is None:
                need, text = None, "–"
            elif today >= target - 0.03:
                need, text = 0.0, "none: within 0.03 today"
            elif slope <= 0:
                need, text = None, "never at this slope"
            else:
                need = (target - 0.03 - today) / slope
                text = f"{need:.1f} (x{2 ** need:.1f} the labels)"
            row[key] = {"slope": round(float(slope), 4), "today": round(float(today), 4),
                        "doublings": None if need is None else round(float(need), 2)}
            cells += [f"{slope:+.3f}", text]
        summary[tag] = row
        lines.append(f"| {tag} | {cell(target)} | {cell(points[-1]['f1'][j])} | {cells[0]} | {cells[1]} | "
                     f"{cells[2]} | {cells[3]} |")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{args.name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (OUT / f"{args.name}.json").write_text(json.dumps({"points": points, "summary": summary}, indent=1),
                                           encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
