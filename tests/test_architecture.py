"""The house rules of docs/architecture.md, checked so that a violation fails CI: the import
contracts of pyproject.toml (layers, independent domains, no cycles), tables only in
``models/``, a short flat ``core/``, one package per installed domain, no query in the UI and
no import hidden inside a function."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from core import installed

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "models", "analytics", "detectors")
PROJECT = (*PACKAGES, "pages")
MAX_LINES = 500
MAX_CORE_MODULES = 30
#: sqlalchemy / sqlmodel names that build queries: core/ui asks the domains instead.
QUERY_BUILDERS = frozenset(
    {"select", "update", "insert", "delete", "func", "col", "text", "and_", "or_", "case"}
)


def _sources(*tops: str) -> list[Path]:
    return sorted(
        p
        for top in tops
        for p in (ROOT / top).rglob("*.py")
        if "migrations" not in p.relative_to(ROOT).parts
    )


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_import_contracts_hold() -> None:
    """lint-imports over pyproject.toml: layers downward only, domains independent but for
    the declared edges, no cycles between sibling modules or packages. In a fresh interpreter
    in the repository root, so that ``analytics`` is the package, not ``tests/analytics``."""
    run = "import sys, importlinter.cli as c; sys.exit(c.lint_imports(no_cache=True))"
    done = subprocess.run(
        [sys.executable, "-c", run], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_core_module_sits_in_a_layer() -> None:
    """A new top-level module of core/ must be placed in the layers contract, or nothing
    checks what it imports."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["id"] == "layers")
    placed = {
        name.strip() for layer in contract["layers"] for name in layer.replace("|", ":").split(":")
    }
    tops = {
        f"core.{p.stem if p.is_file() else p.name}"
        for p in (ROOT / "core").iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()
    }
    assert tops - {"core.migrations"} <= placed, sorted(tops - placed - {"core.migrations"})


def test_models_hold_tables_and_enums_only() -> None:
    """No CRUD declarations, rules or queries in models/: no ``*_tables.py``, no function,
    and nothing imported from core/ but the database base."""
    files = _sources("models")
    assert not [p.name for p in files if p.stem.endswith("_tables")]
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
        assert not functions, f"{path.name}: rules belong to a domain package: {functions}"
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("core"):
                assert node.module == "core.db", f"{path.name} imports {node.module}"


def test_core_is_flat_and_short() -> None:
    """At most 30 platform modules at the top of core/, and no file past 500 lines."""
    modules = [p for p in (ROOT / "core").glob("*.py") if p.stem != "__init__"]
    assert len(modules) <= MAX_CORE_MODULES, sorted(p.stem for p in modules)
    long = {
        str(p.relative_to(ROOT)): n
        for p in [*_sources(*PROJECT, "tests", "bench"), ROOT / "streamlit_app.py"]
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these: {long}"


@pytest.mark.parametrize("domain", installed.DOMAINS)
def test_each_installed_domain_is_a_package(domain: str) -> None:
    package = ROOT / "core" / domain
    assert (package / "__init__.py").is_file()
    assert not (ROOT / "core" / f"{domain}.py").exists()
    parts = {p.stem for p in package.glob("*.py")}
    assert "specs" in parts or domain == "reporting", f"core/{domain} declares no tables"


def test_the_ui_runs_no_queries() -> None:
    """core/ui holds layout: it asks the domain packages, which apply the scope check."""
    found = []
    for path in _sources("core/ui"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
                "sqlalchemy",
                "sqlmodel",
            ):
                found += [f"{where} {a.name}" for a in node.names if a.name in QUERY_BUILDERS]
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                method, owner = node.func.attr, node.func.value
                if method in ("exec", "execute", "scalar", "scalars", "sql"):
                    found.append(f"{where} .{method}()")
                elif method == "get" and isinstance(owner, ast.Name) and owner.id == "session":
                    found.append(f"{where} session.get()")
    assert not found, found


def _imports_inside_functions(path: Path) -> list[str]:
    """Project imports inside a function, unless the comment above says why: what loading it
    at the top would cost (measured), or that it needs an optional extra (the detector's
    OpenCV is not in a plain install)."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    out = []
    for fn in ast.walk(ast.parse(text)):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            if not any(n.split(".")[0] in PROJECT for n in names):
                continue
            above = " ".join(lines[max(0, node.lineno - 4) : node.lineno]).lower()
            if "measured" not in above and "optional extra" not in above:
                out.append(f"{path.relative_to(ROOT)}:{node.lineno} {', '.join(names)}")
    return out


def test_no_import_hides_inside_a_function() -> None:
    found = [
        hit
        for path in [*_sources(*PROJECT), ROOT / "streamlit_app.py"]
        for hit in _imports_inside_functions(path)
    ]
    assert not found, found


def test_domains_register_through_the_installed_list() -> None:
    """Nothing scans the tree for declarations: the registry, the inbox, the demo and the
    reference loader read ``core.installed``."""
    for path in _sources(*PACKAGES):
        text = path.read_text(encoding="utf-8")
        assert "pkgutil" not in text, f"{path.relative_to(ROOT)} scans the tree"
    loaded = {m.__name__ for m in installed.load()}
    assert {"core.hazard.specs", "core.hazard.flow", "core.risk.listeners"} <= loaded
    assert {f"core.{d}.specs" for d in installed.DOMAINS if d != "reporting"} <= loaded


#: Imports every module the web app may load with the detector extra's packages blocked, as in
#: a plain ``bootstrap run`` install (OpenCV, supervision, ONNX Runtime, PyAV are not there).
WITHOUT_DETECTOR = """
import importlib, pkgutil, sys
class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"cv2", "supervision", "onnxruntime", "av", "trackers"}:
            raise ImportError(f"{name} is the detector extra's")
sys.meta_path.insert(0, Blocked())
import core, analytics
failed = []
for package in (core, analytics):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if "migrations" in info.name or info.name.endswith("__main__"):
            continue
        try:
            importlib.import_module(info.name)
        except ImportError as exc:
            failed.append(f"{info.name}: {exc}")
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_the_app_loads_without_the_detector_extra() -> None:
    """The detector is an extra (pyproject ``[detector]``): every module of the app, the camera
    set-up page included, must load without it, so a plain install never crashes a page."""
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_DETECTOR], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_module_names_are_unique_and_resolvable() -> None:
    """Every source file is importable by its dotted name (no stray copies or shadows)."""
    names = [_module_name(p) for p in _sources(*PACKAGES)]
    assert len(names) == len(set(names))
