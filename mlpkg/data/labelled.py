"""Labelled rows from a config's data block: one split of the labelled file (ids, article texts, labels,
near-copy groups, publishers, dates, readers' confidence), plus the live decisions of extra labels files."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import numpy as np

from ..config import DataConfig
from ..errors import ConfigError, DataError
from ..text.normalize import article_text
from .load import check_schema, load_table, resolve_data_path


@dataclass
class LabelledSplit:
    ids: list[str]
    texts: list[str]
    y: list = field(default_factory=list)
    groups: list = field(default_factory=list)  # near-copy groups (the row's own index where the file has none)
    publishers: list = field(default_factory=list)  # empty where the file has no publisher column
    titles: list = field(default_factory=list)  # for reports; empty where the file has no title column
    dates: list = field(default_factory=list)  # publication dates as written; empty where the file has none
    confidence: list = field(default_factory=list)  # "high", "low" or "" (not read); empty where the file has none
    dropped: int = 0  # rows left out because every label they carry is in data.drop_labels
    # per row, the tags nobody decided (labels-file rows: masked for those tags); empty where every tag is decided
    undecided: list = field(default_factory=list)

    def subset(self, index) -> "LabelledSplit":
        pick = [int(i) for i in index]
        columns = (self.ids, self.texts, self.y, self.groups, self.publishers, self.titles, self.dates,
                   self.confidence)
        undecided = [self.undecided[i] for i in pick] if self.undecided else []
        return LabelledSplit(*([values[i] for i in pick] if values else [] for values in columns),
                             undecided=undecided if any(undecided) else [])

    def sure_rows(self) -> np.ndarray | None:
        """Rows whose reading was not marked unsure (confidence ``low``), or None where no row is marked."""
        low = np.array([c == "low" for c in self.confidence], dtype=bool)
        return ~low if low.any() else None


def check_label_set(ds, d: DataConfig) -> None:
    """Blame ``data.labels`` when one of its labels is on no row and a row carries a label close to
    it (a typo in the config, not in the data file)."""
    if not d.labels or d.label_field not in ds.column_names:
        return
    present = {t for v in ds[d.label_field] for t in ([v] if isinstance(v, str) else v or [])}
    outside = sorted(present - set(d.labels) - set(d.drop_labels))
    for label in d.labels:
        guess = difflib.get_close_matches(label, outside, n=1) if label not in present else []
        if guess:
            raise ConfigError(f"data.labels: {label!r} is the label of no row of {d.path} (column {d.label_field!r}), "
                              f"which has {outside} besides data.labels; did you mean {guess[0]!r}?")


def load_split(d: DataConfig, split: str | None, split_field: str | None = None,
               config_labels: bool = True, multi_label: bool | None = None) -> LabelledSplit:
    """Rows of one split (``None``: every row) as ids, article texts (title + body) and labels.

    ``config_labels``: ``d.labels`` was written in a config (so a typo in it is blamed on the config);
    ``False`` where the labels come from a saved model. ``multi_label``: how a CSV's label column is
    read (:func:`~mlpkg.data.load.csv_tags`; None: from the column).
    """
    split_field = split_field or d.split_field
    ds = load_table(d.path, split, split_field, columns=(d.text_field, d.label_field), tag_field=d.label_field,
                    multi_label=multi_label)
    if config_labels:
        check_label_set(ds, d)
    check_schema(ds, d.path, text_field=d.text_field, label_field=d.label_field,
                 labels=(d.labels + d.drop_labels) if d.labels else None)
    has_titles = bool(d.title_field) and d.title_field in ds.column_names
    titles = ds[d.title_field] if has_titles else [None] * len(ds)
    ids = ds[d.id_field] if d.id_field in ds.column_names else [f"{split or 'row'}:{i}" for i in range(1, len(ds) + 1)]
    texts = [article_text(t, b) for t, b in zip(titles, ds[d.text_field])]
    labels = ds[d.label_field]
    drop = set(d.drop_labels)
    # a row whose labels are all dropped is dropped (a multi-label row must not become a negative);
    # a multi-label row that keeps some labels loses only the dropped ones
    keep = [i for i, y in enumerate(labels) if not (drop and _labels_of(y) and set(_labels_of(y)) <= drop)]
    if isinstance(labels[0] if labels else None, list):
        labels = [[t for t in y if t not in drop] for y in labels]
    dropped = len(labels) - len(keep)
    if d.max_train_rows and split == "train":
        keep = keep[: d.max_train_rows]
    groups = ds[d.group_field] if d.group_field and d.group_field in ds.column_names else list(range(len(ds)))
    publishers = ds[d.publisher_field] if d.publisher_field and d.publisher_field in ds.column_names else []
    dates = ds[d.date_field] if d.date_field and d.date_field in ds.column_names else []
    confidence = _confidence(ds, d)
    data = LabelledSplit([ids[i] for i in keep], [texts[i] for i in keep], [labels[i] for i in keep],
                         [groups[i] for i in keep], [publishers[i] for i in keep] if publishers else [],
                         [titles[i] for i in keep] if has_titles else [], [dates[i] for i in keep] if dates else [],
                         [confidence[i] for i in keep] if confidence else [], dropped)
    return with_extra_labels(data, d) if d.extra_labels and split in (None, "train") else data


def _confidence(ds, d: DataConfig) -> list[str]:
    """``d.confidence_field`` as "high", "low" or "" (not read), or [] where the file has no such column."""
    from ..label.store import CONFIDENCE

    if not d.confidence_field or d.confidence_field not in ds.column_names:
        return []
    values = [str(v or "").strip().lower() for v in ds[d.confidence_field]]
    bad = next((i for i, v in enumerate(values) if v and v not in CONFIDENCE), None)
    if bad is not None:
        raise DataError(f"{d.path}: row {bad + 1}: {d.confidence_field} (data.confidence_field) must be one of "
                        f"{', '.join(CONFIDENCE)} or empty (not read), got {ds[d.confidence_field][bad]!r}; "
                        "set data.confidence_field=null if the column means something else")
    return values


def with_extra_labels(data: LabelledSplit, d: DataConfig) -> LabelledSplit:
    """``data`` plus the live decisions of ``d.extra_labels`` (each its own near-copy group), after the
    labels files' checks: known tags, a reason where unsure, no id decided twice or already in ``d.path``."""
    from ..label.store import labelled_rows

    if not d.labels:
        raise ConfigError("data.extra_labels needs data.labels (the tag set the labels files are checked against)")
    table = load_table(d.path, columns=(d.text_field, d.label_field))
    known = table[d.id_field] if d.id_field in table.column_names else []
    rows = labelled_rows([resolve_data_path(p) for p in d.extra_labels], d.labels, known, d.path)
    undecided = (data.undecided or [[] for _ in data.ids]) + [r["undecided"] for r in rows]
    add = [[r["id"] for r in rows], [article_text(r["title"], r["text"]) for r in rows], [r["tags"] for r in rows],
           [f"label:{r['id']}" for r in rows], ["(labels file)"] * len(rows) if data.publishers else [],
           [r["title"] or "" for r in rows] if data.titles else [], [None] * len(rows) if data.dates else [],
           [r["confidence"] for r in rows] if data.confidence else []]
    return LabelledSplit(*(old + new for old, new in zip(
        (data.ids, data.texts, data.y, data.groups, data.publishers, data.titles, data.dates, data.confidence), add)),
        data.dropped, undecided if any(undecided) else [])


def labels_files(d: DataConfig) -> list[dict]:
    """Provenance of ``d.extra_labels`` (name, sha256, decisions, articles), for the log, run.json and the card."""
    from ..label.store import describe_labels_files

    return describe_labels_files((p, resolve_data_path(p)) for p in d.extra_labels)


def _labels_of(y) -> list:
    return [y] if isinstance(y, str) else list(y or [])
