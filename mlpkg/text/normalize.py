"""Text forms used as model features (not for display)."""

from __future__ import annotations

import re

_NON_WORD = re.compile(r"[^\w]+|_")
_DIGITS = re.compile(r"\d+")


def normalize_for_features(text: str) -> str:
    """Lower-case, punctuation to spaces, digit runs to ``0``.

    Punctuation is dropped on purpose: one of our sources lost all punctuation when it was
    scraped, and a model must not learn "no commas means education".

    >>> normalize_for_features("Rp4,9 juta untuk UMKM!")
    'rp0 0 juta untuk umkm'
    """
    return " ".join(_DIGITS.sub("0", _NON_WORD.sub(" ", text.lower())).split())


def article_text(title: str | None, body: str | None) -> str:
    """Title and body as one input string (the title carries much of the topic)."""
    title = (title or "").strip()
    body = body or ""
    return f"{title}\n{body}" if title else body
