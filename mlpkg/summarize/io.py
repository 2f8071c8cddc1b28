"""``mlpkg summarize``: JSONL of raw articles in, JSONL of extractive summaries out."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import DataError
from .base import BATCH_ARTICLES, Summarizer


def load_summarizer(model_dir: str | Path) -> Summarizer:
    """Load a saved summariser (manifest verified); a classifier directory is refused."""
    from ..core.directory import load_model

    model = load_model(model_dir)
    if not isinstance(model, Summarizer):
        raise DataError(f"{model_dir} holds a {model.kind or type(model).__name__}, not a summariser")
    return model


def read_articles(path: str | Path, id_field: str = "id", text_field: str = "text",
                  title_field: str | None = "title") -> Iterator[tuple[object, str, str | None]]:
    """(id, text, title) per JSONL line, the id as given; a bad line is a :class:`DataError` naming
    file, line and field."""
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}: line {number}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise DataError(f"{path}: line {number}: expected a JSON object, got {type(row).__name__}")
            for name in (id_field, text_field):
                if name not in row:
                    raise DataError(f"{path}: line {number}: missing field {name!r}; fields present: {sorted(row)}")
            text, title = row[text_field], row.get(title_field) if title_field else None
            if not isinstance(text, str):
                raise DataError(f"{path}: line {number}, field {text_field!r}: expected text, "
                                f"got {type(text).__name__}")
            if title is not None and not isinstance(title, str):
                raise DataError(f"{path}: line {number}, field {title_field!r}: expected text or null, "
                                f"got {type(title).__name__}")
            yield row[id_field], text, title


def summarize_file(model_dir: str | Path, input_path: str | Path, output_path: str | Path, id_field: str = "id",
                   text_field: str = "text", title_field: str | None = "title") -> int:
    """Write ``{"id", "summary": [sentences]}`` per input line; returns the number of articles.

    The output appears complete or not at all (written to a temporary file, then renamed).
    """
    model = load_summarizer(model_dir)
    output_path = Path(output_path)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=output_path.parent, prefix=".tmp-", suffix=".jsonl")
    count = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            pending: list[tuple[object, str, str | None]] = []
            for article in read_articles(input_path, id_field, text_field, title_field):
                pending.append(article)
                if len(pending) == BATCH_ARTICLES:
                    count += _write(model, pending, out)
                    pending = []
            count += _write(model, pending, out)
        os.replace(tmp, output_path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return count


def _write(model: Summarizer, articles: list[tuple[object, str, str | None]], out) -> int:
    if not articles:
        return 0
    summaries = model.summarize([text for _, text, _ in articles], [title for _, _, title in articles])
    for (article_id, _, _), summary in zip(articles, summaries):
        out.write(json.dumps({"id": article_id, "summary": summary}, ensure_ascii=False) + "\n")
    return len(articles)
