"""What the tagger is measured against besides F1: reader agreement and keyword-free recall; and the
evidence sentences `mlpkg tag --evidence` writes (each sentence's share of a linear model's score)."""

import json
from pathlib import Path

import numpy as np
import pytest

from mlpkg.classify import TfidfLexiconClassifier
from mlpkg.classify.evidence import evidence, sentence_shares
from mlpkg.cli import main as cli_main
from mlpkg.config import load_config
from mlpkg.errors import ConfigError, DataError
from mlpkg.evaluate.agreement import (
    against_readers,
    agreement_table,
    keyword_free_recall,
    keyword_free_rows,
    read_agreement,
)
from mlpkg.text.normalize import article_text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TAGS = ["koperasi", "umkm", "pendidikan"]
CORE = {"umkm": ["umkm", "ukm", "usaha (?:mikro|kecil|menengah)"], "koperasi": ["koperasi", "kopdes"]}


def test_keyword_free_rows_mark_positives_without_the_tags_own_words():
    texts = ["Perajin tenun ikat di Sikka menjual kain ke wisatawan, omzetnya naik saat musim libur.",
             "Pelaku UMKM di Bantul mendapat pelatihan pemasaran digital dari dinas.",
             "Koperasi Desa Merah Putih diluncurkan presiden di Klaten."]
    free = keyword_free_rows(texts, CORE, TAGS)
    assert free[:, TAGS.index("umkm")].tolist() == [True, False, True]
    assert free[:, TAGS.index("koperasi")].tolist() == [True, True, False]
    assert not free[:, TAGS.index("pendidikan")].any()  # no core terms: no keyword-free measure


def test_keyword_free_recall_counts_only_scored_positives_without_core_terms():
    Y = np.array([[0, 1, 0], [0, 1, 0], [0, 1, 0], [1, 0, 0]])
    pred = np.array([[0, 1, 0], [0, 0, 0], [0, 1, 0], [1, 0, 0]])
    free = np.array([[True, True, False], [False, True, False], [False, False, False], [False, True, False]])
    out = keyword_free_recall(Y, pred, free, TAGS)
    assert out["umkm"] == {"positives": 2, "found": 1, "recall": 0.5}
    assert "pendidikan" not in out and out["koperasi"]["positives"] == 0 and out["koperasi"]["recall"] is None
    unscored = keyword_free_recall(Y, pred, free, TAGS, scored=np.array([True, False, True, True]))
    assert unscored["umkm"] == {"positives": 1, "found": 1, "recall": 1.0}


def test_reader_agreement_is_the_f1_of_one_blind_reading_against_the_other(tmp_path):
    rows = [("a", 1, ["umkm"]), ("a", 2, ["umkm"]), ("b", 1, ["umkm"]), ("b", 2, []),
            ("c", 1, ["pendidikan"]), ("c", 2, ["pendidikan"]), ("d", 1, []), ("e", 1, ["umkm"])]
    path = tmp_path / "agreement.jsonl"
    path.write_text("".join(json.dumps({"id": i, "reading": r, "tags": t}) + "\n" for i, r, t in rows))
    out = read_agreement(path, TAGS)
    assert out["articles"] == 3  # d and e were read once: not counted
    assert out["per_label"]["umkm"] == {"f1": round(2 / 3, 4), "both": 1, "only_1": 1, "only_2": 0}
    assert out["per_label"]["pendidikan"]["f1"] == 1.0 and out["per_label"]["koperasi"]["f1"] is None
    path.write_text('{"id": "a", "tags": []}\n')
    with pytest.raises(DataError, match=r"line 1: expected a JSON object with id, reading"):
        read_agreement(path, TAGS)


def test_the_model_is_scored_against_each_reading_on_the_same_articles_it_held_out():
    first = np.array([[0, 1, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]])
    second = np.array([[0, 1, 0], [0, 0, 0], [0, 0, 1], [0, 0, 1]])
    pred = np.array([[1, 1, 1], [0, 1, 0], [0, 1, 0], [0, 0, 1], [0, 1, 0]])  # row 0 was not read twice
    rows = np.array([1, 2, 3, 4])
    out = against_readers(pred, rows, first, second, TAGS)
    assert out["articles"] == 4 and out["per_label"]["koperasi"]["mean"] is None
    assert out["per_label"]["umkm"] == {"reading_1": 0.8, "reading_2": 0.5, "mean": 0.65}
    assert out["per_label"]["pendidikan"] == {"reading_1": 1.0, "reading_2": 0.6667, "mean": 0.8333}
    held_out = against_readers(pred, rows, first, second, TAGS, scored=np.array([True] * 4 + [False]))
    assert held_out["articles"] == 3 and held_out["per_label"]["umkm"]["reading_1"] == 1.0
    agreement = {"articles": 4, "per_label": {"koperasi": {"f1": None}, "umkm": {"f1": 0.667},
                                              "pendidikan": {"f1": 0.8}}}
    model = {"pooled": {"per_label": {t: {"f1": 0.9} for t in TAGS}}}
    table = agreement_table(agreement, model, None, "t", against=out)
    assert "model vs the readings (same 4)" in table and "gap (same articles)" in table
    umkm_row = next(line for line in table.splitlines() if line.startswith("umkm"))
    assert umkm_row.split()[1:] == ["0.900", "0.667", "0.650", "-0.017"]  # the gap is of the same articles


def test_core_terms_of_a_tag_outside_the_label_set_fail_at_config_load_naming_the_key():
    with pytest.raises(ConfigError, match=r"evaluation\.core_terms\.pertanian: 'pertanian' is not a tag"):
        load_config(ROOT / "configs" / "topic_tfidf.yaml", ["evaluation.core_terms.pertanian=['petani']"])
    with pytest.raises(ConfigError, match=r"evaluation\.core_terms\.umkm: '\(ukm' is not a valid regular"):
        load_config(ROOT / "configs" / "topic_tfidf.yaml", ["evaluation.core_terms.umkm=['(ukm']"])


@pytest.fixture(scope="module")
def lexicon_model(topic_sample):
    cfg = load_config(ROOT / "configs" / "topic_tfidf.yaml")
    texts = [article_text(t, b) for t, b in zip(topic_sample["title"], topic_sample["text"])]
    model = TfidfLexiconClassifier(lexicon=cfg.model["lexicon"], lexicon_weight=0.5, C=1.0,
                                   max_features_word=20000)
    return model.set_params(labels=TAGS).fit(texts, [list(t) for t in topic_sample["tags"]])


def test_sentence_shares_add_up_to_the_score_less_the_intercept(lexicon_model):
    text = (HERE / "data" / "antara_koperasi_kalteng.txt").read_text(encoding="utf-8")
    units, shares = sentence_shares(lexicon_model, text)
    assert units[0].startswith("Penguatan peran koperasi")  # the title is a unit of its own
    score = lexicon_model.decision_function([text])[0] - lexicon_model.intercept_
    # exact but for the n-grams across two sentences, which belong to neither
    assert np.allclose(shares.sum(axis=0), score, atol=0.05 * np.abs(score).max())


def test_tag_evidence_names_the_cooperative_forum_sentence_for_koperasi(lexicon_model, tmp_path):
    title, body = (HERE / "data" / "antara_koperasi_kalteng.txt").read_text(encoding="utf-8").split("\n", 1)
    (top, *_), = [e["koperasi"] for e in evidence(lexicon_model, [article_text(title, body)], [["koperasi"]])]
    assert "forum koordinasi pemberdayaan koperasi" in top or top == title
    model_dir = tmp_path / "model"
    lexicon_model.save(model_dir)
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(json.dumps({"id": "antara", "title": title, "text": body}) + "\n", encoding="utf-8")
    assert cli_main(["tag", "--model", str(model_dir), "--input", str(src), "--output", str(out),
                     "--evidence", "--workers", "1", "--progress", "none"]) == 0
    row = json.loads(out.read_text(encoding="utf-8"))
    assert "koperasi" in row["tags"] and set(row["evidence"]) == set(row["tags"])
    assert any("forum koordinasi pemberdayaan koperasi" in s for s in row["evidence"]["koperasi"])
    assert all(s in title + "\n" + body for s in row["evidence"]["koperasi"])


def test_tag_evidence_is_refused_for_csv_output(lexicon_model, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": "Koperasi desa diluncurkan di Klaten."}) + "\n")
    lexicon_model.save(tmp_path / "model")
    assert cli_main(["tag", "--model", str(tmp_path / "model"), "--input", str(src), "--output",
                     str(tmp_path / "out.csv"), "--evidence"]) == 2


def test_word_vectors_are_rebuilt_alike_and_put_a_topic_near_its_everyday_words(topics):
    from mlpkg.data.vectors import nearest, train_vectors
    from mlpkg.text.normalize import normalize_for_features

    rows = topics[topics["tags"].map(lambda t: "umkm" in t or "pendidikan" in t)].head(400)
    sentences = [normalize_for_features(f"{t}\n{b}").split() for t, b in zip(rows["title"], rows["text"])]
    words, vectors = train_vectors(sentences, dimensions=32, most_common=3000)
    again, vectors_again = train_vectors(sentences, dimensions=32, most_common=3000)
    assert words.tolist() == again.tolist() and np.array_equal(vectors, vectors_again)  # one thread, fixed hash
    assert vectors.dtype == np.float16 and np.allclose(np.linalg.norm(vectors.astype(np.float32), axis=1), 1, atol=1e-2)
    near_school = [w for w, _ in nearest(words.tolist(), vectors.astype(np.float32), ["guru"], 25)]
    near_business = [w for w, _ in nearest(words.tolist(), vectors.astype(np.float32), ["umkm"], 25)]
    # a 32-dimension model of 400 articles: its nearest words move with the sample, but stay school words
    school = {"siswa", "sekolah", "murid", "pendidikan", "pelajar", "mahasiswa", "didik", "ujian", "beasiswa", "kelas"}
    assert len(school & set(near_school)) >= 2
    assert not {"siswa", "sekolah", "murid"} & set(near_business)


def test_vectors_tagger_round_trips_with_the_vectors_of_its_own_vocabulary(topic_sample, tmp_path):
    from mlpkg.classify.tfidf_vectors import TfidfLexiconVectorsClassifier
    from mlpkg.core.directory import load_model

    cfg = load_config(ROOT / "configs" / "topic_tfidf.yaml")
    texts = [article_text(t, b) for t, b in zip(topic_sample["title"], topic_sample["text"])]
    model = TfidfLexiconVectorsClassifier(lexicon=cfg.model["lexicon"], word_vectors="data/word_vectors.npz",
                                          max_features_word=5000)
    model.set_params(labels=TAGS).fit(texts, [list(t) for t in topic_sample["tags"]])
    assert model.coef_.shape[1] == 5000 + 4 * 3 + model.vector_values_.shape[1]
    model.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert np.array_equal(loaded.predict_proba(texts[:20]), model.predict_proba(texts[:20]))
    assert loaded.vector_values_.shape == (len(loaded.vector_rows_), 100)
    # its evidence is exact too: the mean-vector columns are linear in the word features once their norm is set
    text = (HERE / "data" / "antara_koperasi_kalteng.txt").read_text(encoding="utf-8")
    _, shares = sentence_shares(loaded, text)
    score = loaded.decision_function([text])[0] - loaded.intercept_
    assert np.allclose(shares.sum(axis=0), score, atol=0.05 * np.abs(score).max())
