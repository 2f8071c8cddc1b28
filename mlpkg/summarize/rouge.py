"""ROUGE as IndoSum results are reported, and extractive accuracy against gold sentence labels.

The protocol: ``rouge-score`` with ``use_stemmer=False``; ROUGE-1, ROUGE-2 and ROUGE-Lsum over
sentences joined by newlines; the mean over articles of the per-article F1, times 100. The
"paper-prep" scale is the one the IndoSum paper's non-neural rows used: the *system* sentences are
lower-cased, stripped of punctuation and have their digits replaced by ``0`` before scoring
against the untouched references, which costs every number a model copies correctly.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from ..errors import DataError
from ..text.normalize import normalize_for_features

ROUGE_TYPES = ("rouge1", "rouge2", "rougeLsum")
# Short names in reports: ROUGE-L here always means the summary-level ROUGE-Lsum.
METRIC_NAMES = {"rouge1": "rouge1", "rouge2": "rouge2", "rougeLsum": "rougeL"}


@lru_cache(maxsize=1)
def _scorer():
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=False)


def paper_prep(sentence: str) -> str:
    """The IndoSum paper's preprocessing of system output.

    >>> paper_prep("Harga naik 4,9 persen.")
    'harga naik 0 0 persen'
    """
    return normalize_for_features(sentence)


def rouge_per_article(system: Sequence[Sequence[str]], references: Sequence[Sequence[str]],
                      paper: bool = False) -> np.ndarray:
    """F1 x 100 per article, one column per type in ``ROUGE_TYPES``."""
    if len(system) != len(references):
        raise DataError(f"got {len(system)} system summaries but {len(references)} references")
    scorer = _scorer()
    out = np.zeros((len(system), len(ROUGE_TYPES)))
    for i, (sys_sents, ref_sents) in enumerate(zip(system, references)):
        if paper:
            sys_sents = [paper_prep(s) for s in sys_sents]
        scores = scorer.score("\n".join(ref_sents), "\n".join(sys_sents))
        out[i] = [scores[t].fmeasure for t in ROUGE_TYPES]
    return out * 100.0


def rouge_scores(system: Sequence[Sequence[str]], references: Sequence[Sequence[str]],
                 paper: bool = False) -> dict[str, float]:
    """Mean per-article ROUGE F1 x 100: ``{"rouge1", "rouge2", "rougeL"}``.

    >>> rouge_scores([["koperasi desa tumbuh"]], [["koperasi desa tumbuh pesat"]])["rouge1"]
    85.71
    """
    per_article = rouge_per_article(system, references, paper)
    means = per_article.mean(axis=0) if len(per_article) else np.zeros(len(ROUGE_TYPES))
    return {METRIC_NAMES[t]: round(float(m), 2) for t, m in zip(ROUGE_TYPES, means)}


def gold_agreement(chosen: Sequence[Sequence[int]], gold: Sequence[Sequence[bool]]) -> dict[str, float]:
    """Extractive accuracy: how the chosen sentence indices agree with the gold labels, x 100.

    ``accuracy`` counts every sentence (chosen or not) of every article; precision, recall and F1
    are over the chosen and the gold sentences, pooled over articles.
    """
    correct = total = hits = n_chosen = n_gold = 0
    for picked, labels in zip(chosen, gold):
        labels = np.asarray(labels, dtype=bool)
        predicted = np.zeros(len(labels), dtype=bool)
        predicted[list(picked)] = True
        correct += int((predicted == labels).sum())
        total += len(labels)
        hits += int((predicted & labels).sum())
        n_chosen += int(predicted.sum())
        n_gold += int(labels.sum())
    precision = hits / n_chosen if n_chosen else 0.0
    recall = hits / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"gold_accuracy": round(100 * correct / max(total, 1), 2), "gold_precision": round(100 * precision, 2),
            "gold_recall": round(100 * recall, 2), "gold_f1": round(100 * f1, 2)}
