"""A tiny pool of real articles, a tiny topic tagger fitted on others, and a server started in a
subprocess (labelling tests only)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

from mlpkg.classify.tfidf_lexicon import TfidfLexiconClassifier
from mlpkg.text.normalize import article_text

ROOT = Path(__file__).resolve().parents[1]
TOPICS = ROOT / "data" / "topics.parquet"
LABELS = ["koperasi", "umkm", "pendidikan"]
LEXICON = yaml.safe_load((ROOT / "configs" / "topic_tfidf.yaml").read_text(encoding="utf-8"))["model"]["lexicon"]


def pool_rows(n: int = 40) -> list[dict]:
    """``n`` dev/test articles with a title: koperasi and umkm ones, then others (id, title, text, tags)."""
    df = pd.read_parquet(TOPICS, columns=["id", "title", "text", "tags", "split"])
    df = df[(df["split"] != "train") & (df["title"].str.len() > 0)]
    koperasi = df[df["tags"].map(lambda t: "koperasi" in t)].head(n // 4)
    umkm = df[df["tags"].map(lambda t: list(t) == ["umkm"])].head(n // 4)
    others = df[df["tags"].map(lambda t: "koperasi" not in t and "umkm" not in t)]
    rest = others.head(n - len(koperasi) - len(umkm))
    rows = pd.concat([koperasi, umkm, rest]).sample(frac=1.0, random_state=0)
    return [{"id": r.id, "title": r.title, "text": r.text, "tags": list(r.tags)} for r in rows.itertuples()]


def write_pool(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({"id": r["id"], "title": r["title"], "text": r["text"]}, ensure_ascii=False) + "\n")
    return path


def fit_tiny_model(directory: Path, extra: list[dict] = ()) -> Path:
    """A TF-IDF + lexicon tagger fitted on ~260 train-split articles (+ ``extra`` rows), saved."""
    df = pd.read_parquet(TOPICS, columns=["title", "text", "tags", "split", "group"])
    train = df[df["split"] == "train"]
    rare = train[train["tags"].map(lambda t: "koperasi" in t or "umkm" in t)].head(60)
    edu = train[train["tags"].map(lambda t: list(t) == ["pendidikan"])].head(50)
    other = train[train["tags"].map(len) == 0].head(150)
    rows = pd.concat([rare, edu, other])
    texts = [article_text(t, b) for t, b in zip(rows["title"], rows["text"])] + [
        article_text(r["title"], r["text"]) for r in extra]
    tags = [list(t) for t in rows["tags"]] + [r["tags"] for r in extra]
    groups = list(rows["group"]) + [f"extra{i}" for i in range(len(extra))]
    model = TfidfLexiconClassifier(lexicon=LEXICON, lexicon_weight=0.5, calibration_folds=3)
    model.set_params(labels=LABELS).fit(texts, tags, groups=groups)
    model.save(directory)
    return directory


def training_rows_file(path: Path) -> Path:
    """The ~260 train-split articles :func:`fit_tiny_model` learns from, as a data file for ``mlpkg train``."""
    df = pd.read_parquet(TOPICS, columns=["id", "title", "text", "tags", "split", "group"])
    train = df[df["split"] == "train"]
    rare = train[train["tags"].map(lambda t: "koperasi" in t or "umkm" in t)].head(60)
    edu = train[train["tags"].map(lambda t: list(t) == ["pendidikan"])].head(50)
    other = train[train["tags"].map(len) == 0].head(150)
    rows = pd.concat([rare, edu, other])
    rows.assign(tags=rows["tags"].map(list)).to_parquet(path)
    return path


def fit_on_labels(data: Path, labels: Path | None = None):
    """What ``mlpkg train`` fits with the default config on ``data`` (+ the labels file ``labels``)."""
    from mlpkg.classify.training import fit_on_all
    from mlpkg.config import load_config
    from mlpkg.data.labelled import load_split

    overrides = [f"data.path={data}"] + ([f"data.extra_labels=[{labels}]"] if labels else [])
    cfg = load_config(ROOT / "configs" / "topic_tfidf.yaml", overrides)
    return fit_on_all(cfg, load_split(cfg.data, None))


def tagged_otherwise(model, queued: str) -> tuple[dict, str]:
    """The pool article (not a ``queued`` one) the model tags most surely with another tag, and that tag."""
    rows = [r for r in pool_rows(40) if queued not in r["tags"]]
    proba = model.predict_proba([{"title": r["title"], "text": r["text"]} for r in rows])
    others = [j for j, t in enumerate(model.classes_) if t != queued]
    i, j = max(((i, j) for i in range(len(rows)) for j in others), key=lambda ij: proba[ij])
    return rows[i], model.classes_[j]


def score(model, article: dict, tag: str) -> float:
    proba = model.predict_proba([{"title": article["title"], "text": article["text"]}])
    return float(proba[0, list(model.classes_).index(tag)])


class Server:
    """``mlpkg label serve`` in a subprocess on a free port; ``url`` once it listens."""

    def __init__(self, *args: str, env: dict | None = None):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mlpkg", "label", "serve", "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
        deadline, self.url, seen = time.time() + 120, None, []
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            m = re.search(r"open (http://\S+)", line)
            if m:
                self.url = m.group(1)
                return
        self.proc.kill()
        raise RuntimeError("server did not start:\n" + "".join(seen))

    @property
    def base(self) -> str:
        return self.url.split("?")[0].rstrip("/")

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)
