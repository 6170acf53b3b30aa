"""The house rules that keep the layout findable: nothing heavy at import, the OpenMP default set
before torch loads, app.py above the scripts, every imported package pinned, small files.
(The layers themselves are checked by `lint-imports` in .ci/run.)"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from common.config import REPO_ROOT

PACKAGES = ["common", "serving", "documents", "pipelines", "grounding", "evaluation", "training"]
PACKAGES += ["benchmarks", "arena", "deploy", "ui", "scripts"]
OURS = {*PACKAGES, "tests", "app"}


def _python(code: str) -> str:
    """Run `code` in a fresh interpreter without OMP_NUM_THREADS; its stdout."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _sources() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    return [REPO_ROOT / name for name in listed.stdout.split() if (REPO_ROOT / name).is_file()]


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", [p for p in PACKAGES if p != "scripts"])
def test_importing_any_package_sets_the_openmp_default_before_torch_loads(package):
    # A module that imports torch at its top (serving.local_engine does) must find the
    # variable already set, whichever of our packages is imported first.
    out = _python(
        f"import os, {package}; print(os.environ.get('OMP_NUM_THREADS'))\n"
        "import serving.local_engine, torch; print(torch.get_num_threads())"
    )
    assert out.split() == ["1", "1"]


def test_importing_the_app_loads_nothing_heavy():
    out = _python(
        "import sys, app\n"
        "print(sorted(m for m in ('torch', 'transformers', 'chromadb', 'llama_cpp', 'peft')"
        " if m in sys.modules))"
    )
    assert out == "[]"


def test_app_imports_no_script():
    # import-linter takes packages only, so the top module is checked here.
    assert not _imported(REPO_ROOT / "app.py") & {"scripts", "tests"}


def test_every_imported_package_is_pinned_in_a_requirements_file():
    pinned = set()
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (REPO_ROOT / name).read_text().splitlines():
            if match := re.match(r"^([A-Za-z0-9._-]+)==", line):
                pinned.add(re.sub(r"[-_.]+", "-", match.group(1)).lower())
    distributions = importlib.metadata.packages_distributions()
    missing = {}
    for path in _sources():
        for module in _imported(path) - OURS - set(sys.stdlib_module_names):
            names = {re.sub(r"[-_.]+", "-", d).lower() for d in distributions.get(module, [])}
            if not names & pinned:
                missing.setdefault(module, path.relative_to(REPO_ROOT).as_posix())
    assert not missing, f"imported but not pinned (module: first file): {missing}"


def test_no_source_file_is_longer_than_300_lines():
    long = {
        path.relative_to(REPO_ROOT).as_posix(): n
        for path in _sources()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 300
    }
    assert not long, f"split these by responsibility: {long}"
