"""Does the labelling queue grow a rare tag faster than labelling at random? `koperasi`, simulated.

    python benchmarks/label_loop.py [--seeds 0 1 2] [--jobs 3]

Our own reviewed labels (``data/topics.parquet``) are the oracle: a "label" is reading an article's
tags off the file. Per seed:

- **held out**: 35% of the near-copy groups holding a koperasi article and 30% of the other groups;
  never in the pool, only scored (F1 of koperasi at the model's own threshold).
- **start** (what a team has on day one): 20 koperasi articles it collected (20 groups) and 200
  articles drawn at random from its archive and labelled (mostly "not koperasi", at the base rate).
- **pool**: every other article (their near-copy groups removed).
- **loop**: label 10 at a time up to 50, then 25 at a time up to 200, refitting the default model
  (``configs/topic_tfidf.yaml``: TF-IDF + koperasi lexicon, out-of-fold calibration and threshold) after
  each batch. ``queue``: the next batch is the top of :class:`mlpkg.label.queue.CandidateQueue` (the
  same ranking ``mlpkg label serve --tag koperasi`` shows) over the pool scored by the current model;
  ``queue_uncertainty``: the same without its likely-positive half (an ablation); ``random``: a random
  undecided article of the pool (one per near-copy group, as the queue).

Writes ``benchmarks/results/label_loop.{md,json,png}``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from _results import RESULTS, write_results

import mlpkg.classify.tfidf_lexicon as tfidf_lexicon
from mlpkg.batch.validate import Article
from mlpkg.classify.training import fit_on_all
from mlpkg.config import load_config
from mlpkg.data.labelled import LabelledSplit
from mlpkg.evaluate.metrics import multilabel_metrics
from mlpkg.label.queue import CandidateQueue
from mlpkg.text.normalize import article_text

ROOT = Path(__file__).resolve().parents[1]
TAG = "koperasi"
START_POSITIVES, START_RANDOM = 20, 200
STEPS = [0, 10, 20, 30, 40, 50, 75, 100, 150, 200]
HELD_OUT_POSITIVE_GROUPS, HELD_OUT_OTHER_GROUPS = 0.35, 0.30
# queue: what `mlpkg label serve --tag koperasi` shows; queue_uncertainty: the same ranking without its
# likely-positive half (near-threshold, lexicon-hit-but-low and rule-disagreement only), an ablation
STRATEGIES = ("queue", "queue_uncertainty", "random")

# The simulation scores the same texts again and again; cleaning is the slow part of a prediction
# and its result depends on the text only, so it is cached (the model code itself is unchanged).
tfidf_lexicon.clean = lru_cache(maxsize=None)(tfidf_lexicon.clean)
tfidf_lexicon.normalized_parts = lru_cache(maxsize=None)(tfidf_lexicon.normalized_parts)


def split_seed(df: pd.DataFrame, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row indices of (held out, start, pool)."""
    rng = np.random.default_rng(seed)
    positive = df["positive"].to_numpy()
    pos_groups = np.unique(df.loc[positive, "group"])
    other_groups = np.setdiff1d(np.unique(df["group"]), pos_groups)
    held = set(rng.choice(pos_groups, round(HELD_OUT_POSITIVE_GROUPS * len(pos_groups)), replace=False))
    held |= set(rng.choice(other_groups, round(HELD_OUT_OTHER_GROUPS * len(other_groups)), replace=False))
    in_held = df["group"].isin(held).to_numpy()
    rest = np.flatnonzero(~in_held)
    start_groups = rng.choice(np.setdiff1d(pos_groups, list(held)), START_POSITIVES, replace=False)
    start = [int(rng.choice(np.flatnonzero((df["group"] == g).to_numpy() & positive))) for g in start_groups]
    others = np.setdiff1d(rest, np.flatnonzero(df["group"].isin(start_groups).to_numpy()))
    start += rng.choice(others, START_RANDOM, replace=False).tolist()
    used = df["group"].isin(df["group"].iloc[start]).to_numpy()
    pool = np.flatnonzero(~in_held & ~used)
    return np.flatnonzero(in_held), np.asarray(start), pool


def run_seed(df: pd.DataFrame, texts: list[str], cfg, seed: int, log) -> dict:
    held, start, pool = split_seed(df, seed)
    positive = df["positive"].to_numpy()
    groups = df["group"].tolist()
    lexicon = cfg.model["lexicon"]

    def fit(rows: list[int]):
        data = LabelledSplit([df["id"].iat[i] for i in rows], [texts[i] for i in rows],
                             [[TAG] if positive[i] else [] for i in rows], [groups[i] for i in rows])
        return fit_on_all(cfg, data)

    def f1(model) -> float:
        pred = model.predict_tags([texts[i] for i in held])
        y_pred = np.array([[TAG in p] for p in pred], dtype=int)
        return float(multilabel_metrics(positive[held][:, None].astype(int), y_pred, [TAG])["per_label"][TAG]["f1"])

    articles = [Article(k, df["id"].iat[i], df["title"].iat[i], df["text"].iat[i]) for k, i in enumerate(pool)]
    out = {"held_out_rows": len(held), "held_out_positives": int(positive[held].sum()), "pool_rows": len(pool),
           "pool_positives": int(positive[pool].sum()), "start_positives": int(positive[start].sum())}
    queues = {name: CandidateQueue(articles, tags=[TAG], lexicon=lexicon, model=None, focus=TAG,
                                   groups=[groups[i] for i in pool], likely_positives=name == "queue")
              for name in ("queue", "queue_uncertainty")}
    row_of = {df["id"].iat[i]: i for i in pool}
    for strategy in STRATEGIES:
        rng = np.random.default_rng(1000 + seed)
        order = rng.permutation(len(pool))
        labelled, picked, curve, found = list(start), set(), [], []
        model = fit(labelled)
        for step, target in enumerate(STEPS):
            if step:
                need = target - len(picked)
                if strategy in queues:
                    queues[strategy].rescore(model)
                    batch = [row_of[c.id] for c in queues[strategy].ranked(df["id"].iloc[sorted(picked)])[:need]]
                else:
                    closed = {groups[i] for i in picked}
                    batch = []
                    for k in order:
                        i = int(pool[k])
                        if i not in picked and groups[i] not in closed:
                            batch.append(i)
                            closed.add(groups[i])
                            if len(batch) == need:
                                break
                picked.update(batch)
                labelled += batch
                model = fit(labelled)
            curve.append(f1(model))
            found.append(int(positive[sorted(picked)].sum()) if picked else 0)
        out[strategy] = {"f1": curve, "positives_found": found}
        log(f"seed {seed} {strategy}: " + " ".join(f"{n}:{v:.3f}" for n, v in zip(STEPS, curve))
            + f" (positives found at 200: {found[-1]} of {out['pool_positives']})")
    return out


def labels_to_reach(queue_curve: np.ndarray, target: float) -> int | None:
    """The fewest added labels at which the queue's mean F1 reaches ``target`` (None: never)."""
    for n, v in zip(STEPS, queue_curve):
        if v >= target - 1e-9:
            return n
    return None


def report(runs: dict[int, dict], seconds: float) -> tuple[str, dict]:
    curves = {s: np.array([runs[seed][s]["f1"] for seed in runs]) for s in STRATEGIES}
    found = {s: np.array([runs[seed][s]["positives_found"] for seed in runs]) for s in STRATEGIES}
    mean = {s: c.mean(axis=0) for s, c in curves.items()}
    std = {s: c.std(axis=0) for s, c in curves.items()}
    target = float(mean["random"][-1])
    reach = labels_to_reach(mean["queue"], target)
    sizes = "; ".join(f"seed {seed}: held out {r['held_out_rows']:,} rows ({r['held_out_positives']} koperasi), "
                      f"pool {r['pool_rows']:,} rows ({r['pool_positives']} koperasi)" for seed, r in runs.items())
    md = ["# Labelling loop: queue vs random (koperasi, simulated with our reviewed labels)", "",
          "`python benchmarks/label_loop.py` — oracle: `data/topics.parquet`; model: `configs/topic_tfidf.yaml` "
          "restricted to koperasi (TF-IDF + koperasi lexicon, out-of-fold calibration and threshold), refitted after "
          "every batch (10 labels up to 50, then 25). Start: 20 koperasi articles + 200 random archive articles "
          "labelled. Held out: 35% of the koperasi near-copy groups and 30% of the others, never in the pool. "
          f"Queue: `CandidateQueue(..., focus='koperasi')`, as `mlpkg label serve --tag koperasi` ranks. Seeds: "
          f"{', '.join(map(str, runs))} (each seed redraws the held-out groups, the start and the random picks); F1 "
          f"of koperasi on the held-out rows at the model's threshold, mean ± std over seeds. {seconds:.0f} s wall "
          "in all (`--jobs 3` on 2 shared cores).",
          "", f"Sizes: {sizes}.", "",
          "| labels added | queue F1 | random F1 | queue without likely positives F1 | koperasi found: queue / "
          "random / without |", "|---:|---:|---:|---:|---:|"]
    for k, n in enumerate(STEPS):
        bold = "**" if n in (0, 50, 100, 200) else ""
        cells = [f"{mean[s][k]:.3f} ± {std[s][k]:.3f}" for s in ("queue", "random", "queue_uncertainty")]
        hits = " / ".join(f"{found[s][:, k].mean():.1f}" for s in ("queue", "random", "queue_uncertainty"))
        md.append(f"| {bold}{n}{bold} | {' | '.join(cells)} | {hits} |")
    if reach is None:
        verdict = f"The queue does not reach random's 200-label F1 ({target:.3f}) within 200 labels."
    else:
        verdict = (f"The queue reaches random's 200-label F1 ({target:.3f}) with {reach} added labels "
                   f"({'within' if reach <= 100 else 'beyond'} the aim of at most half, 100), but mostly because "
                   f"random labels barely move F1: the start alone scores {mean['random'][0]:.3f}.")
    base = np.mean([r["pool_positives"] / r["pool_rows"] for r in runs.values()])
    md += ["", verdict + f" Random picks find koperasi articles at the base rate (one in {1 / base:.0f} pool articles; "
           f"{found['random'][:, -1].mean():.1f} in 200 picks on average), so 200 random labels add almost only "
           "negatives. The queue finds most of the pool's koperasi articles within its first 40-50 labels: half of "
           "its picks are the articles the model is surest are koperasi. Without that half (uncertainty, "
           "lexicon hits the model scores low and rule disagreement only) it finds "
           f"{found['queue_uncertainty'][:, STEPS.index(50)].mean():.1f} by 50 labels and "
           f"{found['queue_uncertainty'][:, -1].mean():.1f} by 200, yet reaches about the same F1 by 50 labels: "
           "here the near-threshold and lexicon-hit negatives it labels teach the model as much as the confirmed "
           "positives do. With about 21 koperasi articles held out per seed, differences under about 0.03 are "
           "within the noise (std over seeds).", "", "![F1 per step](label_loop.png)"]
    data = {"steps": STEPS, "seeds": list(runs), "runs": {str(k): v for k, v in runs.items()},
            "mean": {s: mean[s].tolist() for s in mean}, "std": {s: std[s].tolist() for s in std},
            "random_200_f1": target, "queue_labels_to_reach_random_200": reach, "seconds": round(seconds, 1)}
    return "\n".join(md), data


def plot(data: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for name, colour, title in (("queue", "tab:blue", "queue"), ("random", "tab:orange", "random"),
                                ("queue_uncertainty", "tab:green", "queue without likely positives")):
        m, s = np.array(data["mean"][name]), np.array(data["std"][name])
        ax.plot(data["steps"], m, marker="o", color=colour, label=f"{title} (mean ± std, {len(data['seeds'])} seeds)")
        ax.fill_between(data["steps"], m - s, m + s, color=colour, alpha=0.15)
    ax.axhline(data["random_200_f1"], color="grey", linestyle=":", linewidth=1, label="random at 200")
    ax.set_xlabel("labels added to 20 koperasi + 200 random")
    ax.set_ylabel("held-out koperasi F1")
    ax.set_ylim(0.5, 1)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--jobs", type=int, default=1, help="seeds run in parallel processes")
    parser.add_argument("--report-only", action="store_true", help="rewrite the .md and .png from the .json")
    args = parser.parse_args(argv)
    if args.report_only:
        saved = json.loads((RESULTS / "label_loop.json").read_text(encoding="utf-8"))
        md, data = report({int(k): v for k, v in saved["runs"].items()}, saved["seconds"])
        write_results("label_loop", md, data)
        plot(data, RESULTS / "label_loop.png")
        print(md)
        return
    begin = time.perf_counter()
    df = pd.read_parquet(ROOT / "data" / "topics.parquet").reset_index(drop=True)
    df["positive"] = df["tags"].map(lambda t: TAG in list(t))
    texts = [article_text(t, b) for t, b in zip(df["title"], df["text"])]
    cfg = load_config(ROOT / "configs" / "topic_tfidf.yaml", [f"data.labels=[{TAG}]", "evaluation.report=false"])
    cfg.model["lexicon"] = {TAG: cfg.model["lexicon"][TAG]}
    if args.jobs > 1:
        with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
            done = pool.starmap(run_seed, [(df, texts, cfg, seed, print) for seed in args.seeds])
        runs = dict(zip(args.seeds, done))
    else:
        runs = {seed: run_seed(df, texts, cfg, seed, print) for seed in args.seeds}
    md, data = report(runs, time.perf_counter() - begin)
    write_results("label_loop", md, data)
    plot(data, RESULTS / "label_loop.png")
    print(md)


if __name__ == "__main__":
    main()
