"""A second TF-IDF block over an article's title and lead, read by some tags' classifiers only.

Reporters put the subject in the title and the first sentence: a warung story that never says "UMKM"
still says "pedagang" or "usaha" up front. The same words further down weigh as much as those in the
word block, so the title and the first ``chars`` characters of the body get a vocabulary of their own.
A probe that gave the block to every tag lifted umkm but lowered koperasi and pendidikan, so the
block is a per-tag choice (``lead_block_tags``): the other tags' classifiers are fitted without its
columns, and their weights there are zero.
"""

from __future__ import annotations

from ..errors import allowed
from .text_features import truncate_words


def lead_text(parts: tuple[str, str], chars: int) -> str:
    """The title and the leading words of the body (about ``chars`` characters, never a cut word), in
    feature form, of an article split into (title, body) feature forms.

    >>> lead_text(("koperasi desa", "pedagang pasar menerima bantuan modal usaha"), 20)
    'koperasi desa pedagang pasar'
    """
    title, body = parts
    return " ".join(p for p in (title, truncate_words(body, chars)) if p)


def lead_portions(body_forms: list[str], chars: int) -> list[str]:
    """The part of each body sentence (feature forms, joined by single spaces) that :func:`lead_text`
    keeps: whole sentences, then the leading words of the one the cut falls in, then empty strings.

    >>> lead_portions(["pedagang pasar menerima", "bantuan modal usaha"], 32)
    ['pedagang pasar menerima', 'bantuan']
    """
    kept = len(truncate_words(" ".join(body_forms), chars))
    out, start = [], 0
    for form in body_forms:
        out.append(form[: max(0, kept - start)].rstrip())
        start += len(form) + 1
    return out


def lead_block_problem(chars: int | None, tags: list[str] | tuple[str, ...], labels: list[str]) -> str | None:
    """What is wrong with ``lead_block_chars`` and ``lead_block_tags`` for a model of ``labels``, or None."""
    unknown = [t for t in tags if t not in labels]
    if unknown:
        return f"lead_block_tags has {allowed(unknown)}, not tags of the label set; allowed: {allowed(labels)}"
    if len(set(tags)) != len(tags):
        return f"lead_block_tags lists a tag twice: {list(tags)!r}"
    if chars is None and tags:
        return "lead_block_tags is set but lead_block_chars is null: set both (or neither)"
    if chars is not None and not tags:
        return "lead_block_chars is set but lead_block_tags is empty: name the tags that read the block"
    return None
