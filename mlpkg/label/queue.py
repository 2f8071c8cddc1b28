"""The candidate queue: which unlabelled article a person should read next.

An article is worth a label when it can change the model: the tag's lexicon hits it but the model
scores it low (a positive the model has not learnt, or a false friend it must learn to ignore), its
score sits near the decision threshold, or the keyword rule and the model disagree. Growing one tag
(``focus``), every other candidate is instead the article the model is surest is a positive: a rare
tag needs its positives confirmed, and its false positives corrected. Near-copies are collapsed to
one candidate (the best-ranked), and a group is gone once any of its members is decided.

>>> queue = CandidateQueue(articles, tags=["koperasi"], lexicon=lexicon, model=model)  # doctest: +SKIP
>>> [c.id for c in queue.ranked(decided_ids)[:3]]                                      # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest

import numpy as np

from ..batch.records import read_records
from ..batch.validate import Article, Fields, SeenIds, validate
from ..classify.keyword_rule import keyword_hits
from ..classify.lexicon_features import TagLexicon
from ..data.dedupe import near_duplicate_groups
from ..text.normalize import article_text

RULE_MIN_HITS = 3  # the keyword rule (mlpkg.classify.keyword_rule, the lexicon's terms): a tag at 3+ hits
MAX_CHARS = 200_000


@dataclass
class Candidate:
    """One pool article with why it is queued; ``priority`` is the best of its tags' priorities."""

    id: str
    title: str | None
    text: str
    group: object
    scores: dict[str, float] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)  # lexicon score: hits, a title hit counting 3 and a lead hit 2
    priority: float = 0.0
    tag: str | None = None  # the tag whose priority won
    reasons: list[str] = field(default_factory=list)


def read_pool(path: str, fields: Fields | None = None) -> tuple[list[Article], int]:
    """Articles of a JSONL/CSV/Parquet pool read as ``mlpkg tag`` reads its input, and the number of
    records rejected (malformed, no text, a repeated id, ...)."""
    fields = fields or Fields()
    articles, rejected, seen = [], 0, SeenIds()
    for record in read_records(path, fields):
        out = validate(record, fields, MAX_CHARS)
        if isinstance(out, Article) and not seen.add([out.id])[0]:
            articles.append(out)
        else:
            rejected += 1
    return articles, rejected


def lexicon_hits(texts: Sequence[str], tags: list[str], lexicon: dict[str, list[str]]) -> np.ndarray:
    """Lexicon score per text and tag: its term hits, a title hit counting 3, a lead hit 2, a body hit 1
    (0 for a tag without terms in the lexicon)."""
    out = np.zeros((len(texts), len(tags)))
    own = {t: ts for t, ts in lexicon.items() if t in tags}
    if own:
        lex = TagLexicon(own)
        for i, text in enumerate(texts):
            for tag, (title, lead, body, _) in lex.counts(text).items():
                out[i, tags.index(tag)] = 3 * title + lead + body
    return out


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def priorities(proba: np.ndarray | None, thresholds: np.ndarray | None, hits: np.ndarray,
               rule: np.ndarray) -> tuple[np.ndarray, list[list[list[str]]]]:
    """Priority per article and tag, with the reasons behind it.

    With a model: ``uncertainty + missed_lexicon + 0.5 * disagreement``, each in [0, 1]:
    uncertainty ``1 / (1 + |logit p - logit t|)``; missed lexicon ``(1 - e^(-hits/3)) * (1 - p/t)``
    when ``p < t``; disagreement 1 when the keyword rule (3+ hits) and the model's decision differ.
    Without a model (a tag with no labels yet): lexicon strength ``1 - e^(-hits/3)`` alone.
    """
    strength = 1 - np.exp(-hits / 3)
    n, k = hits.shape
    reasons = [[[] for _ in range(k)] for _ in range(n)]
    if proba is None:
        for i, j in zip(*np.nonzero(hits)):
            reasons[i][j].append(f"lexicon score {int(hits[i, j])} (no model yet)")
        return strength, reasons
    t = np.broadcast_to(thresholds, proba.shape)
    uncertainty = 1 / (1 + np.abs(_logit(proba) - _logit(t)))
    missed = np.where(proba < t, strength * (1 - proba / t), 0.0)
    disagree = ((rule >= RULE_MIN_HITS) != (proba >= t)).astype(float)
    for i, j in zip(*np.nonzero((uncertainty > 0.5) | (missed > 0.3) | (disagree > 0))):
        p, th = proba[i, j], t[i, j]
        if uncertainty[i, j] > 0.5:
            reasons[i][j].append(f"near the threshold ({p:.2f} vs {th:.2f})")
        if missed[i, j] > 0.3:
            reasons[i][j].append(f"lexicon score {int(hits[i, j])}, model says {p:.2f}")
        if disagree[i, j]:
            rule_says = "yes" if rule[i, j] >= RULE_MIN_HITS else "no"
            reasons[i][j].append(f"keyword rule says {rule_says}, model {'yes' if p >= th else 'no'}")
    for i in range(n):
        for j in range(k):
            if not reasons[i][j]:
                reasons[i][j].append(f"score {proba[i, j]:.2f} (threshold {t[i, j]:.2f})")
    return uncertainty + missed + 0.5 * disagree, reasons


class CandidateQueue:
    """Pool articles ranked for labelling, for one tag (``focus``) or all of ``tags``.

    ``model``: a loaded classifier (``predict_proba``, ``classes_``, ``thresholds_``) or None;
    ``groups``: near-copy group per article (computed from the texts when not given);
    ``likely_positives``: with ``focus``, every other candidate is the likeliest positive left.
    """

    def __init__(self, articles: Sequence[Article], *, tags: list[str], lexicon: dict[str, list[str]],
                 model=None, focus: str | None = None, groups: Sequence | None = None, likely_positives: bool = True):
        self.articles = list(articles)
        self.likely_positives = likely_positives
        self.tags = list(tags)
        self.lexicon = lexicon
        self.focus = focus
        texts = [article_text(a.title, a.text) for a in self.articles]
        self.groups = list(groups) if groups is not None else near_duplicate_groups([a.text for a in self.articles])
        self.hits = lexicon_hits(texts, self.tags, lexicon)
        self.rule = keyword_hits(texts, self.tags, lexicon)
        self._texts = texts
        self.rescore(model)

    def rescore(self, model) -> None:
        """Score the pool with ``model`` (None: lexicon only) and rank it again (after a retrain)."""
        self.model = model
        proba = thresholds = None
        if model is not None and len(self.articles):
            columns = [list(model.classes_).index(t) for t in self.tags]
            proba = np.asarray(model.predict_proba(self._texts))[:, columns]
            thresholds = np.array([model.thresholds_.get(t, 0.5) for t in self.tags])
        self.proba = proba
        pri, reasons = priorities(proba, thresholds, self.hits, self.rule)
        cols = [self.tags.index(self.focus)] if self.focus else list(range(len(self.tags)))
        best = np.asarray(cols)[pri[:, cols].argmax(axis=1)] if len(self.articles) else np.array([], dtype=int)
        self.candidates = []
        for i, a in enumerate(self.articles):
            j = int(best[i])
            self.candidates.append(Candidate(
                id=a.id, title=a.title, text=a.text, group=self.groups[i],
                scores={t: float(proba[i, k]) for k, t in enumerate(self.tags)} if proba is not None else {},
                hits={t: int(self.hits[i, k]) for k, t in enumerate(self.tags)},
                priority=float(pri[i, j]), tag=self.tags[j], reasons=reasons[i][j]))
        # stable order: priority, then pool position (a restart with the same model ranks alike)
        self._order = sorted(range(len(self.candidates)), key=lambda i: (-round(self.candidates[i].priority, 9), i))
        if self.focus and proba is not None and self.likely_positives:
            self._order = self._with_likely_positives(proba[:, self.tags.index(self.focus)],
                                                      thresholds[self.tags.index(self.focus)])

    def _with_likely_positives(self, p: np.ndarray, cut: float) -> list[int]:
        """Growing one tag: every other candidate is the most likely positive left (the model says yes).

        Uncertainty alone never shows what the model is sure of, but a rare tag grows from confirmed
        positives (and its false positives are the model's costliest mistakes), so the two lists alternate.
        """
        likely = sorted(np.flatnonzero(p >= cut).tolist(), key=lambda i: (-round(float(p[i]), 9), i))
        for i in likely:
            self.candidates[i].reasons = [f"likely {self.focus} ({p[i]:.2f}): confirm or correct it"]
        order, seen = [], set()
        for a, b in zip_longest(self._order, likely):
            for i in (a, b):
                if i is not None and i not in seen:
                    seen.add(i)
                    order.append(i)
        return order

    def ranked(self, decided_ids: Iterable[str] = ()) -> list[Candidate]:
        """Candidates best first, one per near-copy group, without any group that has a decided member."""
        decided = set(decided_ids)
        closed = {c.group for c in self.candidates if c.id in decided}
        out, seen = [], set()
        for i in self._order:
            c = self.candidates[i]
            if c.group in closed or c.group in seen:
                continue
            seen.add(c.group)
            out.append(c)
        return out

    def by_id(self, id_: str) -> Candidate | None:
        if not hasattr(self, "_index"):
            self._index = {c.id: i for i, c in enumerate(self.candidates)}
        i = self._index.get(id_)
        return self.candidates[i] if i is not None else None


def raw_text_term(term: str) -> str:
    """A lexicon term (written for feature-form text) for raw text: a space matches any run of spaces and
    punctuation, or one such character where a run would give a look-behind a varying width.

    >>> raw_text_term("simpan pinjam"), raw_text_term("(?<!minang )ikm")
    ('simpan[\\\\W_]+pinjam', '(?<!minang[\\\\W_])ikm')
    """
    loose = term.replace(" ", r"[\W_]+")
    try:
        re.compile(loose)
    except re.error:
        return term.replace(" ", r"[\W_]")
    return loose


def highlight(text: str, terms: Iterable[tuple[str, str]]) -> list[list]:
    """``text`` cut into ``[piece, tag or None]`` segments, each lexicon term hit marked with its tag
    (terms as in the config, matched case-insensitively at a word start; see :func:`raw_text_term`).

    >>> highlight("Koperasi desa", [("koperasi", "koperasi")])
    [['Koperasi', 'koperasi'], [' desa', None]]
    """
    parts = [(tag, raw_text_term(term)) for term, tag in terms]
    if not parts:
        return [[text, None]]
    rx = re.compile("|".join(rf"(?P<g{k}>\b(?:{p}))" for k, (_, p) in enumerate(parts)), re.IGNORECASE)
    out, pos = [], 0
    for m in rx.finditer(text):
        if m.end() == m.start():
            continue
        k = int(m.lastgroup[1:])
        if m.start() > pos:
            out.append([text[pos:m.start()], None])
        out.append([m.group(), parts[k][0]])
        pos = m.end()
    if pos < len(text):
        out.append([text[pos:], None])
    return out

