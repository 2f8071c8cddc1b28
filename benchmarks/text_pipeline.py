"""Sentence splitting accuracy and speed, and clean+split throughput.

    python benchmarks/text_pipeline.py

Compares ``mlpkg.text.split_sentences`` with a plain regex split and with sentencex on the
hand-checked boundary set in ``tests/data/sentence_boundaries.jsonl``; then times cleaning plus
splitting of shipped articles on one core. Writes ``benchmarks/results/text_pipeline.{md,json}``.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pandas as pd
from _results import write_results

from mlpkg.text import clean, split_sentences

ROOT = Path(__file__).resolve().parents[1]


def regex_split(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def sentencex_split(text: str) -> list[str]:
    from sentencex import segment

    return [s.strip() for s in segment("id", text) if s.strip()]


def boundaries(sentences: list[str], text: str) -> set[int]:
    """Character offsets (in the whitespace-normalised text) where a sentence ends."""
    norm = " ".join(text.split())
    out, pos = set(), 0
    for s in sentences[:-1]:
        s = " ".join(s.split())
        pos = norm.find(s, pos) + len(s)
        out.add(pos)
    return out


def score(splitter, rows) -> dict:
    tp = fp = fn = 0
    start = time.perf_counter()
    preds = [splitter(r["text"]) for r in rows]
    seconds = time.perf_counter() - start
    for r, pred in zip(rows, preds):
        gold, got = boundaries(r["sentences"], r["text"]), boundaries(pred, r["text"])
        tp, fp, fn = tp + len(gold & got), fp + len(got - gold), fn + len(gold - got)
    n_sent = sum(len(p) for p in preds)
    return {
        "boundary_accuracy": round(tp / (tp + fp + fn), 4),
        "precision": round(tp / max(tp + fp, 1), 4),
        "recall": round(tp / max(tp + fn, 1), 4),
        "missed": fn,
        "spurious": fp,
        "sentences_per_s": round(n_sent / seconds),
    }


def main() -> None:
    rows = [json.loads(line) for line in open(ROOT / "tests" / "data" / "sentence_boundaries.jsonl", encoding="utf-8")]
    gold_sentences = sum(len(r["sentences"]) for r in rows)
    splitters = {
        "mlpkg split_sentences": split_sentences,
        "regex split": regex_split,
        "sentencex (id)": sentencex_split,
    }
    for fn in splitters.values():  # warm-up (loads Punkt parameters, sentencex tables)
        fn(rows[0]["text"])
    accuracy = {name: score(fn, rows * 20) for name, fn in splitters.items()}

    articles = pd.read_parquet(ROOT / "data" / "topics.parquet", columns=["text"])["text"].head(3000).tolist()
    start = time.perf_counter()
    n_sent = sum(len(split_sentences(clean(t))) for t in articles)
    seconds = time.perf_counter() - start
    throughput = {
        "articles": len(articles),
        "articles_per_s": round(len(articles) / seconds),
        "sentences": n_sent,
        "seconds": round(seconds, 2),
    }

    lines = [
        f"# Sentence splitting ({len(rows)} paragraphs, {gold_sentences} hand-checked sentences)",
        "",
        "| splitter | boundary accuracy | precision | recall | missed | spurious | sentences/s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m in accuracy.items():
        lines.append(
            f"| {name} | {m['boundary_accuracy']:.3f} | {m['precision']:.3f} | {m['recall']:.3f} | "
            f"{m['missed'] // 20} | {m['spurious'] // 20} | {m['sentences_per_s']:,} |"
        )
    lines += [
        "",
        "Boundary accuracy = correct boundaries / (correct + missed + spurious); counts per pass of the set.",
        "",
        "# Clean + split throughput (one core)",
        "",
        f"{throughput['articles']} shipped articles cleaned and split in {throughput['seconds']} s: "
        f"**{throughput['articles_per_s']:,} articles/s**.",
    ]
    write_results("text_pipeline", "\n".join(lines), {"accuracy": accuracy, "throughput": throughput})
    print("\n".join(lines))


if __name__ == "__main__":
    main()
