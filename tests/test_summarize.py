"""Summarisers: the shared contract, raw text in and readable summaries out, lengths, duplicates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from summary_helpers import fit_extras

from mlpkg.core.directory import load_model
from mlpkg.core.registry import registered_names, resolve
from mlpkg.errors import DataError, NotFittedError, ParameterError
from mlpkg.summarize import Document, LeadSummarizer, TextRankSummarizer, TrainedExtractor
from mlpkg.summarize.mmr import jaccard
from mlpkg.summarize.vectorized import Batch, hash_words

HERE = Path(__file__).resolve().parent
ANTARA = HERE / "data" / "antara_koperasi_kalteng.txt"


def _summarizer_names() -> list[str]:
    # Summarisers built on a pretrained checkpoint (model_name_or_path) are tested in test_bert.py.
    return [n for n in registered_names()
            if getattr(resolve(n), "kind", "") == "summarizer" and "model_name_or_path" not in resolve(n).params]


NAMES = _summarizer_names()


@pytest.fixture(scope="module")
def indosum() -> pd.DataFrame:
    return pd.read_parquet(HERE.parent / "data" / "indosum.parquet")


@pytest.fixture(scope="module")
def train_rows(indosum) -> pd.DataFrame:
    return indosum[indosum["split"] == "train"].head(120)


@pytest.fixture(scope="module")
def test_rows(indosum) -> pd.DataFrame:
    return indosum[indosum["split"] == "test"].head(8)


@pytest.fixture(scope="module")
def fitted(train_rows):
    """One fitted summariser per registered name (the trained ones on 120 IndoSum articles)."""
    cache = {}

    def get(name: str, **params):
        key = (name, tuple(sorted(params.items())))
        if key not in cache:
            model = resolve(name)(**params)
            if model.needs_training:
                model.fit([list(s) for s in train_rows.sentences], [list(g) for g in train_rows.gold],
                          paragraphs=[list(p) for p in train_rows.paragraph], **fit_extras(model, train_rows))
            else:
                model.fit()
            cache[key] = model
        return cache[key]

    return get


def _fixed_k(name: str, k: int = 3) -> dict:
    """Parameters that ask for exactly k sentences (the trained extractor otherwise picks 2 to k)."""
    return {"k": k, "auto_k": False} if "auto_k" in resolve(name).params else {"k": k}


def test_every_builtin_summarizer_is_registered():
    assert {"lead.v1", "centroid.v1", "textrank.v1", "lexrank.v1", "trained_extractor.v1"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_contract_fit_summarize_save_load_round_trip(name, fitted, test_rows, tmp_path):
    model = fitted(name)
    texts = list(test_rows.text)
    summaries = model.summarize(texts)
    assert len(summaries) == len(texts) and all(isinstance(s, list) and s for s in summaries)
    assert model.summarize(texts[0]) == summaries[:1]  # one string is one article
    on_sentences = model.summarize_sentences([list(s) for s in test_rows.sentences],
                                             paragraphs=[list(p) for p in test_rows.paragraph])
    saved = model.save(tmp_path / name)
    loaded = load_model(saved)
    assert type(loaded) is type(model) and loaded.kind == "summarizer" and loaded.registered_name == name
    assert loaded.get_params() == model.get_params()
    assert loaded.summarize(texts) == summaries
    assert loaded.summarize_sentences([list(s) for s in test_rows.sentences],
                                      paragraphs=[list(p) for p in test_rows.paragraph]) == on_sentences


@pytest.mark.parametrize("name", NAMES)
def test_unfitted_summarizer_raises(name):
    with pytest.raises(NotFittedError, match="not fitted"):
        resolve(name)().summarize("Koperasi desa tumbuh pesat.")


@pytest.mark.parametrize("name", NAMES)
def test_antara_fixture_gives_three_distinct_sentences_without_teasers(name, fitted):
    title, body = ANTARA.read_text(encoding="utf-8").split("\n", 1)
    (summary,) = fitted(name, **_fixed_k(name)).summarize([body], [title])
    assert len(summary) == 3 and len(set(summary)) == 3
    assert not any("Baca juga" in s or "(ANTARA)" in s for s in summary)
    assert title not in summary
    words = [set(hash_words([s]).hashes.tolist()) for s in summary]
    assert all(jaccard(a, b) < 0.7 for i, a in enumerate(words) for b in words[i + 1:])


@pytest.mark.parametrize("name", NAMES)
def test_near_duplicates_are_never_repeated(name, fitted, test_rows):
    sentences = list(test_rows.sentences.iloc[0])
    # the body stored twice, the second copy lightly edited
    doubled = sentences + [s.replace(" .", " !").replace(",", "") for s in sentences]
    (summary,) = fitted(name, **_fixed_k(name, 5)).summarize_sentences([doubled])
    words = [set(hash_words([s]).hashes.tolist()) for s in summary]
    assert len(summary) == 5
    assert all(jaccard(a, b) < 0.7 for i, a in enumerate(words) for b in words[i + 1:])


@pytest.mark.parametrize("name", NAMES)
def test_empty_and_one_sentence_articles(name, fitted):
    model = fitted(name)
    one = "Koperasi Desa Merah Putih resmi diluncurkan di Kalimantan Tengah."
    assert model.summarize(["", "   \n ", "Baca juga: UMKM naik kelas", one]) == [[], [], [], [one]]
    assert model.summarize([]) == []
    assert model.summarize_sentences([[], [one]]) == [[], [one]]


@pytest.mark.parametrize("name", NAMES)
def test_length_options_are_respected(name, fitted, test_rows):
    texts = list(test_rows.text)
    for k in (1, 2):
        assert all(len(s) == k for s in fitted(name, **_fixed_k(name, k)).summarize(texts))
    docs = [Document.from_text(t) for t in texts]
    for doc, summary in zip(docs, fitted(name, ratio=0.3).summarize(texts)):
        assert len(summary) == int(np.ceil(0.3 * len(doc)))
    for summary in fitted(name, max_words=60).summarize(texts):
        assert 1 <= len(summary) and sum(len(hash_words([s]).hashes) for s in summary) <= 60


@pytest.mark.parametrize("name", NAMES)
def test_summary_keeps_document_order(name, fitted, test_rows):
    sentences = [list(s) for s in test_rows.sentences]
    for doc, summary in zip(sentences, fitted(name, **_fixed_k(name, 4)).summarize_sentences(sentences)):
        positions = [doc.index(s) for s in summary]
        assert positions == sorted(positions)


def test_a_budget_below_every_sentence_gives_the_best_sentence_alone():
    text = "Koperasi desa tumbuh pesat tahun ini. Anggota koperasi bertambah dua kali lipat."
    assert LeadSummarizer(max_words=3).fit().summarize(text) == [["Koperasi desa tumbuh pesat tahun ini."]]


def test_lead_is_the_first_sentences_after_cleaning():
    text = "Palangka Raya (ANTARA) - Koperasi tumbuh.\nBaca juga: UMKM naik kelas\nAnggota bertambah. Modal naik."
    assert LeadSummarizer(k=2).fit().summarize(text) == [["Koperasi tumbuh.", "Anggota bertambah."]]


def test_tokenised_text_is_detokenised_for_display(test_rows):
    tokenised = " ".join(test_rows.sentences.iloc[0])
    (summary,) = LeadSummarizer(k=2).fit().summarize(tokenised)
    assert not any(" ," in s or " ." in s or "( " in s for s in summary)


def test_mmr_penalises_sentences_similar_to_chosen_ones():
    sentences = ["Koperasi desa menyalurkan pinjaman modal usaha kepada anggota koperasi desa.",
                 "Koperasi desa menyalurkan pinjaman modal kepada para anggota koperasi di desa.",
                 "Pemerintah provinsi membangun sekolah baru di kabupaten."]
    plain = TextRankSummarizer(k=2, duplicate_threshold=1.0).fit().summarize_sentences([sentences])
    mmr = TextRankSummarizer(k=2, duplicate_threshold=1.0, mmr_lambda=0.3).fit().summarize_sentences([sentences])
    assert plain == [sentences[:2]]
    assert mmr == [[sentences[0], sentences[2]]]


def test_setting_both_max_words_and_ratio_is_rejected():
    with pytest.raises(ParameterError, match="set max_words or ratio, not both"):
        LeadSummarizer(max_words=50, ratio=0.2).fit()


@pytest.mark.parametrize("params, match", [({"k": 0}, "'k'.*>= 1"), ({"ratio": 1.5}, "'ratio'.*<= 1.0"),
                                           ({"mmr_lambda": "high"}, "'mmr_lambda'.*expected float"),
                                           ({"sentences": 3}, "'sentences'.*unknown parameter")])
def test_bad_parameters_name_the_parameter(params, match):
    with pytest.raises(ParameterError, match=match):
        LeadSummarizer().set_params(**params).fit()


@pytest.mark.parametrize("threshold", [0.0, 0, -0.1, 1.5])
def test_duplicate_threshold_zero_is_rejected_with_its_range(threshold):
    """Regression: duplicate_threshold 0.0 counted every sentence as a near-duplicate: one-sentence summaries."""
    with pytest.raises(ParameterError, match=r"'duplicate_threshold': must be > 0\.0 and <= 1\.0, got"):
        LeadSummarizer(k=3, duplicate_threshold=threshold).fit()
    sentences = ["Koperasi desa menyalurkan pupuk.", "Anggota koperasi bertambah.", "Modal koperasi naik tahun ini.",
                 "Pengurus koperasi melapor.", "Rapat anggota koperasi digelar.", "Koperasi membagi sisa hasil usaha."]
    summary = LeadSummarizer(k=3, duplicate_threshold=0.01).fit().summarize_sentences([sentences])
    assert summary == [sentences[:1]]  # the smallest overlap allowed: each later sentence shares "koperasi"
    assert LeadSummarizer(k=3, duplicate_threshold=1.0).fit().summarize_sentences([sentences]) == [sentences[:3]]


def test_loading_a_summariser_as_a_classifier_is_a_coded_error(tmp_path):
    from mlpkg.classify import TfidfClassifier
    from mlpkg.errors import ModelKindError

    LeadSummarizer(k=2).fit().save(tmp_path / "lead")
    with pytest.raises(ModelKindError, match=r"^\[E009\] .*lead holds a LeadSummarizer, not a TfidfClassifier"):
        TfidfClassifier.load(tmp_path / "lead")


def test_trained_extractor_fit_errors_name_the_article(train_rows):
    sentences = [list(s) for s in train_rows.sentences.head(3)]
    gold = [list(g) for g in train_rows.gold.head(3)]
    with pytest.raises(DataError, match="article 1: .* sentences but .* gold labels"):
        TrainedExtractor().fit(sentences, [gold[0], gold[1][:-1], gold[2]])
    with pytest.raises(DataError, match="both gold and non-gold"):
        TrainedExtractor().fit(sentences, [[False] * len(g) for g in gold])
    with pytest.raises(DataError, match="needs sentence lists and one gold label list"):
        TrainedExtractor().fit()


def test_logreg_head_round_trips(train_rows, test_rows, tmp_path):
    model = TrainedExtractor(head="logreg").fit([list(s) for s in train_rows.sentences],
                                                [list(g) for g in train_rows.gold])
    texts = list(test_rows.text)
    assert load_model(model.save(tmp_path / "logreg")).summarize(texts) == model.summarize(texts)


def test_batch_never_compares_sentences_of_different_articles(test_rows):
    docs = [Document.from_sentences(list(s)) for s in test_rows.sentences.head(3)]
    batch = Batch(docs)
    sim = batch.similarity.toarray()
    assert np.allclose(sim, sim.T) and np.all(np.diag(sim) == 0)
    for d in range(len(docs)):
        span = batch.span(d)
        outside = np.ones(batch.n, dtype=bool)
        outside[span] = False
        assert not sim[span][:, outside].any()
        assert np.array_equal(batch.similarity_row(span.start + 1), sim[span.start + 1, span])
