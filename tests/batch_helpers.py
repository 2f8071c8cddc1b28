"""A small TF-IDF tagger and real article rows from ``data/topics.parquet`` (batch tests only)."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import psutil

from mlpkg.batch import TagOptions
from mlpkg.batch.parts import parts_dir
from mlpkg.classify import TfidfClassifier
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


def titled_articles(n: int, offset: int = 0, min_sentences: int = 9) -> list[dict]:
    """``n`` real articles from ``offset`` on that have a title (at most 200 characters) and a body of
    ``min_sentences`` sentences or more, so tests of titles and summaries do not hang on one row's shape."""
    from mlpkg.text.sentences import split_sentences

    df = pd.read_parquet(TOPICS, columns=["id", "title", "text"])
    rows = []
    for i in range(offset, len(df)):
        r = df.iloc[i]
        if 0 < len(r["title"].strip()) <= 200 and len(split_sentences(r["text"])) >= min_sentences:
            rows.append({"id": f"{r['id']}#{i}", "title": r["title"], "text": r["text"]})
            if len(rows) == n:
                break
    return rows


LONG = "Koperasi desa menyalurkan pinjaman modal usaha kepada anggotanya. " * 1000  # 67,000 characters


def mixed_rows(good: list[dict]) -> tuple[list, list[tuple[int, str | None, str]]]:
    """Good articles (20 or more) with one JSONL bad row of every kind between them; the expected rejects
    as ``(row, id, reason)``. Run with ``max_chars=60_000``."""
    g = good
    bad = [
        (b'{"id": "json-broken", "text": "Koperasi desa', None, "malformed_json"),
        (b'{"id": "latin1", "text": "Koperasi \xe9 desa"}', None, "not_utf8"),
        ('{"id": "surrogate", "text": "Koperasi \\ud800 desa"}', "surrogate", "not_utf8"),
        ('["Koperasi", "desa"]', None, "wrong_type"),
        ({"id": "text-number", "text": 12345}, "text-number", "wrong_type"),
        ({"id": ["a", "b"], "text": g[0]["text"]}, None, "wrong_type"),
        ({"id": "title-number", "title": 7, "text": g[0]["text"]}, "title-number", "wrong_type"),
        ({"title": g[1]["title"], "text": g[1]["text"]}, None, "missing_id"),
        ({"id": "", "text": g[1]["text"]}, None, "missing_id"),
        ({"id": "no-text", "title": g[2]["title"]}, "no-text", "missing_text"),
        ({"id": "null-text", "title": g[2]["title"], "text": None}, "null-text", "missing_text"),
        ({"id": "blank-text", "text": "  \n\t "}, "blank-text", "empty_text"),
        ({"id": "too-long", "text": LONG}, "too-long", "text_too_long"),
        ({**g[3], "title": "salinan kedua"}, g[3]["id"], "duplicate_id"),
    ]
    rows, expected, row = [], [], 0
    for i, article in enumerate(g):
        rows.append(article)
        row += 1
        if i < len(bad):
            rows.append(bad[i][0])
            row += 1
            expected.append((row, bad[i][1], bad[i][2]))
        if i == 5:
            rows.append(b"   ")  # a blank line is not a record
    rows.append({"id": 12345, "title": g[4]["title"], "text": g[4]["text"]})  # an integer id is fine
    return rows, expected


def build_tiny_tagger(directory: Path) -> Path:
    """Word n-grams only, a few thousand features, fitted on ~340 articles: about a second."""
    df = pd.read_parquet(TOPICS, columns=["id", "title", "text", "tags"])
    per_label = [df[df.tags.map(lambda tags, label=label: label in tags)].head(80) for label in LABELS]
    sample = pd.concat([*per_label, df[df.tags.map(len) == 0].head(160)]).drop_duplicates("id")
    model = TfidfClassifier(labels=LABELS, char_ngrams=[], max_features_word=3000, calibration_folds=2, C=1.0)
    model.fit([article_text(t, b) for t, b in zip(sample.title, sample.text)], [list(t) for t in sample.tags])
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


def kill_9_after_parts(command: list[str], out: Path, env: dict, parts: int = 1, delay_s: float = 0.0
                       ) -> subprocess.Popen:
    """Start ``mlpkg tag`` in a session of its own; ``kill -9`` its driver (only) ``delay_s`` after
    ``parts`` part files exist, unless it ends first. Its output goes to ``job.log`` beside ``out``,
    not to a pipe: orphaned workers would hold a pipe open for good."""
    log = out.with_name("job.log")
    with open(log, "ab") as fh:
        job = subprocess.Popen(command, cwd=ROOT, env=env, stdout=fh, stderr=fh, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while len(list(parts_dir(out).glob("part-*.jsonl"))) < parts and job.poll() is None:
            assert time.monotonic() < deadline, f"not {parts} part files after 120 s"
            time.sleep(0.01)
        time.sleep(delay_s)
        if job.poll() is None:
            os.kill(job.pid, signal.SIGKILL)  # the driver only, as `kill -9 PID` would
        job.wait(timeout=30)
    except BaseException:
        os.killpg(job.pid, signal.SIGKILL)
        raise
    return job


def session(sid: int) -> list[psutil.Process]:
    """The processes still running in session ``sid`` (all a job started, wherever they were reparented)."""
    out = []
    for proc in psutil.process_iter():
        try:
            if os.getsid(proc.pid) == sid and proc.status() != psutil.STATUS_ZOMBIE:
                out.append(proc)
        except (ProcessLookupError, psutil.NoSuchProcess):
            pass
    return out


def outlived(job: subprocess.Popen, wait_s: float = 60) -> list[str]:
    """The command lines of the processes of ``job``'s session still running ``wait_s`` after it ended
    (workers check on their driver every 0.5 s; a busy machine may take a while). Kills them."""
    deadline = time.monotonic() + wait_s
    while session(job.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = session(job.pid)
    for proc in left:
        proc.kill()
    return [" ".join(proc.cmdline())[:120] for proc in left]
