"""Build the shipped data files in ``data/`` from the raw folders in ``../shared/data/raw``.

    mlpkg build-data [--raw ../shared/data/raw] [--out data]

Rerunnable and deterministic: the same raw files and ``data/labels/reviewed.jsonl`` (the
human decisions on every keyword candidate and education-section article) give byte-identical
label columns and splits. Writes ``topics.parquet``, ``indosum.parquet`` and
``categories.parquet`` (zstd) and prints the counts that ``DATASHEET.md`` reports.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pandas as pd

from ..errors import DataError
from ..extras import require
from ..text.clean import clean
from ..text.sentences import detokenize
from .dedupe import body_hash, near_duplicate_groups
from .keywords import TOPIC_KEYWORDS as KEYWORDS
from .sources import read_indosum, read_news

TAGS = ("koperasi", "umkm", "pendidikan")
# Punctuation-less crawl: usable for training only (see GUIDE: "no punctuation => pendidikan").
TRAIN_ONLY_DATASETS = {"edu_sport_health_travel_2024"}
HELDOUT_PUBLISHER = "detik"
OTHER_SAMPLE_SIZE = 5200
# Economy and regional sources added for publisher/period coverage: every article without a candidate
# keyword is kept as a hard negative (prices, banks, BUMN, farming), not sampled; the statistics
# office's excerpts repeat one another, so at most this many of them.
HARD_NEGATIVE_DATASETS = {
    "econ_news_2017_2025": None,
    "lampung_econ_jul2025": None,
    "bps_lampung_econ_2019_2025": 1500,
    "detik_sentiment_2023": None,
    "detik_finance_2026": None,
    "tribun_categories_2020": None,
}
MIN_BODY_CHARS = 200
SEED = 13


def normalize_publisher(name: str) -> str:
    """One spelling per outlet: "CNN Indonesia", "cnnindonesia" and "kupastuntas.co" become
    "cnnindonesia" and "kupastuntas" (lower case, no spaces, no domain suffix)."""
    name = re.sub(r"\s+", "", (name or "").lower())
    return re.sub(r"(?:\.co)?(?:\.(?:id|com|co|net|org))+$", "", name)


def _stable_unit(key: str) -> float:
    return int(hashlib.sha1(f"{SEED}:{key}".encode()).hexdigest()[:12], 16) / 16**12


def _fix_mojibake(text: str) -> str:
    import ftfy  # the data extra, checked by main(): without the repair a rebuild is not byte-identical

    return ftfy.fix_text(text, uncurl_quotes=False)


def load_reviewed(path: Path) -> dict[str, dict]:
    with open(path, encoding="utf-8") as fh:
        return {d["uid"]: d for d in map(json.loads, fh)}


def _indosum_records(root: Path) -> list[dict]:
    rows = []
    for rec in read_indosum(root):
        extra = rec.pop("extra")
        rec["text"] = "\n".join(" ".join(detokenize(s) for s in para) for para in extra["paragraphs"])
        rec["extra"] = extra
        rows.append(rec)
    return rows


def _assign_splits(groups: pd.Series, strata: pd.Series, forced: dict[int, str], fractions=(0.6, 0.2)) -> pd.Series:
    """Split by group, stratified by label signature: each stratum's groups are ordered by a
    stable hash and cut at the fractions, so positives of rare tags land in every split."""
    group_stratum = strata.groupby(groups).agg(lambda s: max(s, key=lambda v: (v != "other", v)))
    split_of: dict[int, str] = {}
    for _, members in group_stratum.groupby(group_stratum):
        order = sorted(members.index, key=lambda g: _stable_unit(str(g)))
        free = [g for g in order if g not in forced]
        n = len(free)
        n_train = int(round(n * fractions[0]))
        n_dev = int(round(n * fractions[1]))
        for i, g in enumerate(free):
            split_of[g] = "train" if i < n_train else "dev" if i < n_train + n_dev else "test"
    split_of.update(forced)
    return groups.map(split_of)


def build_topics(root: Path, reviewed: dict[str, dict]) -> pd.DataFrame:
    news = list(read_news(root))
    for rec in _indosum_records(root):
        rec.pop("extra")
        news.append(rec)
    df = pd.DataFrame(news)
    df["publisher"] = df["publisher"].map(normalize_publisher)
    df["title"] = df["title"].map(lambda t: " ".join(_fix_mojibake(t).split()))
    df["text"] = df["text"].map(lambda t: clean(_fix_mojibake(t)))
    df = df[df["text"].str.len() >= MIN_BODY_CHARS].reset_index(drop=True)
    full = df["title"] + "\n" + df["text"]
    for tag, rx in KEYWORDS.items():
        df[f"kw_{tag}"] = full.map(lambda t, rx=rx: len(rx.findall(t)))

    decided = df["uid"].isin(reviewed)
    df["tags"] = [sorted(reviewed[u]["tags"]) if u in reviewed else [] for u in df["uid"]]
    df["confidence"] = [reviewed[u]["confidence"] if u in reviewed else "" for u in df["uid"]]
    df["label_source"] = [
        (
            "publisher"
            if reviewed[u]["pool"] == "education_section" and reviewed[u]["tags"] == ["pendidikan"]
            else "reviewed"
        )
        if u in reviewed
        else "sampled"
        for u in df["uid"]
    ]
    # Unreviewed articles may only serve as "other" when nothing in them suggests a topic.
    clean_negative = ~decided & (df["kw_koperasi"] == 0) & (df["kw_umkm"] == 0) & (df["kw_pendidikan"] < 3)
    pool = df[clean_negative]
    pool = pool.assign(_u=pool["uid"].map(_stable_unit)).sort_values("_u")
    hard = pool["dataset"].isin(HARD_NEGATIVE_DATASETS)
    hard_pool = pool[hard]
    cap = hard_pool["dataset"].map(lambda d: HARD_NEGATIVE_DATASETS[d] or len(hard_pool))
    kept_hard = hard_pool[hard_pool.groupby("dataset").cumcount() < cap]
    # Sample "other" across the first sources' datasets and sections in proportion, capped per section.
    pool = pool[~hard]
    per_section = pool.groupby(["dataset", "section"]).cumcount()
    pool = pool[per_section < 400]
    sampled = pd.concat([pool.head(OTHER_SAMPLE_SIZE), kept_hard]).drop(columns="_u")
    df = pd.concat([df[decided], sampled]).reset_index(drop=True)

    df["body_hash"] = df["text"].map(body_hash)
    # Keep one article per exact body (reviewed ones first), then group near-copies.
    df = df.sort_values(
        ["label_source", "uid"],
        key=lambda s: s.map({"publisher": 0, "reviewed": 1, "sampled": 2}) if s.name == "label_source" else s,
    )
    df = df.drop_duplicates("body_hash").drop_duplicates("uid").reset_index(drop=True)
    keys = [[u] if u else [] for u in df["url"]]
    df["group"] = near_duplicate_groups(df["text"].tolist(), keys)

    signature = df["tags"].map(lambda t: "+".join(t) or "other")
    forced = {g: "train" for g in df.loc[df["dataset"].isin(TRAIN_ONLY_DATASETS), "group"]}
    df["split"] = _assign_splits(df["group"], signature, forced)
    # Out-of-distribution split: every detik article (any dataset) is test; the rest train/dev.
    heldout = df.groupby("group")["publisher"].agg(lambda s: (s == HELDOUT_PUBLISHER).any())
    forced_pub = {g: "test" for g in heldout[heldout].index}
    forced_pub.update({g: "train" for g in forced if g not in forced_pub})
    df["split_publisher"] = _assign_splits(df["group"], signature, forced_pub, fractions=(0.85, 0.15))
    df["id"] = df["uid"]
    cols = [
        "id",
        "title",
        "text",
        "tags",
        "label_source",
        "confidence",
        "dataset",
        "publisher",
        "section",
        "subsection",
        "date",
        "url",
        "body_hash",
        "group",
        "split",
        "split_publisher",
    ]
    return df[cols].sort_values("id").reset_index(drop=True)


def build_indosum(root: Path) -> pd.DataFrame:
    rows = []
    for rec in _indosum_records(root):
        extra = rec["extra"]
        sentences, paragraph, gold = [], [], []
        for p, (para, labels) in enumerate(zip(extra["paragraphs"], extra["gold_labels"])):
            for sent, label in zip(para, labels):
                sentences.append(" ".join(sent))
                paragraph.append(p)
                gold.append(bool(label))
        rows.append(
            {
                "id": rec["uid"].split(":", 1)[1],
                "category": rec["section"],
                "source": rec["publisher"],
                "source_url": rec["url"],
                "fold": extra["fold"],
                "text": rec["text"],
                "sentences": sentences,
                "paragraph": paragraph,
                "gold": gold,
                "summary": [" ".join(s) for s in extra["summary"]],
            }
        )
    df = pd.DataFrame(rows)
    df["split"] = df["fold"].map({1: "train", 2: "train", 3: "dev", 4: "test"})
    return df.sort_values("id").reset_index(drop=True)


def build_categories(indosum: pd.DataFrame) -> pd.DataFrame:
    """IndoSum's news categories (``inspirasi``, 20 articles, dropped) with 5 CV folds."""
    df = indosum[indosum["category"] != "inspirasi"][["id", "category", "source", "text"]].copy()
    df["cv_fold"] = df["id"].map(lambda i: int(_stable_unit(i) * 5))
    df["split"] = df["cv_fold"].map({0: "train", 1: "train", 2: "train", 3: "dev", 4: "test"})
    return df.rename(columns={"category": "label"}).reset_index(drop=True)


def summarize_counts(topics: pd.DataFrame) -> str:
    lines = ["split        n  koperasi  umkm  pendidikan  other"]
    for col in ("split", "split_publisher"):
        for split in ("train", "dev", "test"):
            part = topics[topics[col] == split]
            counts = [int(part["tags"].map(lambda t, tag=tag: tag in t).sum()) for tag in TAGS]
            other = int((part["tags"].map(len) == 0).sum())
            lines.append(f"{col}:{split:5s} {len(part):6d} {counts[0]:8d} {counts[1]:5d} {counts[2]:10d} {other:6d}")
    return "\n".join(lines)


def build_data(raw: Path, out: Path) -> str:
    """Write ``topics.parquet``, ``indosum.parquet`` and ``categories.parquet`` to ``out`` from the raw
    folders in ``raw`` (``mlpkg build-data``); returns the counts that ``DATASHEET.md`` reports."""
    require("data", "mlpkg build-data")
    if not raw.is_dir():
        raise DataError(f"raw data folder {raw} not found; pass --raw PATH (it is ../shared/data/raw in the dev "
                        "checkout)")
    reviewed = load_reviewed(out / "labels" / "reviewed.jsonl")
    topics = build_topics(raw, reviewed)
    indosum = build_indosum(raw)
    categories = build_categories(indosum)
    for name, frame in (("topics", topics), ("indosum", indosum), ("categories", categories)):
        frame.to_parquet(out / f"{name}.parquet", compression="zstd", index=False)
    return (f"{summarize_counts(topics)}\n"
            f"indosum: {len(indosum)} articles; categories: {categories['label'].value_counts().to_dict()}")
