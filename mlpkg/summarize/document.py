"""One article as the summarisers see it: its sentences and the paragraph of each.

A :class:`Document` is built either from raw text (cleaned, split into paragraphs by line and
into sentences by :func:`mlpkg.text.split_sentences`) or from sentences already split, such as
IndoSum's tokenised ones. The numbers the scorers need are computed for many documents at once
by :class:`mlpkg.summarize.vectorized.Batch`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..errors import DataError
from ..text.clean import clean
from ..text.sentences import detokenize, split_sentences

# A space before closing punctuation or after an opening bracket: IndoSum-style tokenised text.
_TOKENISED = re.compile(r" [,.!?;:)%](?: |$)|\( ")
_WORD = re.compile(r"\w+")


def for_display(sentence: str) -> str:
    """Undo word tokenisation; natural text is returned as it is.

    >>> for_display('Harga naik 4,9 persen ( BPS ) .')
    'Harga naik 4,9 persen (BPS).'
    """
    return detokenize(sentence.split()) if _TOKENISED.search(sentence) else sentence


def _same_words(a: str, b: str) -> bool:
    return _WORD.findall(a.lower()) == _WORD.findall(b.lower())


@dataclass
class Document:
    """Sentences of one article, the paragraph index of each, and its title if known.

    >>> doc = Document.from_text("Koperasi tumbuh pesat. Anggotanya bertambah.\\nPemerintah membantu.")
    >>> doc.sentences, doc.paragraphs.tolist()
    (['Koperasi tumbuh pesat.', 'Anggotanya bertambah.', 'Pemerintah membantu.'], [0, 0, 1])
    """

    sentences: list[str]
    paragraphs: np.ndarray
    title: str | None = None

    def __post_init__(self) -> None:
        self.paragraphs = np.asarray(self.paragraphs, dtype=np.int64).reshape(-1)
        if len(self.paragraphs) != len(self.sentences):
            raise DataError(f"got {len(self.sentences)} sentences but {len(self.paragraphs)} paragraph indices")

    @classmethod
    def from_text(cls, text: str, title: str | None = None) -> "Document":
        """Clean raw text (datelines, "Baca juga:" teasers, repeated paragraphs) and split it.

        A first line that repeats the title is dropped: the title is not part of the summary.
        """
        lines = clean(text or "").split("\n")
        if title and lines and _same_words(lines[0], title):
            lines = lines[1:]
        sentences, paragraphs = [], []
        for index, line in enumerate(lines):
            for sentence in split_sentences(line):
                sentences.append(sentence)
                paragraphs.append(index)
        return cls(sentences, np.asarray(paragraphs, dtype=np.int64), title or None)

    @classmethod
    def from_sentences(cls, sentences, paragraphs=None, title: str | None = None) -> "Document":
        """Sentences already split; without ``paragraphs`` every sentence is its own paragraph."""
        sentences = [str(s) for s in sentences]
        if paragraphs is None:
            paragraphs = np.arange(len(sentences))
        return cls(sentences, paragraphs, title or None)

    def __len__(self) -> int:
        return len(self.sentences)
