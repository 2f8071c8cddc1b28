"""Per-tag lexicon features: how densely a tag's own words occur in the title, the lead and the body.

A rare tag has a few dozen examples; from those a linear model must rediscover that "koperasi"
matters, and it learns publisher vocabulary alongside. A lexicon written by a person (in the config)
states the key terms once, and the model learns only how much each density counts.

Terms are regular expressions matched on the feature text (lower-case, punctuation as spaces, digit
runs as ``0``), each starting at a word boundary: ``kopdes``, ``simpan pinjam``, ``ksp\\b``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from ..text.normalize import normalize_for_features

PARTS = ("title", "lead", "body", "density")
TITLE_MAX_CHARS = 300
# Words of word characters separated by single spaces, a word may end in an optional character
# ('kspps?'), the term may end in '\b': every match starts and ends with a word character.
_PLAIN_TERM = re.compile(r"\w+(?:\w\?)?(?: \w+(?:\w\?)?)*(?:\\b)?")


def lexicon_problem(value: object) -> str | None:
    """What is wrong with a lexicon value (a mapping of tag to a list of patterns, or None), or None."""
    if value is None:
        return None
    if not isinstance(value, dict):
        return f"expected a mapping of tag -> list of terms, got {type(value).__name__}"
    for tag, terms in value.items():
        if not isinstance(terms, list) or not terms or not all(isinstance(t, str) and t.strip() for t in terms):
            return f"{tag}: expected a non-empty list of terms (strings), got {terms!r}"
        for term in terms:
            try:
                re.compile(term)
            except re.error as exc:
                return f"{tag}: term {term!r} is not a valid regular expression ({exc})"
            slow = nested_quantifier(term)
            if slow:
                return f"{tag}: term {term!r} {slow}"
    return None


FEW_REPEATS = 3  # a repeat inside a group repeated at most this often is safe: (?:\.\d{1,3}){3}


def nested_quantifier(term: str) -> str | None:
    """Why a valid term could take exponential time to match, or None. A group repeated without bound
    (or more than ``FEW_REPEATS`` times) that holds a repeat, such as ``(?:k+)+x``, makes Python's
    backtracking engine try every way of splitting a run of ``k`` between the two repeats (one
    45-character article took 47 s); a lexicon term never needs one.

    >>> [nested_quantifier(t) is None for t in ("kspps?\\b", "(?:simpan )?pinjam", "\\d+(?:\\.\\d+){3}")]
    [True, True, True]
    >>> nested_quantifier("(?:k+)+x")
    'has a repeat inside a repeated group (as in (?:k+)+): matching can take exponential time; drop one of the two'
    """
    from re import _parser as parser  # what re.compile runs on: the pattern exactly as the engine sees it

    def repeats(items) -> list[tuple[int, list]]:
        """(most repetitions, body) of every repeat in a parsed pattern, at any depth."""
        found: list[tuple[int, list]] = []
        for op, av in items:
            if op in (parser.MAX_REPEAT, parser.MIN_REPEAT) or op.name == "POSSESSIVE_REPEAT":
                found += [(av[1], av[2]), *repeats(av[2])]
            elif op is parser.SUBPATTERN:
                found += repeats(av[-1])
            elif op is parser.BRANCH:
                found += [r for branch in av[1] for r in repeats(branch)]
            elif op in (parser.ASSERT, parser.ASSERT_NOT):
                found += repeats(av[1])
            elif op.name == "ATOMIC_GROUP":
                found += repeats(av)
            elif op is parser.GROUPREF_EXISTS:
                found += [r for branch in av[1:] if branch is not None for r in repeats(branch)]
        return found

    if any(most > FEW_REPEATS and any(inner > 1 for inner, _ in repeats(body))
           for most, body in repeats(parser.parse(term))):
        return ("has a repeat inside a repeated group (as in (?:k+)+): matching can take exponential time; "
                "drop one of the two")
    return None


def split_title(text: str) -> tuple[str, str]:
    """(title, body) of an article text made by ``article_text``: a short first line is the title."""
    head, sep, rest = text.partition("\n")
    if sep and len(head) <= TITLE_MAX_CHARS:
        return head, rest
    return "", text


def normalized_parts(text: str) -> tuple[str, str]:
    """(title, body) in feature form. Joined by a space (the empty part left out) they equal
    ``normalize_for_features(text)``, so one pass serves the n-grams and the lexicon."""
    title, body = split_title(text)
    return normalize_for_features(title), normalize_for_features(body)


def joined(parts: tuple[str, str]) -> str:
    return " ".join(p for p in parts if p)


def _word_start_pattern(terms: list[str]) -> Callable[[str], int]:
    """Counts of the terms at word starts in a feature-form text, as a function of ``" " + text``.

    Plain terms (see ``_PLAIN_TERM``) are counted as ``\\b(?:term1)|\\b(?:term2)|...`` counts them
    (at one place the first term that matches wins); any other term (a look-ahead, a look-behind, a
    class) is counted on its own, once at each word start where it matches, so a term that matches no
    text, such as ``(?=umkm(?: \\w+){0,3} naik kelas)``, counts beside the words it looks at.

    Python's regex engine tries a pattern that opens with ``\\b`` at every character. In feature-form
    text (word characters and spaces) a word start is just "after a space", so the terms are found on
    the text behind one space by patterns that open with a space, which the engine only tries at
    spaces: `` (?:...)`` for the plain terms, grouped by their first letter (their order kept within a
    group, so the term that wins at a place is the same), `` (?=(?:term))`` for each other one.
    """
    plain = [t for t in terms if _PLAIN_TERM.fullmatch(t)]
    # matched as written, case-insensitively: lower-casing the pattern would turn \W \S \D \B into
    # \w \s \d \b and \Z into an invalid \z
    own = [re.compile(f" (?=(?:{t}))", re.IGNORECASE) for t in terms if not _PLAIN_TERM.fullmatch(t)]
    groups: dict[str, list[str]] = {}
    for term in (t.lower() for t in plain):  # a plain term's only escape is \b: lower-casing it is safe
        groups.setdefault(term[0], []).append(term[1:])
    if groups:
        rx = re.compile(" (?:" + "|".join(f"{first}(?:{'|'.join(rests)})" for first, rests in groups.items()) + ")")
        if not own:
            return lambda spaced: len(rx.findall(spaced))
        own.append(rx)
    return lambda spaced: sum(len(pattern.findall(spaced)) for pattern in own)


class TagLexicon:
    """Counts a tag's terms; four features per tag: title hits, lead hits, body hits, body density.

    >>> lex = TagLexicon({"koperasi": ["koperasi", "ksp\\\\b"]})
    >>> lex.counts("Koperasi Merah Putih\\nKSP dan koperasi desa dibentuk.")["koperasi"]
    (1, 2, 2, 5)
    """

    def __init__(self, terms: dict[str, list[str]], lead_chars: int = 400):
        self.terms = terms
        self.lead_chars = lead_chars
        self.tags = list(terms)
        self._patterns = {tag: _word_start_pattern(list(ts)) for tag, ts in terms.items()}

    @property
    def feature_names(self) -> list[str]:
        return [f"lexicon:{tag}:{part}" for tag in self.tags for part in PARTS]

    def counts(self, text: str) -> dict[str, tuple[int, int, int, int]]:
        """Per tag: (title hits, lead hits, body hits, body words)."""
        return self.counts_parts(normalized_parts(text))

    def counts_parts(self, parts: tuple[str, str]) -> dict[str, tuple[int, int, int, int]]:
        """:meth:`counts` of an article already split by :func:`normalized_parts`."""
        title, body = parts
        words = body.count(" ") + 1 if body else 0
        title, lead, body = " " + title, " " + body[: self.lead_chars], " " + body  # see _word_start_pattern
        return {tag: (count(title), count(lead), count(body), words) for tag, count in self._patterns.items()}

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """Dense features, shape (n_texts, 4 * n_tags): log1p of title/lead/body hits and the
        hits per 100 body words (log1p), so one mention in a long article counts little."""
        return self.transform_parts([normalized_parts(t) for t in texts])

    def transform_parts(self, parts: Sequence[tuple[str, str]]) -> np.ndarray:
        """:meth:`transform` of articles already split by :func:`normalized_parts`."""
        out = np.zeros((len(parts), 4 * len(self.tags)), dtype=np.float32)
        for i, pair in enumerate(parts):
            for j, (t, lead, body, words) in enumerate(self.counts_parts(pair).values()):
                density = 100.0 * body / max(words, 50)
                out[i, 4 * j : 4 * j + 4] = (t, lead, body, density)
        return np.log1p(out)
