"""tfidf_lexicon_vectors_agencies.v1: agency names such as "Dinas Koperasi dan UKM" read as one token
(rule book v2, B4), so the "UKM" of an office's name stops counting as small-business evidence."""

from pathlib import Path

import numpy as np
import pytest

from mlpkg.classify.evidence import sentence_shares
from mlpkg.classify.tfidf_agencies import TfidfAgencyNamesClassifier
from mlpkg.classify.tfidf_vectors import TfidfLexiconVectorsClassifier
from mlpkg.config import load_config
from mlpkg.core.directory import load_model
from mlpkg.text.agencies import AGENCY_TOKEN, name_agencies
from mlpkg.text.normalize import article_text, normalize_for_features

HERE = Path(__file__).resolve().parent
TAGS = ["koperasi", "umkm", "pendidikan"]
# a Lampung cooperative story (koperasi only, read by v2) whose only "UKM" is the Dinas's name
COOPERATIVE_STORY = "bps_lampung_econ_2019_2025:83440663"


@pytest.fixture(scope="module")
def story(topics) -> str:
    row = topics[topics["id"] == COOPERATIVE_STORY].iloc[0]
    assert list(row["tags"]) == ["koperasi"]
    return article_text(row["title"], row["text"])


@pytest.fixture(scope="module")
def pair(topic_sample):
    """The default's model class and the agency-name one, fitted alike on the same rows."""
    lexicon = load_config(HERE.parent / "configs" / "topic_tfidf.yaml").model["lexicon"]
    texts = [article_text(t, b) for t, b in zip(topic_sample["title"], topic_sample["text"])]
    y = [list(t) for t in topic_sample["tags"]]
    return [cls(labels=TAGS, lexicon=lexicon, max_features_word=5000).fit(texts, y)
            for cls in (TfidfLexiconVectorsClassifier, TfidfAgencyNamesClassifier)]


@pytest.mark.parametrize("name", ["Dinas Koperasi dan UKM", "Kemenkop UKM", "LPDB-KUMKM", "Diskop UKM",
                                  "Kementerian Koperasi dan Usaha Kecil dan Menengah", "Deputi Bidang UKM",
                                  "Dinas Perindustrian, Perdagangan, Koperasi dan UMKM", "KemenkopUKM"])
def test_agency_names_become_one_token(name):
    assert name_agencies(normalize_for_features(f"Kepala {name} Lampung Selatan")) == \
        f"kepala {AGENCY_TOKEN} lampung selatan"


# spellings in data/topics.parquet that the names missed: the acronym after the spelled-out name, portfolios
# after the cooperative one, a deputy or section head, misspellings, Dindagkop UKM, LLP-KUKM
@pytest.mark.parametrize(("sentence", "form"), [
    ("Dinas Koperasi Usaha Mikro Kecil Menengah(UMKM) dan Perindustrian Kabupaten Lampung Utara(Lampura) "
     "mensosialisasikan", "instansikukm kabupaten lampung utara lampura mensosialisasikan"),
    ("Kepala Dinas Perindustrian, Perdagangan, Koperasi, Usaha Kecil dan Menengah (PPKUKM), Elisabeth Ratu Rante Allo",
     "kepala instansikukm elisabeth ratu rante allo"),
    ("oleh Kedeputian Bidang Restrukturisasi Usaha Kementerian Koperasi dan Usaha Kecil dan Menengah (KUKM), "
     "Direktorat Jenderal", "oleh kedeputian bidang restrukturisasi usaha instansikukm direktorat jenderal"),
    ("Dinas Koperasi, UKM dan Perdagangan akan memberikan kupon kepada pihak kecamatan",
     "instansikukm akan memberikan kupon kepada pihak kecamatan"),
    ("Hal itu dikatakan Kepala Dinas Koperasi, Usaha Mikro, Kecil, Menengah, dan Perindustrian (DKUP) Lampung Utara.",
     "hal itu dikatakan kepala instansikukm dkup lampung utara"),
    ("Kepala Dinas Koperasi, Industri, dan UMKM Kota Metro, Siti Aisyah mengatakan,",
     "kepala instansikukm kota metro siti aisyah mengatakan"),
    ("Dinas Koperasi, Perindustrian dan UMKM Kabupaten Lampung Utara mencatat jumlah koperasi di Lampung Utara",
     "instansikukm kabupaten lampung utara mencatat jumlah koperasi di lampung utara"),
    ("kata Asisten Deputi Bidang Koperasi dan UMKM, Herfan Brilianto Mursabdo beberapa waktu yang lalu.",
     "kata asisten instansikukm herfan brilianto mursabdo beberapa waktu yang lalu"),
    ("kata kepala seksi koperasi dan ukm suku dinas (sudin) ppkukm jakarta selatan edi margono",
     "kata instansikukm suku dinas sudin ppkukm jakarta selatan edi margono"),
    ("Kepala Dinas Koprasi, UMKM dan Perindustrian Kota Metro Siti Aisyah mengatakan,",
     "kepala instansikukm kota metro siti aisyah mengatakan"),
    ("Saya tanya tadi (ke Menteri Kooperasi dan UKM), sanggup atau tidak, dijawab sanggup tadi,",
     "saya tanya tadi ke instansikukm sanggup atau tidak dijawab sanggup tadi"),
    ("dinas perdagangan, koperasi dan usaha kecil menengah (dindagkop ukm) kabupaten blora memaparkan",
     "instansikukm instansikukm kabupaten blora memaparkan"),
    ("Rumah Desain yang dikelola oleh Lembaga Layanan Pemasaran Koperasi dan Usaha Kecil Menengah (LLP - KUKM) "
     "Kemenkop dan UKM.", "rumah desain yang dikelola oleh instansikukm instansikukm instansikukm"),
])
def test_agency_spellings_missed_in_data_become_one_token(sentence, form):
    assert name_agencies(normalize_for_features(sentence)) == form


def test_story_acronym_after_a_short_agency_name_is_kept():
    # only a spelled-out name is followed by its own acronym; after "Dinas Koperasi dan UKM" it is the story's
    form = normalize_for_features("Dinas Koperasi dan UKM, UMKM binaan dinas ikut bazar.")
    assert name_agencies(form) == f"{AGENCY_TOKEN} umkm binaan dinas ikut bazar"


def test_msme_words_outside_an_agency_name_are_kept():
    form = normalize_for_features("Pemprov Kalteng sinergikan program pusat dan daerah di bidang koperasi dan UMKM; "
                                  "pelaku UKM binaan dinas ikut bazar.")
    assert name_agencies(form) == form


def test_agency_name_gives_no_umkm_evidence_on_a_cooperative_story(pair, story):
    default, agencies = pair
    for model, expect_ukm in ((default, True), (agencies, False)):
        row = model._blocks([story], fit=False).toarray()[0]
        names = model._feature_names()
        umkm_lexicon = [row[i] for i, n in enumerate(names) if n.startswith("lexicon:umkm:")]
        assert bool(max(umkm_lexicon) > 0) is expect_ukm
        assert bool(row[model.word_vectorizer_.vocabulary_["ukm"]] > 0) is expect_ukm
    assert agencies._prepare([story])[0].count(AGENCY_TOKEN) == 2
    assert agencies.decision_function([story])[0, 1] < default.decision_function([story])[0, 1]


def test_agency_model_round_trips_and_its_evidence_stays_exact(pair, story, tmp_path):
    agencies = pair[1]
    agencies.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert type(loaded) is TfidfAgencyNamesClassifier
    assert np.array_equal(loaded.predict_proba([story]), agencies.predict_proba([story]))
    units, shares = sentence_shares(loaded, story)
    score = loaded.decision_function([story])[0] - loaded.intercept_
    assert np.allclose(shares.sum(axis=0), score, atol=0.05 * np.abs(score).max())
    assert any("Dinas Koperasi dan UKM" in u for u in units)  # sentences are shown as written, read as the token
