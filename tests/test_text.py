import json
import sys
from pathlib import Path

import pytest

from mlpkg.text import clean, detokenize, normalize_for_features, split_sentences, stem_word, stopwords

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def antara() -> str:
    """The ANTARA article exactly as scraped: whole body twice, "Baca juga:" teaser lines."""
    return (HERE / "data" / "antara_koperasi_kalteng.txt").read_text(encoding="utf-8")


def test_clean_antara_keeps_each_paragraph_once_and_drops_teasers(antara):
    cleaned = clean(antara)
    paragraphs = cleaned.split("\n")
    assert "Baca juga" not in cleaned
    assert len(paragraphs) == len(set(paragraphs))
    assert not cleaned.split("\n")[1].startswith("Palangka Raya (ANTARA)")
    assert "forum koordinasi pemberdayaan koperasi 2019" in cleaned
    assert sum("mati suri" in p for p in paragraphs) == 1


@pytest.mark.parametrize("raw, expected_start", [
    ("Jakarta, CNBC Indonesia - Kementerian Koperasi meluncurkan program baru.", "Kementerian Koperasi"),
    ("KOMPAS.com - Siswa SD kembali masuk sekolah.", "Siswa SD"),
    ("REPUBLIKA.CO.ID, JAKARTA -- Guru honorer menuntut kejelasan status.", "Guru honorer"),
    ("Liputan6.com, JakartaPelaku UMKM mendapat pelatihan digital.", "Pelaku UMKM"),
    ("Jakarta -\nSeorang pria ditangkap polisi.", "Seorang pria"),
])
def test_clean_strips_publisher_datelines(raw, expected_start):
    assert clean(raw).startswith(expected_start)


def test_clean_drops_boilerplate_lines_but_keeps_content():
    raw = ("Koperasi Desa Merah Putih mulai beroperasi.\nADVERTISEMENT\nSCROLL TO CONTINUE WITH CONTENT\n"
           "Lihat juga Video: Peluncuran Kopdes\nSimak Video \"Koperasi\"\n"
           "Artikel ini telah tayang di detikFinance.\nAnggota koperasi menyambut baik.")
    assert clean(raw) == "Koperasi Desa Merah Putih mulai beroperasi.\nAnggota koperasi menyambut baik."


def test_clean_removes_html_and_empty_input():
    assert clean("<p>Siswa <b>belajar</b> daring.</p>") == "Siswa belajar daring."
    assert clean("") == ""


def _boundaries(sentences: list[str]) -> set[int]:
    out, pos = set(), 0
    for s in sentences[:-1]:
        pos += len(s)
        out.add(pos)
        pos += 1
    return out


def test_split_sentences_on_hand_checked_set():
    rows = [json.loads(line) for line in open(HERE / "data" / "sentence_boundaries.jsonl", encoding="utf-8")]
    assert sum(len(r["sentences"]) for r in rows) >= 200
    correct = total = 0
    for r in rows:
        gold, pred = _boundaries(r["sentences"]), _boundaries(split_sentences(r["text"]))
        total += len(gold | pred)
        correct += len(gold & pred)
    assert correct / total >= 0.98


@pytest.mark.parametrize("text, n", [
    ("Prof. Dr. Ir. H. Budi Santoso, M.Si. hadir di Jl. Merdeka No. 5. Acara dimulai pukul 09.00.", 2),
    ("Ekonomi tumbuh 4,9 persen. Industri 4.0 jadi fokus pemerintah.", 2),
    ("PT. Bank Rakyat Indonesia Tbk. menyalurkan KUR. Nilainya Rp 4,9 juta per debitur.", 2),
    ("\"Koperasi harus kuat,\" kata Menteri. Ia lalu meninggalkan lokasi.", 2),
    ("Ia membeli buku, pensil, dll. untuk sekolah.", 1),
    ("Gelar S.E. dan Ph.D. diraihnya di luar negeri. Kini ia mengajar.", 2),
])
def test_split_sentences_abbreviations_decimals_quotes(text, n):
    assert len(split_sentences(text)) == n


@pytest.mark.parametrize("text", [
    "Dia menelepon ibu. Kemudian dia pergi.",
    "Perilaku anak dipengaruhi banyak hal. Salah satunya pengalaman masa kecil.",
    "Bantuan dibagikan di 14 kabupaten/kota. Titik lokasinya diumumkan besok.",
    "Rupiah melemah ke Rp14.042 per USD. Hari ini rupiah bergerak di kisaran sempit.",
    "Ia adalah pejabat karier di BPK. Posisi terakhirnya auditor utama.",
    "Pelaku sudah ditahan, ujar Kapolres. Barang bukti disita polisi.",
])
def test_common_words_in_abbreviation_list_do_not_glue_sentences(text):
    """Regression: "ibu", "hal" and other ordinary words were in the abbreviation list."""
    assert len(split_sentences(text)) == 2


def test_split_sentences_line_breaks_and_glued_sentences():
    assert split_sentences("Judul berita\nKalimat pertama.Kalimat kedua.") == [
        "Judul berita", "Kalimat pertama.", "Kalimat kedua."]


def test_detokenize_indosum_tokens():
    tokens = ["\"", "Tidak", "hanya", "tarif", ",", "\"", "ucap", "Zulkifli", "(", "27", "/", "3", ")", "."]
    assert detokenize(tokens) == "\"Tidak hanya tarif,\" ucap Zulkifli (27 / 3)."


def test_normalize_for_features_drops_punctuation_and_digits():
    assert normalize_for_features("Rp4,9 juta untuk UMKM!") == "rp0 0 juta untuk umkm"


def test_stopwords_and_stemming():
    assert "yang" in stopwords()
    assert stem_word("pemberdayaan") == "daya"


def test_vendored_stop_words_are_sastrawis_list():
    from Sastrawi.StopWordRemover.StopWordRemoverFactory import StopWordRemoverFactory

    assert stopwords() == frozenset(StopWordRemoverFactory().get_stop_words())


def test_stop_words_need_no_pysastrawi_and_stemming_names_its_extra(monkeypatch):
    """PySastrawi is the `stem` extra: the stop words ship with mlpkg, stemming without it is E007."""
    from mlpkg.errors import MissingExtraError
    from mlpkg.text import lexicon

    monkeypatch.setitem(sys.modules, "Sastrawi", None)  # not installed: importing it raises ImportError
    for cached in (lexicon.stopwords, lexicon._stemmer, lexicon.stem_word):
        cached.cache_clear()
    try:
        assert {"yang", "dan", "adalah"} <= stopwords() and len(stopwords()) == 809
        with pytest.raises(MissingExtraError, match=r"\[E007\] Indonesian stemming .* needs Sastrawi.*\.\[stem\]"):
            stem_word("pemberdayaan")
    finally:
        for cached in (lexicon.stopwords, lexicon._stemmer, lexicon.stem_word):
            cached.cache_clear()


@pytest.mark.parametrize("raw, expected", [
    # Title Case teaser, then the next sentence
    ("Pemerintah Provinsi Kalimantan Tengah melaksanakan forum koordinasi pemberdayaan koperasi. "
     "Baca juga: Pelaku UMKM Kalteng Harus Siap Menghadapi Revolusi Industri 4.0 Berbagai hal telah pihaknya bahas.",
     "Pemerintah Provinsi Kalimantan Tengah melaksanakan forum koordinasi pemberdayaan koperasi. "
     "Berbagai hal telah pihaknya bahas."),
    # sentence-case teaser (ANTARA's), the next sentence opens with a function word
    ("Penyimpangan masih terjadi di lapangan. Baca juga: SMK bantu Kalteng ciptakan generasi milenial mandiri "
     "Adapun yang dilibatkan pada forum koordinasi tersebut, termasuk sebagian perwakilan koperasi.",
     "Penyimpangan masih terjadi di lapangan. Adapun yang dilibatkan pada forum koordinasi tersebut, "
     "termasuk sebagian perwakilan koperasi."),
    # a teaser that closes the paragraph
    ("Penyimpangan masih terjadi di lapangan. Baca juga: SMK bantu Kalteng ciptakan generasi milenial mandiri",
     "Penyimpangan masih terjadi di lapangan."),
    # the scrape already dropped the headline: the next sentence stays
    ("Kebugaran fisik harus diperhatikan.,,Baca juga:,,Selain itu, kecocokan dengan tim juga penting.",
     "Kebugaran fisik harus diperhatikan.,, ,,Selain itu, kecocokan dengan tim juga penting."),
])
def test_clean_drops_inline_teaser_headlines(raw, expected):
    assert clean(raw) == expected


def test_clean_drops_an_inline_ad_marker_with_its_full_stop():
    raw = "Koperasi Desa Merah Putih mulai beroperasi. ADVERTISEMENT. Anggota koperasi menyambut baik."
    assert clean(raw) == "Koperasi Desa Merah Putih mulai beroperasi. Anggota koperasi menyambut baik."
