"""Issue 25: the LightGBM extractor (trained_lgbm.v1): graded relevance, content features, LightGBM's
text dump, the references reaching fit from a config, the trees walked as arrays."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlpkg.config import load_config
from mlpkg.core.directory import load_model
from mlpkg.core.registry import resolve
from mlpkg.errors import ModelIntegrityError
from mlpkg.summarize import Document, TrainedExtractor
from mlpkg.summarize.content_features import CONTENT_FEATURE_NAMES, SPEECH_VERBS, content_features
from mlpkg.summarize.lgbm_extractor import MODEL_FILE, LightGBMExtractor
from mlpkg.summarize.relevance import relevance_grades
from mlpkg.summarize.vectorized import Batch

pytest.importorskip("lightgbm")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def train(indosum) -> pd.DataFrame:
    return indosum[indosum.split == "train"].head(150)


@pytest.fixture(scope="module")
def ranker(train) -> LightGBMExtractor:
    return LightGBMExtractor(objective="lambdarank").fit(
        [list(s) for s in train.sentences], [list(g) for g in train.gold],
        paragraphs=[list(p) for p in train.paragraph], references=[list(r) for r in train.summary])


@pytest.mark.parametrize("objective", ["binary", "lambdarank"])
def test_lightgbm_trees_walked_as_arrays_score_as_lightgbm_predicts(train, objective):
    docs = [list(s) for s in train.sentences]
    model = LightGBMExtractor(objective=objective).fit(docs, [list(g) for g in train.gold],
                                                      references=[list(r) for r in train.summary])
    X = model._features(model.documents(docs))
    np.testing.assert_allclose(model.trees_.decision_function(X), model.booster_.predict(X, raw_score=True),
                               rtol=0, atol=1e-9)


def test_trained_lgbm_is_a_new_name_beside_the_unchanged_extractor():
    assert resolve("trained_lgbm.v1") is LightGBMExtractor and LightGBMExtractor().objective == "binary"
    assert resolve("trained_extractor.v1") is TrainedExtractor
    assert LightGBMExtractor.uses_references and not TrainedExtractor.uses_references


def test_relevance_grades_come_from_gold_flags_and_the_reference(train):
    sentences, gold, summary = (list(train.iloc[0][c]) for c in ("sentences", "gold", "summary"))
    (grades,) = relevance_grades([sentences], [gold], [summary])
    flags = np.asarray(gold, dtype=bool)
    assert set(grades[flags]) <= {2, 3} and set(grades[~flags]) <= {0, 1}
    # a reference made of two of the article's sentences: those two get the "copied" point, gold or not
    (copied,) = relevance_grades([sentences], [gold], [[sentences[1], sentences[3]]])
    assert copied[1] in (1, 3) and copied[3] in (1, 3) and (copied - 2 * flags).sum() >= 2
    (without,) = relevance_grades([sentences], [gold], None)
    assert without.tolist() == (2 * flags).tolist()


def _words(sentence: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[^\W_]+", sentence)]


def test_content_features_see_the_title_numbers_and_speech(indosum):
    # an article whose first sentence shares a number with a later one; the first sentence is its title
    sentences = next(list(s) for s in indosum.sentences
                     if {w for w in _words(s[0]) if w.isdigit()} & {w for x in s[1:] for w in _words(x) if w.isdigit()})
    speech = next(s for sents in indosum.sentences for s in sents if " kata " in f" {s} ")
    title = sentences[0]
    docs = [Document.from_sentences([*sentences[1:], speech], title=title)]
    features = dict(zip(CONTENT_FEATURE_NAMES, content_features(Batch(docs)).T))
    sentences = docs[0].sentences
    assert features["speech_verb"].astype(bool).tolist() == [any(w in SPEECH_VERBS for w in _words(s))
                                                             for s in sentences]
    assert features["speech_verb"][-1] == 1.0
    in_title = set(_words(title))
    shared = [sum(w.isdigit() and w in in_title for w in _words(s)) for s in sentences]
    assert features["title_numbers"].tolist() == shared and any(shared)
    assert np.all((features["rest_cosine"] >= 0) & (features["rest_cosine"] <= 1 + 1e-9))


def test_trained_lgbm_saves_lightgbm_text_dump_and_round_trips(ranker, indosum, tmp_path):
    texts = list(indosum[indosum.split == "test"].text.head(6))
    folder = ranker.save(tmp_path / "rank")
    dump = (folder / MODEL_FILE).read_text(encoding="utf-8")
    assert dump.startswith("tree\n") and "objective=lambdarank" in dump
    listed = json.loads((folder / "manifest.json").read_text())["sha256"]
    assert MODEL_FILE in listed and not [p for p in folder.iterdir() if p.suffix in (".pkl", ".pickle", ".joblib")]
    assert load_model(folder).summarize(texts) == ranker.summarize(texts)


def test_trained_lgbm_refuses_a_dump_of_other_features(ranker, tmp_path):
    folder = ranker.save(tmp_path / "rank")
    meta = json.loads((folder / "mlpkg.json").read_text())
    meta["params"]["content_features"] = False  # the dump has the content columns, the settings say none
    (folder / "mlpkg.json").write_text(json.dumps(meta))
    from mlpkg.core.directory import write_manifest

    write_manifest(folder)
    with pytest.raises(ModelIntegrityError, match="features"):
        load_model(folder)


def test_trained_lgbm_config_passes_the_reference_summaries_to_fit(monkeypatch, tmp_path):
    from mlpkg.summarize import training

    seen = {}
    original = LightGBMExtractor.fit

    def spy(self, *args, references=None, **kwargs):
        seen["references"] = references
        return original(self, *args, references=references, **kwargs)

    monkeypatch.setattr(LightGBMExtractor, "fit", spy)
    cfg = load_config(ROOT / "configs" / "summary_trained.yaml")
    data = training._load(cfg, "train").subset(range(60))
    training._fit(training._new_model(cfg), data)
    assert seen["references"] == data.references and len(seen["references"]) == 60


def test_score_choices_reports_the_share_of_lead_only_summaries(indosum):
    from mlpkg.summarize.evaluation import SummaryData, score_choices

    rows = indosum.head(4)
    data = SummaryData(ids=list(rows.id), texts=list(rows.text), titles=[None] * 4,
                       references=[list(r) for r in rows.summary], sentences=[list(s) for s in rows.sentences],
                       gold=[list(g) for g in rows.gold])
    # the first two; the first three; sentences 0 and 2; the second only: two of four are the lead
    assert score_choices(data, [[0, 1], [0, 1, 2], [0, 2], [1]])["lead_share"] == 50.0


def test_trained_lgbm_refuses_a_dump_that_is_not_lightgbm(ranker, tmp_path):
    from mlpkg.core.directory import write_manifest

    folder = ranker.save(tmp_path / "rank")
    (folder / MODEL_FILE).write_text("tree\nversion=v4\nnot a model\n", encoding="utf-8")
    write_manifest(folder)  # hashed as if saved so: the loader itself must refuse it
    with pytest.raises(ModelIntegrityError, match="not a LightGBM model dump"):
        load_model(folder)
