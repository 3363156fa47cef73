"""Start-up: ``import opencoffea`` and the first commands load only what they use.

Not timed (a shared machine makes times flaky; ``benchmarks/startup.py`` measures them):
what is checked is which modules a fresh process has loaded, the cause of slow start-ups.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import opencoffea

from .conftest import ROOT

# Each takes from a tenth of a second to seconds to import; coffea.lumi_tools compiles its
# numba code on import (seconds), so numba itself must not be loaded by the bare import.
HEAVY = (
    "matplotlib",
    "mplhep",
    "dask",
    "distributed",
    "correctionlib",
    "coffea.lumi_tools",
    "numba",
)


def loaded_after(code: str) -> set[str]:
    """The modules a fresh Python process holds after running ``code``."""
    script = textwrap.dedent(code) + "\nimport sys\nprint('modules:', *sorted(sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stderr
    (line,) = (line for line in done.stdout.splitlines() if line.startswith("modules: "))
    return set(line.split()[1:])


def command(*arguments: str) -> str:
    """Code that runs ``opencoffea ARGUMENTS`` as the console script does, exit included."""
    return f"""
        import runpy, sys
        sys.argv = ["opencoffea", *{list(arguments)!r}]
        try:
            runpy.run_module("opencoffea.cli", run_name="__main__")
        except SystemExit as exit:
            assert exit.code in (0, None), exit.code
    """


def test_import_opencoffea_loads_no_heavy_module():
    loaded = loaded_after("import opencoffea")
    assert not {name for name in HEAVY if name in loaded}
    assert not {name for name in loaded if name.startswith(("coffea", "awkward", "uproot"))}


def test_the_public_api_is_all_there():
    """Names load on first use, and are the same objects as in their modules."""
    from opencoffea.processor import Processor
    from opencoffea.results import Result

    assert set(opencoffea.__all__) <= set(dir(opencoffea))
    assert all(getattr(opencoffea, name) is not None for name in opencoffea.__all__)
    assert opencoffea.Processor is Processor and opencoffea.Result is Result
    with pytest.raises(AttributeError, match="has no attribute 'Procesor'"):
        opencoffea.Procesor  # noqa: B018


def test_the_names_loaded_on_first_use_are_those_type_checkers_see():
    """``_LAZY`` (for Python) and the ``TYPE_CHECKING`` imports (for mypy) name the same."""
    tree = ast.parse(Path(opencoffea.__file__).read_text())
    (block,) = (
        n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"
    )
    seen = {
        alias.name: node.module
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert seen == opencoffea._LAZY
    assert set(opencoffea._LAZY) <= set(opencoffea.__all__)


def test_help_loads_no_processor_machinery_and_no_matplotlib():
    loaded = loaded_after(command("--help"))
    assert "opencoffea.cli" in loaded
    assert not {name for name in loaded if name.startswith(("coffea", "matplotlib", "mplhep"))}
    assert not {name for name in HEAVY if name in loaded}


@pytest.mark.parametrize(
    "arguments",
    [("check", "configs/higgs4l_demo.yaml"), ("inspect", "{nano_dy}", "Muon")],
    ids=["check", "inspect"],
)
def test_commands_load_only_what_they_use(arguments, nanoaod):
    """``check`` imports the processor (and so coffea's), ``inspect`` uproot: nothing more."""
    path = str(nanoaod("nano_dy.root"))
    loaded = loaded_after(command(*(a.format(nano_dy=path) for a in arguments)))
    assert not {name for name in HEAVY if name in loaded} - {"numba"}  # coffea's own needs it


def test_reading_a_yaml_file_does_not_import_the_generator():
    """A ``generate:`` dataset is checked against the names of the processes alone; the
    generator (vector, awkward: 0.3 to 0.4 s) is imported when a sample is written."""
    loaded = loaded_after(
        """
        from opencoffea import load_config
        assert load_config("configs/higgs4l_demo.yaml").datasets["ZZTo4L"].generate
        """
    )
    assert "opencoffea.samples.processes" in loaded
    assert not {"vector", "awkward", "opencoffea.samples.writing"} & loaded


def test_reading_a_result_back_does_not_import_coffea():
    """A result's records name their files by :class:`opencoffea.events.FileInfo`, which
    comes with uproot alone: ``plot`` and ``yields`` never make events."""
    loaded = loaded_after("from opencoffea.results import load_result")
    assert "opencoffea.results.records" in loaded
    assert not {name for name in loaded if name.split(".")[0] in ("coffea", "numba", "vector")}


@pytest.mark.parametrize("collection", [(), ("Muon",)], ids=["file", "collection"])
def test_inspect_reads_the_file_with_uproot_alone(nanoaod, collection):
    """Listing a file's trees and branches takes uproot; coffea, whose NanoEvents take 0.2 to
    0.4 s to import, is for making events, which ``inspect`` never does."""
    loaded = loaded_after(command("inspect", str(nanoaod("nano_tt_v15.root")), *collection))
    assert {"uproot", "opencoffea.inspection", "opencoffea.events"} <= loaded
    assert not {name for name in loaded if name.split(".")[0] in ("coffea", "numba")}
    assert "opencoffea.schemas" not in loaded
