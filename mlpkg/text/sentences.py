"""Indonesian sentence splitting and detokenisation.

``split_sentences`` runs nltk's Punkt algorithm with our own Indonesian abbreviation list, so
it needs no downloaded model: "Dr.", "Prof.", "H.", "Jl.", "PT.", "Tbk.", "dll.", "S.E.",
"Ph.D." and initials do not end a sentence; decimals such as "4,9 juta" or "4.0" never do,
since Punkt only considers a period followed by white space.
"""

from __future__ import annotations

import re
import string
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nltk.tokenize.punkt import PunktSentenceTokenizer

# Lower-case, without the final period; Punkt matches these case-insensitively. Words that are also
# ordinary words or period-less acronyms are left out, since ending a sentence with them is common in
# news: ibu, hal, kota ("di kabupaten/kota."), BPK (the audit board), HP, USD/IDR ("per USD."), SR
# (Richter scale), RT/RW, and positions used as nouns ("ujar Kapolres.", "kata Wagub.").
ABBREVIATIONS = frozenset(
    """
    dr drs dra drg prof ir h hj kh ust st no nos jl jln gg kec kel kab prov tbk pt cv ud
    ltd inc co corp bp sdr sdri yth ybs dll dsb dst dkk tsb spt sbg krn utk yg dgn tgl thn
    hlm mr mrs ms jr ph.d s.e s.h s.pd s.kom s.t s.sos s.ag s.ip s.psi s.ked s.farm
    m.si m.sc m.m m.h m.pd m.kom m.t m.a m.ag m.hum m.eng m.ba mba m.kes sp.a sp.og sp.pd sp.b
    a.md a.n u.p c.q d.k.k no.rek telp tel fax ext e.g i.e vs etc approx
    jan feb mar apr jun jul agu agt ags sep sept okt nov des
    rp
    kol letjen mayjen brigjen jend kapt serka pratu bripka briptu aiptu ipda iptu akp kompol akbp kombes irjen komjen
    gub bup
    """.split()
) | frozenset(string.ascii_lowercase)

_GLUED_BOUNDARY = re.compile(r"(?<=[a-z]{3}[.!?])(?=[A-Z][a-z]{2})")


@lru_cache(maxsize=1)
def _tokenizer() -> PunktSentenceTokenizer:
    # imported here: nltk takes seconds to import, and classifiers never split sentences
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    params = PunktParameters()
    params.abbrev_types = set(ABBREVIATIONS)
    return PunktSentenceTokenizer(params)


def split_sentences(text: str, *, fix_glued: bool = True) -> list[str]:
    """Split text into sentences; line breaks always end a sentence.

    >>> split_sentences("Prof. Dr. Ir. H. Budi hadir di Jl. Merdeka No. 5. Harga naik 4,9 persen.")
    ['Prof. Dr. Ir. H. Budi hadir di Jl. Merdeka No. 5.', 'Harga naik 4,9 persen.']
    """
    tok = _tokenizer()
    out: list[str] = []
    for line in text.split("\n"):
        line = " ".join(line.split())
        if not line:
            continue
        if fix_glued:
            line = _GLUED_BOUNDARY.sub(" ", line)
        out.extend(s.strip() for s in tok.tokenize(line) if s.strip())
    return out


_NO_SPACE_BEFORE = {",", ".", "!", "?", ":", ";", ")", "]", "}", "%", "...", "'s", "n't"}
_NO_SPACE_AFTER = {"(", "[", "{", "$", "#"}


def detokenize(tokens: list[str]) -> str:
    """Join word tokens (IndoSum style) into readable text.

    >>> detokenize(['"', 'Tidak', 'hanya', 'tarif', ',', '"', 'ucap', 'dia', '(', '27/3', ')', '.'])
    '"Tidak hanya tarif," ucap dia (27/3).'
    """
    out: list[str] = []
    open_quote = False
    glue_next = False
    for tok in tokens:
        if tok in ('"', "“", "”"):
            if open_quote:
                out.append(tok)
                glue_next = False
            else:
                out.append((" " if out else "") + tok)
                glue_next = True
            open_quote = not open_quote
            continue
        if out and not glue_next and tok not in _NO_SPACE_BEFORE:
            out.append(" ")
        out.append(tok)
        glue_next = tok in _NO_SPACE_AFTER
    return "".join(out).strip()
