"""Readers for the raw news folders in ``../shared/data/raw``.

Each reader yields plain dicts with one schema so the corpus builder can treat every
publisher dump alike: ``uid, dataset, publisher, url, title, text, date, section, subsection``.
The raw files are only needed to *build* ``data/``; nothing at run time reads them.
"""

from __future__ import annotations

import ast
import csv
import json
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

csv.field_size_limit(1 << 30)

FIELDS = ("uid", "dataset", "publisher", "url", "title", "text", "date", "section", "subsection")


def _publisher_from_url(url: str, fallback: str = "") -> str:
    host = urlparse(url).netloc.lower() if url else ""
    for name in (
        "kompas",
        "okezone",
        "sindonews",
        "tempo",
        "tribunnews",
        "wowkeren",
        "kapanlagi",
        "posmetro",
        "fimela",
        "detik",
        "liputan6",
        "republika",
        "cnbcindonesia",
        "viva",
        "merdeka",
        "cnnindonesia",
        "antaranews",
        "kontan",
        "lampost",
        "rmol",
        "radarlampung",
    ):
        if name in host:
            return name
    return fallback


def _record(dataset: str, key: str, **fields: str) -> dict:
    rec = {f: "" for f in FIELDS}
    rec.update({k: ("" if v is None else str(v)) for k, v in fields.items()})
    rec["dataset"] = dataset
    rec["uid"] = f"{dataset}:{key}"
    return rec


def _read_csv(path: Path) -> Iterator[dict]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        yield from csv.DictReader(fh)


def read_clickid(root: Path) -> Iterator[dict]:
    import pandas as pd

    folder = root / "clickid"
    frames = []
    for path in sorted(folder.glob("*.xlsx")):
        frames.append((path.stem, pd.read_excel(path, dtype=str).fillna("")))
    frames.append(("tribunnews", pd.read_csv(folder / "tribunnews.csv", dtype=str).fillna("")))
    for stem, df in frames:
        for i, row in df.iterrows():
            # The scraper joined paragraphs with commas: "...kalimat.,Kalimat berikut".
            text = re.sub(r"([.!?\"”])\s*,\s*(?=[A-Z\"“(])", r"\1\n", row.get("content", ""))
            url = row.get("url", "")
            yield _record(
                "clickid",
                f"{stem}:{i}",
                publisher=_publisher_from_url(url, row.get("source", stem)),
                url=url,
                title=row.get("title", ""),
                text=text,
                date=str(row.get("date", "")),
                section=row.get("category", ""),
                subsection=row.get("sub-category", ""),
            )


def read_cnbc(root: Path) -> Iterator[dict]:
    for i, row in enumerate(_read_csv(root / "cnbc_2024" / "data-artikel-cnbc.csv")):
        yield _record(
            "cnbc_2024",
            str(i),
            publisher="cnbcindonesia",
            url=row["url"],
            title=row["judul"],
            text=row["isi"],
            date=row["tanggal"],
            section=row["kategori"],
        )


def read_detik_9cat(root: Path) -> Iterator[dict]:
    for i, row in enumerate(_read_csv(root / "detik_2025_9cat" / "berita.csv")):
        yield _record(
            "detik_2025_9cat",
            str(i),
            publisher="detik",
            title=row["judul"],
            text=row["konten"],
            date=row["tanggal"],
            section=row["kategori"],
        )


def read_edu_sport(root: Path) -> Iterator[dict]:
    for i, row in enumerate(_read_csv(root / "edu_sport_health_travel_2024" / "news.csv")):
        yield _record(
            "edu_sport_health_travel_2024",
            str(i),
            publisher=_publisher_from_url(row["URL"]),
            url=row["URL"],
            title=row["Judul"],
            text=row["Konten"],
            date=row["Waktu"],
            section=row["Kelas"],
        )


def read_corpus_2015(root: Path) -> Iterator[dict]:
    for row in _read_csv(root / "indonesian_news_corpus_2015" / "hasil_scraping_berita.csv"):
        # Paragraph breaks were lost ("hilang.Namun"); put them back where a sentence end
        # is glued to a capitalised word.
        text = re.sub(r"([a-z0-9\"”)][.!?])(?=[A-Z])", r"\1\n", row["isi"])
        yield _record(
            "indonesian_news_corpus_2015",
            row["id"],
            publisher=_publisher_from_url(row["link"], row["sumber"]),
            url=row["link"],
            title=row["judul"],
            text=text,
            date=row["tanggal"],
            section=row["kategori"],
        )


def read_indonews(root: Path) -> Iterator[dict]:
    folder = root / "indonews_rss_jun2025"
    seen: set[str] = set()
    for path in sorted(folder.glob("scrapping_news_*.csv")):
        for row in _read_csv(path):
            url = row["url"].strip()
            if url in seen:
                continue
            seen.add(url)
            yield _record(
                "indonews_rss_jun2025",
                url,
                publisher=_publisher_from_url(url, row["sumber"]),
                url=url,
                title=row["judul"],
                text=row["isi_berita"],
                date=row["tanggal_publikasi"],
            )
    for row in _read_csv(folder / "berita_detik.csv"):
        url = row["url"].strip()
        if url in seen:
            continue
        seen.add(url)
        # Anchor texts sit on lines of their own here; fold short lines back into the paragraph.
        text = re.sub(r"\n(?=[^\n]{1,40}\n)", " ", row["content"])
        yield _record(
            "indonews_rss_jun2025",
            url,
            publisher="detik",
            url=url,
            title=row["title"],
            text=text,
            date=row["date"],
            section=row["category"],
            subsection=row["sub-category"],
        )


def read_scrapy_2020(root: Path) -> Iterator[dict]:
    for path in sorted((root / "scrapy_news_2020").glob("*.csv")):
        for i, row in enumerate(_read_csv(path)):
            body = (row.get("berita") or "").strip()
            if not body:
                continue
            try:
                paragraphs = ast.literal_eval(body)
            except (ValueError, SyntaxError):
                paragraphs = [body]
            text = "\n".join(p.strip() for p in paragraphs if p and p.strip())
            yield _record(
                "scrapy_news_2020",
                f"{path.stem}:{i}",
                publisher=path.stem,
                title=" ".join(row["judul"].split()),
                text=text,
            )


# Titles of some scrapes end in the outlet's name ("... : Okezone Economy"): a publisher cue.
_TITLE_SUFFIX = re.compile(r"\s*[:|\-–]\s*(?:Okezone|Republika|Kontan|ANTARA|Tempo|CNN|Merdeka)[\w .]*$", re.I)


def read_econ_news(root: Path) -> Iterator[dict]:
    """Economy news 2017-2025 (Antara, CNN Indonesia, Okezone, Republika, Kontan, Merdeka, Tempo).

    The same URL sits in several files (outlet files and a labelled union); the first copy wins,
    outlet files first, so the union file only adds what they lack.
    """
    folder = root / "econ_news_2017_2025"
    seen: set[str] = set()
    files = sorted(p for p in folder.glob("df_*.csv") if p.name != "df_all_labeled.csv")
    for path in [*files, folder / "df_all_labeled.csv"]:
        for row in _read_csv(path):
            url = row["url"].strip()
            if not url or url in seen:
                continue
            seen.add(url)
            yield _record(
                "econ_news_2017_2025",
                url,
                publisher=_publisher_from_url(url, row.get("domain", "")),
                url=url,
                title=_TITLE_SUFFIX.sub("", " ".join(row["title"].split())),
                text=row["clean_text"],
                date=row["date"],
                section="ekonomi",
            )


def _read_excel_rows(path: Path) -> Iterator[dict]:
    import pandas as pd

    yield from pd.read_excel(path, dtype=str).fillna("").to_dict("records")


def read_lampung(root: Path) -> Iterator[dict]:
    """Lampung regional portals, July 2025; the same link appears in several scrape files."""
    folder = root / "lampung_econ_jul2025"
    seen: set[str] = set()
    sources = [(folder / "hasil_scrape_antara.csv", _read_csv)]
    sources += [(p, _read_excel_rows) for p in sorted(folder.glob("*.xlsx"))]
    for path, reader in sources:
        for row in reader(path):
            url = (row.get("link") or "").strip()
            text = row.get("konten") or row.get("isi") or ""
            key = url or str(hash_text(text))
            if not text.strip() or key in seen:
                continue
            seen.add(key)
            yield _record(
                "lampung_econ_jul2025",
                key,
                publisher=_publisher_from_url(url, path.stem),
                url=url,
                title=" ".join((row.get("judul") or "").split()),
                text=text,
                date=row.get("tanggal", ""),
                section="ekonomi",
            )


def hash_text(text: str) -> int:
    """A stable key for rows without a URL (crc32: Python's hash() is salted per process)."""
    return zlib.crc32(" ".join(text.split()).encode())


def read_bps_lampung(root: Path) -> Iterator[dict]:
    """A statistics office's form of economic news excerpts (Lampung, 2019-2025): short texts."""
    seen: set[int] = set()
    for row in _read_excel_rows(root / "bps_lampung_econ_2019_2025" / "hasil_label.xlsx"):
        text_col = next(k for k in row if k.startswith("5. APA"))
        text = row[text_col]
        key = hash_text(text)
        if not text.strip() or key in seen:
            continue
        seen.add(key)
        source = next((v for k, v in row.items() if k.startswith("3. SIAPA")), "")
        url = next((v for k, v in row.items() if k.startswith("4. APAKAH")), "").strip()
        url = url if url.startswith("http") else ""
        yield _record(
            "bps_lampung_econ_2019_2025",
            str(key),
            publisher=_publisher_from_url(url, " ".join(source.lower().split()) or "bps_lampung"),
            url=url,
            text=text,
            date=next((v for k, v in row.items() if k.startswith("2. KAPAN")), ""),
            section="ekonomi",
        )


def read_detik_sentiment(root: Path) -> Iterator[dict]:
    """detik 2023-2024, bodies only (no title, URL or date)."""
    seen: set[int] = set()
    for row in _read_csv(root / "detik_sentiment_2023" / "berita.csv"):
        key = hash_text(row["text"])
        if key in seen:
            continue
        seen.add(key)
        yield _record("detik_sentiment_2023", str(key), publisher="detik", text=row["text"])


def read_detik_2026(root: Path) -> Iterator[dict]:
    seen: set[str] = set()
    for row in _read_csv(root / "detik_finance_2026" / "berita.csv"):
        url = row["link"].strip()
        if url in seen:
            continue
        seen.add(url)
        yield _record(
            "detik_finance_2026",
            url,
            publisher="detik",
            url=url,
            title=" ".join(row["judul"].split()),
            text=row["konten_berita"],
            date=row["tgl_publikasi"],
            section=row["kategori"],
        )


def read_tribun_2020(root: Path) -> Iterator[dict]:
    folder = root / "tribun_categories_2020"
    for path in sorted(folder.glob("*.xlsx")):
        for i, row in enumerate(_read_excel_rows(path)):
            url = (row.get("URL Berita") or "").strip()
            yield _record(
                "tribun_categories_2020",
                f"{path.stem}:{i}",
                publisher="tribunnews",
                url=url,
                title=" ".join((row.get("Judul Berita") or "").split()),
                text=row.get("Konten Berita", ""),
                section=row.get("Kategori Berita", ""),
            )


def read_indosum(root: Path) -> Iterator[dict]:
    """IndoSum dev folds; ``paragraphs`` etc. are kept in ``extra`` for the summarisation set."""
    seen: set[str] = set()
    for path in sorted((root / "indosum-dev").glob("dev.0*.jsonl")):
        fold = int(path.stem.split(".")[1])
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                art = json.loads(line)
                if art["id"] in seen:
                    continue
                seen.add(art["id"])
                rec = _record(
                    "indosum", art["id"], publisher=art["source"], url=art["source_url"], section=art["category"]
                )
                rec["extra"] = {
                    "fold": fold,
                    "paragraphs": art["paragraphs"],
                    "summary": art["summary"],
                    "gold_labels": art["gold_labels"],
                }
                yield rec


NEWS_READERS = (
    read_clickid,
    read_cnbc,
    read_detik_9cat,
    read_edu_sport,
    read_corpus_2015,
    read_indonews,
    read_scrapy_2020,
    read_econ_news,
    read_lampung,
    read_bps_lampung,
    read_detik_sentiment,
    read_detik_2026,
    read_tribun_2020,
)


def read_news(root: Path) -> Iterator[dict]:
    """Every raw news article (IndoSum excluded), one schema."""
    for reader in NEWS_READERS:
        yield from reader(root)
