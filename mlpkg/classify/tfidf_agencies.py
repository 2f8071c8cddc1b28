"""``tfidf_lexicon_vectors.v1`` that reads agency names as one token (rule book v2, B4).

"Dinas Koperasi dan UKM", "Kemenkop UKM", "LPDB-KUMKM" hold "UKM" without being about small
business; in cooperative stories that acronym made the default tag umkm. Here every such name
becomes :data:`~mlpkg.text.agencies.AGENCY_TOKEN` before any feature is counted (n-grams, lexicon,
mean word vector, and the evidence's sentence forms), so the model learns what the name is worth
by itself, and the office's acronym no longer counts as the topic's.
"""

from __future__ import annotations

from ..core.registry import register
from ..text.agencies import name_agencies
from .tfidf_vectors import TfidfLexiconVectorsClassifier


@register("tfidf_lexicon_vectors_agencies.v1")
class TfidfAgencyNamesClassifier(TfidfLexiconVectorsClassifier):
    """:class:`TfidfLexiconVectorsClassifier` whose feature form names agencies by one token.

    >>> TfidfAgencyNamesClassifier()._feature_form("Dinas Koperasi dan UKM Bengkulu")
    'instansikukm bengkulu'
    """

    def _feature_form(self, text: str) -> str:
        return name_agencies(super()._feature_form(text))
