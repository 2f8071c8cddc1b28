"""Every summariser on the same IndoSum articles: ROUGE (both scales), gold F1 and speed.

    HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 nice -n 10 python benchmarks/summarizers.py [--limit N]

On data/indosum.parquet (IndoSum dev folds 1-4, deduplicated by id), in one run:

- LEAD-3 and the extractive ORACLE (the first three gold sentences);
- our centroid, TextRank and LexRank (and TextRank with MMR), unsupervised;
- our trained extractor by fold rotation: trained on three folds, tested on the fourth, for each
  fold; with its per-article sentence count (``auto_k``), with a fixed top 3, and with the
  logistic-regression head;
- the LightGBM extractor (``trained_lgbm.v1``: content features, a classifier) on the same rotated
  folds, and its ablations: a fixed top 3, MMR, without the content features, and learning to rank
  instead (lambdarank on ROUGE-gain grades or on gold flags, rank_xendcg);
- the levers of issue 25 that did not win (benchmarks/summary_levers.py): in-domain word-vector
  features, hook features (questions, the reader addressed), a second stage on out-of-fold scores in
  their article's context, up to six sentences (and both), the article's key terms and topic-lexicon
  hits, the lead's habits (length, dateline, repeated by the second sentence), IndoSum's source and
  category fields (an upper bound: raw text has neither) and the category read from the text;
- ``trained_lgbm.v2``: v1 plus the category read from the text by a linear model on the words the
  batch already hashed (learned from IndoSum's ``category`` field), with up to five and up to six
  sentences;
- ``trained_lgbm.v3``: v2's sentence scores, then a LightGBM regressor that rates candidate
  summaries (sets of the best sentences) by the ROUGE-1 they should score, learned on out-of-fold
  scores of the training articles; with up to five sentences and with up to six (the six best);
- where the reference skips the first sentence: its share by source, category, dateline and length;
- sumy's LexRank, TextRank and LSA, fed the same sentences (words split at spaces, Sastrawi's stop
  words, three sentences).

Each runs on IndoSum's own tokenised sentences; ours also on the raw text through our cleaning and
sentence splitting. Speed is articles per CPU second of the summariser call alone (data loading
and ROUGE excluded), so other processes on the machine do not inflate it. Writes
benchmarks/results/summarizers.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from summary_levers import (  # noqa: E402
    HookFeatureExtractor,
    KeyTermExtractor,
    LeadFeatureExtractor,
    OutletExtractor,
    PredictedCategoryExtractor,
    PredictedOutletExtractor,
    StackedCategoryExtractor,
    StackedExtractor,
    VectorFeatureExtractor,
    lead_skip_rates,
    outlets_by_first_sentence,
)

from mlpkg.summarize import (  # noqa: E402
    CentroidSummarizer,
    LeadSummarizer,
    LexRankSummarizer,
    TextRankSummarizer,
    TrainedExtractor,
)
from mlpkg.summarize.evaluation import (  # noqa: E402
    SummaryData,
    format_summary_table,
    load_summary_data,
    oracle_choices,
    score_choices,
    score_summaries,
)
from mlpkg.summarize.lgbm_category import CategoryLightGBMExtractor  # noqa: E402
from mlpkg.summarize.lgbm_extractor import LightGBMExtractor  # noqa: E402
from mlpkg.summarize.lgbm_rerank import RerankedLightGBMExtractor  # noqa: E402
from mlpkg.text.lexicon import stopwords  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
DATA = "data/indosum.parquet"
PUBLISHED = {"IndoBERT extractor (published)": (69.93, 62.86, 69.21)}
LEAD3_EXPECTED = (65.9, 59.2, 65.1)
TRAINED = "trained_extractor.v1 (auto k, 2-5)"
LGBM = "trained_lgbm.v1 (classifier, content features, auto k)"
STACKED_6 = "trained_lgbm.v1, second stage on out-of-fold scores (auto k, 2-6)"
OUTLET = "trained_lgbm.v1 + IndoSum source and category (upper bound)"
PREDICTED = "trained_lgbm.v1 + category read from the text"
STACKED_CATEGORY_6 = "trained_lgbm.v1, second stage + category read from the text (auto k, 2-6)"
ROUND4 = (STACKED_6, "trained_lgbm.v1 + key-term features", "trained_lgbm.v1 + lead features", OUTLET, PREDICTED,
          STACKED_CATEGORY_6)
V2 = "trained_lgbm.v2 (category read from the text, auto k, 2-5)"
V2_6 = "trained_lgbm.v2 (auto k, 2-6)"
V3 = "trained_lgbm.v3 (v2 scores, summary rater, 2-5)"
V3_6 = "trained_lgbm.v3 (2-6 of the best six)"
LGBM_AIM = (71.8, 2000.0)  # issue 25: ROUGE-1 and articles per CPU second on pre-split sentences


def run_ours(model, data: SummaryData, raw: bool = True) -> dict:
    docs = model.documents(data.sentences, data.titles, data.paragraphs)
    start = time.process_time()
    chosen = model.choose(docs)
    out = {"sentences": score_choices(data, chosen, time.process_time() - start)}
    if raw:
        start = time.process_time()
        system = model.summarize(data.texts, data.titles)
        out["text"] = score_summaries(data, system, time.process_time() - start)
    return out


def with_params(model, **params):
    """A copy of a fitted model with other selection parameters (what it learned is shared)."""
    clone = type(model)(**{**model.get_params(), **params})
    clone.__dict__.update({k: v for k, v in vars(model).items() if k.endswith("_")})
    return clone


LEARNERS = {  # what each fold's model learns: (class, parameters); the variants below share them
    "gbdt": (TrainedExtractor, {}),
    "logreg": (TrainedExtractor, {"head": "logreg"}),
    "lgbm": (LightGBMExtractor, {}),
    "lgbm_position": (LightGBMExtractor, {"content_features": False}),
    "lgbm_lambdarank": (LightGBMExtractor, {"objective": "lambdarank"}),
    "lgbm_lambdarank_gold": (LightGBMExtractor, {"objective": "lambdarank", "relevance": "gold"}),
    "lgbm_xendcg": (LightGBMExtractor, {"objective": "rank_xendcg"}),
    "lgbm_vectors": (VectorFeatureExtractor, {}),
    "lgbm_hooks": (HookFeatureExtractor, {}),
    "lgbm_stacked": (StackedExtractor, {}),
    "lgbm_key_terms": (KeyTermExtractor, {}),
    "lgbm_lead": (LeadFeatureExtractor, {}),
    "lgbm_outlet": (OutletExtractor, {}),
    "lgbm_predicted_category": (PredictedCategoryExtractor, {}),
    "lgbm_predicted_outlet": (PredictedOutletExtractor, {}),
    "lgbm_stacked_category": (StackedCategoryExtractor, {}),
    "lgbm_v2": (CategoryLightGBMExtractor, {}),
    "lgbm_v3": (RerankedLightGBMExtractor, {}),
    "lgbm_v3_6": (RerankedLightGBMExtractor, {"k": 6, "rerank_top": 6}),
}


def fit_learner(key: str, train: SummaryData):
    cls, params = LEARNERS[key]
    extra = {"references": train.references} if cls.uses_references else {}
    if cls.uses_categories:
        extra["categories"] = train.categories
    return cls(**params).fit(train.sentences, train.gold, titles=train.titles, paragraphs=train.paragraphs, **extra)


def run_rotation(data: SummaryData, variants: dict[str, tuple[str, dict]], raw_for: set[str],
                 per_fold: set[str]) -> dict[str, dict]:
    """Train on three folds, test on the fourth, for each fold; score every variant on all articles.

    A variant is a learner of ``LEARNERS`` and selection parameters for its fitted model; the
    variants of ``per_fold`` (and of ``raw_for``) also get their ROUGE-1 per test fold.
    """
    picks = {name: [None] * len(data) for name in variants}
    texts = {name: [None] * len(data) for name in raw_for}
    cpu = dict.fromkeys(variants, 0.0)
    cpu_raw = dict.fromkeys(raw_for, 0.0)
    for fold in sorted(set(data.folds)):
        test_rows = [i for i, f in enumerate(data.folds) if f == fold]
        train = data.subset([i for i, f in enumerate(data.folds) if f != fold])
        test = data.subset(test_rows)
        fitted = {}
        for name, (learner, params) in variants.items():
            if learner not in fitted:
                fitted[learner] = fit_learner(learner, train)
            model = with_params(fitted[learner], **params)
            docs = model.documents(test.sentences, test.titles, test.paragraphs)
            start = time.process_time()
            chosen = model.choose(docs)
            cpu[name] += time.process_time() - start
            for i, c in zip(test_rows, chosen):
                picks[name][i] = c
            if name in raw_for:
                start = time.process_time()
                summaries = model.summarize(test.texts, test.titles)
                cpu_raw[name] += time.process_time() - start
                for i, summary in zip(test_rows, summaries):
                    texts[name][i] = summary
        print(f"fold {fold}: trained and scored", flush=True)
    out = {}
    for name in variants:
        out[name] = {"sentences": score_choices(data, picks[name], cpu[name])}
        if name in raw_for:
            out[name]["text"] = score_summaries(data, texts[name], cpu_raw[name])
        if name in raw_for | per_fold:
            rows = {fold: [i for i, f in enumerate(data.folds) if f == fold] for fold in sorted(set(data.folds))}
            out[name]["sentences"]["rouge1_per_fold"] = {
                str(fold): score_choices(data.subset(r), [picks[name][i] for i in r])["rouge1"]
                for fold, r in rows.items()}
    return out


class _SpaceWords:
    """A sumy tokenizer for sentences already split: words are the space-separated tokens."""

    language = "indonesian"
    _WORD = re.compile(r"^[^\W\d_](?:[^\W\d_]|['-])*$")

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(w for w in sentence.split() if self._WORD.match(w))


def run_sumy(data: SummaryData) -> dict[str, dict]:
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
    from sumy.nlp.stemmers import null_stemmer
    from sumy.summarizers.lex_rank import LexRankSummarizer as SumyLexRank
    from sumy.summarizers.lsa import LsaSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer as SumyTextRank

    tokenizer = _SpaceWords()
    out = {}
    for name, cls in (("sumy LexRank", SumyLexRank), ("sumy TextRank", SumyTextRank), ("sumy LSA", LsaSummarizer)):
        summarizer = cls(null_stemmer)
        summarizer.stop_words = stopwords()
        start = time.process_time()
        chosen = []
        for sentences in data.sentences:
            document = ObjectDocumentModel([Paragraph([Sentence(s, tokenizer) for s in sentences])])
            picked = {str(s) for s in summarizer(document, 3)}
            chosen.append([i for i, s in enumerate(sentences) if s.strip() in picked])
        out[name] = {"sentences": score_choices(data, chosen, time.process_time() - start)}
        print(f"{name}: done", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, help="only the first N articles (a quick check; not for the record)")
    args = parser.parse_args(argv)
    data = load_summary_data(DATA, fold_field="fold", title_field=None, category_field="category")
    OutletExtractor.outlets = PredictedCategoryExtractor.outlets = outlets_by_first_sentence(DATA)  # subclasses too
    if args.limit:
        data = data.subset(range(min(args.limit, len(data))))
    started = time.time()
    load_before = os.getloadavg()
    results = {
        "LEAD-3": run_ours(LeadSummarizer(k=3).fit(), data),
        "ORACLE": {"sentences": score_choices(data, oracle_choices(data.gold))},
        "centroid.v1": run_ours(CentroidSummarizer().fit(), data),
        "textrank.v1": run_ours(TextRankSummarizer().fit(), data),
        "lexrank.v1": run_ours(LexRankSummarizer().fit(), data),
        "textrank.v1 + MMR (lambda 0.7)": run_ours(TextRankSummarizer(mmr_lambda=0.7).fit(), data, raw=False),
    }
    print("unsupervised: done", flush=True)
    results.update(run_rotation(data, {
        TRAINED: ("gbdt", {}),
        "trained_extractor.v1 (top 3)": ("gbdt", {"auto_k": False, "k": 3}),
        "trained_extractor.v1, logreg head (auto k)": ("logreg", {}),
        LGBM: ("lgbm", {}),
        "trained_lgbm.v1 (top 3)": ("lgbm", {"auto_k": False, "k": 3}),
        "trained_lgbm.v1 + MMR (lambda 0.8)": ("lgbm", {"mmr_lambda": 0.8}),
        "trained_lgbm.v1, no content features": ("lgbm_position", {}),
        "trained_lgbm.v1, lambdarank on ROUGE-gain grades": ("lgbm_lambdarank", {}),
        "trained_lgbm.v1, lambdarank on ROUGE-gain grades (top 3)": ("lgbm_lambdarank", {"auto_k": False, "k": 3}),
        "trained_lgbm.v1, lambdarank on gold flags": ("lgbm_lambdarank_gold", {}),
        "trained_lgbm.v1, rank_xendcg on ROUGE-gain grades": ("lgbm_xendcg", {}),
        "trained_lgbm.v1 (auto k, 2-6)": ("lgbm", {"k": 6}),
        "trained_lgbm.v1 + word-vector features": ("lgbm_vectors", {}),
        "trained_lgbm.v1 + hook features": ("lgbm_hooks", {}),
        "trained_lgbm.v1, second stage on out-of-fold scores": ("lgbm_stacked", {}),
        STACKED_6: ("lgbm_stacked", {"k": 6}),
        "trained_lgbm.v1 + key-term features": ("lgbm_key_terms", {}),
        "trained_lgbm.v1 + lead features": ("lgbm_lead", {}),
        OUTLET: ("lgbm_outlet", {}),
        PREDICTED: ("lgbm_predicted_category", {}),
        "trained_lgbm.v1 + source and category read from the text": ("lgbm_predicted_outlet", {}),
        "trained_lgbm.v1, second stage + category read from the text": ("lgbm_stacked_category", {}),
        STACKED_CATEGORY_6: ("lgbm_stacked_category", {"k": 6}),
        V2: ("lgbm_v2", {}),
        V2_6: ("lgbm_v2", {"k": 6}),
        V3: ("lgbm_v3", {}),
        V3_6: ("lgbm_v3_6", {}),
    }, raw_for={TRAINED, LGBM, V2, V3}, per_fold={*ROUND4, V2_6, V3_6}))
    results.update(run_sumy(data))
    load_after = os.getloadavg()

    lead = results["LEAD-3"]["sentences"]
    sumy_speed = results["sumy LexRank"]["sentences"]["articles_per_s"]
    ours = [n for n in results if n not in ("ORACLE",) and not n.startswith("sumy")]
    slowest = min(results[n]["sentences"]["articles_per_s"] for n in ours)
    trained, lgbm, v2 = results[TRAINED]["sentences"], results[LGBM]["sentences"], results[V2]["sentences"]
    v3 = results[V3]["sentences"]
    checks = {
        "lead3_vs_expected": [round(lead[k] - e, 2) for k, e in zip(("rouge1", "rouge2", "rougeL"), LEAD3_EXPECTED)],
        "lead3_within_0.3": all(abs(lead[k] - e) <= 0.3 for k, e in zip(("rouge1", "rouge2", "rougeL"),
                                                                          LEAD3_EXPECTED)),
        "trained_rouge1_at_least_70": trained["rouge1"] >= 70.0,
        "slowest_of_ours_vs_sumy_lexrank": round(slowest / sumy_speed, 1),
        "every_one_of_ours_10x_faster": slowest >= 10 * sumy_speed,
        "lgbm_minus_trained_rouge1": round(lgbm["rouge1"] - trained["rouge1"], 2),
        "lgbm_meets_rouge1_aim": lgbm["rouge1"] >= LGBM_AIM[0],
        "lgbm_meets_speed_aim": lgbm["articles_per_s"] >= LGBM_AIM[1],
        "v2_minus_v1_rouge1_per_fold": {f: round(v2["rouge1_per_fold"][f] - r, 2)
                                        for f, r in lgbm["rouge1_per_fold"].items()},
        "v2_speed_over_v1": round(v2["articles_per_s"] / lgbm["articles_per_s"], 3),
        "v2_meets_speed_aim": v2["articles_per_s"] >= LGBM_AIM[1],
        "v3_minus_v2_rouge1_per_fold": {f: round(v3["rouge1_per_fold"][f] - r, 2)
                                        for f, r in v2["rouge1_per_fold"].items()},
        "v3_speed_over_v2": round(v3["articles_per_s"] / v2["articles_per_s"], 3),
        "v3_meets_rouge1_aim": v3["rouge1"] >= LGBM_AIM[0],
        "v3_meets_speed_aim": v3["articles_per_s"] >= LGBM_AIM[1],
    }
    record = {
        "data": DATA, "articles": len(data), "folds": sorted(set(data.folds)), "results": results, "checks": checks,
        "published": PUBLISHED, "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                                            "load_before": load_before, "load_after": load_after},
        "seconds": round(time.time() - started, 1),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "summarizers.json").write_text(json.dumps(record, indent=1, ensure_ascii=False), encoding="utf-8")
    table = format_summary_table(results, f"IndoSum dev folds {record['folds']}, {len(data)} articles", markdown=True)
    lines = [
        "# Extractive summarisers on IndoSum", "",
        "`HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 nice -n 10 python benchmarks/summarizers.py`", "",
        table, "",
        "ROUGE: rouge-score, no stemmer, F1 x 100 averaged over articles; R-L is ROUGE-Lsum over newline-joined "
        "sentences; references are IndoSum's summary sentences. *paper* columns: system text lower-cased, without "
        "punctuation, digits as 0 (the IndoSum paper's preprocessing for its non-neural rows). *gold F1*: chosen "
        "against gold sentences. *first k %*: share of summaries that are exactly the article's first sentences. "
        "*articles/s*: articles per CPU second of the summariser call alone. The trained "
        "rows are a fold rotation (trained on three folds, tested on the fourth). Published: IndoBERT extractor "
        f"{PUBLISHED['IndoBERT extractor (published)']} (R-1/R-2/R-L).", "",
        "## Checks", "",
        f"- LEAD-3 on IndoSum's sentences minus the expected {LEAD3_EXPECTED}: {checks['lead3_vs_expected']} "
        f"(within 0.3: {checks['lead3_within_0.3']}).",
        f"- Trained extractor ROUGE-1 {trained['rouge1']:.2f} (aim >= 70.0: {checks['trained_rouge1_at_least_70']}).",
        f"- {LGBM}: ROUGE-1 {lgbm['rouge1']:.2f}, {checks['lgbm_minus_trained_rouge1']:+.2f} against the "
        f"trained extractor (aim >= {LGBM_AIM[0]}: {checks['lgbm_meets_rouge1_aim']}); "
        f"{lgbm['articles_per_s']:,.0f} articles per CPU second on IndoSum's sentences (aim >= {LGBM_AIM[1]:,.0f}: "
        f"{checks['lgbm_meets_speed_aim']}).",
        f"- ROUGE-1 per test fold, {TRAINED}: {trained['rouge1_per_fold']}; {LGBM}: {lgbm['rouge1_per_fold']}.",
        *(f"- ROUGE-1 per test fold, {name}: {results[name]['sentences']['rouge1_per_fold']}." for name in ROUND4),
        *(f"- ROUGE-1 per test fold, {name}: {results[name]['sentences']['rouge1_per_fold']}."
          for name in (V2, V2_6, V3, V3_6)),
        f"- {V2}: ROUGE-1 {v2['rouge1']:.2f}, {v2['rouge1'] - lgbm['rouge1']:+.2f} against trained_lgbm.v1, per "
        f"fold {checks['v2_minus_v1_rouge1_per_fold']}; {v2['articles_per_s']:,.0f} articles per CPU second "
        f"(aim >= {LGBM_AIM[1]:,.0f}: {checks['v2_meets_speed_aim']}), {checks['v2_speed_over_v1']:.3f}x "
        f"trained_lgbm.v1's speed in this run (at least {LGBM_AIM[1] / 2309:.3f}, 2,000 of v1's 2,309 in round 4: "
        f"{checks['v2_speed_over_v1'] >= LGBM_AIM[1] / 2309}).",
        f"- {V3}: ROUGE-1 {v3['rouge1']:.2f} (aim >= {LGBM_AIM[0]}: {checks['v3_meets_rouge1_aim']}), "
        f"{v3['rouge1'] - v2['rouge1']:+.2f} against trained_lgbm.v2, per fold "
        f"{checks['v3_minus_v2_rouge1_per_fold']}; "
        f"{v3['articles_per_s']:,.0f} articles per CPU second (aim >= {LGBM_AIM[1]:,.0f}: "
        f"{checks['v3_meets_speed_aim']}), {checks['v3_speed_over_v2']:.3f}x trained_lgbm.v2's speed in this run.",
        f"- Slowest of ours is {checks['slowest_of_ours_vs_sumy_lexrank']}x sumy LexRank's speed on the same "
        f"sentences (aim >= 10x: {checks['every_one_of_ours_10x_faster']}).",
        f"- Machine: {record['machine']['cpus']} CPUs, Python {record['machine']['python']}, load average "
        f"{load_before[0]:.1f} before, {load_after[0]:.1f} after; {record['seconds']:.0f} s in all.",
        "", "## Where the reference skips the first sentence", "", lead_skip_rates(DATA),
    ]
    (RESULTS / "summarizers.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
