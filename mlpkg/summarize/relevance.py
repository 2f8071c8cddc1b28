"""Graded relevance of every sentence against the reference summary, for learning to rank.

A gold flag says only whether a sentence is in the extractive oracle; the reference says how
much of the summary a sentence would bring. Its grade is ``2 * gold + gain``, where ``gain`` is 1
when at least ``PRECISE`` of the sentence's words (ROUGE-1 precision, rouge-score's tokens:
lower-cased letters and digits) are in the reference: 0 (neither), 1 (its words are the summary's
but the annotators chose another sentence for them), 2 (gold, loosely copied) or 3 (gold, copied).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from ..errors import DataError

PRECISE = 0.8
_NON_TOKEN = re.compile(r"[^a-z0-9]+")


def rouge_tokens(text: str) -> list[str]:
    """rouge-score's tokens (no stemmer): lower-cased runs of letters and digits."""
    return _NON_TOKEN.sub(" ", text.lower()).split()


def reference_precision(sentences: Sequence[str], reference: Sequence[str]) -> np.ndarray:
    """Share of each sentence's words (clipped counts) that the reference has: ROUGE-1 precision.

    >>> reference_precision(["Harga beras naik lagi .", "Cuaca cerah ."], ["Harga beras naik ."]).round(2).tolist()
    [0.75, 0.0]
    """
    ref = Counter(rouge_tokens(" ".join(reference)))
    out = np.zeros(len(sentences))
    for i, sentence in enumerate(sentences):
        words = Counter(rouge_tokens(sentence))
        total = sum(words.values())
        out[i] = sum((words & ref).values()) / total if total else 0.0
    return out


def relevance_grades(documents: Sequence[Sequence[str]], gold: Sequence[Sequence[bool]],
                     references: Sequence[Sequence[str]] | None) -> list[np.ndarray]:
    """Per article, one integer grade (0-3) per sentence; without references, ``2 * gold`` only."""
    if references is not None and len(references) != len(documents):
        raise DataError(f"got {len(documents)} articles but {len(references)} reference summaries")
    grades = []
    for i, (sentences, flags) in enumerate(zip(documents, gold)):
        grade = 2 * np.asarray(flags, dtype=np.int64)
        if references is not None:
            grade += reference_precision(sentences, references[i]) >= PRECISE
        grades.append(grade)
    return grades
