"""Peak memory of one long article through the trained summarisers: it must grow linearly.

    nice -n 10 python benchmarks/summary_memory.py [--sentences 1000 5000 20000]

Each trained summariser is fitted on IndoSum folds 1-3 and saved; then, for every size, a fresh
process loads the saved folder and summarises one raw article of that many one-word lines, all
the same word (140 KB at 20,000 lines, under ``mlpkg tag``'s ``--max-chars``). It is the worst
case for sentence similarity: every pair of sentences shares its only word, so an all-pairs matrix
would hold n**2 values (about 10 GB at 20,000). Peak memory is the child's ``ru_maxrss``, beside the
same child's peak on a three-sentence article (imports and the model). The aim is under 1 GB at
20,000 sentences. Writes benchmarks/results/summary_memory.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from _results import write_results  # noqa: E402

DATA = "data/indosum.parquet"
WORD = "koperasi"
LIMIT_MB = 1024
SHORT = "Koperasi desa tumbuh pesat.\nAnggotanya bertambah.\nPemerintah membantu."


def child(model_dir: str, sentences: int) -> dict:
    """In this process: load the model, summarise one article, report peak memory and time."""
    from mlpkg.core.directory import load_model

    model = load_model(model_dir)
    text = SHORT if sentences == 0 else "\n".join([WORD] * sentences)
    start = time.process_time()
    (summary,) = model.summarize([text])
    seconds = time.process_time() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"sentences": sentences, "peak_mb": round(peak, 1), "cpu_s": round(seconds, 2),
            "summary_sentences": len(summary)}


def measure(model_dir: Path, sentences: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", str(model_dir), str(sentences)], cwd=ROOT,
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if out.returncode:
        return {"sentences": sentences, "error": out.stderr.strip().splitlines()[-1:], "rc": out.returncode}
    return json.loads(out.stdout.strip().splitlines()[-1])


def trained_models() -> dict:
    """Every registered summariser that learns, fitted on folds 1-3."""
    from mlpkg.core.registry import registered_names, resolve
    from mlpkg.summarize.evaluation import load_summary_data

    data = load_summary_data(DATA, fold_field="fold", title_field=None)
    train = data.subset([i for i, f in enumerate(data.folds) if f != 4])
    models = {}
    for name in registered_names():
        cls = resolve(name)
        if getattr(cls, "kind", "") == "summarizer" and cls.needs_training and "model_name_or_path" not in cls.params:
            extra = {"references": train.references} if cls.uses_references else {}
            models[name] = cls().fit(train.sentences, train.gold, titles=train.titles, paragraphs=train.paragraphs,
                                     **extra)
    return models


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sentences", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--child", nargs=2, metavar=("MODEL_DIR", "SENTENCES"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]))))
        return 0
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, model in trained_models().items():
            folder = Path(tmp) / name
            model.save(folder)
            runs = [measure(folder, n) for n in [0, *args.sentences]]
            results[name] = runs
            print(name, json.dumps(runs), flush=True)
    largest = max(args.sentences)
    checks = {name: all(r.get("peak_mb", LIMIT_MB) < LIMIT_MB for r in runs if r["sentences"] == largest)
              for name, runs in results.items()}
    rows = ["| summariser | sentences | peak memory (MB) | CPU s | summary sentences |", "|---|---:|---:|---:|---:|"]
    for name, runs in results.items():
        for r in runs:
            size = "3 (baseline)" if r["sentences"] == 0 else f"{r['sentences']:,}"
            if "error" in r:
                rows.append(f"| {name} | {size} | failed (exit {r['rc']}): {' '.join(r['error'])} | | |")
            else:
                rows.append(f"| {name} | {size} | {r['peak_mb']:,.0f} | {r['cpu_s']:.2f} | {r['summary_sentences']} |")
    lines = [
        "# Peak memory of one long article through the trained summarisers", "",
        "`nice -n 10 python benchmarks/summary_memory.py`", "",
        f"One raw article of n lines, each the word '{WORD}' (every pair of sentences similar); a fresh process "
        "per row loads the saved model (fitted on IndoSum folds 1-3) and summarises it; peak memory is its "
        "ru_maxrss, CPU s the summarise call alone.", "",
        *rows, "",
        f"Under {LIMIT_MB} MB at {largest:,} sentences: " + ", ".join(f"{n} {ok}" for n, ok in checks.items()) + ".",
        f"Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}.",
    ]
    write_results("summary_memory", "\n".join(lines), {"results": results, "checks": checks, "word": WORD})
    print("\n".join(lines))
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
