"""The fast paths of tagging give exactly what the plain regex / scikit-learn code gives (issue #11).

Each fast path replaces a slower computation on real articles from data/; these tests pin that the
output is the same to the last character or bit, never only "close".
"""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from mlpkg.batch.tagger import ModelInfo, worker_preload
from mlpkg.classify.lexicon_features import _PLAIN_TERM, TagLexicon, _word_start_pattern, normalized_parts
from mlpkg.classify.tfidf_lexicon import TfidfLexiconClassifier
from mlpkg.classify.word_ngrams import WordNgramCounter, word_tfidf
from mlpkg.core.directory import load_model
from mlpkg.text.clean import clean
from mlpkg.text.normalize import article_text, normalize_for_features

clean_module = sys.modules["mlpkg.text.clean"]
EDGE_CASES = ["", " ", "\t\n", "a  b\t\tc\u00a0d\u200be", "12_34 __ a_b 000 007 x0y Rp4,9 juta", "İstanbul ½ ² ٣ é",
              "“Koperasi” — kata ‘guru’… © 2025", "(ant/abc) ADVERTISEMENT. SCROLL TO CONTINUE WITH CONTENT",
              "Jakarta (ANTARA) - Koperasi tumbuh.\nJakarta (ANTARA) - Koperasi tumbuh.", "&amp; <b>UMKM</b>\r\nA\rB"]


@pytest.fixture(scope="module")
def articles(topics) -> list[str]:
    long = topics[topics["text"].str.len() > 1500].head(300)
    return [article_text(t, b) for t, b in zip(long["title"], long["text"])] + EDGE_CASES


def test_normalize_for_features_equals_the_regex_form(articles):
    def reference(text):
        return " ".join(re.sub(r"\d+", "0", re.sub(r"[^\w]+|_", " ", text.lower())).split())

    for text in articles + [clean(t) for t in articles]:
        assert normalize_for_features(text) == reference(text)


def test_cleaning_shortcuts_equal_the_regex_passes_they_skip(articles):
    lines = [line for text in articles for line in text.split("\n")] + EDGE_CASES
    for line in lines:
        assert clean_module._squeeze_spaces(line) == clean_module._SPACES.sub(" ", line)
        assert clean_module._drop_inline_noise(line) == clean_module._INLINE_NOISE.sub(" ", line)
        assert clean_module._strip_dateline(line) == clean_module._DATELINE.sub("", line, count=1)
        assert clean_module._paragraph_key(line) == re.sub(r"\W+", "", line.lower())


@pytest.mark.parametrize("terms", [
    ["koperasi", "kopdes\\b", "ksp\\b", "kspps?\\b", "simpan pinjam", "koperasi desa merah putih", "anggota koperasi"],
    ["sekolah", "guru\\b", "sd\\b", "smp\\b", "sma\\b", "smk\\b", "belajar", "pendidikan", "0"],
    ["usaha", "usaha mikro", "pelaku usaha", "umkm\\b", "ukm\\b"],
    ["(?:koperasi|umkm)", "usaha\\s", "a b?", "siswa"],  # not plain: the regex as written is used
    ["(?=(?:umkm|usaha)(?: \\w+){0,3} naik kelas)", "umkm\\b", "(?<!minang )ikm\\b", "usaha"],
], ids=["koperasi", "pendidikan", "umkm", "not-plain", "look-around"])
def test_lexicon_counts_equal_word_boundary_findall(articles, terms):
    """Plain terms count as one alternation does (the first that matches at a place wins); any other
    term counts on its own at every word start where it matches."""
    count = _word_start_pattern(terms)
    plain = [t for t in terms if _PLAIN_TERM.fullmatch(t)]
    alternation = re.compile("|".join(rf"\b(?:{t})" for t in plain))
    own = [re.compile(t, re.IGNORECASE) for t in terms if t not in plain]
    texts = [*articles, "UMKM naik kelas dan usaha usaha mikro naik kelas, IKM Ikatan Keluarga Minang IKM"]
    for text in texts:
        for part in normalized_parts(clean(text)):
            starts = [m.start() for m in re.finditer(r"\b\w", part)]
            expected = len(alternation.findall(part)) + sum(bool(rx.match(part, i)) for rx in own for i in starts)
            assert count(" " + part) == expected, part[:80]


def test_lexicon_density_example_unchanged():
    lex = TagLexicon({"koperasi": ["koperasi", "ksp\\b"]})
    assert lex.counts("Koperasi Merah Putih\nKSP dan koperasi desa dibentuk.")["koperasi"] == (1, 2, 2, 5)


@pytest.mark.parametrize("ngrams", [(1, 1), (1, 2), (1, 3)])
def test_word_ngram_counts_equal_scikit_learn(articles, ngrams):
    prepared = [normalize_for_features(clean(t)) for t in articles]
    vectorizer = TfidfVectorizer(analyzer="word", ngram_range=ngrams, min_df=2, max_features=3000, sublinear_tf=True,
                                 lowercase=False, dtype=np.float32, token_pattern=r"(?u)\b\w+\b")
    vectorizer.fit(prepared[:200])
    counter = WordNgramCounter.for_vectorizer(vectorizer)
    assert counter is not None
    for batch in (prepared[200:], prepared[:1], ["", "", "koperasi"]):
        fast, slow = word_tfidf(vectorizer, batch, counter), vectorizer.transform(batch)
        assert type(fast) is type(slow) and fast.shape == slow.shape
        for attr in ("indptr", "indices", "data"):
            np.testing.assert_array_equal(getattr(fast, attr), getattr(slow, attr))
        assert fast.data.dtype == slow.data.dtype


@pytest.mark.parametrize("params", [{"analyzer": "char_wb", "ngram_range": (3, 4), "token_pattern": None},
                                    {"lowercase": True},
                                    {"token_pattern": r"\w\w+"}, {"stop_words": ["dan"]}, {"binary": True}])
def test_word_ngram_counter_declines_what_it_cannot_reproduce(params):
    vectorizer = TfidfVectorizer(**{"lowercase": False, "token_pattern": r"(?u)\b\w+\b", **params})
    vectorizer.fit(["koperasi desa merah putih", "usaha mikro kecil dan menengah"])
    assert WordNgramCounter.for_vectorizer(vectorizer) is None


LEXICON = {"koperasi": ["koperasi", "ksp\\b", "simpan pinjam"], "umkm": ["umkm\\b", "usaha mikro"],
           "pendidikan": ["sekolah", "siswa", "guru\\b"]}


@pytest.fixture(scope="module")
def lexicon_model_dir(topic_sample, tmp_path_factory) -> Path:
    texts = [article_text(t, b) for t, b in zip(topic_sample["title"], topic_sample["text"])]
    model = TfidfLexiconClassifier(labels=["koperasi", "umkm", "pendidikan"], lexicon=LEXICON,
                                   max_features_word=20_000).fit(texts, [list(t) for t in topic_sample["tags"]])
    directory = tmp_path_factory.mktemp("speed") / "model"
    model.save(directory)
    return directory


def test_default_model_scores_are_identical_with_and_without_the_fast_paths(topic_sample, lexicon_model_dir):
    texts = [article_text(t, b) for t, b in zip(topic_sample["title"], topic_sample["text"])] + EDGE_CASES
    fast, slow = load_model(lexicon_model_dir), load_model(lexicon_model_dir)
    slow._word_counter_cache = (slow.word_vectorizer_, None)  # scikit-learn's own transform
    slow_lexicon = TagLexicon(LEXICON, slow.lead_chars)
    slow_lexicon._patterns = {tag: _word_start_pattern(["(?:" + t + ")" for t in terms])  # not plain: plain regex
                              for tag, terms in LEXICON.items()}
    slow._lexicon = lambda: slow_lexicon
    np.testing.assert_array_equal(fast.predict_proba(texts), slow.predict_proba(texts))


def test_tagging_worker_and_driver_import_only_what_a_tfidf_model_needs(lexicon_model_dir):
    code = ("import sys\n"
            "import mlpkg.cli, mlpkg.batch.job\n"
            "heavy = ('sklearn', 'scipy', 'nltk', 'torch', 'transformers', 'pandas')\n"
            "driver = sorted({m.split('.')[0] for m in sys.modules} & set(heavy))\n"
            "assert not driver, f'the driver imports {driver}'\n"
            "from mlpkg.batch.tagger import Tagger\n"
            "from mlpkg.batch.validate import Article\n"
            "Tagger(sys.argv[1]).rows([Article(1, 'a', 'Koperasi desa', 'Koperasi desa merah putih diluncurkan.')])\n"
            "unneeded = ('nltk', 'torch', 'transformers', 'mlpkg.summarize', 'mlpkg.classify.bert',\n"
            "            'mlpkg.text.sentences')\n"
            "loaded = sorted(m for m in sys.modules if m.startswith(unneeded))\n"
            "assert not loaded, f'a worker tagging with a TF-IDF model imports {loaded}'\n")
    subprocess.run([sys.executable, "-c", code, str(lexicon_model_dir)], check=True, cwd=Path(__file__).parents[1])


def test_fork_server_preloads_the_models_own_module_but_never_torch(lexicon_model_dir, tmp_path):
    info = ModelInfo.read(lexicon_model_dir, "classifier", "--model")
    assert worker_preload(info, None) == ["mlpkg.batch.tagger", "psutil", "mlpkg.classify.tfidf_lexicon"]
    (tmp_path / "hf").mkdir()  # a model whose weights run on torch
    torch_model = ModelInfo(str(tmp_path), "indobert_classifier.v1", "0" * 16, "classifier", ["koperasi"])
    assert "mlpkg.classify.bert" not in worker_preload(torch_model)
