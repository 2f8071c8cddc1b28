"""The registry is a lazy name -> "module:Class" map: no import circle, every name resolves to its class."""

import subprocess
import sys

import pytest

from mlpkg.registry import REGISTRY, registered_names, resolve


@pytest.mark.parametrize("name", registered_names())
def test_every_registered_name_resolves_to_a_class_of_that_name(name):
    assert resolve(name).registered_name == name


def test_importing_the_registry_imports_no_model():
    code = ("import sys, mlpkg.registry\n"
            "mods = {m.partition(':')[0] for m in mlpkg.registry.REGISTRY.values()}\n"
            "heavy = ('torch', 'transformers', 'nltk', 'sklearn')\n"
            "loaded = sorted(m for m in sys.modules if m in mods or m.split('.')[0] in heavy)\n"
            "assert not loaded, loaded\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_registered_names_are_unchanged():
    assert set(REGISTRY) == {
        "tfidf_linear.v1", "tfidf_lexicon.v1", "indobert_classifier.v1", "lead.v1", "centroid.v1", "textrank.v1",
        "lexrank.v1", "trained_extractor.v1", "indobert_extractor.v1",
    }
