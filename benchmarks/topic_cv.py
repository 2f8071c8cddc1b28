"""Topic tagging under cross-validation: keyword rule, the first model, model alone, hybrid (two cut rules).

    python benchmarks/topic_cv.py            # the side-by-side table (all three protocols)
    python benchmarks/topic_cv.py --grid     # instead: the settings grid the default was picked from

Every system is scored on the same folds of every labelled row of ``data/topics.parquet``:
grouped 5-fold (near-copy groups together, stratified on each group's rarest tag), leave-one-publisher-out
(publishers with 150+ rows alone, the rest as one fold) and newest news held out (dated
``evaluation.newer_from`` or later, scored by a model fitted on older and undated news). Each fold
refits the system, its calibration and thresholds on the other rows. The same predictions are also
scored without the rows whose readers marked their decision unsure (confidence low). Writes
``benchmarks/results/topic_cv.{md,json}``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from _results import write_results

from mlpkg.classify.cross_validation import format_cv_table, on_rows
from mlpkg.classify.training import (
    cross_validate_config,
    cv_folds,
    keyword_rule_cv,
    load_split,
    protocols_for,
    sure_title,
)
from mlpkg.config import load_config
from mlpkg.evaluate.metrics import tag_matrix

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "configs" / "topic_tfidf.yaml"
FIRST = ROOT / "configs" / "topic_tfidf_v1.yaml"
# The first model as shipped: tfidf_linear.v1 (word 1-2 + char 3-5 TF-IDF, LinearSVC); with no dev
# split inside a fold it holds out a grouped fifth of the fold's rows to tune its thresholds.
SYSTEMS = {
    "keyword rule (3+ hits)": None,
    "first model (tfidf_linear.v1)": (FIRST, ["evaluation.protocol=cv"]),
    "model alone (no lexicon)": (DEFAULT, ["model.lexicon_weight=0.0"]),
    "hybrid, cut at the F1 peak (previous default)": (DEFAULT, ["thresholds.objective=f1"]),
    "hybrid: TF-IDF + lexicon, cut at half the best F1 (default)": (DEFAULT, []),
}
HEADINGS = {"group": "Grouped 5-fold", "publisher": "Leave one publisher out",
            "newer": "Newest news held out, fitted on older news"}
GRID = [
    [f"model.C={c}", f"model.lexicon_weight={w}"] for c in (0.25, 0.5, 1.0) for w in (0.5, 1.0, 2.0)
] + [["model.char_ngrams=[3, 5]"], ["model.head=logreg", "model.C=4.0"], ["model.word_ngrams=[1, 1]"]]


def run(cfg_path: Path, overrides: list[str], data, folds) -> dict:
    cfg = load_config(cfg_path, overrides)
    return cross_validate_config(cfg, data, folds, log=lambda *_: None)


def compact(result: dict) -> dict:
    return {"summary": result["summary"], "pooled": result["pooled"], "folds": result["folds"]}


def sure_section(systems: dict, labels: list[str], left_out: int) -> list[str]:
    """Every system's F1 on the same predictions without the rows whose readers were unsure."""
    lines = [f"**The same predictions, {sure_title(left_out)}**", "",
             "| system | " + " | ".join(labels) + " | macro |", "|---|" + "---:|" * (len(labels) + 1)]
    for name, result in systems.items():
        s = result["sure"]["summary"]
        lines.append(f"| {name} | " + " | ".join(f"{s[t]['f1']['mean']:.3f}" for t in labels)
                     + f" | {s['macro']['f1']['mean']:.3f} |")
    return lines + [""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", action="store_true", help="score the settings grid instead (grouped folds only)")
    args = parser.parse_args()
    cfg = load_config(DEFAULT)
    data = load_split(cfg.data, None)
    Y = tag_matrix(data.y, cfg.data.labels)
    counts = {t: int(Y[:, j].sum()) for j, t in enumerate(cfg.data.labels)}
    md = [f"# Topic tagging, cross-validated ({len(data.texts)} labelled articles)", "",
          "Labelled positives: " + ", ".join(f"{t} {n}" for t, n in counts.items()) + f" (`{cfg.data.path}`).",
          "F1 mean ± std over folds with 3+ positives of the tag; pooled = all out-of-fold predictions together.", ""]
    out = {"rows": len(data.texts), "positives": counts, "protocols": {}}
    labels, sure = cfg.data.labels, data.sure_rows()
    for protocol in () if args.grid else protocols_for(cfg, "all"):
        folds = cv_folds(cfg, data, protocol)
        which = folds[0][0] if len(folds) == 1 else f"{len(folds)} folds"
        md += [f"## {HEADINGS[protocol]} ({which})", ""]
        out["protocols"][protocol] = {"folds": [name for name, _ in folds], "systems": {}}
        for name, spec in SYSTEMS.items():
            start = time.perf_counter()
            result = keyword_rule_cv(cfg, data, folds) if spec is None else run(*spec, data, folds)
            seconds = time.perf_counter() - start
            print(f"{protocol} / {name}: macro-F1 {result['summary']['macro']['f1']['mean']:.3f} ({seconds:.0f}s)",
                  flush=True)
            md += [format_cv_table(result, name, markdown=True), ""]
            out["protocols"][protocol]["systems"][name] = {**compact(result), "seconds": round(seconds, 1)}
            if sure is not None:
                on_sure = on_rows(result, folds, sure, labels)
                out["protocols"][protocol]["systems"][name]["sure"] = {k: on_sure[k] for k in ("summary", "pooled")}
        if sure is not None:
            md += sure_section(out["protocols"][protocol]["systems"], labels, on_sure["left_out"])
    if args.grid:
        folds = cv_folds(cfg, data, "group")
        md += ["## Settings grid (grouped 5-fold), hybrid model", "",
               "| overrides | koperasi F1 | umkm F1 | pendidikan F1 | macro F1 |", "|---|---:|---:|---:|---:|"]
        out["grid"] = []
        for overrides in GRID:
            s = run(DEFAULT, overrides, data, folds)["summary"]
            f1 = [s[t]["f1"]["mean"] for t in cfg.data.labels]
            row = " ".join(overrides)
            print(f"grid {row}: {s['macro']['f1']['mean']:.3f}", flush=True)
            md.append(f"| `{row}` | " + " | ".join(f"{v:.3f}" for v in f1)
                      + f" | {s['macro']['f1']['mean']:.3f} ± {s['macro']['f1']['std']:.3f} |")
            out["grid"].append({"overrides": overrides, "summary": s})
    write_results("topic_cv" + ("_grid" if args.grid else ""), "\n".join(md), out)


if __name__ == "__main__":
    main()
