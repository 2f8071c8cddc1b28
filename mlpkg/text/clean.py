"""Strip publisher boilerplate from Indonesian news bodies.

Datelines ("KOMPAS.com -", "Jakarta, CNBC Indonesia -", "detikEdu"), link teasers ("Baca juga:"),
ad markers and syndication footers tell a model *who* published an article, not what it is
about, so they are removed before training and before prediction alike.
"""

from __future__ import annotations

import html
import re
import unicodedata

from .lexicon import stopwords

_PUBLISHERS = (
    r"KOMPAS\.com|Kompas\.com|Okezone|SINDOnews(?:\.com)?|Sindonews\.com|TEMPO\.CO|Tempo\.co|TRIBUNNEWS\.COM|"
    r"Tribunnews\.com|WowKeren|Kapanlagi\.com|KapanLagi\.com|Fimela\.com|Liputan6\.com|REPUBLIKA\.CO\.ID|"
    r"Republika\.co\.id|VIVA(?:\.co\.id|news)?|Merdeka\.com|merdeka\.com|CNN Indonesia|CNBC Indonesia|"
    r"ANTARA(?: News)?|Antaranews\.com|Suara\.com|kumparan|Poskotanews\.com|Bisnis\.com|Pos Metro|detik\w*|Detik\w*"
)
_DASH = r"(?:\s*[-–—:|])+\s*"
# "Palangka Raya (ANTARA) -", "Jakarta, CNBC Indonesia -", "KOMPAS.com -", "JAKARTA, KOMPAS.com -",
# "Liputan6.com, Jakarta", "MADRID –", "Jakarta -", "detikEdu", "Laporan Wartawan Tribunnews.com, ... -".
# Anchored at the start of the body only.
_DATELINE = re.compile(
    "|".join(
        [
            r"^\s*Laporan (?:Wartawan|Reporter)[^-–—]{0,120}?" + _DASH,
            r"^\s*(?:[A-Z][\w .'/-]{0,40}?\s*[,(]\s*)?(?:" + _PUBLISHERS + r")\s*\)?" + _DASH,
            r"^\s*(?:" + _PUBLISHERS + r")\s*,\s*[A-Z][\w .]{0,30}?" + _DASH,
            r"^\s*(?:" + _PUBLISHERS + r")\s*,\s*[A-Z][a-z]+",
            r"^\s*[A-Z][A-Za-z]+(?: [A-Z][A-Za-z]+){0,2}\s*,?\s*(?:\([^)]{2,30}\))?\s*[-–—](?:\s+|$)",
            r"^\s*(?:" + _PUBLISHERS + r")\s*(?=[A-Z])",
        ]
    )
)
_LEADING_JUNK = re.compile(r"^[\s,.;:\-–—/|]+")
_BOILERPLATE_LINE = re.compile(
    r"^\s*(?:baca(?: juga)?\s*:|lihat juga\b|simak(?: juga)? video\b|simak\s*:|saksikan video\b|"
    r"advertisement\b|scroll to continue\b|artikel ini telah tayang\b|artikel ini sudah tayang\b|"
    r"baca berita (?:lainnya|selengkapnya)\b|berita terkait\b|ikuti (?:berita|kami)\b|"
    r"dapatkan (?:update|berita)\b|follow\b.{0,40}(?:google news|instagram|twitter)|"
    r"\[?gambas:video|editor\s*:|penulis\s*:|reporter\s*:|sumber\s*:)",
    re.IGNORECASE,
)
# Markers that also occur glued inside a line (CLICK-ID, the punctuation-less 2024 crawl); an ad
# marker takes its own full stop with it.
_INLINE_NOISE = re.compile(
    r"ADVERTISEMENT\s*\.?|SCROLL TO CONTINUE WITH CONTENT\s*\.?|"
    r"\(\s*(?:[a-z]{2,4}/){1,3}[a-z]{2,4}\s*\)\s*$",
)
_TEASER = re.compile(r"Baca [Jj]uga\s*:")
# Words a Title Case headline keeps in lower case.
_HEADLINE_SMALL_WORDS = frozenset(
    "di ke dari dan yang untuk dengan jadi ini itu bagi pada atau vs & - – soal hingga usai jelang".split()
)
_WORD = re.compile(r"\S+")
_HEADLINE_MAX_CHARS = 160
# Antara's dateline also sits mid-body in some scrapes (lower-cased: "jakarta (antara) - harga ...").
_ANTARA_MARK = re.compile(r"\(\s*antara(?:news)?\s*\)\s*[-–—]?", re.IGNORECASE)
_HTML_TAG = re.compile(r"<[^>]{1,200}>")
_SPACES = re.compile(r"[ \t\u00a0\u200b]+")
_ANY_WORD = re.compile(r"\w")
_NON_WORD_RUNS = re.compile(r"\W+")
# ASCII characters that are not word characters, to spaces; every ASCII character is in the table (the
# others map to themselves), which keeps str.translate on its fast path for ASCII text
_ASCII_NON_WORD_TO_SPACE = str.maketrans({c: c if c.isalnum() or c == "_" else " " for c in map(chr, range(128))})


# Each regex pass below is skipped when a cheap substring test shows it would change nothing: the
# output is the same, and most lines of most articles need none of them.
def _squeeze_spaces(text: str) -> str:
    """Runs of spaces, tabs, no-break and zero-width spaces as one space."""
    if "  " in text or "\t" in text or "\u00a0" in text or "\u200b" in text:
        return _SPACES.sub(" ", text)
    return text


def _drop_inline_noise(line: str) -> str:
    if "(" in line or "ADVERTISEMENT" in line or "SCROLL TO CONTINUE" in line:
        return _INLINE_NOISE.sub(" ", line)
    return line


def _strip_dateline(line: str) -> str:
    match = _DATELINE.match(line)  # every alternative is anchored at the start
    return line[match.end():] if match else line


def _paragraph_key(paragraph: str) -> str:
    """The paragraph lower-cased without its non-word characters: what makes two paragraphs copies."""
    key = paragraph.lower()
    if key.isascii():
        return "".join(key.translate(_ASCII_NON_WORD_TO_SPACE).split())
    return _NON_WORD_RUNS.sub("", key)


def strip_boilerplate(text: str) -> str:
    """Remove dateline, teaser, ad and footer lines; keep every line a reader needs."""
    lines = []
    for line in text.split("\n"):
        if _BOILERPLATE_LINE.match(line):
            continue
        line = _squeeze_spaces(strip_inline_teasers(_drop_inline_noise(line)))
        if _ANY_WORD.search(line):
            lines.append(line)
    # The dateline opens the body; a title line may stand before it.
    for i in range(min(2, len(lines))):
        stripped = _LEADING_JUNK.sub("", _strip_dateline(_LEADING_JUNK.sub("", lines[i])))
        if stripped != lines[i]:
            lines[i] = stripped
            break
    lines = [" ".join(_ANTARA_MARK.sub(" ", line).split()) if "ntara" in line.lower() else line for line in lines]
    return "\n".join(line for line in lines if line.strip())


def _is_headline_word(word: str) -> bool:
    return word[0].isupper() or word[0].isdigit() or word.lower() in _HEADLINE_SMALL_WORDS


def _after_teaser_headline(rest: str) -> str:
    """What follows an inline "Baca juga:" once the teased headline is dropped.

    A Title Case headline runs until a capitalised word followed by a lower-case one (the next
    sentence starts there). A sentence-case headline ("SMK bantu Kalteng ciptakan ...") runs until
    a capitalised function word after a lower-case word ("... mandiri Adapun yang ..."), else to its
    full stop or the end of a short paragraph. Nothing is dropped when no headline follows the
    marker (",,Baca juga:,,Skor ..." in scrapes that already removed it).
    """
    if not re.match(r"\s+[A-Z0-9]", rest):
        return rest
    words = list(_WORD.finditer(rest))
    k = 0
    while k < len(words) and _is_headline_word(words[k].group()):
        if words[k].group()[-1] in ".!?":  # a headline that ends a sentence
            return rest[words[k].end():]
        k += 1
    if k == len(words):
        return ""
    if k >= 1 and words[k].group()[0] in "\"“'‘":  # a quote opens the next sentence
        return rest[words[k].start():]
    if k >= 2 and words[k - 1].group()[0].isupper():
        return rest[words[k - 1].start():]
    common = stopwords()
    for before, word in zip(words[k:], words[k + 1:]):
        text = word.group()
        if before.group()[-1] in ".!?":
            return rest[word.start():]
        if before.group()[0].islower() and text[0].isupper() and text.lower().strip(",") in common:
            return rest[word.start():]
    return "" if len(rest) <= _HEADLINE_MAX_CHARS else rest  # a headline that ends the paragraph


def strip_inline_teasers(line: str) -> str:
    """Drop "Baca juga: <headline>" teasers that sit inside a paragraph.

    >>> strip_inline_teasers("Modal naik. Baca juga: Menkop Dorong Koperasi Naik Kelas Pengurus menyebut laba naik.")
    'Modal naik. Pengurus menyebut laba naik.'
    """
    while match := _TEASER.search(line):
        line = line[: match.start()].rstrip() + " " + _after_teaser_headline(line[match.end():]).lstrip()
    return line.strip()


def drop_repeated_paragraphs(text: str) -> str:
    """Keep the first copy of each paragraph (scrapers sometimes store a body twice)."""
    seen: set[str] = set()
    kept = []
    for para in text.split("\n"):
        key = _paragraph_key(para)
        if len(key) > 20 and key in seen:
            continue
        seen.add(key)
        kept.append(para)
    return "\n".join(kept)


def clean(text: str) -> str:
    """Normalise one raw article body into readable paragraphs separated by newlines.

    >>> clean("Palangka Raya (ANTARA) - Koperasi tumbuh.\\nBaca juga: UMKM naik kelas")
    'Koperasi tumbuh.'
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", html.unescape(text))
    text = _HTML_TAG.sub(" ", text).replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.strip() for line in _squeeze_spaces(text).split("\n"))
    text = strip_boilerplate(text)
    return drop_repeated_paragraphs(text).strip()
