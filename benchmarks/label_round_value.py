"""What a labelling round of #21 is worth to the default tagger: the same folds, scored against today's
labels, by the default config trained with and without the round's readings.

"Without" leaves every article the round read (by default the fifth round: ``pool`` v2w4_* to v2w6_* in
``data/labels/reviewed.jsonl``) out of each fold's training rows; "with" trains on them as labelled. Both
are scored on every held-out row with today's labels, so the difference is what reading those
articles taught the model (not what it changed in the test labels). Run from the repository root:

    python benchmarks/label_round_value.py [--protocols group newer]
    python benchmarks/label_round_value.py --round sixth --pools v2w7_   # label_round_value_sixth.md
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from mlpkg.classify.cross_validation import cross_validate
from mlpkg.classify.training import cv_folds, fit_on_all, reader_bar_inputs
from mlpkg.config import load_config
from mlpkg.data.labelled import load_split

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results"


def round_ids(path: Path, prefixes: tuple[str, ...] = ("v2w4_", "v2w5_", "v2w6_")) -> set[str]:
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {row["uid"] for row in rows if str(row.get("pool", "")).startswith(prefixes)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "topic_tfidf.yaml"))
    parser.add_argument("--protocols", nargs="+", default=["group"])
    parser.add_argument("--round", default="fifth", help="the round's name, in the title and the results file")
    parser.add_argument("--pools", nargs="+", default=["v2w4_", "v2w5_", "v2w6_"],
                        help="the round's pool prefixes in data/labels/reviewed.jsonl")
    args = parser.parse_args()
    cfg = load_config(args.config)
    labels = cfg.data.labels
    data = load_split(cfg.data, None)
    new = round_ids(ROOT / "data" / "labels" / "reviewed.jsonl", tuple(args.pools))
    _, free, _ = reader_bar_inputs(cfg, data)

    def without(part):
        return fit_on_all(cfg, part.subset([i for i, uid in enumerate(part.ids) if uid not in new]))

    systems = {f"with the {args.round} round's readings": lambda part: fit_on_all(cfg, part),
               "without them (the round's articles left out of training)": without}
    lines = [f"# Value of the {args.round} labelling round ({len(new)} articles read), default config, "
             "today's labels", ""]
    results = {}
    for protocol in args.protocols:
        folds = cv_folds(cfg, data, protocol)
        lines += [f"## {protocol}", "",
                  "| training | " + " | ".join(f"{t} F1 (pooled)" for t in labels) + " | macro | "
                  + " | ".join(f"{t} keyword-free recall" for t in labels) + " |",
                  "|---|" + "---:|" * (2 * len(labels) + 1)]
        for name, fit in systems.items():
            res = cross_validate(fit, data, folds, labels, log=lambda *_: None)
            f1 = [res["pooled"]["per_label"][t]["f1"] for t in labels]
            Y, pred, held_out = res["Y"], res["pred"], ~np.isnan(res["proba"]).any(axis=1)
            recall = []
            for j in range(len(labels)):  # the held-out positives without the tag's own words
                rows = (free[:, j] & (Y[:, j] == 1) & held_out) if free is not None else np.zeros(len(Y), bool)
                recall.append(f"{pred[rows, j].mean():.3f} ({int(rows.sum())})" if rows.any() else "–")
            results[f"{protocol}: {name}"] = {"f1": f1, "keyword_free_recall": recall}
            lines.append(f"| {name} | " + " | ".join(f"{v:.3f}" for v in f1) + f" | {np.mean(f1):.3f} | "
                         + " | ".join(recall) + " |")
            print(lines[-1], flush=True)
        lines.append("")
    OUT.mkdir(parents=True, exist_ok=True)
    stem = "label_round_value" + ("" if args.round == "fifth" else f"_{args.round}")
    (OUT / f"{stem}.md").write_text("\n".join(lines), encoding="utf-8")
    (OUT / f"{stem}.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
