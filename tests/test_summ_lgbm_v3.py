"""Issue 25, round 6: trained_lgbm.v3 (v2's sentence scores, then a rater of whole candidate summaries that
learned their ROUGE-1), on real IndoSum articles."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlpkg.config import load_config
from mlpkg.core.directory import load_model, write_manifest
from mlpkg.core.registry import resolve
from mlpkg.errors import DataError, ModelIntegrityError
from mlpkg.summarize.document import Document
from mlpkg.summarize.lgbm_category import CategoryLightGBMExtractor
from mlpkg.summarize.lgbm_rerank import RERANKER_FILE, RerankedLightGBMExtractor
from mlpkg.summarize.rerank import candidate_rouge1, candidates, subset_masks
from mlpkg.summarize.vectorized import Batch

pytest.importorskip("lightgbm")
ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "summary_trained.yaml"


def _fit_args(rows: pd.DataFrame) -> tuple[list, list, dict]:
    return ([list(s) for s in rows.sentences], [list(g) for g in rows.gold],
            {"paragraphs": [list(p) for p in rows.paragraph], "references": [list(r) for r in rows.summary],
             "categories": list(rows.category)})


@pytest.fixture(scope="module")
def model(indosum) -> RerankedLightGBMExtractor:
    docs, gold, extra = _fit_args(indosum[indosum.split == "train"].head(400))
    return RerankedLightGBMExtractor(n_estimators=80, rerank_rounds=60).fit(docs, gold, **extra)


@pytest.fixture(scope="module")
def test_rows(indosum) -> pd.DataFrame:
    return indosum[indosum.split == "test"].head(200)


def _as_v2(model: RerankedLightGBMExtractor, **params) -> CategoryLightGBMExtractor:
    """v2 with v3's fitted sentence scorer: v2's own rule for choosing, on the same scores."""
    v2 = CategoryLightGBMExtractor(**{k: v for k, v in {**model.get_params(), **params}.items()
                                      if k in CategoryLightGBMExtractor.params})
    v2.__dict__.update({k: v for k, v in vars(model).items() if k.endswith("_")})
    return v2


def _found(model, rows):
    batch = Batch(model.documents([list(s) for s in rows.sentences], paragraphs=[list(p) for p in rows.paragraph]))
    scores = model.score_batch(batch)
    found = candidates(batch, scores, model.probabilities(scores, batch.doc), top=model.rerank_top, low=2, high=5,
                       duplicate_threshold=model.duplicate_threshold)
    return batch, found


def test_trained_lgbm_v3_is_a_new_name_and_its_sets_draw_each_size_from_one_more_of_the_best():
    assert resolve("trained_lgbm.v3") is RerankedLightGBMExtractor
    assert resolve("trained_lgbm.v2") is CategoryLightGBMExtractor
    masks = subset_masks(5)
    sizes, last = masks.sum(axis=1), 4 - np.argmax(masks[:, ::-1], axis=1)
    assert (last <= sizes).all() and len({m.tobytes() for m in masks}) == len(masks)
    assert np.bincount(sizes).tolist() == [0, 2, 3, 4, 5, 1]  # s of the best s + 1: s + 1 sets, one of five


def test_candidate_rouge1_is_rouge_scores_rouge1_of_the_set(model, test_rows):
    from rouge_score import rouge_scorer

    batch, found = _found(model, test_rows.head(40))
    references = [list(r) for r in test_rows.head(40).summary]
    ours = candidate_rouge1(found, batch, references)
    scorer = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=False)
    for row in range(0, len(ours), 7):
        d, chosen = int(found.doc[row]), found.chosen[row]
        system = "\n".join(batch.sentences[i] for i in chosen[chosen >= 0])
        expected = scorer.score("\n".join(references[d]), system)["rouge1"].fmeasure
        assert ours[row] == pytest.approx(expected, abs=1e-12)


def test_trained_lgbm_v3_rates_unseen_summaries_by_their_rouge(model, test_rows):
    """On articles it never saw, the rater's favourite scores more ROUGE-1 than the average candidate, and a
    rating that rises with ROUGE-1 within the article."""
    batch, found = _found(model, test_rows)
    rouge = candidate_rouge1(found, batch, [list(r) for r in test_rows.summary])
    rating = model.rerank_trees_.decision_function(found.features)
    picked, mean, agree = [], [], []
    for d in range(len(batch)):
        rows = np.flatnonzero(found.doc == d)
        picked.append(rouge[rows[np.argmax(rating[rows])]])
        mean.append(rouge[rows].mean())
        if len(rows) > 2:
            agree.append(np.corrcoef(np.argsort(np.argsort(rating[rows])), np.argsort(np.argsort(rouge[rows])))[0, 1])
    assert np.mean(picked) > np.mean(mean) + 0.02
    assert np.nanmean(agree) > 0.3


def test_trained_lgbm_v3_summaries_are_candidate_sets_of_two_to_five_sentences(model, test_rows):
    docs = model.documents([list(s) for s in test_rows.sentences], paragraphs=[list(p) for p in test_rows.paragraph])
    chosen = model.choose(docs)
    v2 = _as_v2(model).choose(docs)  # v2's own rule on the same scores
    assert all(c == sorted(c) for c in chosen)
    assert all(min(2, (len(d) + 1) // 2) <= len(c) <= 5 for d, c in zip(docs, chosen))
    differ = sum(a != b for a, b in zip(chosen, v2))
    assert 0 < differ < len(docs)  # it chooses otherwise on some articles, not on all


def test_trained_lgbm_v3_never_takes_a_sentence_twice(model, test_rows):
    sentences = list(test_rows.sentences.iloc[0])
    doubled = [sentences[0], *sentences, sentences[0]]  # a scraped body that repeats its lead
    chosen = model.choose([Document.from_sentences(doubled)])[0]
    assert not {0, len(doubled) - 1} <= set(chosen) and not {0, 1} <= set(chosen)


def test_trained_lgbm_v3_with_mmr_or_a_budget_chooses_as_v2(model, test_rows):
    docs = model.documents([list(s) for s in test_rows.sentences.head(30)])
    for params in ({"mmr_lambda": 0.8}, {"max_words": 40}, {"auto_k": False, "k": 3}):
        other = RerankedLightGBMExtractor(**{**model.get_params(), **params})
        other.__dict__.update({k: v for k, v in vars(model).items() if k.endswith("_")})
        assert other.choose(docs) == _as_v2(model, **params).choose(docs)


def test_trained_lgbm_v3_round_trips_without_pickle_and_refuses_a_changed_rater(model, indosum, tmp_path):
    texts = list(indosum[indosum.split == "test"].text.head(8))
    summaries = model.summarize(texts)
    assert all(1 <= len(s) <= 5 for s in summaries)
    folder = model.save(tmp_path / "v3")
    listed = json.loads((folder / "manifest.json").read_text())["sha256"]
    assert {RERANKER_FILE, "model.txt", "category_reader.npz"} <= set(listed)
    assert not [p for p in folder.iterdir() if p.suffix in (".pkl", ".pickle", ".joblib")]
    loaded = load_model(folder)
    assert type(loaded) is RerankedLightGBMExtractor and loaded.summarize(texts) == summaries

    (folder / RERANKER_FILE).write_text((folder / "model.txt").read_text())  # the sentence trees in its place
    write_manifest(folder)  # hashed as if saved so: the loader itself must refuse it
    with pytest.raises(ModelIntegrityError, match=RERANKER_FILE):
        load_model(folder)
    meta = json.loads((folder / "mlpkg.json").read_text())
    meta["candidate_features"] = meta["candidate_features"][:-1]
    (folder / "mlpkg.json").write_text(json.dumps(meta))
    write_manifest(folder)
    with pytest.raises(ModelIntegrityError, match="summary rater was trained on other features"):
        load_model(folder)


def test_trained_lgbm_v3_refuses_to_fit_without_references_or_with_too_few_articles(indosum):
    docs, gold, extra = _fit_args(indosum[indosum.split == "train"].head(40))
    with pytest.raises(DataError, match="references="):
        RerankedLightGBMExtractor(n_estimators=5).fit(docs, gold, categories=extra["categories"])
    with pytest.raises(DataError, match="40 articles but 39 reference summaries"):
        RerankedLightGBMExtractor(n_estimators=5).fit(docs, gold, **{**extra, "references": extra["references"][:-1]})
    small = {**extra, "references": extra["references"][:6], "categories": ["olahraga", "teknologi"] * 3}
    with pytest.raises(DataError, match="at least 8 articles"):
        RerankedLightGBMExtractor(n_estimators=5).fit(docs[:6], gold[:6], **small)


def test_default_config_is_v3_and_trains_with_a_card_naming_the_rater(indosum, tmp_path):
    from mlpkg.summarize.training import train_summarizer

    assert load_config(CONFIG).model["name"] == "trained_lgbm.v3"
    rows = pd.concat([indosum[indosum.split == s].head(n) for s, n in (("train", 160), ("dev", 40), ("test", 30))])
    rows.to_parquet(tmp_path / "s.parquet")
    cfg = load_config(CONFIG, overrides=[f"data.path={tmp_path / 's.parquet'}", f"output_dir={tmp_path / 'm'}",
                                         "data.fold_field=null", "model.n_estimators=30", "model.rerank_rounds=20"])
    folder = Path(train_summarizer(cfg, log=lambda *_: None)["output_dir"])
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert RERANKER_FILE in card and "ROUGE-1" in card
    model = load_model(folder)
    assert type(model) is RerankedLightGBMExtractor and model.summarize(list(rows.text.tail(3)))
