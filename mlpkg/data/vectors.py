"""In-domain word vectors from the unlabelled raw news pool (no label is read).

    python -m mlpkg.data.vectors [--raw ../shared/data/raw] [--out data/word_vectors.npz]

A skip-gram word2vec (gensim) over every raw article of ``data/build.py``'s sources, in feature form
(:func:`~mlpkg.text.normalize.normalize_for_features`, the form the taggers read), so "perajin" sits
next to "pengrajin", "tenun" and "kerajinan" and "honorer" next to "guru" although no label says so.
The ``most_common`` words are kept as plain arrays (``words``: unicode, ``vectors``: float16, unit
length) in one ``.npz`` that loads with ``allow_pickle=False``. One worker thread and a fixed hash
make a rebuild give the same vectors.
"""

from __future__ import annotations

import argparse
import zlib
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..text.normalize import normalize_for_features

DIMENSIONS = 100
MOST_COMMON = 30_000


def _stable_hash(word: str) -> int:
    # gensim seeds each word's starting vector with hash(word + str(seed)); Python's str hash changes per process
    return zlib.crc32(word.encode("utf-8"))


def raw_sentences(root: Path) -> list[list[str]]:
    """Every raw article (title and body, cleaned as ``data/build.py`` cleans them) as one token list."""
    from ..text.clean import clean
    from .build import _indosum_records
    from .sources import read_news

    records = list(read_news(root))
    records += _indosum_records(root)
    seen, out = set(), []
    for rec in records:
        text = normalize_for_features(f"{rec.get('title') or ''}\n{clean(rec.get('text') or '')}")
        if len(text) >= 200 and text not in seen:
            seen.add(text)
            out.append(text.split())
    return out


def train_vectors(sentences: list[list[str]], dimensions: int = DIMENSIONS, most_common: int = MOST_COMMON,
                  seed: int = 13) -> tuple[np.ndarray, np.ndarray]:
    """(words, unit-length float16 vectors) of the ``most_common`` words of a skip-gram word2vec."""
    from gensim.models import Word2Vec

    model = Word2Vec(sentences, vector_size=dimensions, window=5, min_count=5, sg=1, epochs=5, workers=1,
                     seed=seed, hashfxn=_stable_hash)
    words = model.wv.index_to_key[:most_common]
    vectors = np.asarray([model.wv[w] for w in words], dtype=np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return np.asarray(words), vectors.astype(np.float16)


def load_vectors(path: str | Path) -> tuple[list[str], np.ndarray]:
    """``(words, vectors)`` of a file written by :func:`main` (no pickle)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: word vectors not found; build them with `python -m mlpkg.data.vectors`")
    with np.load(path, allow_pickle=False) as arrays:
        return arrays["words"].tolist(), arrays["vectors"].astype(np.float32)


def nearest(words: list[str], vectors: np.ndarray, seeds: list[str], n: int = 15) -> list[tuple[str, float]]:
    """The ``n`` words closest (cosine) to the mean of ``seeds``' vectors, the seeds left out."""
    index = {w: i for i, w in enumerate(words)}
    known = [index[s] for s in seeds if s in index]
    if not known:
        return []
    centre = vectors[known].mean(axis=0)
    sims = vectors @ centre / max(float(np.linalg.norm(centre)), 1e-12)
    order = [i for i in np.argsort(-sims) if words[i] not in seeds][:n]
    return [(words[i], round(float(sims[i]), 3)) for i in order]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", default="../shared/data/raw", help="folder with the raw source folders")
    parser.add_argument("--out", default="data/word_vectors.npz", help="the .npz to write")
    args = parser.parse_args(argv)
    root = Path(args.raw)
    if not root.is_dir():
        raise DataError(f"raw data folder {root} not found; pass --raw PATH")
    sentences = raw_sentences(root)
    words, vectors = train_vectors(sentences)
    np.savez_compressed(args.out, words=words, vectors=vectors)
    print(f"{len(sentences):,} articles, {sum(map(len, sentences)):,} tokens -> {len(words):,} words x "
          f"{vectors.shape[1]} dimensions in {args.out}")
    for seed in ("umkm", "perajin", "warung", "koperasi", "guru", "honorer"):
        print(seed, ", ".join(w for w, _ in nearest(words.tolist(), vectors.astype(np.float32), [seed], 10)))


if __name__ == "__main__":
    main()
