"""Throughput and memory of ``mlpkg tag`` against the bare model predict, on a large sampled input.

    HF_HUB_OFFLINE=1 python benchmarks/batch_throughput.py --model models/topic_tfidf [--rows 200000]

Builds ROWS articles by sampling data/topics.parquet with replacement and shuffling (seeded; ids
made unique), written as one JSONL file. Then, in the same run:

- bare predict: ``model.predict_proba`` + ``decide`` on the texts already in memory, one process,
  batches of ``--chunk-size``, on the first ``--bare-rows`` rows (a rate, not a total), before
  and after every job, so that each job is compared with the bare rate measured next to it;
- ``mlpkg tag`` as a subprocess, end to end (start-up, reading, validation, tagging, final
  assembly) at each ``--workers`` count, sampling the whole process tree's memory every 0.5 s (PSS every 2 s);
- the same command at 2 workers on the first ``--small-rows`` rows, to show peak memory does
  not grow with the input;
- optionally (``--ray``) the Ray engine on a local Ray with 2 CPUs.

The machine's load average is recorded with every measurement: other processes on the box slow
every number down, and the job/bare ratios are what survives that best.
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
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from _results import write_results  # noqa: E402

from mlpkg.core.directory import load_model  # noqa: E402
from mlpkg.text.normalize import article_text  # noqa: E402


def build_input(path: Path, rows: int, seed: int) -> None:
    import pandas as pd

    df = pd.read_parquet(ROOT / "data" / "topics.parquet", columns=["id", "title", "text"])
    sample = df.sample(n=rows, replace=True, random_state=seed).reset_index(drop=True)
    with open(path, "w", encoding="utf-8") as fh:
        for i, (id_, title, text) in enumerate(zip(sample.id, sample.title, sample.text)):
            fh.write(json.dumps({"id": f"{id_}#{i}", "title": title, "text": text}, ensure_ascii=False) + "\n")


def head(src: Path, dst: Path, rows: int) -> None:
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        for i, line in enumerate(fin):
            if i >= rows:
                break
            fout.write(line)


def bare_texts(src: Path, rows: int) -> list[str]:
    texts = []
    with open(src, encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i >= rows:
                break
            r = json.loads(line)
            texts.append(article_text(r["title"], r["text"]))
    return texts


def bare_predict(model, texts: list[str], chunk_size: int) -> dict:
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), chunk_size):
        model.decide(model.predict_proba(texts[i: i + chunk_size]))
    seconds = time.perf_counter() - start
    return {"rows": len(texts), "seconds": round(seconds, 2), "rows_per_s": round(len(texts) / seconds, 1),
            "cpu_seconds": round(time.process_time() - cpu, 2), "load": round(os.getloadavg()[0], 2)}


def _tree(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def run_tag(model_dir: Path, src: Path, out: Path, rows: int, workers: int, chunk_size: int,
            engine: str = "local") -> dict:
    """``mlpkg tag`` end to end in a subprocess; peak RSS and PSS summed over its process tree."""
    command = [sys.executable, "-m", "mlpkg", "tag", "--model", str(model_dir), "--input", str(src),
               "--output", str(out), "--workers", str(workers), "--chunk-size", str(chunk_size),
               "--engine", engine, "--progress", "log"]
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ps = psutil.Process(proc.pid)
    peak_rss = peak_pss = peak_driver = 0
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
            if p.pid == proc.pid:
                peak_driver = max(peak_driver, info.rss)
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        tick += 1
        time.sleep(0.5)
    seconds = time.perf_counter() - start
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n{stderr[-3000:]}")
    job_rate = next((float(line.split()[0]) for line in stderr.splitlines() if line.endswith(
        f"rejects {out.with_name(out.stem + '.rejects.jsonl')}")), None)
    mib = 1 / 2**20
    return {"engine": engine, "workers": workers, "rows": rows, "summary": stdout.strip(),
            "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds, 1), "job_rows_per_s": job_rate,
            "cpu_seconds_sampled": round(sum(cpu.values()), 1),
            "peak_rss_mib": round(peak_rss * mib), "peak_pss_mib": round(peak_pss * mib),
            "peak_driver_rss_mib": round(peak_driver * mib),
            "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2)}


def markdown(result: dict) -> str:
    bare = result["bare_predict"]
    bare_rows, bare_cpu = bare[0]["rows"], 1000 * sum(b["cpu_seconds"] for b in bare) / sum(b["rows"] for b in bare)
    lines = [
        "# Batch tagging throughput (`mlpkg tag`)", "",
        f"Model `{result['model']}` ({result['model_name']}, hash {result['model_hash']}); input: "
        f"{result['rows']:,} articles sampled with replacement from data/topics.parquet and shuffled (seed "
        f"{result['seed']}), JSONL, {result['input_mib']} MiB; chunk size {result['chunk_size']}.",
        f"Machine: {result['machine']['cpus']} CPUs ({result['machine']['processor']}), Python "
        f"{result['machine']['python']}.", "",
        f"Bare predict (`predict_proba` + `decide`, one process, texts in memory, first {bare_rows:,} rows), "
        f"measured before and after every job: " + ", ".join(f"{b['rows_per_s']:,.0f}" for b in bare)
        + f" rows/s; {bare_cpu:.2f} CPU s per 1,000 rows.", "",
        "| run | rows | wall s | rows/s (end to end) | rows/s (job's own) | vs bare predict | CPU s per 1k rows "
        "| CPU overhead vs bare | peak RSS MiB (tree) | peak PSS MiB (tree) | driver RSS MiB | load avg before/after |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for run in result["runs"]:
        cpu = 1000 * run["cpu_seconds_sampled"] / run["rows"]
        lines.append(
            f"| {run['engine']}, {run['workers']} worker{'s' if run['workers'] > 1 else ''} | {run['rows']:,} | "
            f"{run['seconds']} | {run['rows_per_s']:,.0f} | {run['job_rows_per_s'] or 0:,.0f} | "
            f"{run['rows_per_s'] / run['bare_rows_per_s']:.2f}x | {cpu:.2f} | {cpu / bare_cpu - 1:+.0%} | "
            f"{run['peak_rss_mib']} | {run['peak_pss_mib']} | {run['peak_driver_rss_mib']} | "
            f"{run['load_before']} / {run['load_after']} |")
    lines += ["", "- *vs bare predict*: end-to-end rows/s of the job divided by the mean of the bare predict's "
              "rows/s just before and just after it; at 1 worker, 1 − this is the job's overhead (reading, "
              "validation, IPC, writing, start-up).",
              "- *CPU overhead vs bare*: CPU time of the job's whole process tree (sampled every 0.5 s) per row, "
              "against the bare predict's; unlike wall time it does not depend on what else the machine runs.",
              "- *job's own* rows/s: the rate `mlpkg tag` prints, from just before the workers start to the last "
              "chunk (no interpreter start-up, no final assembly).",
              "- *peak RSS (tree)* sums the RSS of the driver, the fork server and the workers, so pages they share "
              "(libraries, the workers' copy-on-write memory) count once per process; *PSS* splits shared pages "
              "between the processes that map them: it is the memory the job really holds.", "",
              f"Reproduce: `{result['command']}`", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/topic_tfidf", help="trained TF-IDF model directory")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--bare-rows", type=int, default=20_000, help="rows for the bare predict's rate")
    parser.add_argument("--small-rows", type=int, default=20_000, help="a small input, to compare peak memory")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--chunk-size", type=int, default=2_000)
    parser.add_argument("--ray", action="store_true", help="also run the Ray engine (2 workers)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", help="where the input and outputs go (default: a temp folder)")
    args = parser.parse_args(argv)
    model_dir = Path(args.model)
    if not (model_dir / "mlpkg.json").exists():
        raise SystemExit(f"{model_dir} is not a model directory; train one first: python train.py --config "
                         f"configs/topic_tfidf.yaml --output-dir {model_dir}")
    from mlpkg.core.directory import model_hash, read_meta

    with tempfile.TemporaryDirectory(prefix="mlpkg-bench-", dir=args.workdir) as tmp:
        work = Path(tmp)
        src = work / "news.jsonl"
        build_input(src, args.rows, args.seed)
        print(f"input: {args.rows} rows, {src.stat().st_size / 2**20:.0f} MiB", flush=True)
        model, texts = load_model(model_dir), bare_texts(src, min(args.bare_rows, args.rows))
        small = work / "small.jsonl"
        head(src, small, args.small_rows)
        plan = [(src, args.rows, w, "local") for w in args.workers] + [(small, args.small_rows, 2, "local")]
        plan += [(src, args.rows, 2, "ray")] if args.ray else []
        # the bare predict runs before and after every job, so each job is compared with the bare
        # rate measured next to it in time: other load on the machine moves both alike
        bare = [bare_predict(model, texts, args.chunk_size)]
        print(f"bare predict: {bare[-1]}", flush=True)
        runs = []
        for i, (path, rows, workers, engine) in enumerate(plan):
            runs.append(run_tag(model_dir, path, work / f"out{i}.jsonl", rows, workers, args.chunk_size, engine))
            bare.append(bare_predict(model, texts, args.chunk_size))
            runs[-1]["bare_rows_per_s"] = round((bare[-2]["rows_per_s"] + bare[-1]["rows_per_s"]) / 2, 1)
            print(runs[-1], f"\nbare predict: {bare[-1]}", flush=True)
        input_mib = round(src.stat().st_size / 2**20)
    result = {
        "model": str(model_dir), "model_name": read_meta(model_dir)["name"], "model_hash": model_hash(model_dir),
        "rows": args.rows, "seed": args.seed, "chunk_size": args.chunk_size, "input_mib": input_mib,
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                    "python": platform.python_version()},
        "bare_predict": bare, "runs": runs,
        "command": "HF_HUB_OFFLINE=1 python benchmarks/batch_throughput.py " + " ".join(argv or sys.argv[1:]),
    }
    write_results("batch_throughput", markdown(result), result)
    print(markdown(result))


if __name__ == "__main__":
    main()
