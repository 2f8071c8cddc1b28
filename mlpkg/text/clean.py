"""Strip publisher boilerplate from Indonesian news bodies.

Datelines ("KOMPAS.com -", "Jakarta, CNBC Indonesia -", "detikEdu"), link teasers ("Baca juga:"),
ad markers and syndication footers tell a model *who* published an article, not what it is
about, so they are removed before training and before prediction alike.
"""

from __future__ import annotations

import html
import re
import unicodedata

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
# Markers that also occur glued inside a line (CLICK-ID, the punctuation-less 2024 crawl).
_INLINE_NOISE = re.compile(
    r"ADVERTISEMENT|SCROLL TO CONTINUE WITH CONTENT|Baca [Jj]uga\s*:[^.\n]{0,160}?(?=\s+[A-Z][a-z]|\n|$)|"
    r"\(\s*(?:[a-z]{2,4}/){1,3}[a-z]{2,4}\s*\)\s*$",
)
# Antara's dateline also sits mid-body in some scrapes (lower-cased: "jakarta (antara) - harga ...").
_ANTARA_MARK = re.compile(r"\(\s*antara(?:news)?\s*\)\s*[-–—]?", re.IGNORECASE)
_HTML_TAG = re.compile(r"<[^>]{1,200}>")
_SPACES = re.compile(r"[ \t\u00a0\u200b]+")


def strip_boilerplate(text: str) -> str:
    """Remove dateline, teaser, ad and footer lines; keep every line a reader needs."""
    lines = []
    for line in text.split("\n"):
        if _BOILERPLATE_LINE.match(line):
            continue
        line = _INLINE_NOISE.sub(" ", line)
        if re.search(r"\w", line):
            lines.append(line)
    # The dateline opens the body; a title line may stand before it.
    for i in range(min(2, len(lines))):
        stripped = _LEADING_JUNK.sub("", _DATELINE.sub("", _LEADING_JUNK.sub("", lines[i]), count=1))
        if stripped != lines[i]:
            lines[i] = stripped
            break
    lines = [" ".join(_ANTARA_MARK.sub(" ", line).split()) if "ntara" in line.lower() else line for line in lines]
    return "\n".join(line for line in lines if line.strip())


def drop_repeated_paragraphs(text: str) -> str:
    """Keep the first copy of each paragraph (scrapers sometimes store a body twice)."""
    seen: set[str] = set()
    kept = []
    for para in text.split("\n"):
        key = re.sub(r"\W+", "", para.lower())
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
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    text = strip_boilerplate(text)
    return drop_repeated_paragraphs(text).strip()
