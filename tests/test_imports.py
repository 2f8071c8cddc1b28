"""No import cycle, and each task imports only what it needs: every mlpkg module imports alone in a fresh
interpreter; classification and summarisation do not import each other; the registry imports no model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(
    ".".join(p.relative_to(ROOT).with_suffix("").parts[:-1] if p.name == "__init__.py" else
             p.relative_to(ROOT).with_suffix("").parts)
    for p in (ROOT / "mlpkg").rglob("*.py") if p.name != "__main__.py"
)
HEAVY = ("torch", "transformers", "nltk", "ray")


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return set(out.stdout.split())


def test_every_module_imports_alone_in_a_fresh_interpreter():
    # One interpreter per module is the real check of a cycle (the order of first imports decides it);
    # they run in parallel batches to stay quick.
    failed = {}
    for start in range(0, len(MODULES), 8):
        procs = {m: subprocess.Popen([sys.executable, "-c", f"import {m}"], cwd=ROOT, stderr=subprocess.PIPE,
                                     text=True) for m in MODULES[start:start + 8]}
        for m, p in procs.items():
            err = p.communicate(timeout=600)[1]
            if p.returncode:
                failed[m] = err.strip().splitlines()[-1:]
    assert not failed, "modules that do not import alone"


@pytest.mark.parametrize("package, other", [("mlpkg.classify", "mlpkg.summarize"),
                                            ("mlpkg.summarize", "mlpkg.classify")])
def test_classification_and_summarisation_do_not_import_each_other(package, other):
    loaded = _loaded_after(f"import {package}")
    assert not {m for m in loaded if m == other or m.startswith(other + ".")}
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}, "torch, transformers, nltk and ray load on use"


def test_the_registry_imports_no_model():
    loaded = _loaded_after("import mlpkg.core.registry")
    assert not {m for m in loaded if m.startswith(("mlpkg.classify", "mlpkg.summarize"))}
    assert not {m for m in loaded if m.split(".")[0] in (*HEAVY, "sklearn")}
