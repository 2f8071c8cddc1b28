"""Exact and near-duplicate grouping of article bodies, so no near-copy crosses a split."""

from __future__ import annotations

import hashlib
import re
import zlib
from collections import defaultdict

_WORDS = re.compile(r"\w+")


def body_hash(text: str) -> str:
    """Hash of the normalised body (case, punctuation and spacing ignored)."""
    return hashlib.sha1(" ".join(_WORDS.findall(text.lower())).encode()).hexdigest()[:16]


def _sketch(text: str, shingle: int = 6, keep: int = 24) -> set[int]:
    words = _WORDS.findall(text.lower())
    # crc32, not hash(): Python salts str hashes per process, and the build must be reproducible
    grams = {zlib.crc32(" ".join(words[i : i + shingle]).encode()) for i in range(max(1, len(words) - shingle + 1))}
    return set(sorted(grams)[:keep])


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def near_duplicate_groups(texts: list[str], keys: list[list[str]] | None = None, min_shared: int = 8) -> list[int]:
    """Group id per text: same normalised body, a shared key (url, id), or a bottom-k shingle
    sketch sharing ``min_shared`` of 24 hashes (an estimated Jaccard of about 1/3 or more)."""
    uf = _UnionFind(len(texts))
    first: dict[str, int] = {}
    buckets: dict[int, list[int]] = defaultdict(list)
    sketches = []
    for i, text in enumerate(texts):
        for key in [body_hash(text), *(keys[i] if keys else [])]:
            if key:
                uf.union(first.setdefault(key, i), i)
        sk = _sketch(text)
        sketches.append(sk)
        for h in sk:
            buckets[h].append(i)
    for i, sk in enumerate(sketches):
        counts: dict[int, int] = defaultdict(int)
        for h in sk:
            for j in buckets[h]:
                if j < i:
                    counts[j] += 1
        for j, shared in counts.items():
            if shared >= min(min_shared, len(sk), len(sketches[j])):
                uf.union(i, j)
    return [uf.find(i) for i in range(len(texts))]
