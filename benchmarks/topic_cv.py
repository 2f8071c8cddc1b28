"""Topic tagging under cross-validation: the keyword rule, the default and the levers tried against it.

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
import json
import time
from pathlib import Path

import numpy as np
from _results import write_results

from mlpkg.classify.cross_validation import format_cv_table, on_rows
from mlpkg.classify.training import (
    cross_validate_config,
    cv_folds,
    keyword_rule_cv,
    keyword_rule_for,
    protocols_for,
    reader_bar,
    reader_bar_inputs,
    sure_title,
)
from mlpkg.config import load_config
from mlpkg.data.labelled import load_split
from mlpkg.evaluate.metrics import tag_matrix

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "configs" / "topic_tfidf.yaml"
VECTORS = ROOT / "data" / "word_vectors.npz"
# Everyday words of each topic that its acronyms miss (issue: small-business stories that never say UMKM,
# education stories without school words), in the lexicon's form: lower-case, matched at a word start.
BROAD_TERMS = {
    "koperasi": ["kopdit", "shu\\b", "sisa hasil usaha", "bmt\\b", "lpdb"],
    "umkm": ["perajin", "pengrajin", "warung", "pedagang", "pkl\\b", "kios", "usaha rumahan", "industri rumahan",
             "home industri", "omzet", "modal usaha", "kerajinan", "tenun", "bazar", "qris\\b", "lapak",
             "kelontong", "oleh oleh"],
    "pendidikan": ["honorer", "ruang kelas", "olimpiade", "santri", "pppk\\b", "ukt\\b", "skripsi", "pelajaran",
                   "tahun ajaran", "lulusan"],
}


def broad_lexicon_overrides() -> list[str]:
    lexicon = load_config(DEFAULT).model["lexicon"]
    return [f"model.lexicon.{tag}={json.dumps(terms + BROAD_TERMS.get(tag, []))}" for tag, terms in lexicon.items()]


def unfixed_lexicon_overrides() -> list[str]:
    """The umkm lexicon as it was before its precision fixes: 'ikm' and 'naik kelas' counted wherever they occur."""
    umkm = load_config(DEFAULT).model["lexicon"]["umkm"]
    plain = ["ikm\\b" if "ikm\\b(?!" in t else "naik kelas" if t.endswith("naik kelas)") else t for t in umkm]
    return [f"model.lexicon.umkm={json.dumps(plain)}"]


def vector_lexicon_overrides(n: int = 10) -> list[str]:
    """Each tag's lexicon plus the ``n`` words of the in-domain vectors closest to its plain one-word terms."""
    from mlpkg.data.vectors import load_vectors, nearest

    words, vectors = load_vectors(VECTORS)
    lexicon = load_config(DEFAULT).model["lexicon"]
    out = []
    for tag, terms in lexicon.items():
        seeds = [t.removesuffix("\\b") for t in terms if t.removesuffix("\\b").isalpha()]
        near = [w for w, _ in nearest(words, vectors, seeds, 3 * n) if w.isalpha() and len(w) > 3][:n]
        expanded = terms + [w + "\\b" for w in near]
        out.append(f"model.lexicon.{tag}={json.dumps(expanded)}")
    return out


SYSTEMS = {
    "keyword rule (3+ hits of the lexicon)": None,
    "model alone (no lexicon)": (DEFAULT, ["model.lexicon_weight=0.0"]),
    "previous default (tfidf_lexicon_vectors.v1, 'ikm' and 'naik kelas' anywhere)": (DEFAULT, "unfixed"),
    "default: TF-IDF + lexicon": (DEFAULT, []),
    "broader lexicon (everyday words added)": (DEFAULT, "broad"),
    "lexicon expanded by in-domain word vectors": (DEFAULT, "vector_lexicon"),
    "in-domain word vectors as features (tfidf_lexicon_vectors.v1)": (DEFAULT, [
        "model.name=tfidf_lexicon_vectors.v1", f"model.word_vectors={VECTORS}"]),
    "character 3-5 n-grams beside the words": (DEFAULT, ["model.char_ngrams=[3, 5]"]),
    "broader lexicon + word vectors as features": (DEFAULT, "broad+vectors"),
    "agency names as one token (tfidf_lexicon_vectors_agencies.v1)": (DEFAULT, [
        "model.name=tfidf_lexicon_vectors_agencies.v1"]),
    "default with C=0.5": (DEFAULT, ["model.C=0.5"]),
    "default with C=2": (DEFAULT, ["model.C=2.0"]),
    "default without class weights": (DEFAULT, ["model.class_weight=none"]),
    "default with vector_weight=2": (DEFAULT, ["model.vector_weight=2.0"]),
    "default with unigrams only": (DEFAULT, ["model.word_ngrams=[1, 1]"]),
    "default + title-and-lead block for umkm (300 characters)": (DEFAULT, [
        "model.lead_block_chars=300", "model.lead_block_tags=[umkm]"]),
    "default + title-and-lead block for umkm and pendidikan (300 characters)": (DEFAULT, [
        "model.lead_block_chars=300", "model.lead_block_tags=[umkm, pendidikan]"]),
    "default + title-and-lead block for umkm (600 characters)": (DEFAULT, [
        "model.lead_block_chars=600", "model.lead_block_tags=[umkm]"]),
    "default + title-and-lead block for pendidikan (300 characters)": (DEFAULT, [
        "model.lead_block_chars=300", "model.lead_block_tags=[pendidikan]"]),
    "default + title-and-lead block for umkm (300 characters, weight 0.5)": (DEFAULT, [
        "model.lead_block_chars=300", "model.lead_block_tags=[umkm]", "model.lead_block_weight=0.5"]),
    "default + title-and-lead block for umkm (300 characters, weight 0.3)": (DEFAULT, [
        "model.lead_block_chars=300", "model.lead_block_tags=[umkm]", "model.lead_block_weight=0.3"]),
    "default + title-and-lead block for umkm and pendidikan (300 characters, weight 0.5)": (DEFAULT, [
        "model.lead_block_chars=300", "model.lead_block_tags=[umkm, pendidikan]", "model.lead_block_weight=0.5"]),
}
HEADINGS = {"group": "Grouped 5-fold", "publisher": "Leave one publisher out",
            "newer": "Newest news held out, fitted on older news"}
GRID = [
    [f"model.C={c}", f"model.lexicon_weight={w}"] for c in (0.25, 0.5, 1.0) for w in (0.5, 1.0, 2.0)
] + [["model.char_ngrams=[3, 5]"], ["model.head=logreg", "model.C=4.0"], ["model.word_ngrams=[1, 1]"]]


def run(cfg_path: Path, overrides: list[str], data, folds) -> dict:
    cfg = load_config(cfg_path, overrides)
    return cross_validate_config(cfg, data, folds, log=lambda *_: None)


def overrides_of(spec) -> list[str]:
    if spec == "broad":
        return broad_lexicon_overrides()
    if spec == "unfixed":
        return unfixed_lexicon_overrides() + ["model.name=tfidf_lexicon_vectors.v1", "model.lead_block_chars=null",
                                              "model.lead_block_tags=[]"]
    if spec == "vector_lexicon":
        return vector_lexicon_overrides()
    if spec == "broad+vectors":
        return broad_lexicon_overrides() + ["model.name=tfidf_lexicon_vectors.v1", f"model.word_vectors={VECTORS}"]
    return list(spec)


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


def side_by_side(systems: dict, labels: list[str], agreement: dict | None) -> list[str]:
    """Per system: F1 mean ± std per tag and macro, keyword-free recall per tag; the readers' row on top."""
    head = [f"{t} F1" for t in labels] + ["macro F1"] + [f"{t} keyword-free recall" for t in labels]
    lines = ["| system | " + " | ".join(head) + " |", "|---|" + "---:|" * len(head)]
    if agreement:
        a = agreement["per_label"]
        lines.append(f"| readers (two blind readings of {agreement['articles']} articles) | "
                     + " | ".join("–" if a[t]["f1"] is None else f"{a[t]['f1']:.3f}" for t in labels)
                     + f" | {agreement['macro_f1']:.3f} |" + " |" * len(labels))
    for name, result in systems.items():
        s, free = result["summary"], result.get("keyword_free", {})

        def f1(v: dict, folds: int) -> str:
            return f"{v['mean']:.3f}" if folds == 1 else f"{v['mean']:.3f} ± {v['std']:.3f}"

        cells = [f1(s[t]["f1"], s[t]["folds"]) for t in labels] + [f1(s["macro"]["f1"], s["macro"]["folds"])]
        cells += ["–" if t not in free or free[t]["recall"] is None
                  else f"{free[t]['recall']:.3f} ({free[t]['found']}/{free[t]['positives']})" for t in labels]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines + [""] + like_for_like(systems, labels, agreement)


def like_for_like(systems: dict, labels: list[str], agreement: dict | None) -> list[str]:
    """Per system: pooled F1 per tag, and F1 against each of the two blind readings (mean of the two) on the
    articles read twice, beside the readers' agreement on the same articles."""
    against = {name: r["model_vs_readers"] for name, r in systems.items() if r.get("model_vs_readers")}
    if not against or not agreement:
        return []
    articles = next(iter(against.values()))["articles"]
    head = [f"{t} pooled F1" for t in labels] + [f"{t} vs readers" for t in labels] + ["macro vs readers"]
    a = agreement["per_label"]
    lines = [f"Like for like: the out-of-fold predictions on the {articles} articles read twice, against each "
             "reading (mean of the two); the readers' row is one reading against the other.", "",
             "| system | " + " | ".join(head) + " |", "|---|" + "---:|" * len(head),
             "| readers | " + " |" * len(labels) + " "
             + " | ".join("–" if a[t]["f1"] is None else f"{a[t]['f1']:.3f}" for t in labels)
             + f" | {agreement['macro_f1']:.3f} |"]
    for name, v in against.items():
        pooled = systems[name]["pooled"]["per_label"]
        lines.append(f"| {name} | " + " | ".join(f"{pooled[t]['f1']:.3f}" for t in labels) + " | "
                     + " | ".join("–" if v["per_label"][t]["mean"] is None else f"{v['per_label'][t]['mean']:.3f}"
                                  for t in labels) + f" | {v['macro_f1']:.3f} |")
    return lines + [""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", action="store_true", help="score the settings grid instead (grouped folds only)")
    parser.add_argument("--protocols", nargs="+", help="only these protocols (default: all the config has)")
    parser.add_argument("--systems", nargs="+", help="only the systems whose name contains one of these words")
    parser.add_argument("--name", default="topic_cv", help="results file name under benchmarks/results/")
    parser.add_argument("--predictions", type=Path, help="also save each system's out-of-fold predictions here "
                        "(<protocol>.<system number>.npz: proba, pred, Y) for reading its errors")
    args = parser.parse_args()
    cfg = load_config(DEFAULT)
    data = load_split(cfg.data, None)
    Y = tag_matrix(data.y, cfg.data.labels)
    counts = {t: int(Y[:, j].sum()) for j, t in enumerate(cfg.data.labels)}
    md = [f"# Topic tagging, cross-validated ({len(data.texts)} labelled articles)", "",
          "Labelled positives: " + ", ".join(f"{t} {n}" for t, n in counts.items()) + f" (`{cfg.data.path}`).",
          "F1 mean ± std over folds with 3+ positives of the tag; pooled = all out-of-fold predictions together. "
          "Keyword-free recall: the share of the positives whose text holds none of the tag's core terms "
          "(`evaluation.core_terms`) that the system found (found/positives, all folds pooled).", ""]
    out = {"rows": len(data.texts), "positives": counts, "protocols": {}}
    labels, sure = cfg.data.labels, data.sure_rows()
    systems = {k: v for k, v in SYSTEMS.items() if not args.systems or any(w in k for w in args.systems)}
    bar_inputs = reader_bar_inputs(cfg, data)
    agreement = bar_inputs[0]
    for protocol in () if args.grid else (args.protocols or protocols_for(cfg, "all")):
        folds = cv_folds(cfg, data, protocol)
        which = folds[0][0] if len(folds) == 1 else f"{len(folds)} folds"
        md += [f"## {HEADINGS[protocol]} ({which})", ""]
        out["protocols"][protocol] = {"folds": [name for name, _ in folds], "systems": {}}
        tables = []
        for name, spec in systems.items():
            start = time.perf_counter()
            overrides = [] if spec is None else overrides_of(spec[1])
            result = (keyword_rule_cv(cfg, data, folds, keyword_rule_for(cfg, labels, print)) if spec is None
                      else run(spec[0], overrides, data, folds))
            seconds = time.perf_counter() - start
            bar = reader_bar(cfg, bar_inputs, result)
            print(f"{protocol} / {name}: macro-F1 {result['summary']['macro']['f1']['mean']:.3f} ({seconds:.0f}s)",
                  flush=True)
            tables += [format_cv_table(result, name, markdown=True), ""]
            if args.predictions:
                args.predictions.mkdir(parents=True, exist_ok=True)
                np.savez_compressed(args.predictions / f"{protocol}.{list(SYSTEMS).index(name)}.npz",
                                    proba=result["proba"], pred=result["pred"], Y=result["Y"])
            out["protocols"][protocol]["systems"][name] = {**compact(result), "seconds": round(seconds, 1),
                                                           "overrides": overrides,
                                                           "keyword_free": bar.get("keyword_free", {}),
                                                           "model_vs_readers": bar.get("model_vs_readers")}
            if sure is not None:
                on_sure = on_rows(result, folds, sure, labels)
                out["protocols"][protocol]["systems"][name]["sure"] = {k: on_sure[k] for k in ("summary", "pooled")}
            # written after every system, so a long run stopped early keeps what it measured
            write_results(args.name, "\n".join(md + side_by_side(out["protocols"][protocol]["systems"], labels,
                                                                   agreement) + tables), out)
        md += side_by_side(out["protocols"][protocol]["systems"], labels, agreement) + tables
        if sure is not None:
            md += sure_section(out["protocols"][protocol]["systems"], labels, on_sure["left_out"])
    out["reader_agreement"] = agreement
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
    write_results(args.name + ("_grid" if args.grid else ""), "\n".join(md), out)


if __name__ == "__main__":
    main()
