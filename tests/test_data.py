import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from mlpkg.data import check_schema, load_table
from mlpkg.data.dedupe import body_hash, near_duplicate_groups
from mlpkg.errors import DataError, MissingExtraError

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT.parent / "shared" / "data" / "raw"
TAGS = ["koperasi", "umkm", "pendidikan"]


def test_no_body_or_near_duplicate_group_crosses_splits(topics):
    for column in ("split", "split_publisher"):
        by_hash = topics.groupby(topics["text"].map(body_hash))[column].nunique()
        assert (by_hash == 1).all(), column
        assert (topics.groupby("group")[column].nunique() == 1).all(), column


def test_topic_set_counts_labels_and_provenance(topics):
    assert set(topics["split"]) == {"train", "dev", "test"}
    assert {t for tags in topics["tags"] for t in tags} == set(TAGS)
    assert set(topics["label_source"]) == {"publisher", "reviewed", "sampled"}
    counts = {t: int(topics["tags"].map(lambda x, t=t: t in x).sum()) for t in TAGS}
    # the second labelling round (six new sources) tripled koperasi and nearly doubled umkm
    assert counts["koperasi"] >= 55 and counts["umkm"] >= 250 and counts["pendidikan"] >= 850
    new_sources = {"econ_news_2017_2025", "bps_lampung_econ_2019_2025", "lampung_econ_jul2025",
                   "detik_sentiment_2023", "detik_finance_2026", "tribun_categories_2020"}
    assert new_sources <= set(topics["dataset"])
    # their keyword candidates were read (reviewed), the rest are hard negatives (sampled)
    new = topics[topics["dataset"].isin(new_sources)]
    assert set(new.loc[new["tags"].map(len) > 0, "label_source"]) <= {"reviewed", "publisher"}
    for split in ("dev", "test"):
        part = topics[topics["split"] == split]
        assert all(part["tags"].map(lambda x, t=t: t in x).sum() >= 3 for t in TAGS), split
    # the punctuation-less crawl teaches "no punctuation => education": never in dev or test
    assert set(topics.loc[topics["dataset"] == "edu_sport_health_travel_2024", "split"]) == {"train"}
    assert topics["id"].is_unique


def test_shipped_text_has_no_label_leaking_boilerplate(topics):
    leaks = topics["text"].str.contains(
        r"Baca juga:|SCROLL TO CONTINUE|ADVERTISEMENT|^KOMPAS\.com -|CNBC Indonesia -|\([Aa][Nn][Tt][Aa][Rr][Aa]\) -",
        regex=True,
    )
    assert leaks.mean() < 0.002


def test_data_directory_is_compact():
    total = sum(p.stat().st_size for p in (ROOT / "data").rglob("*") if p.is_file())
    assert total < 30 * 2**20


def test_indosum_has_gold_labels_and_summaries():
    ind = pd.read_parquet(ROOT / "data" / "indosum.parquet")
    assert ind["id"].is_unique and set(ind["fold"]) == {1, 2, 3, 4}
    assert (ind["sentences"].map(len) == ind["gold"].map(len)).all()
    assert ind["gold"].map(any).all() and ind["summary"].map(len).min() >= 1


def test_near_duplicates_are_grouped():
    a = "Koperasi Desa Merah Putih resmi diluncurkan di seluruh desa. " * 5 + "Presiden hadir di Klaten."
    b = "Koperasi Desa Merah Putih resmi diluncurkan di seluruh desa. " * 5 + "Presiden hadir di Jawa Tengah."
    c = "Siswa SD kembali belajar tatap muka setelah libur panjang semester genap tahun ini."
    groups = near_duplicate_groups([a, b, c])
    assert groups[0] == groups[1] != groups[2]


def _write_jsonl(path: Path, rows: list[dict]) -> str:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return str(path)


def test_schema_errors_name_file_row_and_field(tmp_path):
    good = {"id": "a", "text": "Koperasi simpan pinjam tumbuh pesat.", "tags": ["koperasi"]}
    path = _write_jsonl(tmp_path / "missing.jsonl", [{"id": "a", "body": "teks", "tags": []}])
    with pytest.raises(DataError, match=r"missing\.jsonl: missing column 'text'"):
        check_schema(load_table(path), path, text_field="text", label_field="tags", labels=TAGS)
    path = _write_jsonl(tmp_path / "empty.jsonl", [good, {"id": "b", "text": "  ", "tags": []}])
    with pytest.raises(DataError, match=r"empty\.jsonl: row 2, field 'text': empty text"):
        check_schema(load_table(path), path, text_field="text", label_field="tags", labels=TAGS)
    path = _write_jsonl(tmp_path / "label.jsonl", [good, {"id": "b", "text": "Harga cabai naik.", "tags": ["ekonomi"]}])
    with pytest.raises(DataError, match=r"label\.jsonl: row 2, field 'tags': unknown label 'ekonomi'"):
        check_schema(load_table(path), path, text_field="text", label_field="tags", labels=TAGS)


def test_load_table_formats_and_split_filter(tmp_path):
    rows = [
        {"id": str(i), "text": f"Berita ke-{i} tentang sekolah.", "split": "train" if i % 2 else "test"}
        for i in range(6)
    ]
    pd.DataFrame(rows).to_csv(tmp_path / "x.csv", index=False)
    assert len(load_table(str(tmp_path / "x.csv"), "test")) == 3
    with pytest.raises(DataError, match="does not exist"):
        load_table(str(tmp_path / "nope.parquet"))
    with pytest.raises(DataError, match="hub is offline"):
        load_table("someone/indonesian-news")


@pytest.mark.skipif(
    not RAW.is_dir(), reason="../shared/data/raw is not beside this checkout (only the dev checkout has it)"
)
def test_rebuild_from_raw_reproduces_shipped_labels_and_splits(tmp_path, topics):
    from mlpkg.data.build import build_data

    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "reviewed.jsonl").write_bytes((ROOT / "data" / "labels" / "reviewed.jsonl").read_bytes())
    build_data(RAW, tmp_path)
    rebuilt = pd.read_parquet(tmp_path / "topics.parquet")
    cols = ["id", "split", "split_publisher", "label_source"]
    pd.testing.assert_frame_equal(rebuilt[cols], topics[cols])
    assert rebuilt["tags"].map(list).tolist() == topics["tags"].map(list).tolist()


@pytest.mark.parametrize("missing", ["ftfy", "openpyxl"])
def test_build_data_without_ftfy_fails_naming_the_data_extra(monkeypatch, tmp_path, capsys, missing):
    """Regression: without ftfy the build skipped its mojibake repair silently, so the rebuild was not identical."""
    from mlpkg.cli import main as cli_main
    from mlpkg.data.build import build_data

    monkeypatch.setitem(sys.modules, missing, None)  # import and find_spec then fail as if it were not installed
    with pytest.raises(MissingExtraError, match=rf"^\[E007\] mlpkg build-data needs {missing}, .*'\.\[data\]'"):
        build_data(tmp_path, tmp_path)
    assert cli_main(["build-data", "--raw", str(tmp_path), "--out", str(tmp_path)]) == 2
    assert f"mlpkg build-data: error: [E007] mlpkg build-data needs {missing}" in capsys.readouterr().err


def test_build_data_without_the_raw_folder_is_a_coded_error(tmp_path):
    from mlpkg.data.build import build_data

    with pytest.raises(DataError, match=r"^\[E002\] raw data folder .*nope not found; pass --raw PATH"):
        build_data(tmp_path / "nope", tmp_path)
