"""What a model is measured against besides its labels: how far two readers agree, and whether it
finds a topic's stories that never use the topic's own words.

- Reader agreement: a JSONL file of blind readings, two per article (``{"id", "reading": 1 or 2,
  "tags": [...], "confidence", "why"}``); per tag, the F1 of one reading against the other (F1 is
  symmetric, so it does not matter which counts as the reference). A model whose F1 is near this
  figure does what a careful reader does; it cannot be expected to do better.
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


def read_agreement(path: str | Path, labels: list[str]) -> dict:
    """Per-tag agreement F1 between the two blind readings of each article in ``path``.

    Returns ``{"articles": n, "per_label": {tag: {"f1", "both", "only_1", "only_2"}}, "macro_f1"}``;
    a tag neither reading gave anywhere has F1 None (nothing to agree on)."""
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
    pairs = [(r[1], r[2]) for r in readings.values() if 1 in r and 2 in r]
    if not pairs:
        raise DataError(f"{path}: no article has both a reading 1 and a reading 2")
    per_label = {}
    for label in labels:
        both = sum(label in a and label in b for a, b in pairs)
        only_1 = sum(label in a and label not in b for a, b in pairs)
        only_2 = sum(label in b and label not in a for a, b in pairs)
        denom = 2 * both + only_1 + only_2
        per_label[label] = {"f1": round(2 * both / denom, 4) if denom else None,
                            "both": both, "only_1": only_1, "only_2": only_2}
    measured = [m["f1"] for m in per_label.values() if m["f1"] is not None]
    return {"articles": len(pairs), "per_label": per_label,
            "macro_f1": round(float(np.mean(measured)), 4) if measured else None}


def agreement_table(agreement: dict | None, model: dict, keyword_free: dict | None, title: str,
                    markdown: bool = False, rule_keyword_free: dict | None = None) -> str:
    """Per tag: the model's pooled out-of-fold F1 beside the readers' agreement F1 (and the gap), and
    the keyword-free recall of the model (and of the keyword rule)."""
    header = ["tag", "model F1 (pooled)"]
    if agreement:
        header += [f"reader agreement F1 ({agreement['articles']} read twice)", "gap"]
    if keyword_free:
        header += ["keyword-free positives", "keyword-free recall"]
        if rule_keyword_free:
            header.append("keyword rule's")
    rows = []
    for label, m in model["pooled"]["per_label"].items():
        row = [label, f"{m['f1']:.3f}"]
        if agreement:
            a = agreement["per_label"].get(label, {}).get("f1")
            row += ["–", "–"] if a is None else [f"{a:.3f}", f"{m['f1'] - a:+.3f}"]
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
                           "Against the readers: agreement between two blind readings, and recall on positives "
                           "without the tag's own words (evaluation.core_terms)", markdown,
                           bar.get("keyword_rule_keyword_free"))
