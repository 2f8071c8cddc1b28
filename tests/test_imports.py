"""No import cycle, and each task imports only what it needs: every mlpkg module imports alone in a fresh
interpreter; no circle in the import graph read from the source (imports inside functions included);
classification and summarisation import neither each other nor the task dispatcher; evaluation does not
reach up into training; core/ and the registry import no model."""

from __future__ import annotations

import ast
import graphlib
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(
    ".".join(p.relative_to(ROOT).with_suffix("").parts[:-1] if p.name == "__init__.py" else
             p.relative_to(ROOT).with_suffix("").parts)
    for p in (ROOT / "mlpkg").rglob("*.py") if p.name != "__main__.py"
)
HEAVY = ("torch", "transformers", "nltk", "ray")


@cache
def imports_of(module: str) -> frozenset[str]:
    """What the source of mlpkg ``module`` imports, at the top or inside a function (``from .pkg import
    name`` counts as ``pkg.name`` where that is a module, else as ``pkg``)."""
    path = ROOT.joinpath(*module.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[:len(package) - node.level + 1] if node.level else [])
            source = ".".join(part for part in (base, node.module) if part)
            targets |= {f"{source}.{a.name}" if f"{source}.{a.name}" in MODULES else source for a in node.names}
    return frozenset(targets - {module})


def import_graph() -> dict[str, set[str]]:
    """mlpkg module -> the mlpkg modules it imports."""
    return {m: {t for t in imports_of(m) if t.split(".")[0] == "mlpkg"} for m in MODULES}


def _under(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def imports_between(importers: tuple[str, ...], imported: tuple[str, ...]) -> list[str]:
    """``"a -> b"`` for each module under ``importers`` whose source imports one under ``imported``."""
    return sorted(f"{a} -> {b}" for a, targets in import_graph().items() if _under(a, importers)
                  for b in targets if _under(b, imported))


def test_no_import_circle_among_mlpkg_modules():
    # A circle through an import inside a function (data/build.py -> cli -> data/build.py) imports fine
    # today and breaks the day someone moves that import to the top: the graph catches both.
    try:
        graphlib.TopologicalSorter(import_graph()).prepare()
    except graphlib.CycleError as exc:
        pytest.fail(f"import circle: {' -> '.join(exc.args[1])}")


def test_the_graph_sees_imports_inside_functions_and_relative_imports():
    graph = import_graph()
    assert "mlpkg.data.build" in graph["mlpkg.cli"]  # inside cmd_build_data
    assert "mlpkg.data.labelled" in graph["mlpkg.evaluate.saved_model"]  # inside evaluate_model_dir
    assert "mlpkg.errors" in graph["mlpkg.core.registry"]  # from ..errors import ...


@pytest.mark.parametrize("package, others", [("mlpkg.classify", ("mlpkg.summarize", "mlpkg.tasks")),
                                             ("mlpkg.summarize", ("mlpkg.classify", "mlpkg.tasks"))])
def test_classify_and_summarize_import_neither_each_other_nor_the_dispatcher(package, others):
    assert not imports_between((package,), others)


def test_evaluate_does_not_reach_up_into_training():
    assert not imports_between(("mlpkg.evaluate",), ("mlpkg.classify.training", "mlpkg.summarize.training",
                                                  "mlpkg.tasks"))


def test_core_imports_no_model_code():
    assert not imports_between(("mlpkg.core",), ("mlpkg.classify", "mlpkg.summarize", "mlpkg.bert", "mlpkg.tasks"))
    model_libraries = {f"{m}: {t}" for m in MODULES if _under(m, ("mlpkg.core",)) for t in imports_of(m)
                       if t.split(".")[0] in ("torch", "transformers")}
    assert not model_libraries, "the transformer checkpoint and fine-tuning code lives in mlpkg.bert"


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
    # listing the names and locating one reads mlpkg's source and the entry points, and imports neither
    loaded = _loaded_after("import mlpkg.core.registry as r\nassert r.registered_names() and r.locate('lead.v1')")
    assert not {m for m in loaded if m.startswith(("mlpkg.classify", "mlpkg.summarize"))}
    assert not {m for m in loaded if m.split(".")[0] in (*HEAVY, "sklearn")}


def test_import_mlpkg_and_its_register_decorator_import_no_model():
    loaded = _loaded_after("import mlpkg\nassert callable(mlpkg.register)")
    assert not {m for m in loaded if m.startswith(("mlpkg.classify", "mlpkg.summarize"))}
    assert "numpy" not in _loaded_after("import mlpkg"), "mlpkg --help stays light"
