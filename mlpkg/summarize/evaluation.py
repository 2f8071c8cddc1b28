"""Score summarisers on a labelled file: ROUGE (both scales), gold agreement, speed.

A labelled file (IndoSum's layout) has per article the raw ``text``, and optionally its own
``sentences`` with ``paragraph`` indices and ``gold`` labels, plus the ``summary`` reference
sentences. A summariser is scored twice when it can be: on the file's own sentences (the
published protocol) and on the raw text through our cleaning and splitting (what users get).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np

from ..core.files import write_json
from ..errors import DataError, allowed
from ..evaluate.tables import render_table
from .base import Summarizer
from .position import LeadSummarizer
from .rouge import gold_agreement, rouge_scores


@dataclass
class SummaryData:
    """Articles with reference summaries; ``sentences``/``paragraphs``/``gold`` may be absent (None)."""

    ids: list[str]
    texts: list[str]
    titles: list[str | None]
    references: list[list[str]]
    sentences: list[list[str]] | None = None
    paragraphs: list[list[int]] | None = None
    gold: list[list[bool]] | None = None
    folds: list | None = None
    categories: list[str] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def concat(cls, parts: list["SummaryData"]) -> "SummaryData":
        values = {}
        for f in fields(cls):
            columns = [getattr(p, f.name) for p in parts]
            values[f.name] = None if any(c is None for c in columns) else [v for c in columns for v in c]
        return cls(**values)

    def subset(self, rows) -> "SummaryData":
        rows = list(rows)
        values = {}
        for f in fields(self):
            column = getattr(self, f.name)
            values[f.name] = None if column is None else [column[i] for i in rows]
        return replace(self, **values)


def load_summary_data(path: str, split: str | None = None, *, split_field: str = "split", id_field: str = "id",
                      text_field: str = "text", title_field: str | None = "title",
                      summary_field: str = "summary", sentences_field: str | None = "sentences",
                      paragraph_field: str | None = "paragraph", gold_field: str | None = "gold",
                      fold_field: str | None = None, category_field: str | None = None) -> SummaryData:
    """Read a parquet/jsonl/csv file of articles with reference summaries (IndoSum's columns by default);
    ``category_field`` (optional, but a named one must exist) is each article's category."""
    from ..data.load import load_table

    ds = load_table(path, split, split_field)
    columns = ds.column_names
    for name in (text_field, summary_field):
        if name not in columns:
            raise DataError(f"{path}: missing column {name!r}; columns present: {columns}")
    if category_field and category_field not in columns:
        raise DataError(f"data.category_field: {path} has no column {category_field!r}; allowed: "
                        f"{allowed(columns)}")

    def column(name: str | None) -> list | None:
        return [list(v) if isinstance(v, (list, tuple, np.ndarray)) else v for v in ds[name]] \
            if name and name in columns else None

    n = len(ds)
    data = SummaryData(
        ids=[str(v) for v in ds[id_field]] if id_field in columns else [f"row{i}" for i in range(1, n + 1)],
        texts=ds[text_field], titles=column(title_field) or [None] * n, references=column(summary_field),
        sentences=column(sentences_field), paragraphs=column(paragraph_field), gold=column(gold_field),
        folds=column(fold_field), categories=column(category_field))
    if data.gold is not None and data.sentences is not None:
        for i, (s, g) in enumerate(zip(data.sentences, data.gold)):
            if len(s) != len(g):
                raise DataError(f"{path}: row {i + 1} (id {data.ids[i]!r}): {len(s)} sentences but {len(g)} "
                                "gold labels")
    return data


def oracle_choices(gold: list[list[bool]], k: int = 3) -> list[list[int]]:
    """The extractive oracle: the first ``k`` gold sentences of each article."""
    return [list(np.flatnonzero(np.asarray(g, dtype=bool))[:k]) for g in gold]


def score_choices(data: SummaryData, chosen: list[list[int]], seconds: float | None = None) -> dict:
    """Metrics of sentence choices over the file's own sentences."""
    system = [[s[i] for i in c] for s, c in zip(data.sentences, chosen)]
    metrics = {"articles": len(data), **rouge_scores(system, data.references),
               **{f"paper_{k}": v for k, v in rouge_scores(system, data.references, paper=True).items()}}
    if data.gold is not None:
        metrics.update(gold_agreement(chosen, data.gold))
    metrics["mean_sentences"] = round(float(np.mean([len(c) for c in chosen])) if chosen else 0.0, 2)
    # how often the summary is just the lead: the first len(summary) sentences, nothing else
    metrics["lead_share"] = round(100 * float(np.mean([list(c) == list(range(len(c))) for c in chosen]))
                                  if chosen else 0.0, 2)
    if seconds is not None:
        metrics["articles_per_s"] = round(len(data) / max(seconds, 1e-9), 1)
    return metrics


def score_summaries(data: SummaryData, system: list[list[str]], seconds: float | None = None) -> dict:
    """Metrics of summaries of the raw text (no gold labels: the sentences are our own)."""
    metrics = {"articles": len(data), **rouge_scores(system, data.references),
               **{f"paper_{k}": v for k, v in rouge_scores(system, data.references, paper=True).items()},
               "mean_sentences": round(float(np.mean([len(s) for s in system])) if system else 0.0, 2)}
    if seconds is not None:
        metrics["articles_per_s"] = round(len(data) / max(seconds, 1e-9), 1)
    return metrics


def evaluate_summarizer(model: Summarizer, data: SummaryData, inputs: tuple[str, ...] = ("sentences", "text")) -> dict:
    """``{"sentences": metrics, "text": metrics}``: on the file's sentences (when present) and on the raw text.

    Speed is articles per CPU second of the summariser alone (data loading and ROUGE excluded).
    """
    out = {}
    if "sentences" in inputs and data.sentences is not None:
        docs = model.documents(data.sentences, data.titles, data.paragraphs)
        start = time.process_time()
        chosen = model.choose(docs)
        out["sentences"] = score_choices(data, chosen, time.process_time() - start)
    if "text" in inputs:
        start = time.process_time()
        system = model.summarize(data.texts, data.titles)
        out["text"] = score_summaries(data, system, time.process_time() - start)
    return out


def baselines(data: SummaryData) -> dict[str, dict]:
    """LEAD-3 (on both inputs) and the oracle (on the file's sentences, when it has gold labels)."""
    out = {"LEAD-3": evaluate_summarizer(LeadSummarizer(k=3).fit(), data)}
    if data.gold is not None and data.sentences is not None:
        out["ORACLE"] = {"sentences": score_choices(data, oracle_choices(data.gold))}
    return out


COLUMNS = (("rouge1", "R-1"), ("rouge2", "R-2"), ("rougeL", "R-L"), ("paper_rouge1", "paper R-1"),
           ("paper_rouge2", "paper R-2"), ("paper_rougeL", "paper R-L"), ("gold_f1", "gold F1"),
           ("mean_sentences", "sentences"), ("lead_share", "first k %"), ("articles_per_s", "articles/s"))
INPUT_NAMES = {"sentences": "IndoSum sentences", "text": "raw text, our splitter"}


def format_summary_table(results: dict[str, dict], title: str = "", markdown: bool = False) -> str:
    """One row per (system, input); ``results`` is ``{system: {input: metrics}}``. Plain text, or ``markdown``."""
    rows = []
    for system, by_input in results.items():
        for source, m in by_input.items():
            cells = [f"{m[k]:.2f}" if k in m and k != "articles_per_s" else (f"{m[k]:,.0f}" if k in m else "")
                     for k, _ in COLUMNS]
            rows.append([system, INPUT_NAMES.get(source, source), str(m.get("articles", "")), *cells])
    header = ["system", "input", "articles", *(h for _, h in COLUMNS)]
    return render_table(header, rows, "llr" + "r" * len(COLUMNS), title, markdown)


def evaluate_summarizer_file(model: Summarizer | str | Path, data_path: str, split: str | None = None,
                             output: str | Path | None = None, **fields_: str | None) -> dict:
    """Score a summariser (or a saved model directory) on a labelled file, beside LEAD-3 and the oracle.

    Returns ``{"metrics": {system: {input: metrics}}, "table": plain text}``; with ``output`` also
    writes ``metrics.json`` there. ``fields_`` are :func:`load_summary_data`'s column names.
    """
    if not isinstance(model, Summarizer):
        from ..core.directory import load_model

        loaded = load_model(model)
        if not isinstance(loaded, Summarizer):
            raise DataError(f"{model} holds a {loaded.kind or type(loaded).__name__}, not a summariser")
        model = loaded
    data = load_summary_data(data_path, split, **fields_)
    if not len(data):
        raise DataError(f"{data_path}: no rows" + (f" in split {split!r}" if split else ""))
    name = model.registered_name
    results = {name: evaluate_summarizer(model, data), **baselines(data)}
    table = format_summary_table(results, f"{name} on {data_path}" + (f" ({split})" if split else ""))
    if output is not None:
        Path(output).mkdir(parents=True, exist_ok=True)
        write_json(Path(output) / "metrics.json", results)
    return {"metrics": results, "table": table}
