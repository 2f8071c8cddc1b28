"""Agency names that hold a topic's acronym without being about the topic (rule book v2, B4).

"Dinas Koperasi dan UKM", "Kemenkop UKM" or "LPDB-KUMKM" name an office, not a small business: a
Dinas Koperasi dan UKM training cooperative managers is koperasi only. Counted as words, the "UKM"
of the name is umkm evidence (an n-gram weight, a lexicon hit). :func:`name_agencies` rewrites each
such name, in feature form (:func:`~mlpkg.text.normalize.normalize_for_features`), to the one token
:data:`AGENCY_TOKEN`, so what the office does, not its name, decides the tag.
"""

from __future__ import annotations

import re

AGENCY_TOKEN = "instansikukm"

_PORTFOLIO = r"(?:perindustrian|perdagangan|industri|tenaga kerja|dan)"
# the office's acronym may follow the spelled-out name: "dinas koperasi usaha mikro kecil menengah umkm",
# "... koperasi usaha kecil dan menengah ppkukm"; after a short name ("dinas koperasi dan ukm umkm binaan")
# the next word is the story's own
_MSME = (r"(?:u?mkm|ukm|usaha(?: (?:dan )?(?:mikro|kecil|menengah)){1,3}(?: \w*(?:u?mkm|ukm))?)"
         r"(?:(?: dan)? (?:perindustrian|perdagangan|industri)){0,2}")
_COOPERATIVE = r"(?:koperasi|koprasi|kooperasi)"  # the office names as written, misspellings included
# an office, optionally with other portfolios before the cooperative one:
# "dinas perindustrian perdagangan koperasi usaha kecil dan menengah"
_HEAD = (r"(?:dinas|kementerian|kementrian|kemnterian|menteri(?: negara)?|kadis|kepala bidang|kabid|kepala seksi|"
         r"kasi|kantor|kasudin|sekretariat|deputi(?: bidang)?|lembaga layanan pemasaran|"
         r"lembaga pengelola dana bergulir)")
_NAMES = [
    rf"{_HEAD}(?: {_PORTFOLIO}){{0,3}} {_COOPERATIVE}(?: {_PORTFOLIO}){{0,3}} {_MSME}",
    rf"{_HEAD} (?:kumkm|kukm)",
    rf"(?:kemenkop|menkop|diskop|dinkop|dindagkop)(?: dan)? {_MSME}",
    r"(?:kemenkop|menkop|diskop|dinkop|dinaskop)u?mkm\w*",
    r"(?:kemenkop|menkop|diskop|dinkop|dinaskop)ukm\w*",
    r"(?:lpdb|llp) (?:kumkm|kukm|umkm|ukm)",
    rf"deputi(?: bidang)? {_MSME}",
]
_AGENCY = re.compile(r"\b(?:" + "|".join(_NAMES) + r")\b")
_MARKS = ("kop", "koop", "kukm", "kumkm", "deputi")  # every name holds one: texts without any skip the regex


def name_agencies(form: str) -> str:
    """``form`` (feature form) with every cooperative-and-MSME agency name as :data:`AGENCY_TOKEN`.

    >>> name_agencies("kepala dinas koperasi dan ukm provinsi bengkulu melatih pengurus koperasi")
    'kepala instansikukm provinsi bengkulu melatih pengurus koperasi'
    >>> name_agencies("pelatihan umkm oleh kemenkop ukm dan lpdb kumkm")
    'pelatihan umkm oleh instansikukm dan instansikukm'
    """
    if not any(mark in form for mark in _MARKS):
        return form
    return _AGENCY.sub(AGENCY_TOKEN, form)
