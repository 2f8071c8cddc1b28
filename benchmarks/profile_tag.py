"""Where ``mlpkg tag`` spends its time on realistic input: cProfile tables (and a py-spy flame graph).

    HF_HUB_OFFLINE=1 python benchmarks/profile_tag.py --model models/topic_tfidf [--rows 20000] \
        [--py-spy /tmp/venv/bin/py-spy] [--name profile_tag]

On the input of :mod:`realistic_news` (long articles, bodies cut at 3,000 characters, 1% bad rows):

- the worker's work, in this process under cProfile: loading the model, then ``tag_articles`` on
  every validated chunk (what a worker runs per chunk: cleaning, features, scores, output lines);
- the driver: ``mlpkg tag --workers 1`` under cProfile (reading, validation, resume bookkeeping,
  sending chunks, writing parts and the final file; the worker's CPU is not in this table);
- with ``--py-spy``: the whole process tree of ``mlpkg tag --workers 1`` sampled by py-spy
  (``--subprocesses``), as a flame graph (SVG) and a table of the functions with the most samples.

Writes benchmarks/results/NAME.{md,json} (and NAME.svg with --py-spy).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from _results import RESULTS, write_results  # noqa: E402
from realistic_news import build_input, length_line  # noqa: E402


def _table(profile: cProfile.Profile, top: int, sort: str) -> tuple[str, list[dict]]:
    stats = pstats.Stats(profile, stream=io.StringIO())
    total = stats.total_tt
    rows = []
    for (file, line, name), (_, calls, tottime, cumtime, _) in stats.stats.items():
        where = f"{Path(file).name}:{line}({name})" if line else name
        if "site-packages/" in file:
            where = file.split("site-packages/")[1] + f":{line}({name})"
        elif str(ROOT) in file:
            where = str(Path(file).relative_to(ROOT)) + f":{line}({name})"
        rows.append({"function": where, "calls": calls, "tottime": round(tottime, 3), "cumtime": round(cumtime, 3)})
    rows.sort(key=lambda r: -r[sort])
    lines = ["| function | calls | self s | self % | cumulative s | cumulative % |", "|---|---:|---:|---:|---:|---:|"]
    for r in rows[:top]:
        lines.append(f"| `{r['function']}` | {r['calls']:,} | {r['tottime']:.3f} | {100 * r['tottime'] / total:.1f} | "
                     f"{r['cumtime']:.3f} | {100 * r['cumtime'] / total:.1f} |")
    return "\n".join(lines), rows[:top]


def profile_worker(model_dir: Path, src: Path, chunk_size: int) -> tuple[cProfile.Profile, float, int]:
    """``tag_articles`` on every validated chunk of ``src``, in this process, under cProfile."""
    from mlpkg.batch.job import _batched
    from mlpkg.batch.records import read_records
    from mlpkg.batch.validate import Fields, SeenIds, validate_chunk

    fields, seen = Fields(), SeenIds()
    chunks = [validate_chunk(records, fields, 200_000, seen)[0]
              for records in _batched(read_records(str(src), fields), chunk_size)]
    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.enable()
    from mlpkg.batch.tagger import Tagger, tag_articles

    tagger = Tagger(model_dir)
    for articles in chunks:
        tag_articles(tagger, articles)
    profile.disable()
    return profile, time.perf_counter() - start, sum(len(c) for c in chunks)


def tag_command(model_dir: Path, src: Path, out: Path, workers: int, chunk_size: int) -> list[str]:
    return ["-m", "mlpkg", "tag", "--model", str(model_dir), "--input", str(src), "--output", str(out),
            "--workers", str(workers), "--chunk-size", str(chunk_size), "--progress", "none"]


def profile_driver(model_dir: Path, src: Path, work: Path, chunk_size: int) -> tuple[Path, float]:
    out, prof = work / "driver.jsonl", work / "driver.prof"
    start = time.perf_counter()
    command = [sys.executable, "-m", "cProfile", "-o", str(prof), *tag_command(model_dir, src, out, 1, chunk_size)]
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return prof, time.perf_counter() - start


def py_spy(py_spy_bin: str, model_dir: Path, src: Path, work: Path, chunk_size: int, svg: Path, top: int) -> dict:
    """The whole process tree sampled by py-spy: a flame graph, and the functions with the most samples."""
    raw = work / "pyspy.txt"
    command = [sys.executable, *tag_command(model_dir, src, work / "pyspy.jsonl", 1, chunk_size)]
    subprocess.run([py_spy_bin, "record", "--subprocesses", "--rate", "200", "--format", "raw", "-o", str(raw), "--",
                    *command], cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run([py_spy_bin, "record", "--subprocesses", "--rate", "100", "-o", str(svg), "--", *command],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    own, inclusive, per_role = Counter(), Counter(), Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        frames = stack.split(";")
        processes = sum(f.startswith("process ") for f in frames)  # the driver, its fork server, a worker
        # by function (no line numbers); the fork server's command line stands in as a frame: shortened
        code = [re.sub(r":\d+\)$", ")", f)[:90] for f in frames if not f.startswith("process ")]
        total += n
        per_role[("driver", "fork server", "worker")[min(processes, 3) - 1]] += n
        if code:
            own[code[-1]] += n
        for frame in set(code):
            inclusive[frame] += n
    return {"samples": total, "processes": per_role.most_common(),
            "self": [(f, n) for f, n in own.most_common(top)],
            "inclusive": [(f, n) for f, n in inclusive.most_common(top)]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/topic_tfidf")
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--chunk-size", type=int, default=2_000)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--py-spy", help="a py-spy executable (pip install py-spy into any venv)")
    parser.add_argument("--name", default="profile_tag", help="results file name")
    parser.add_argument("--workdir")
    args = parser.parse_args(argv)
    model_dir = Path(args.model).resolve()
    with tempfile.TemporaryDirectory(prefix="mlpkg-profile-", dir=args.workdir) as tmp:
        work = Path(tmp)
        src = work / "news.jsonl"
        stats = build_input(src, args.rows)
        worker, worker_s, tagged = profile_worker(model_dir, src, args.chunk_size)
        worker_md, worker_rows = _table(worker, args.top, "tottime")
        worker_cum_md, _ = _table(worker, args.top, "cumtime")
        prof, driver_s = profile_driver(model_dir, src, work, args.chunk_size)
        driver = pstats.Stats(str(prof), stream=io.StringIO())
        driver_md, driver_rows = _table(_Loaded(driver), args.top, "tottime")
        spy = py_spy(args.py_spy, model_dir, src, work, args.chunk_size, RESULTS / f"{args.name}.svg", args.top) \
            if args.py_spy else None
    load = os.getloadavg()
    lines = [f"# Profile of `mlpkg tag` ({args.name})", "",
             f"Input: {length_line(stats)}", f"Model `{model_dir.name}`; chunk size {args.chunk_size}; load average "
             f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1/5/15 min) at the end; machine: {os.cpu_count()} CPUs.",
             "", f"## Worker: model load + `tag_articles` on every chunk, one process ({tagged:,} articles, "
             f"{worker_s:.1f} s under cProfile, {tagged / worker_s:,.0f} articles/s with the profiler's overhead)", "",
             "By own time:", "", worker_md, "", "By cumulative time:", "", worker_cum_md, "",
             f"## Driver: `mlpkg tag --workers 1` under cProfile ({driver_s:.1f} s wall; the worker's CPU is not in "
             "this table; waiting for it is)", "", driver_md, ""]
    if spy:
        lines += [f"## Whole process tree, py-spy (`--subprocesses`, {spy['samples']:,} samples at 200/s; flame "
                  f"graph: `{args.name}.svg`)", "", "Samples per process (role): "
                  + "; ".join(f"`{p}` {n:,}" for p, n in spy["processes"]), "",
                  "| function (own samples) | samples | % | | function (inclusive) | samples | % |",
                  "|---|---:|---:|---|---|---:|---:|"]
        for (f1, n1), (f2, n2) in zip(spy["self"], spy["inclusive"]):
            lines.append(f"| `{f1}` | {n1:,} | {100 * n1 / spy['samples']:.1f} | | `{f2}` | {n2:,} | "
                         f"{100 * n2 / spy['samples']:.1f} |")
        lines.append("")
    lines.append(f"Reproduce: `HF_HUB_OFFLINE=1 python benchmarks/profile_tag.py {' '.join(argv or sys.argv[1:])}`")
    result = {"input": stats, "load": load, "worker_seconds": worker_s, "worker_articles": tagged,
              "worker_top": worker_rows, "driver_seconds": driver_s, "driver_top": driver_rows, "py_spy": spy}
    write_results(args.name, "\n".join(lines), json.loads(json.dumps(result, default=str)))
    print("\n".join(lines))


class _Loaded:
    """A saved profile in the shape :func:`_table` reads (``pstats.Stats(obj)`` calls ``create_stats``)."""

    def __init__(self, stats: pstats.Stats):
        self.stats = stats.stats

    def create_stats(self) -> None:
        pass


if __name__ == "__main__":
    main()
