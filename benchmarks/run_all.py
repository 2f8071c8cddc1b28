"""Run every benchmark in this folder, one after another (``make bench``).

Each writes its table to ``benchmarks/results/``. They take from about one minute (text pipeline)
to about twenty (the MiniLM fine-tune); pass names to run a subset:
``python benchmarks/run_all.py text_pipeline category_cv``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["text_pipeline", "tagging_speed", "category_cv", "summarizers", "batch_throughput", "bert_minilm"]


def main(names: list[str]) -> int:
    failed = []
    for name in names or ORDER:
        start = time.perf_counter()
        print(f"== {name}", flush=True)
        if subprocess.call([sys.executable, str(HERE / f"{name}.py")]) != 0:
            failed.append(name)
        print(f"== {name}: {time.perf_counter() - start:.0f}s", flush=True)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
