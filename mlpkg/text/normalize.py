"""Text forms used as model features (not for display)."""

from __future__ import annotations

import re

_NON_WORD = re.compile(r"[^\w]+|_")
_DIGITS = re.compile(r"\d+")
# The same in one C pass for ASCII text: non-word characters (and "_") to spaces, digits to "0" (a
# run of zeros is then one "0", as a run of digits is). News text is mostly ASCII once a few
# frequent punctuation marks, non-word characters all, are spaces too. Every ASCII character is in
# the table (letters map to themselves), which keeps str.translate on its fast path.
_ASCII_FEATURE_CHARS = str.maketrans({c: "0" if c.isdigit() else c if c.isalpha() else " "
                                      for c in map(chr, range(128))})
_NON_ASCII_PUNCTUATION = "“”‘’–—•·©®…"


def normalize_for_features(text: str) -> str:
    """Lower-case, punctuation to spaces, digit runs to ``0``.

    Punctuation is dropped on purpose: one of our sources lost all punctuation when it was
    scraped, and a model must not learn "no commas means education".

    >>> normalize_for_features("Rp4,9 juta untuk UMKM!")
    'rp0 0 juta untuk umkm'
    """
    text = text.lower()
    if not text.isascii():
        for mark in _NON_ASCII_PUNCTUATION:
            if mark in text:
                text = text.replace(mark, " ")
        if not text.isascii():
            return " ".join(_DIGITS.sub("0", _NON_WORD.sub(" ", text)).split())
    text = text.translate(_ASCII_FEATURE_CHARS)
    while "00" in text:
        text = text.replace("00", "0")
    return " ".join(text.split())


def article_text(title: str | None, body: str | None) -> str:
    """Title and body as one input string (the title carries much of the topic)."""
    title = (title or "").strip()
    body = body or ""
    return f"{title}\n{body}" if title else body
