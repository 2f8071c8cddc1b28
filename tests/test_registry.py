"""The registry: names registered once, with ``@mlpkg.register`` on the class (mlpkg's own models, read
from the source without importing them) or through the ``mlpkg.models`` entry-point group (another
package's); resolving a name imports only its module (tests/test_imports.py)."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlpkg
from mlpkg.cli import main as cli_main
from mlpkg.core import registry
from mlpkg.core.directory import META_FILE, load_model
from mlpkg.core.registry import registered_names, resolve
from mlpkg.errors import ConfigError
from mlpkg.summarize import LeadSummarizer

ROOT = Path(__file__).resolve().parents[1]
BUILTIN = {"tfidf_linear.v1", "tfidf_lexicon.v1", "tfidf_lexicon_vectors.v1", "tfidf_lexicon_vectors_agencies.v1",
           "indobert_classifier.v1", "lead.v1",
           "centroid.v1", "textrank.v1", "lexrank.v1", "trained_extractor.v1", "trained_lgbm.v1", "trained_lgbm.v2",
           "trained_lgbm.v3", "indobert_extractor.v1"}
ACME = '''"""A model of another package: mlpkg's word TF-IDF tagger under a name of its own."""

from mlpkg.classify.tfidf import TfidfClassifier


class AcmeTagger(TfidfClassifier):
    """Registered by its package's entry point alone (no decorator)."""
'''


@pytest.mark.parametrize("name", registered_names())
def test_every_registered_name_resolves_to_a_class_of_that_name(name):
    assert resolve(name).registered_name == name


def test_registered_names_are_unchanged():
    assert set(registered_names()) == BUILTIN


def test_a_registered_name_is_written_once_on_the_decorator_not_again_in_the_class():
    assigned = [f"{path.relative_to(ROOT)}:{node.lineno}" for path in (ROOT / "mlpkg").rglob("*.py")
                for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                and "registered_name" in (getattr(t, "id", "") for t in node.targets)]
    assert not assigned


def test_the_names_read_from_the_source_are_those_the_decorators_register():
    # the source is read with a pattern (an import would load every model): a decorator it misses fails here
    code = ("import importlib, pkgutil, mlpkg.classify, mlpkg.summarize\n"
            "from mlpkg.core.registry import locate, registered_names\n"
            "before = {n: locate(n) for n in registered_names()}\n"
            "for pkg in (mlpkg.classify, mlpkg.summarize):\n"
            "    for m in pkgutil.iter_modules(pkg.__path__):\n"
            "        importlib.import_module(f'{pkg.__name__}.{m.name}')\n"
            "assert before == {n: locate(n) for n in registered_names()}, before")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]


@pytest.fixture
def own_registrations(monkeypatch):
    """Classes decorated in a test are registered for that test only."""
    monkeypatch.setattr(registry, "_decorated", dict(registry._decorated))


def test_a_class_decorated_with_mlpkg_register_resolves_saves_and_loads(own_registrations, tmp_path):
    @mlpkg.register("first_sentences.v1")
    class FirstSentences(LeadSummarizer):
        """LEAD under a name of its own."""

    assert resolve("first_sentences.v1") is FirstSentences and "first_sentences.v1" in registered_names()
    assert FirstSentences.registered_name == "first_sentences.v1" and LeadSummarizer.registered_name == "lead.v1"
    text = "Koperasi Desa Merah Putih resmi diluncurkan. Presiden meresmikannya di Klaten. Anggotanya bertambah."
    loaded = load_model(FirstSentences(k=1).fit().save(tmp_path / "model"))
    assert type(loaded) is FirstSentences
    assert loaded.summarize(text) == [["Koperasi Desa Merah Putih resmi diluncurkan."]]


def test_a_taken_name_cannot_be_registered_again(own_registrations):
    with pytest.raises(TypeError, match=r"the name 'lead.v1' is registered to mlpkg.summarize.position:LeadSummarizer"):
        mlpkg.register("lead.v1")(type("MyLead", (LeadSummarizer,), {}))


def test_a_subclass_does_not_inherit_its_parents_name(own_registrations):
    # it used to: a subclass saved itself as its parent and loaded back as the parent
    assert type("MyLead", (LeadSummarizer,), {}).registered_name == ""


@pytest.fixture
def acme_installed(tmp_path, monkeypatch):
    """The package ``acme_models`` installed in a folder on sys.path: its module and a dist-info whose
    entry_points.txt declares ``acme_tagger.v1`` in the ``mlpkg.models`` group (what pip writes)."""
    site = tmp_path / "site"
    dist = site / "acme_models-1.0.dist-info"
    dist.mkdir(parents=True)
    (site / "acme_models.py").write_text(ACME, encoding="utf-8")
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-models\nVersion: 1.0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text("[mlpkg.models]\nacme_tagger.v1 = acme_models:AcmeTagger\n",
                                           encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    yield
    sys.modules.pop("acme_models", None)


@pytest.fixture(scope="module")
def small_splits(tmp_path_factory) -> Path:
    """Train, dev and test rows of data/topics.parquet with every tag in each split."""
    df = pd.read_parquet(ROOT / "data" / "topics.parquet")
    parts = [df[(df.split == split) & df.tags.map(lambda tags, tag=tag: tag in tags)].head(25)
             for split in ("train", "dev", "test") for tag in ("koperasi", "umkm", "pendidikan")]
    parts += [df[(df.split == split) & (df.tags.map(len) == 0)].head(25) for split in ("train", "dev", "test")]
    path = tmp_path_factory.mktemp("data") / "topics_small.parquet"
    pd.concat(parts).drop_duplicates("id").to_parquet(path)
    return path


def _train(name: str, data: Path, out: Path) -> int:
    return cli_main(["train", "--config", str(ROOT / "configs" / "topic_tfidf_v1.yaml"), "--output-dir", str(out),
                     "--set", f"model.name={name}", "--set", f"data.path={data}", "--set", "model.char_ngrams=[]",
                     "--set", "data.heldout_split_field=null", "--set", "evaluation.report=false",
                     "--set", "evaluation.keyword_baseline=false"])


def test_a_third_party_model_registered_by_entry_point_trains_from_a_config_saves_and_loads(
        acme_installed, small_splits, tmp_path):
    assert "acme_tagger.v1" in registered_names() and "acme_models" not in sys.modules  # named, not imported
    assert _train("acme_tagger.v1", small_splits, tmp_path / "acme") == 0
    assert _train("tfidf_linear.v1", small_splits, tmp_path / "builtin") == 0
    acme, builtin = load_model(tmp_path / "acme"), load_model(tmp_path / "builtin")
    assert type(acme).__name__ == "AcmeTagger" and acme.registered_name == "acme_tagger.v1"
    assert json.loads((tmp_path / "acme" / META_FILE).read_text(encoding="utf-8"))["name"] == "acme_tagger.v1"
    texts = pd.read_parquet(small_splits).query("split == 'test'").text.head(20).tolist()
    # the same code trained twice: equal within liblinear's stopping tolerance (1.7e-5 seen on the v2 data)
    np.testing.assert_allclose(acme.predict_proba(texts), builtin.predict_proba(texts), atol=1e-4)


def test_an_unknown_name_lists_every_registered_name_third_party_ones_too(acme_installed):
    with pytest.raises(ConfigError, match=r"^\[E001\] model.name: unknown name 'acme_tager.v1'; registered: .*"
                                          r"'acme_tagger.v1'.*'tfidf_linear.v1'"):
        resolve("acme_tager.v1")
