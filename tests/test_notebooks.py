"""The tutorials of ``notebooks/`` run top to bottom, each in a fresh Jupyter kernel.

They run as a reader runs them: with nbclient, in a new kernel of this Python, from
``notebooks/`` (their paths, ``../configs/…``, are relative to it), offline, on generated
samples and the real files of the test data (``OPENCOFFEA_TESTDATA``, handed to the kernel
absolute). The samples go to this session's cache, shared with the other tests.

The portal tutorial asks ``OPENCOFFEA_PORTAL`` for its server: here the stand-in portal of
``tests/portal_server.py`` on 127.0.0.1, started for the test and stopped after it. It serves
the real records of the test data; record 12361's file (42 MB on the real portal) is not there,
so a generated sample of the same format (H → ZZ → 4ℓ, reduced 2012 NanoAOD) is served at its
address instead.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import pytest

from .conftest import TESTDATA, real_file

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"

# What of the test data each notebook reads (folders under OPENCOFFEA_TESTDATA).
NEEDS: dict[str, tuple[str, ...]] = {
    "00_quickstart.ipynb": (),
    "01_dimuon.ipynb": ("nanoaod",),
    "02_higgs4l.ipynb": ("reference/higgs4l_run1",),
    "03_corrections.ipynb": ("corrections/jsonpog-integration",),
    "04_portal.ipynb": ("opendata", "nanoaod", "lumimasks"),
}
CELL_TIMEOUT = 300  # seconds a cell: the first run of a demo generates its samples
HIGGS_RECORD = 12361  # the portal tutorial's record
WIDGET = "application/vnd.jupyter.widget-view+json"


def test_every_notebook_is_run_here():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(NEEDS)


@pytest.mark.parametrize("name", sorted(NEEDS))
def test_the_notebooks_are_stored_without_outputs(name):
    """The documentation runs a notebook stored without outputs; one with them is shown as is."""
    cells = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))["cells"]
    code = [cell for cell in cells if cell["cell_type"] == "code"]
    assert code and all(not c["outputs"] and c["execution_count"] is None for c in code)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(NEEDS))
def test_the_notebook_runs_top_to_bottom(name, tmp_path):
    for part in NEEDS[name]:
        real_file(*part.split("/"))
    # what a notebook writes (tempfile.mkdtemp) goes to this test's directory
    environment = {**os.environ, "OPENCOFFEA_TESTDATA": str(TESTDATA), "TMPDIR": str(tmp_path)}
    with contextlib.ExitStack() as stack:
        if name == "04_portal.ipynb":
            environment["OPENCOFFEA_PORTAL"] = stack.enter_context(stand_in_portal(tmp_path)).url
        notebook = execute(NOTEBOOKS / name, environment)
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # status=False means no progress bar, in a notebook too (coffea's would be empty widgets)
    widgets = [
        o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert widgets == []


def execute(path: Path, environment: dict[str, str]):
    """The notebook at ``path`` run in a new kernel from its folder; a failing cell raises."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        startup_timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute(env=environment)  # the kernel is shut down when it returns or raises
    return notebook


@contextlib.contextmanager
def stand_in_portal(directory: Path):
    """The stand-in portal, with a generated sample served as record 12361's file."""
    from opencoffea.samples import generate

    from .portal_server import StandInPortal, _eos_path

    sample = generate(
        "hzz4l", directory / "SMHiggsToZZTo4L.root", 2000, seed=125, format="outreach"
    )
    with StandInPortal(TESTDATA) as portal:
        (entry,) = portal.records[HIGGS_RECORD]["metadata"]["files"]
        portal.blobs[_eos_path(entry["uri"])] = sample
        yield portal
