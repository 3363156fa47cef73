"""The shape of the code, as docs/architecture.md draws it: data flows one way.

Every module of ``src/opencoffea`` belongs to one layer of the flow of a run; a module may import
(at its top or inside a function) only from its own layer or the layers before it. A new module
gets a layer here and a line in docs/architecture.md, in the same commit.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "opencoffea"

# Lowest first. Each layer may import from the layers above it in this list, never below.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("foundation", ("_version", "errors", "util")),
    ("synthetic samples", ("samples",)),
    ("configuration", ("jetkeys", "eras", "config")),
    ("datasets", ("datasets",)),
    ("events", ("nanoaod", "schemas", "events", "kinematics", "inspection")),
    ("corrections", ("corrections",)),
    ("chunk output", ("chunks", "histograms", "output", "outputfile", "marking", "recorder")),
    ("processor", ("processor",)),
    ("plots", ("plotting",)),
    ("results", ("results",)),
    ("inference", ("inference",)),
    ("execution", ("execution",)),
    ("event display", ("display",)),
    ("interfaces", ("cli", "api", "__init__")),
)
MAX_LINES = 450
# matplotlib (and mplhep) take most of a second to import: only the modules that draw import it.
MATPLOTLIB_IMPORTERS = (
    "opencoffea.plotting.figures",
    "opencoffea.plotting.style",
    "opencoffea.display.projections",
)


def _layer_of(module: str) -> int:
    """The layer of ``opencoffea.x.y`` (by its first part ``x``)."""
    top = module.split(".")[1] if "." in module else "__init__"
    for index, (_, names) in enumerate(LAYERS):
        if top in names:
            return index
    raise AssertionError(f"opencoffea.{top} has no layer in tests/test_architecture.py")


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(module: str, path: Path) -> set[str]:
    """The opencoffea modules that ``module`` imports, at any depth of its code."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.startswith("opencoffea"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("opencoffea"):
                names.add(target)
    return names


MODULES = _modules()


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_run_one_way(module):
    if module == "opencoffea":  # the public API re-exports from every layer
        return
    layer = _layer_of(module)
    backwards = sorted(
        f"{target} ({LAYERS[_layer_of(target)][0]})"
        for target in _imports(module, MODULES[module])
        if target != "opencoffea" and _layer_of(target) > layer
    )
    assert not backwards, (
        f"{module} ({LAYERS[layer][0]}) imports from later layers: {', '.join(backwards)}"
    )


def test_no_import_of_the_package_root_inside_the_package():
    """``from opencoffea import X`` inside the package would import every layer."""
    offenders = [
        m for m, path in MODULES.items() if m != "opencoffea" and "opencoffea" in _imports(m, path)
    ]
    assert not offenders


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_are_small(module):
    lines = len(MODULES[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{module}: {lines} lines; one job per module (split it)"


def test_only_the_drawing_modules_import_matplotlib():
    """Result figures (``plotting/figures.py``, ``style.py``) and event pictures
    (``display/projections.py``)."""
    importers = set()
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n.split(".")[0] in ("matplotlib", "mplhep") for n in names):
                importers.add(module)
    assert importers == set(MATPLOTLIB_IMPORTERS)
