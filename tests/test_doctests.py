"""The docstring examples in mlpkg/ run as tests (so `make test` runs them): one test per module that has any.

Modules are imported by their dotted name, so relative imports work in every folder; a module whose optional
extra is not installed (``ray``) is skipped.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mlpkg"
MODULES = sorted(
    ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
    for path in PACKAGE.rglob("*.py")
    if path.name != "__main__.py" and ">>>" in path.read_text(encoding="utf-8")
)
OPTIONAL = {"ray", "torch", "transformers", "onnxruntime"}


def test_modules_with_examples_are_found():
    assert {"mlpkg.errors", "mlpkg.text.sentences", "mlpkg.summarize.base"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in OPTIONAL:
            raise
        pytest.skip(f"{name} needs {exc.name}, which is not installed")
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    report: list[str] = []
    for test in doctest.DocTestFinder().find(module, name):
        runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)
