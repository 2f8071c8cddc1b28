"""A small TF-IDF tagger and real article rows from ``data/topics.parquet`` (batch tests only)."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pandas as pd

from mlpkg.batch import TagOptions
from mlpkg.models import TfidfClassifier
from mlpkg.text.normalize import article_text

ROOT = Path(__file__).resolve().parents[1]
TOPICS = ROOT / "data" / "topics.parquet"
LABELS = ["koperasi", "umkm", "pendidikan"]


def articles(n: int, offset: int = 0) -> list[dict]:
    """``n`` real articles (id, title, text), cycling through the corpus with unique ids past its end."""
    df = pd.read_parquet(TOPICS, columns=["id", "title", "text"])
    rows = []
    for i in range(offset, offset + n):
        r = df.iloc[i % len(df)]
        rows.append({"id": f"{r['id']}#{i}", "title": r["title"], "text": r["text"]})
    return rows


def build_tiny_tagger(directory: Path) -> Path:
    """Word n-grams only, a few thousand features, fitted on ~340 articles: about a second."""
    df = pd.read_parquet(TOPICS, columns=["id", "title", "text", "tags"])
    per_label = [df[df.tags.map(lambda tags, label=label: label in tags)].head(80) for label in LABELS]
    sample = pd.concat([*per_label, df[df.tags.map(len) == 0].head(160)]).drop_duplicates("id")
    model = TfidfClassifier(char_ngrams=[], max_features_word=3000, calibration_folds=2, C=1.0)
    model.fit([article_text(t, b) for t, b in zip(sample.title, sample.text)], [list(t) for t in sample.tags],
              labels=LABELS)
    return model.save(directory)


def write_jsonl(path: Path, rows: list[dict | bytes | str]) -> Path:
    """Objects as JSON lines; bytes and str are written as they are (bad lines for the tests)."""
    with open(path, "wb") as fh:
        for row in rows:
            if isinstance(row, dict):
                row = json.dumps(row, ensure_ascii=False)
            fh.write((row.encode("utf-8") if isinstance(row, str) else row) + b"\n")
    return path


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def write_csv(path: Path, rows: list[dict | bytes | str], delimiter: str = ",", newline: str = "\n",
              bom: bool = False) -> Path:
    """A CSV with an ``id,title,text`` header; dicts are quoted as needed, bytes and str written as they are."""
    def line(values: list) -> bytes:
        out = io.StringIO()
        csv.writer(out, delimiter=delimiter, lineterminator=newline).writerow(values)
        return out.getvalue().encode("utf-8")

    data = (b"\xef\xbb\xbf" if bom else b"") + line(["id", "title", "text"])
    for row in rows:
        if isinstance(row, dict):
            data += line([row["id"], row["title"], row["text"]])
        else:
            data += (row if isinstance(row, bytes) else row.encode("utf-8")) + newline.encode()
    path.write_bytes(data)
    return path


def unquoted(article: dict) -> dict:
    """The article with no comma, quote or line break, so its CSV line needs no quotes."""
    return {k: " ".join(str(v).replace(",", " ").replace('"', " ").split()) for k, v in article.items()}


def die(articles: list) -> None:
    """Stands in for the tagging function of a worker process, to kill the worker."""
    os._exit(9)


def job(model_dir: Path, input: Path | str, output: Path | str, **options) -> TagOptions:
    return TagOptions(model=str(model_dir), input=str(input), output=str(output),
                      **{"workers": 1, "progress": "none", **options})
