"""What MLflow tracking costs `make train`: ``train.py --config CONFIG`` without tracking, with ``--track``
(the default SQLite store in the working folder), and (``--baseline CHECKOUT``) without tracking from
another checkout, e.g. main before tracking existed, all in the same run, alternated, best of ``--repeats``.

    python benchmarks/tracking_overhead.py [--baseline /path/to/old/checkout] [--repeats 2]

Each run starts in a fresh temporary folder (the model and ``mlruns.db`` land there). The ratios are what
to compare across machines. Writes ``benchmarks/results/tracking_overhead.{md,json}``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _results import write_results

ROOT = Path(__file__).resolve().parents[1]


def timed_train(checkout: Path, config: str, track: bool) -> float:
    """Seconds of one ``train.py`` run of ``checkout`` in a fresh folder (``track``: with ``--track``)."""
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, str(checkout / "train.py"), "--config", str(checkout / config),
                   "--output-dir", "model", *(["--track"] if track else [])]
        env = {**os.environ, "PYTHONPATH": str(checkout)}
        env.pop("MLFLOW_TRACKING_URI", None)
        start = time.perf_counter()
        subprocess.run(command, cwd=folder, env=env, check=True, capture_output=True)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="configs/topic_tfidf.yaml")
    parser.add_argument("--baseline", type=Path, help="another checkout, timed without tracking")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    variants = {"tracking off": (ROOT, False), "tracking on (--track, SQLite)": (ROOT, True)}
    if args.baseline:
        variants = {"baseline checkout": (args.baseline.resolve(), False), **variants}
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.repeats):
        for name, (checkout, track) in variants.items():
            times[name].append(timed_train(checkout, args.config, track))
            print(f"{name}: {times[name][-1]:.1f}s", flush=True)
    best = {name: min(t) for name, t in times.items()}
    off = best["tracking off"]
    lines = [f"# `train.py --config {args.config}` with and without MLflow tracking", "",
             f"Best of {args.repeats} alternated runs each, same machine, same run.", "",
             "| variant | seconds | ratio to tracking off |", "|---|---:|---:|"]
    lines += [f"| {name} | {s:.1f} | {s / off:.3f} |" for name, s in best.items()]
    write_results("tracking_overhead", "\n".join(lines), {"config": args.config, "times": times, "best": best,
                                                          "ratio_on_off": best["tracking on (--track, SQLite)"] / off})
    print("\n".join(lines))


if __name__ == "__main__":
    main()
