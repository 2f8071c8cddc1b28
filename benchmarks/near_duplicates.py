"""Would datasketch's MinHash LSH group near-copies as mlpkg/data/dedupe.py does, and faster? (issue 23, item 6)

Both group the 14,035 articles of ``data/topics.parquet`` (the bodies and URLs ``make data`` groups): rows
with the same normalised body or URL are one group either way; near-copies are joined by mlpkg's bottom-k
sketch (24 smallest hashes of the 6-word shingles, 8 shared: an estimated Jaccard of about 1/3) or by
datasketch (MinHash of the same shingles, ``MinHashLSH(threshold=1/3)`` for candidates, kept where the
MinHash estimate of their Jaccard is 1/3 or more). Same groups? CPU time as a ratio in the same run.

    python benchmarks/near_duplicates.py [--num-perm 128 256] [--repeats 3]

Writes ``benchmarks/results/near_duplicates.{md,json}``; needs the bench extra (datasketch).
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from _results import write_results
from datasketch import MinHash, MinHashLSH
from scipy.sparse.csgraph import connected_components

from mlpkg.data.dedupe import body_hash, near_duplicate_groups

ROOT = Path(__file__).resolve().parents[1]
WORDS = re.compile(r"\w+")
SHINGLE, THRESHOLD = 6, 1 / 3


def components(n: int, pairs: list[tuple[int, int]]) -> np.ndarray:
    rows, cols = zip(*pairs) if pairs else ((), ())
    graph = sp.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def exact_pairs(texts: list[str], keys: list[list[str]]) -> list[tuple[int, int]]:
    first: dict[str, int] = {}
    pairs = []
    for i, text in enumerate(texts):
        for key in [body_hash(text), *keys[i]]:
            if key:
                pairs.append((first.setdefault(key, i), i))
    return pairs


def datasketch_groups(texts: list[str], keys: list[list[str]], num_perm: int) -> np.ndarray:
    pairs = exact_pairs(texts, keys)
    shingles = []
    for text in texts:
        words = WORDS.findall(text.lower())
        shingles.append({" ".join(words[i:i + SHINGLE]).encode() for i in range(max(1, len(words) - SHINGLE + 1))})
    hashes = MinHash.bulk(shingles, num_perm=num_perm, seed=1)
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=num_perm)
    for i, h in enumerate(hashes):
        lsh.insert(i, h)
    for i, h in enumerate(hashes):
        pairs += [(i, j) for j in lsh.query(h) if j < i and h.jaccard(hashes[j]) >= THRESHOLD]
    return components(len(texts), pairs)


def same_group_pairs(labels: np.ndarray) -> set[tuple[int, int]]:
    pairs = set()
    for members in pd.Series(np.arange(len(labels))).groupby(labels).agg(list):
        pairs.update((a, b) for k, a in enumerate(members) for b in members[k + 1:])
    return pairs


def canonical(labels) -> np.ndarray:
    return pd.factorize(np.asarray(labels))[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-perm", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    topics = pd.read_parquet(ROOT / "data" / "topics.parquet", columns=["text", "url", "group"])
    texts = topics["text"].tolist()
    keys = [[u] if u else [] for u in topics["url"].fillna("")]
    runs: dict[str, dict] = {}
    systems = {"mlpkg bottom-k sketch (dedupe.py)": lambda: near_duplicate_groups(texts, keys)}
    systems.update({f"datasketch MinHashLSH, {p} permutations": (lambda p=p: datasketch_groups(texts, keys, p))
                    for p in args.num_perm})
    for _ in range(args.repeats):  # interleaved, so a busy machine slows every system alike
        for name, run in systems.items():
            start = time.process_time()
            labels = canonical(run())
            runs.setdefault(name, {"seconds": [], "labels": labels})["seconds"].append(time.process_time() - start)
    ours = runs["mlpkg bottom-k sketch (dedupe.py)"]
    ours_pairs = same_group_pairs(ours["labels"])
    shipped = canonical(topics["group"])
    result = {"rows": len(texts), "shipped_groups_reproduced": bool((ours["labels"] == shipped).all()), "systems": {}}
    lines = [f"Near-duplicate groups of the {len(texts):,} articles of data/topics.parquet, CPU seconds (best of "
             f"{args.repeats}, interleaved). mlpkg's groups reproduce the shipped `group` column: "
             f"{result['shipped_groups_reproduced']}.", "",
             "| system | groups | rows in a group of 2+ | same groups as mlpkg | pairs only mlpkg joins | "
             "pairs only this joins | CPU s | time vs mlpkg |", "|---|---:|---:|---|---:|---:|---:|---:|"]
    for name, run in runs.items():
        labels, best = run["labels"], min(run["seconds"])
        pairs = same_group_pairs(labels)
        sizes = np.bincount(labels)
        row = {"groups": int(len(sizes)), "rows_grouped": int(sizes[sizes > 1].sum()),
               "same_groups": bool((labels == ours["labels"]).all()), "pairs_missed": len(ours_pairs - pairs),
               "pairs_added": len(pairs - ours_pairs), "cpu_seconds": run["seconds"],
               "ratio": best / min(ours["seconds"])}
        result["systems"][name] = row
        same = "yes" if row["same_groups"] else "no"
        lines.append(f"| {name} | {row['groups']:,} | {row['rows_grouped']:,} | {same} | {row['pairs_missed']:,} "
                     f"| {row['pairs_added']:,} | {best:.2f} | {row['ratio']:.2f}x |")
    write_results("near_duplicates", "\n".join(lines), result)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
