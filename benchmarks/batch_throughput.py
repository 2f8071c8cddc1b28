"""Throughput, memory and start-up of ``mlpkg tag`` on realistic input, against the bare scikit-learn predict.

    HF_HUB_OFFLINE=1 python benchmarks/batch_throughput.py --model models/topic_tfidf \
        --summarizer models/summary_trained [--rows 100000] [--compare-with ../mlpkg-before]

The input is :mod:`realistic_news`: long articles (bodies cut at 3,000 characters, mean about
2,700), 1% bad rows, JSONL. Then, in the same run:

- the ratio's base, *bare predict*: what a user would write first, a scikit-learn pipeline
  ``TfidfVectorizer(word 1-2) + OneVsRest(LinearSVC)`` fitted on data/topics.parquet, its ``predict``
  on raw text (no cleaning, no lexicon, no calibration), one process, texts in memory, batches of
  250, on the first ``--bare-rows`` articles; and mlpkg's own ``predict_proba`` + ``decide`` on the
  same texts. Both are measured before and after every job, so that each job is compared with the
  rates measured next to it in time (the machine is shared: other load moves both alike);
- ``mlpkg tag`` as a user runs it (a subprocess, end to end: start-up, reading, validation,
  tagging, rejects, final assembly) at each ``--workers`` count, sampling the whole process tree's
  CPU time every 0.5 s and its PSS every 2 s; then with ``--summarizer`` at 2 workers;
- per-worker start-up: a forked local worker (the fork server has imported the tagging code and
  the model's module) loads the model and tags one article; a fresh process (what a Ray actor
  pays) also imports the code first;
- with ``--compare-with DIR`` (a checkout of mlpkg before a change): that code's ``mlpkg tag`` at
  2 workers on the same input (its output file must equal the 1-worker job's byte for byte), and
  the first ``--bare-rows`` output lines of the 1-worker job against the lines its tagger writes.

Writes benchmarks/results/batch_throughput.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from _results import write_results  # noqa: E402
from realistic_news import build_input, length_line  # noqa: E402

PREDICT_BATCH = 250
TARGETS = {"2 workers": 2_000, "1 worker": 1_000, "with --summarizer": 800}
# One article's start-up in a process of its own; prints seconds (wall, CPU) of each step as JSON.
STARTUP = """
import json, sys, time
t0, c0 = time.perf_counter(), time.process_time()
import mlpkg.batch.tagger, psutil
from mlpkg.batch.tagger import Tagger, worker_preload, ModelInfo
from mlpkg.batch.validate import Article
import importlib
for module in worker_preload(ModelInfo.read(sys.argv[1], "classifier", "--model")):
    importlib.import_module(module)
t1, c1 = time.perf_counter(), time.process_time()
Tagger(sys.argv[1]).rows([Article(1, "a", "Koperasi desa", "Koperasi desa merah putih diluncurkan di seluruh desa.")])
t2, c2 = time.perf_counter(), time.process_time()
print(json.dumps({"import_s": t1 - t0, "import_cpu_s": c1 - c0, "load_s": t2 - t1, "load_cpu_s": c2 - c1}))
"""
# The output lines an older checkout of mlpkg writes for the first N valid rows of an input.
OLD_LINES = """
import json, sys
from mlpkg.batch.io import read_records
from mlpkg.batch.tagger import Tagger, tag_articles
from mlpkg.batch.validate import Fields, SeenIds, validate_chunk
from itertools import islice
records = list(islice(read_records(sys.argv[2], Fields()), int(sys.argv[3])))
articles, _ = validate_chunk(records, Fields(), 200_000, SeenIds())
for _, _, line in tag_articles(Tagger(sys.argv[1]), articles):
    print(line)
"""


def valid_texts(src: Path, rows: int) -> list[str]:
    """Title and body of the first ``rows`` well-formed articles, joined as mlpkg joins them."""
    from mlpkg.text.normalize import article_text

    texts = []
    with open(src, "rb") as fh:
        for line in fh:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if isinstance(r.get("text"), str) and r["text"].strip():
                texts.append(article_text(r.get("title"), r["text"]))
            if len(texts) >= rows:
                break
    return texts


def bare_pipeline(labels: list[str]):
    """The bare scikit-learn baseline: word 1-2 TF-IDF + one LinearSVC per tag, on raw text."""
    import pandas as pd
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MultiLabelBinarizer
    from sklearn.svm import LinearSVC

    from mlpkg.text.normalize import article_text

    df = pd.read_parquet(ROOT / "data" / "topics.parquet", columns=["title", "text", "tags"])
    pipe = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=150_000, sublinear_tf=True),
                         OneVsRestClassifier(LinearSVC(class_weight="balanced")))
    pipe.fit([article_text(t, b) for t, b in zip(df["title"], df["text"])],
             MultiLabelBinarizer(classes=labels).fit_transform(df["tags"]))
    return pipe


def rate(predict, texts: list[str]) -> dict:
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), PREDICT_BATCH):
        predict(texts[i: i + PREDICT_BATCH])
    seconds = time.perf_counter() - start
    return {"rows_per_s": round(len(texts) / seconds, 1), "cpu_ms_per_row": round(1000 * (time.process_time() - cpu)
                                                                                 / len(texts), 3),
            "load": round(os.getloadavg()[0], 2)}


def _tree(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def run_tag(model_dir: Path, src: Path, out: Path, rows: int, workers: int, summarizer: Path | None,
            code: Path | None = None) -> dict:
    """``mlpkg tag`` end to end in a subprocess (of the mlpkg in ``code``, default this one); peak RSS
    and PSS summed over its process tree."""
    command = [sys.executable, "-m", "mlpkg", "tag", "--model", str(model_dir), "--input", str(src),
               "--output", str(out), "--workers", str(workers), "--progress", "log"]
    command += ["--summarizer", str(summarizer)] if summarizer else []
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(code or ROOT)}
    proc = subprocess.Popen(command, cwd=code or ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    ps = psutil.Process(proc.pid)
    peak_rss = peak_pss = 0
    cpu: dict[int, float] = {}
    tick, tree = 0, []
    while proc.poll() is None:
        rss = pss = 0
        # listing children scans all of /proc and PSS reads /proc/PID/smaps: both every 2 s only,
        # so that measuring stays out of the job's way (RSS and CPU times are cheap: every 0.5 s)
        with_pss = tick % 4 == 0
        if with_pss:
            tree = _tree(ps)
        for p in tree:
            try:
                info = p.memory_full_info() if with_pss else p.memory_info()
                times = p.cpu_times()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            rss, pss = rss + info.rss, pss + (info.pss if with_pss else 0)
            cpu[p.pid] = times.user + times.system
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        tick += 1
        time.sleep(0.5)
    seconds = time.perf_counter() - start
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n{stderr[-3000:]}")
    speed = next((line for line in stderr.splitlines() if " rows/s after " in line), "")
    mib = 1 / 2**20
    return {"workers": workers, "summarizer": summarizer is not None, "code": str(code) if code else None,
            "rows": rows, "summary": stdout.strip(),
            "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds, 1),
            "job_rows_per_s": float(speed.split()[0]) if speed else None,
            "job_startup_s": float(speed.split(" after ")[1].split("s of")[0]) if speed else None,
            "cpu_ms_per_row": round(1000 * sum(cpu.values()) / rows, 3),
            "peak_rss_mib": round(peak_rss * mib), "peak_pss_mib": round(peak_pss * mib),
            "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2)}


def startup(model_dir: Path) -> dict:
    """Seconds to a worker ready to tag, as a forked local worker and as a fresh process (best of 3)."""
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", STARTUP, str(model_dir)], cwd=ROOT, check=True,
                              capture_output=True, text=True)
        runs.append({**json.loads(done.stdout), "process_s": time.perf_counter() - start})
    best = min(runs, key=lambda r: r["process_s"])
    return {k: round(v, 3) for k, v in best.items()} | {"load": round(os.getloadavg()[0], 2)}


def compare_lines(old_code: Path, model_dir: Path, src: Path, out: Path, rows: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(old_code)}
    old = subprocess.run([sys.executable, "-c", OLD_LINES, str(model_dir), str(src), str(rows)], cwd=old_code,
                         env=env, check=True, capture_output=True, text=True).stdout.splitlines()
    with open(out, encoding="utf-8") as fh:
        new = [fh.readline().rstrip("\n") for _ in range(len(old))]
    return {"code": str(old_code), "rows": len(old), "identical": sum(a == b for a, b in zip(old, new))}


def markdown(result: dict) -> str:
    bare, ours = result["bare_predict"], result["mlpkg_predict"]
    mean = lambda xs, k: sum(x[k] for x in xs) / len(xs)  # noqa: E731
    lines = [
        "# Batch tagging throughput (`mlpkg tag`, realistic input)", "",
        f"Model `{result['model_name']}` (hash {result['model_hash']}); summariser `{result['summarizer_name']}`.",
        f"Input: {length_line(result['input'])}",
        f"Machine: {result['machine']['cpus']} CPUs ({result['machine']['processor']}), Python "
        f"{result['machine']['python']}, shared with other jobs: the load average (1 min) is given with every "
        "figure; compare ratios, not absolute rates.", "",
        f"Ratio base, measured before and after every job on the first {result['bare_rows']:,} articles (one "
        "process, texts in memory, batches of 250):",
        "- bare scikit-learn `TfidfVectorizer(word 1-2) + OneVsRest(LinearSVC)` `predict` on raw text: "
        + ", ".join(f"{b['rows_per_s']:,.0f}" for b in bare) + f" rows/s; {mean(bare, 'cpu_ms_per_row'):.3f} CPU "
        "ms per row;",
        "- mlpkg `predict_proba` + `decide` (cleaning, lexicon, calibration, thresholds): "
        + ", ".join(f"{b['rows_per_s']:,.0f}" for b in ours) + f" rows/s; {mean(ours, 'cpu_ms_per_row'):.3f} CPU "
        "ms per row.", "",
        "| run | rows | wall s | rows/s (end to end) | job's own rows/s | vs bare sklearn predict | vs mlpkg predict "
        "| CPU ms per row (tree) | peak PSS MiB (tree) | peak RSS MiB (tree) | aim | load before/after |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for run in result["runs"]:
        name = f"{run['workers']} worker{'s' if run['workers'] > 1 else ''}" + (", --summarizer" if run["summarizer"]
                                                                                else "")
        aim = None if run.get("code") else TARGETS["with --summarizer"] if run["summarizer"] else TARGETS.get(name)
        name += ", **code before this change**" if run.get("code") else ""
        verdict = "" if aim is None else f"≥ {aim:,}: {'reached' if run['rows_per_s'] >= aim else 'not reached'}"
        lines.append(
            f"| {name} | {run['rows']:,} | {run['seconds']} | **{run['rows_per_s']:,.0f}** | "
            f"{run['job_rows_per_s'] or 0:,.0f} | {run['rows_per_s'] / run['bare_rows_per_s']:.2f}x | "
            f"{run['rows_per_s'] / run['mlpkg_rows_per_s']:.2f}x | {run['cpu_ms_per_row']:.3f} | {run['peak_pss_mib']} "
            f"| {run['peak_rss_mib']} | {verdict} | {run['load_before']} / {run['load_after']} |")
    s = result["startup"]
    lines += [
        "", f"Per-worker start-up (best of 3, load {s['load']}): a forked local worker (the fork server has "
        "imported the tagging code and the model's module) loads the model and tags one article in "
        f"**{s['load_s']:.2f} s** ({s['load_cpu_s']:.2f} CPU s); a fresh process, as a Ray actor starts, first "
        f"imports the code: {s['import_s']:.2f} s ({s['import_cpu_s']:.2f} CPU s), {s['process_s']:.2f} s with the "
        "interpreter.",
        "",
        "- *vs bare sklearn predict* / *vs mlpkg predict*: end-to-end rows/s of the job divided by the mean of that "
        "in-memory predict's rows/s just before and just after it (one process).",
        "- *CPU ms per row (tree)*: CPU time of the job's whole process tree (driver, fork server, workers; sampled "
        "every 0.5 s) per input row; unlike wall time it barely depends on what else the machine runs: "
        "2,000 / (this) is about what 2 idle cores would do.",
        "- *job's own rows/s*: the rate `mlpkg tag` prints, after its start-up (workers started, model loaded, "
        "first chunk back).",
        "- *PSS* splits the pages that processes share between them: the memory the job really holds.",
    ]
    if result.get("predictions"):
        p = result["predictions"]
        lines += ["", f"Predictions: {p['identical']:,} of the first {p['rows']:,} output lines of the 1-worker job "
                  f"are byte-identical to those the code before this change writes (`{p['code']}`), scores to the 4 "
                  "decimals written; the whole output file of its job and of the 1-worker job are "
                  + ("byte-identical." if p.get("whole_output_identical") else "**not** identical.")]
    lines += ["", f"Reproduce: `{result['command']}`", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/topic_tfidf", help="trained topic tagger directory")
    parser.add_argument("--summarizer", help="summariser directory: adds a 2-worker run with --summarizer")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--summarizer-rows", type=int, default=20_000)
    parser.add_argument("--bare-rows", type=int, default=4_000, help="rows for the in-memory rates")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--compare-with", help="a checkout of mlpkg before a change: compare output lines")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", help="where the input and outputs go (default: a temp folder)")
    args = parser.parse_args(argv)
    model_dir = Path(args.model).resolve()
    if not (model_dir / "mlpkg.json").exists():
        raise SystemExit(f"{model_dir} is not a model directory; train one first: python train.py --config "
                         f"configs/topic_tfidf.yaml --output-dir {model_dir}")
    from mlpkg.core.directory import load_model, model_hash, read_meta

    summarizer = Path(args.summarizer).resolve() if args.summarizer else None
    with tempfile.TemporaryDirectory(prefix="mlpkg-bench-", dir=args.workdir) as tmp:
        work = Path(tmp)
        src = work / "news.jsonl"
        stats = build_input(src, args.rows, args.seed)
        print(length_line(stats), flush=True)
        model = load_model(model_dir)
        texts = valid_texts(src, args.bare_rows)
        bare = bare_pipeline(list(model.classes_))
        model.predict_proba(texts[:PREDICT_BATCH])  # the first call builds the n-gram counter

        def measure() -> None:
            rates["bare"].append(rate(bare.predict, texts))
            rates["mlpkg"].append(rate(lambda batch: model.decide(model.predict_proba(batch)), texts))
            print(f"bare {rates['bare'][-1]}, mlpkg {rates['mlpkg'][-1]}", flush=True)

        rates: dict[str, list] = {"bare": [], "mlpkg": []}
        measure()
        old_code = Path(args.compare_with).resolve() if args.compare_with else None
        plan = [(src, args.rows, w, None, None) for w in args.workers]
        plan += [(src, args.rows, 2, None, old_code)] if old_code else []
        if summarizer:
            small = work / "news_small.jsonl"
            summarizer_rows = min(args.summarizer_rows, args.rows)  # the input has --rows rows
            with open(src, "rb") as fin, open(small, "wb") as fout:
                fout.writelines(line for _, line in zip(range(summarizer_rows), fin))
            plan.append((small, summarizer_rows, 2, summarizer, None))
        runs = []
        for i, (path, rows, workers, summ, code) in enumerate(plan):
            runs.append(run_tag(model_dir, path, work / f"out{i}.jsonl", rows, workers, summ, code))
            measure()
            runs[-1]["bare_rows_per_s"] = (rates["bare"][-2]["rows_per_s"] + rates["bare"][-1]["rows_per_s"]) / 2
            runs[-1]["mlpkg_rows_per_s"] = (rates["mlpkg"][-2]["rows_per_s"] + rates["mlpkg"][-1]["rows_per_s"]) / 2
            print(runs[-1], flush=True)
        one_worker = next((i for i, run in enumerate(runs) if run["workers"] == 1 and not run["summarizer"]), 0)
        predictions = (compare_lines(old_code, model_dir, src, work / f"out{one_worker}.jsonl", args.bare_rows)
                       if old_code else None)
        if old_code:  # the whole output of the old code's job against this code's
            old_run = next(i for i, run in enumerate(runs) if run.get("code"))
            predictions["whole_output_identical"] = (work / f"out{old_run}.jsonl").read_bytes() == (
                work / f"out{one_worker}.jsonl").read_bytes()
        started = startup(model_dir)
    result = {
        "model": str(model_dir), "model_name": read_meta(model_dir)["name"], "model_hash": model_hash(model_dir),
        "summarizer_name": read_meta(summarizer)["name"] if summarizer else None,
        "input": stats, "bare_rows": len(texts),
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                    "python": platform.python_version()},
        "bare_predict": rates["bare"], "mlpkg_predict": rates["mlpkg"], "runs": runs, "startup": started,
        "predictions": predictions,
        "command": "HF_HUB_OFFLINE=1 python benchmarks/batch_throughput.py " + " ".join(argv or sys.argv[1:]),
    }
    write_results("batch_throughput", markdown(result), result)
    print(markdown(result))


if __name__ == "__main__":
    main()
