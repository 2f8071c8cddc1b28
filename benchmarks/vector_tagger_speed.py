"""What the word vectors cost at tagging time: the default tagger (tfidf_lexicon_vectors.v1) against the
same config without them (tfidf_lexicon.v1), both fitted on data/topics.parquet, ``predict_proba`` on the
same articles in one process, interleaved repeats; the ratio is what to compare across machines.

    python benchmarks/vector_tagger_speed.py [--n 3000] [--repeats 3]

Writes ``benchmarks/results/vector_tagger_speed.{md,json}``.
"""

from __future__ import annotations

import argparse
import copy
import time
from pathlib import Path

from _results import write_results

from mlpkg.classify.training import fit_on_all
from mlpkg.config import load_config
from mlpkg.data.labelled import load_split

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "configs" / "topic_tfidf.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="articles scored per repeat")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cfg = load_config(DEFAULT)
    without = copy.deepcopy(cfg)
    without.model = {**{k: v for k, v in cfg.model.items() if k not in ("word_vectors", "vector_weight")},
                     "name": "tfidf_lexicon.v1"}
    data = load_split(cfg.data, None)
    models = {"tfidf_lexicon_vectors.v1 (default)": fit_on_all(cfg, data),
              "tfidf_lexicon.v1 (no vectors)": fit_on_all(without, data)}
    texts = data.texts[: args.n]
    seconds = {name: [] for name in models}
    for _ in range(args.repeats):
        for name, model in models.items():
            start = time.process_time()
            model.predict_proba(texts)
            seconds[name].append(time.process_time() - start)
    rates = {name: len(texts) / min(s) for name, s in seconds.items()}
    base = rates["tfidf_lexicon.v1 (no vectors)"]
    lines = [f"# Tagging cost of the word vectors ({len(texts)} articles, best of {args.repeats}, CPU time, one "
             "process)",
             "", "| model | articles per CPU-second | vs no vectors |", "|---|---:|---:|"]
    lines += [f"| {name} | {rate:,.0f} | {rate / base:.2f}x |" for name, rate in rates.items()]
    print("\n".join(lines))
    write_results("vector_tagger_speed", "\n".join(lines), {"articles": len(texts), "seconds": seconds, "rates": rates})


if __name__ == "__main__":
    main()
