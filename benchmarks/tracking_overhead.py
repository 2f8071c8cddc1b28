"""What MLflow tracking costs `make train`: ``train.py --config CONFIG`` without tracking, with ``--track``
(the default SQLite store in the working folder), and (``--baseline CHECKOUT``) without tracking from
another checkout, e.g. main before tracking existed, all in the same run, alternated, best of ``--repeats``.

    python benchmarks/tracking_overhead.py [--baseline /path/to/old/checkout] [--repeats 2]
    python benchmarks/tracking_overhead.py --record-only models/topic_tfidf

Each run starts in a fresh temporary folder (the model and ``mlruns.db`` land there). The ratios are what
to compare across machines. Writes ``benchmarks/results/tracking_overhead.{md,json}``. ``--record-only``
times what tracking adds to a run by itself (import MLflow, create the run in a fresh SQLite store, log the
params, metrics and the model folder of MODEL_DIR) beside a bare ``import mlpkg.cli``, under a shared load
where whole training runs vary more than that; it writes ``tracking_record.{md,json}``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _results import write_results

ROOT = Path(__file__).resolve().parents[1]


def timed_train(checkout: Path, config: str, track: bool) -> tuple[float, float]:
    """(wall, CPU) seconds of one ``train.py`` run of ``checkout`` in a fresh folder (``track``: with ``--track``)."""
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, str(checkout / "train.py"), "--config", str(checkout / config),
                   "--output-dir", "model", *(["--track"] if track else [])]
        env = {**os.environ, "PYTHONPATH": str(checkout)}
        env.pop("MLFLOW_TRACKING_URI", None)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, cwd=folder, env=env, check=True, capture_output=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.perf_counter() - start, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


RECORD = """
import json, sys
from pathlib import Path
from mlpkg.config import load_config
from mlpkg.tracking import tracked_run
model = Path(sys.argv[1])
cfg = load_config(model / "config.yaml")
with tracked_run("", cfg.tracking, "train", model.name, cfg.to_dict(), cfg.data.path) as record:
    record({"output_dir": str(model), "metrics": json.loads((model / "metrics.json").read_text())})
"""


def timed_python(code: str, *args: str, folder: str) -> tuple[float, float]:
    """(wall, CPU) seconds of ``python -c code args`` in ``folder``: on a shared machine the CPU seconds
    vary less than the wall clock."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *args], cwd=folder, check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return time.perf_counter() - start, cpu


def record_only(model: Path, repeats: int) -> None:
    """The first run creates ``mlruns.db`` (MLflow's schema migrations); the later ones reuse it."""
    with tempfile.TemporaryDirectory() as folder:
        bare = min(timed_python("import mlpkg.cli", folder=folder) for _ in range(repeats))
        times = [timed_python(RECORD, str(model.resolve()), folder=folder) for _ in range(repeats + 1)]
    first, later = times[0], min(times[1:])
    rows = [("python -c 'import mlpkg.cli' (baseline)", bare),
            ("the same, then import MLflow, create the run, log params, metrics and the model folder, in an "
             "existing store", later), ("the same, first run: the store is created", first)]
    lines = [f"# What MLflow tracking adds to one run (recording `{model}` into a SQLite store)", "",
             f"Best of {repeats} unless said, same machine, same run.", "", "| step | wall s | CPU s |",
             "|---|---:|---:|", *(f"| {name} | {w:.1f} | {c:.1f} |" for name, (w, c) in rows),
             f"| tracking's own cost, existing store | {later[0] - bare[0]:.1f} | {later[1] - bare[1]:.1f} |",
             f"| tracking's own cost, new store | {first[0] - bare[0]:.1f} | {first[1] - bare[1]:.1f} |"]
    write_results("tracking_record", "\n".join(lines),
                  {"model": str(model), "bare": bare, "first": first, "later": times[1:]})
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="configs/topic_tfidf.yaml")
    parser.add_argument("--baseline", type=Path, help="another checkout, timed without tracking")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--record-only", type=Path, metavar="MODEL_DIR", help="time tracking alone (see above)")
    args = parser.parse_args()
    if args.record_only:
        return record_only(args.record_only, args.repeats)
    variants = {"tracking off": (ROOT, False), "tracking on (--track, SQLite)": (ROOT, True)}
    if args.baseline:
        variants["baseline checkout"] = (args.baseline.resolve(), False)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    for _ in range(args.repeats):
        for name, (checkout, track) in variants.items():
            times[name].append(timed_train(checkout, args.config, track))
            print(f"{name}: {times[name][-1][0]:.1f}s wall, {times[name][-1][1]:.1f}s CPU", flush=True)
    best = {name: (min(w for w, _ in t), min(c for _, c in t)) for name, t in times.items()}
    off = best["tracking off"]
    lines = [f"# `train.py --config {args.config}` with and without MLflow tracking", "",
             f"Best of {args.repeats} alternated runs each, same machine, same run.", "",
             "| variant | wall s | CPU s | wall / tracking off | CPU / tracking off |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {name} | {w:.1f} | {c:.1f} | {w / off[0]:.3f} | {c / off[1]:.3f} |" for name, (w, c) in best.items()]
    write_results("tracking_overhead", "\n".join(lines), {"config": args.config, "times": times, "best": best})
    print("\n".join(lines))


if __name__ == "__main__":
    main()
