import json

import numpy as np
import pytest

from mlpkg.classify import Classifier, TfidfClassifier
from mlpkg.core.directory import load_model
from mlpkg.core.registry import registered_names, resolve
from mlpkg.errors import DataError, ModelIntegrityError, NotFittedError, ParameterError
from mlpkg.text.normalize import article_text

SMALL = {"word_ngrams": [1, 2], "char_ngrams": [3, 4], "max_features_word": 5000, "max_features_char": 5000}

# Every registered classifier must appear here with the parameters for a fast fit on CPU,
# or (for checkpoint-based models) in SEPARATELY_TESTED with the test file that covers it.
LEXICON = {"koperasi": ["koperasi", "ksp\\b", "simpan pinjam"], "umkm": ["umkm\\b", "usaha mikro"],
           "pendidikan": ["sekolah", "siswa", "guru\\b"]}
CONTRACT = {
    "tfidf_linear.v1": [dict(SMALL, head="logreg"), dict(SMALL, head="linear_svc"),
                        dict(SMALL, head="complement_nb")],
    "tfidf_lexicon.v1": [dict(SMALL, head="linear_svc", lexicon=LEXICON), dict(SMALL, head="logreg", lexicon={})],
    "tfidf_lexicon_vectors.v1": [dict(SMALL, head="linear_svc", lexicon=LEXICON)],
    "tfidf_lexicon_vectors_agencies.v1": [dict(SMALL, head="linear_svc", lexicon=LEXICON)],
}
SEPARATELY_TESTED = {"indobert_classifier.v1": "tests/test_bert.py"}


def _texts(df):
    return [article_text(t, b) for t, b in zip(df["title"], df["text"])]


def test_every_registered_classifier_is_under_contract():
    classifiers = {n for n in registered_names() if getattr(resolve(n), "kind", "") == "classifier"}
    assert classifiers <= set(CONTRACT) | set(SEPARATELY_TESTED)


@pytest.mark.parametrize("name, params", [(n, p) for n, ps in CONTRACT.items() for p in ps],
                         ids=lambda v: v if isinstance(v, str) else v.get("head", ""))
def test_classifier_contract(name, params, topic_sample, tmp_path):
    texts, y = _texts(topic_sample), [list(t) for t in topic_sample["tags"]]
    model = resolve(name)(**params)
    assert isinstance(model, Classifier)
    with pytest.raises(NotFittedError, match="not fitted"):
        model.predict(texts[:2])
    assert model.set_params(labels=["koperasi", "umkm", "pendidikan"]).fit(texts, y) is model
    proba = model.predict_proba(texts)
    assert proba.shape == (len(texts), 3) and ((proba >= 0) & (proba <= 1)).all()
    pred = model.predict(texts)
    assert pred.shape == (len(texts), 3) and set(np.unique(pred)) <= {0, 1}  # scikit-learn's indicator matrix
    assert model.binarize(model.predict_tags(texts)).tolist() == pred.tolist()
    truth = model.binarize(y)
    # fits its own training data far better than chance on every tag
    for j in range(3):
        got = pred[:, j]
        assert (got & truth[:, j]).sum() / max(truth[:, j].sum(), 1) > 0.6
    model.save(tmp_path / "m")
    again = load_model(tmp_path / "m")
    np.testing.assert_array_equal(again.predict_proba(texts), proba)
    np.testing.assert_array_equal(again.predict(texts), pred)


def test_single_label_categories_round_trip(tmp_path):
    import pandas as pd

    from tests.conftest import DATA

    cats = pd.read_parquet(DATA / "categories.parquet")
    train = cats.groupby("label").head(60)
    model = TfidfClassifier(**SMALL, head="linear_svc").fit(train["text"].tolist(), train["label"].tolist())
    assert not model.multi_label_ and sorted(model.classes_) == list(model.classes_)
    held = cats.drop(train.index).groupby("label").head(20)
    accuracy = np.mean(np.array(model.predict(held["text"].tolist())) == held["label"].to_numpy())
    assert accuracy > 0.7
    assert np.allclose(model.predict_proba(held["text"].tolist()).sum(axis=1), 1.0)
    model.save(tmp_path / "cat")
    np.testing.assert_array_equal(load_model(tmp_path / "cat").predict_proba(held["text"].tolist()),
                                  model.predict_proba(held["text"].tolist()))


@pytest.fixture(scope="module")
def fitted(topic_sample):
    texts, y = _texts(topic_sample), [list(t) for t in topic_sample["tags"]]
    return TfidfClassifier(**SMALL, labels=["koperasi", "umkm", "pendidikan"]).fit(texts, y)


def test_tags_real_indonesian_headlines(fitted):
    pred = fitted.predict_tags([
        "Kemenkop dorong koperasi simpan pinjam perbaiki tata kelola. Koperasi diminta transparan kepada anggota "
        "koperasi dan rapat anggota koperasi digelar rutin.",
        "Pemerintah menyiapkan kurikulum baru untuk siswa sekolah dasar, guru akan mendapat pelatihan mengajar.",
    ])
    assert "koperasi" in pred[0] and "pendidikan" in pred[1]


def test_tampered_weights_are_refused(fitted, tmp_path):
    fitted.save(tmp_path / "m")
    weights = tmp_path / "m" / "weights.npz"
    blob = bytearray(weights.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    weights.write_bytes(bytes(blob))
    with pytest.raises(ModelIntegrityError, match=r"weights\.npz does not match its sha256"):
        load_model(tmp_path / "m")


def test_edited_thresholds_in_metadata_are_refused(fitted, tmp_path):
    fitted.save(tmp_path / "m")
    meta = tmp_path / "m" / "mlpkg.json"
    data = json.loads(meta.read_text())
    data["thresholds"]["koperasi"] = 0.0
    meta.write_text(json.dumps(data))
    with pytest.raises(ModelIntegrityError, match="mlpkg.json does not match"):
        load_model(tmp_path / "m")


def test_missing_manifest_is_refused(fitted, tmp_path):
    fitted.save(tmp_path / "m")
    (tmp_path / "m" / "manifest.json").unlink()
    with pytest.raises(ModelIntegrityError, match="no manifest.json"):
        load_model(tmp_path / "m")


def test_model_directory_holds_no_pickle(fitted, tmp_path):
    fitted.save(tmp_path / "m")
    for path in (tmp_path / "m").iterdir():
        assert path.suffix in {".json", ".npz"}
    with np.load(tmp_path / "m" / "weights.npz", allow_pickle=False) as arrays:
        assert all(arrays[k].dtype != object for k in arrays.files)


def test_bad_parameter_fails_at_fit_naming_it():
    with pytest.raises(ParameterError, match=r"'head': must be one of"):
        TfidfClassifier(head="forest").fit(["a b"], [[]])
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'Cee'"):
        TfidfClassifier(Cee=1.0)
    with pytest.raises(ParameterError, match=r"'Cee': unknown parameter"):
        TfidfClassifier().set_params(Cee=1.0)


@pytest.mark.parametrize("ngrams", [[3, 1], ["a"], [1, 2, 3]])
def test_word_ngrams_out_of_order_or_not_ints_fail_at_fit_naming_them(ngrams):
    """Regression: [3, 1] died inside scikit-learn with a traceback; ['a'] raised a bare TypeError."""
    with pytest.raises(ParameterError, match=r"'word_ngrams': must be a list of 2 ints, each >= 1, in ascending order"):
        TfidfClassifier(word_ngrams=ngrams, char_ngrams=[]).fit(["koperasi desa", "sekolah dasar"], [["koperasi"], []])


def test_top_features_are_topic_words(fitted):
    top = {label: [f for f, _ in feats] for label, feats in fitted.top_features(40).items()}
    assert any("koperasi" in f for f in top["koperasi"])
    assert any(w in " ".join(top["pendidikan"]) for w in ("sekolah", "siswa", "pendidikan", "guru", "mahasiswa"))


def test_evaluate_command_scores_a_labelled_file(fitted, topic_sample, tmp_path, capsys):
    from mlpkg.cli import main
    from mlpkg.evaluate.saved_model import evaluate_model_dir

    fitted.save(tmp_path / "m")
    rows = topic_sample.head(80).assign(split=["a", "b"] * 40)[["id", "title", "text", "tags", "split"]]
    rows.to_parquet(tmp_path / "rows.parquet")
    result = evaluate_model_dir(str(tmp_path / "m"), str(tmp_path / "rows.parquet"), split="a",
                                output=str(tmp_path / "report"))
    part = rows[rows["split"] == "a"]
    expected = fitted.predict(_texts(part))
    got = result["metrics"]["per_label"]
    assert result["metrics"]["n"] == 40
    assert [got[label]["tp"] + got[label]["fp"] for label in fitted.classes_] == expected.sum(axis=0).tolist()
    assert (tmp_path / "report" / "report.html").exists() and (tmp_path / "report" / "metrics.json").exists()
    assert main(["evaluate", "--model", str(tmp_path / "m"), "--data", str(tmp_path / "rows.parquet"),
                 "--output", str(tmp_path / "cli")]) == 0
    printed = capsys.readouterr().out
    assert "macro avg" in printed and "|" not in printed and f"report: {tmp_path / 'cli' / 'report.html'}" in printed
    rows.assign(tags=[["ekonomi"]] * 80).to_parquet(tmp_path / "bad.parquet")
    assert main(["evaluate", "--model", str(tmp_path / "m"), "--data", str(tmp_path / "bad.parquet")]) == 2
    assert "row 1, field 'tags': unknown label 'ekonomi'" in capsys.readouterr().err


def test_predict_takes_title_and_text_records_and_scores_them_as_the_cli_joins_them(fitted, topic_sample):
    rows = topic_sample[topic_sample["title"].fillna("").str.len() > 20].head(5)
    records = [{"title": t, "text": b} for t, b in zip(rows["title"], rows["text"])]
    joined = fitted.predict_proba(_texts(rows))
    np.testing.assert_array_equal(fitted.predict_proba(records), joined)
    np.testing.assert_array_equal(fitted.predict_proba(rows["text"].tolist(), titles=rows["title"].tolist()), joined)
    assert fitted.predict_tags(records[0]) == fitted.predict_tags(_texts(rows.head(1)))
    assert not np.array_equal(fitted.predict_proba(rows["text"].tolist()), joined)  # a body alone scores differently


def test_a_record_without_text_is_refused_naming_the_article():
    from mlpkg.classify.classifier import article_inputs

    with pytest.raises(DataError, match=r"article 2: a record needs a 'text' string; got keys \['isi', 'title'\]"):
        article_inputs([{"text": "Koperasi tumbuh."}, {"title": "Koperasi", "isi": "Koperasi tumbuh."}])
    with pytest.raises(DataError, match="got 1 articles but 2 titles"):
        article_inputs(["Koperasi tumbuh."], titles=["a", "b"])
