"""Would dateparser read the raw sources' dates as mlpkg.data.load.parse_dates does, and how fast? (issue 23, item 6)

Every non-empty ``date`` of every record the sources of ``make data`` yield (``read_news`` and
``read_indosum`` over ``../shared/data/raw``), and the subset that ends up in ``data/topics.parquet``.
mlpkg's ``parse_dates`` reads them as one pandas column; dateparser (Indonesian and English, day first) reads
them one by one with ``dateparser.parse``, and where that reads nothing, takes the first date its
``search_dates`` finds in the string (``Diperbarui 03 Apr 2025, 12:00 WIB``). Both give the day as written, and a year
outside 1900-2099 counts as unreadable for both. CPU seconds in the same run, as a ratio.

    python benchmarks/dates.py [--raw ../shared/data/raw]

Writes ``benchmarks/results/dates.{md,json}``; needs the bench extra (dateparser) and the data extra.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from itertools import chain
from pathlib import Path

import dateparser
import pandas as pd
from _results import write_results
from dateparser.search import search_dates

from mlpkg.data.load import parse_dates
from mlpkg.data.sources import read_indosum, read_news

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {"DATE_ORDER": "DMY", "PREFER_DAY_OF_MONTH": "first", "RETURN_AS_TIMEZONE_AWARE": False}


def with_dateparser(values: list[str]) -> pd.Series:
    days = []
    for value in values:
        parsed = dateparser.parse(value, languages=["id", "en"], settings=SETTINGS)
        if parsed is None:  # a date inside a longer string ("Diperbarui 03 Apr 2025, 12:00 WIB"): its search
            found = search_dates(value, languages=["id", "en"], settings=SETTINGS)
            parsed = found[0][1] if found else None
        days.append(pd.NaT if parsed is None or not 1900 <= parsed.year < 2100 else pd.Timestamp(parsed.date()))
    return pd.Series(days, dtype="datetime64[ns]")


def compare(values: list[str]) -> dict:
    start = time.process_time()
    ours = parse_dates(values).reset_index(drop=True)
    ours_s = time.process_time() - start
    start = time.process_time()
    theirs = with_dateparser(values)
    theirs_s = time.process_time() - start
    same = (ours == theirs) | (ours.isna() & theirs.isna())
    kinds = Counter("only mlpkg reads it" if t != t else "only dateparser reads it" if o != o else "another day"
                    for o, t in zip(ours[~same], theirs[~same]))
    examples = {v: {"date": v, "mlpkg": None if o != o else str(o.date()),
                    "dateparser": None if t != t else str(t.date())}
                for v, o, t in zip(pd.Series(values)[~same], ours[~same], theirs[~same])}
    return {"dates": len(values), "distinct": len(set(values)), "agree": int(same.sum()),
            "disagree": int((~same).sum()), "kinds": dict(kinds), "unreadable_mlpkg": int(ours.isna().sum()),
            "unreadable_dateparser": int(theirs.isna().sum()), "cpu_seconds": {"mlpkg": ours_s, "dateparser": theirs_s},
            "ratio": theirs_s / ours_s, "examples": [examples[v] for v in sorted(examples)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", default=str(ROOT.parent / "shared" / "data" / "raw"))
    args = parser.parse_args()
    raw = [str(rec["date"]).strip() for rec in chain(read_news(Path(args.raw)), read_indosum(Path(args.raw)))]
    topics = pd.read_parquet(ROOT / "data" / "topics.parquet", columns=["date"])["date"].fillna("").astype(str)
    sets = {"every dated record of the raw sources": [d for d in raw if d],
            "the dated rows of data/topics.parquet": [d.strip() for d in topics if d.strip()]}
    result = {name: compare(values) for name, values in sets.items()}
    lines = ["| dates | distinct strings | same day | another day | only mlpkg reads | only dateparser reads | "
             "mlpkg CPU s | dateparser CPU s | dateparser vs mlpkg |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in result.items():
        k = r["kinds"]
        lines.append(f"| {name}: {r['dates']:,} | {r['distinct']:,} | {r['agree']:,} | {k.get('another day', 0):,} | "
                     f"{k.get('only mlpkg reads it', 0):,} | {k.get('only dateparser reads it', 0):,} | "
                     f"{r['cpu_seconds']['mlpkg']:.2f} | {r['cpu_seconds']['dateparser']:.1f} | {r['ratio']:.0f}x |")
    lines += ["", "Disagreements on the raw sources, the first 40 distinct strings (sorted; all in the JSON):", "",
              "| date as written | mlpkg | dateparser |", "|---|---|---|"]
    for e in result["every dated record of the raw sources"]["examples"][:40]:
        written = e["date"].replace("|", "\\|")  # a table cell
        lines.append(f"| `{written}` | {e['mlpkg'] or 'unreadable'} | {e['dateparser'] or 'unreadable'} |")
    write_results("dates", "\n".join(lines), result)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
