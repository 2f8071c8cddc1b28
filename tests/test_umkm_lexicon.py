"""The default umkm lexicon counts 'ikm' and 'naik kelas' only in their small-business sense.

Sentences from data/topics.parquet, out-of-fold errors of the default: the Ikatan Keluarga Minang (IKM)
and BPJS ward or school grade upgrades ("naik kelas") were counted as small-business evidence.
"""

from pathlib import Path

import pytest

from mlpkg.classify.lexicon_features import TagLexicon
from mlpkg.config import load_config
from mlpkg.label.queue import highlight

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def umkm_hits():
    lexicon = TagLexicon({"umkm": load_config(ROOT / "configs" / "topic_tfidf.yaml").model["lexicon"]["umkm"]})
    return lambda sentence: lexicon.counts(sentence)["umkm"][2]  # a text without a title line is all body


@pytest.mark.parametrize("sentence", [
    # detik 2025, Andre Rosiade's visit to Kalimantan Timur (tagged none)
    'kata Ketua Umum Ikatan Keluarga Minang (IKM) itu.',
    "Ketua Umum DPP Ikatan Keluarga Minang (IKM) Andre Rosiade bertemu pengurus DPD IKM Kalimantan Timur di "
    "rumah jabatan Gubernur Rudy Mas'ud.",
    "Andre Rosiade Sambangi DPD IKM Kaltim: Gubernur Bantu Bangun Sekretariat",
    # pos_metro 2019 (tagged none)
    "Berdasarkan informasi dari Ketua Ikatan Keluarga Minang (IKM) Papua, Zulhendri Sikumbang, sementara ini ada "
    "sekitar 327 kepala keluarga perantau di Wamena yang ingin pulang.",
])
def test_ikm_of_ikatan_keluarga_minang_is_no_umkm_evidence(umkm_hits, sentence):
    assert umkm_hits(sentence) == 0


def test_ikm_of_small_industry_still_counts(umkm_hits):
    # Lampung 2020, tagged umkm: 'industri kecil' and 'ikm' are two hits
    assert umkm_hits("Sebanyak 289 Industri Kecil Menengah (IKM) di Kota Bandarlampung akan mendapatkan bantuan "
                     "peralatan dari pemerintah pusat.") == 2


@pytest.mark.parametrize("sentence", [
    # wowkeren (tagged none)
    "Begini Cara Peserta BPJS Kesehatan Naik Kelas Tanpa Keluar Biaya Lagi",
    "Bentuk kerjasama ini dilakukan untuk meningkatkan pelayanan agar memudahkan pasien yang ingin naik kelas saat "
    "menggunakan BPJS Kesehatan.",
    # a report-card note to a pupil (tagged pendidikan)
    "Nama siswa meskipun pada akhirnya kamu belum bisa naik kelas ibu harap jangan berkecil hati",
])
def test_naik_kelas_of_a_ward_or_a_grade_is_no_umkm_evidence(umkm_hits, sentence):
    assert umkm_hits(sentence) == 0


def test_naik_kelas_after_a_small_business_counts_beside_the_business_word(umkm_hits):
    # kompas, tagged umkm: 'kur', 'mekaar ... naik kelas'; and 'umkm' keeps its own hit beside 'umkm agar naik kelas'
    assert umkm_hits("BRI Saluran KUR Mikro Kepada 15 Nasabah Mekaar Naik Kelas") == 2
    assert umkm_hits("Menteri Rini Minta Bank BUMN dan PNM Picu UMKM Agar Naik Kelas") == 2


def test_annotation_highlight_takes_the_look_behind_terms():
    # the annotation page marks lexicon hits on raw text, where a space matches any punctuation; a run there
    # would give the 'ikm' term's look-behinds a varying width (re.error before)
    terms = [(t, "umkm") for t in load_config(ROOT / "configs" / "topic_tfidf.yaml").model["lexicon"]["umkm"]]
    marked = highlight("Andre Rosiade Sambangi DPD IKM Kaltim. Pelaku IKM dan UKM naik kelas.", terms)
    assert [piece for piece, tag in marked if tag] == ["IKM", "UKM"]
