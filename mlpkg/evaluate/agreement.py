"""What a model is measured against besides its labels: how far two readers agree, and whether it
finds a topic's stories that never use the topic's own words.

- Reader agreement: a JSONL file of blind readings, two per article (``{"id", "reading": 1 or 2,
  "tags": [...], "confidence", "why"}``); per tag, the F1 of one reading against the other (F1 is
  symmetric, so it does not matter which counts as the reference). A model whose F1 is near this
  figure does what a careful reader does; it cannot be expected to do better. The fair comparison is
  the model's out-of-fold predictions against each reading on the same articles (``against_readers``).
- Keyword-free recall: per tag, the recall on the positives whose text holds none of the tag's core
  terms (``evaluation.core_terms``): the number that shows whether a model understands the topic or
  counts its acronym.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from ..errors import DataError
from .tables import render_table


def core_term_patterns(core_terms: dict[str, list[str]]) -> dict[str, re.Pattern]:
    """One case-insensitive pattern per tag, each term matched at a word start."""
    return {tag: re.compile("|".join(rf"\b(?:{t})" for t in terms), re.IGNORECASE)
            for tag, terms in core_terms.items() if terms}


def keyword_free_rows(texts: list[str], core_terms: dict[str, list[str]], labels: list[str]) -> np.ndarray:
    """A boolean matrix (rows, labels): the text holds none of the label's core terms (False for a
    label without core terms, which has no keyword-free measure)."""
    patterns = core_term_patterns(core_terms)
    out = np.zeros((len(texts), len(labels)), dtype=bool)
    for j, label in enumerate(labels):
        if label in patterns:
            out[:, j] = [patterns[label].search(t) is None for t in texts]
    return out


def keyword_free_recall(Y: np.ndarray, pred: np.ndarray, free: np.ndarray, labels: list[str],
                        scored: np.ndarray | None = None) -> dict[str, dict]:
    """Per label with core terms: positives without them (``positives``), how many of those the
    predictions found, and the recall (None where there is no such positive). ``scored``: the rows
    that count (e.g. those some fold scored)."""
    scored = np.ones(len(Y), dtype=bool) if scored is None else scored
    out = {}
    for j, label in enumerate(labels):
        if not free[:, j].any():
            continue
        rows = scored & free[:, j] & (Y[:, j] == 1)
        found = int(pred[rows, j].sum())
        out[label] = {"positives": int(rows.sum()), "found": found,
                      "recall": round(found / rows.sum(), 4) if rows.any() else None}
    return out


def read_readings(path: str | Path, labels: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The articles of ``path`` read twice: their ids and the two readings as 0/1 matrices (articles, labels).

    ``path`` holds blind readings, two per article (``{"id", "reading": 1 or 2, "tags": [...]}``); an
    article read once is left out."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: reader agreement file not found (evaluation.reader_agreement)")
    readings: dict[str, dict[int, set]] = {}
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                readings.setdefault(str(row["id"]), {})[int(row["reading"])] = set(row["tags"])
            except (ValueError, KeyError, TypeError) as exc:
                raise DataError(f"{path}: line {n}: expected a JSON object with id, reading (1 or 2) and tags "
                                f"({exc.__class__.__name__}: {exc})") from None
    ids = [i for i, r in readings.items() if 1 in r and 2 in r]
    if not ids:
        raise DataError(f"{path}: no article has both a reading 1 and a reading 2")
    first, second = ([[int(tag in readings[i][k]) for tag in labels] for i in ids] for k in (1, 2))
    return ids, np.asarray(first, dtype=np.int8), np.asarray(second, dtype=np.int8)


def _f1(truth: np.ndarray, pred: np.ndarray) -> float | None:
    """F1 of 0/1 vectors; None where neither holds a positive (nothing to agree on)."""
    both, denom = int((truth & pred).sum()), int(truth.sum() + pred.sum())
    return 2 * both / denom if denom else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def read_agreement(path: str | Path, labels: list[str]) -> dict:
    """Per-tag agreement F1 between the two blind readings of each article in ``path`` (see :func:`agreement`)."""
    _, first, second = read_readings(path, labels)
    return agreement(first, second, labels)


def agreement(first: np.ndarray, second: np.ndarray, labels: list[str]) -> dict:
    """Per-tag agreement F1 between two readings of the same articles (0/1 matrices, as :func:`read_readings`
    gives them).

    Returns ``{"articles": n, "per_label": {tag: {"f1", "both", "only_1", "only_2"}}, "macro_f1"}``;
    a tag neither reading gave anywhere has F1 None (nothing to agree on)."""
    per_label = {}
    for j, label in enumerate(labels):
        a, b = first[:, j].astype(bool), second[:, j].astype(bool)
        per_label[label] = {"f1": _rounded(_f1(a, b)), "both": int((a & b).sum()), "only_1": int((a & ~b).sum()),
                            "only_2": int((b & ~a).sum())}
    measured = [m["f1"] for m in per_label.values() if m["f1"] is not None]
    return {"articles": len(first), "per_label": per_label,
            "macro_f1": _rounded(np.mean(measured)) if measured else None}


def against_readers(pred: np.ndarray, rows: np.ndarray, first: np.ndarray, second: np.ndarray,
                    labels: list[str], scored: np.ndarray | None = None) -> dict:
    """A model's predictions beside each of the two blind readings, on the same articles: like for like
    with the readers' agreement (one reading against the other), so the gap is the model's alone.

    ``rows[i]`` is the row of ``pred`` that holds the article of readings ``first[i]``/``second[i]``;
    only rows ``scored`` (e.g. held out by some fold) count. Per tag: F1 against reading 1, against
    reading 2, and their mean; ``{"articles": n, "per_label": {...}, "macro_f1"}``."""
    scored = np.ones(len(pred), dtype=bool) if scored is None else scored
    keep = scored[rows]
    model = np.asarray(pred)[rows[keep]].astype(bool)
    first, second = first[keep].astype(bool), second[keep].astype(bool)
    per_label = {}
    for j, label in enumerate(labels):
        f1 = [_f1(reading[:, j], model[:, j]) for reading in (first, second)]
        known = [v for v in f1 if v is not None]
        per_label[label] = {"reading_1": _rounded(f1[0]), "reading_2": _rounded(f1[1]),
                            "mean": _rounded(np.mean(known)) if known else None}
    measured = [m["mean"] for m in per_label.values() if m["mean"] is not None]
    return {"articles": int(keep.sum()), "per_label": per_label,
            "macro_f1": _rounded(np.mean(measured)) if measured else None}


def agreement_table(agreement: dict | None, model: dict, keyword_free: dict | None, title: str,
                    markdown: bool = False, rule_keyword_free: dict | None = None,
                    against: dict | None = None) -> str:
    """Per tag: the model's pooled out-of-fold F1 beside the readers' agreement F1; the model's F1 against
    the two readings on the same articles (``against``, see :func:`against_readers`) and its gap to the
    readers' agreement (without ``against``: the gap of the pooled F1); and the keyword-free recall of the
    model (and of the keyword rule)."""
    header = ["tag", "model F1 (pooled)"]
    if agreement:
        header.append(f"reader agreement F1 ({agreement['articles']} read twice)")
        header += ([f"model vs the readings (same {against['articles']})", "gap (same articles)"] if against
                   else ["gap"])
    if keyword_free:
        header += ["keyword-free positives", "keyword-free recall"]
        if rule_keyword_free:
            header.append("keyword rule's")
    rows = []
    for label, m in model["pooled"]["per_label"].items():
        row = [label, f"{m['f1']:.3f}"]
        if agreement:
            a = agreement["per_label"].get(label, {}).get("f1")
            mine = against["per_label"].get(label, {}).get("mean") if against else m["f1"]
            row.append("–" if a is None else f"{a:.3f}")
            if against:
                row.append("–" if mine is None else f"{mine:.3f}")
            row.append("–" if a is None or mine is None else f"{mine - a:+.3f}")
        if keyword_free:
            k = keyword_free.get(label)
            row += ["–", "–"] if k is None or k["recall"] is None else [str(k["positives"]), f"{k['recall']:.3f}"]
            if rule_keyword_free:
                r = rule_keyword_free.get(label)
                row.append("–" if r is None or r["recall"] is None else f"{r['recall']:.3f}")
        rows.append(row)
    return render_table(header, rows, "l" + "r" * (len(header) - 1), title, markdown)


def reader_bar_table(bar: dict, model: dict, markdown: bool = False) -> str:
    """The model's F1 beside the readers' agreement, with its keyword-free recall ('' where no bar is set)."""
    if not bar:
        return ""
    return agreement_table(bar.get("reader_agreement"), model, bar.get("keyword_free"),
                           "Against the readers: agreement between two blind readings, the model against each "
                           "reading on the same articles (out of fold), and recall on positives without the "
                           "tag's own words (evaluation.core_terms)", markdown,
                           bar.get("keyword_rule_keyword_free"), bar.get("model_vs_readers"))
