"""``opencoffea inspect``: a file's trees, format, collections and branch documentation.

The tests read the real CMS files of the shared test data (they skip without it).
"""

from __future__ import annotations

import gc
import io

import pytest
from rich.console import Console

from opencoffea.cli import main
from opencoffea.errors import InputFileError
from opencoffea.inspection import inspect_file, render_inspection

from .test_events import OUTREACH


def rendered(inspection) -> str:
    console = Console(file=io.StringIO(), width=200, record=True)
    render_inspection(inspection, console)
    return console.export_text()


def test_inspect_shows_the_branch_documentation(nanoaod):
    text = rendered(inspect_file(str(nanoaod("nano_dy.root"))))
    assert "NanoAOD, version v6" in text
    assert "Muon_dxy" in text and "dxy (with sign) wrt first PV, in cm" in text
    assert "slimmedMuons after basic selection" in text  # the title of nMuon
    assert "Runs" in text  # the trees of the file


def test_inspect_one_collection(nanoaod):
    inspection = inspect_file(str(nanoaod("pfnano.root")), "muon")
    assert inspection.collection == "Muon"
    assert inspection.branches[0].name == "nMuon"
    assert {branch.name.split("_")[0] for branch in inspection.branches} == {"nMuon", "Muon"}
    assert inspection.releases[-1] == "CMSSW_10_6_20"  # the NANO step
    text = rendered(inspection)
    assert "Branches of Muon" in text and "cut-based ID, tight WP" in text


def test_inspect_says_when_a_file_has_no_documentation(nanoaod):
    inspection = inspect_file(str(nanoaod(OUTREACH)), "Muon")
    assert not any(branch.documented for branch in inspection.branches)
    assert "no documentation in the file" in rendered(inspection)


def test_an_unknown_collection_suggests_the_nearest(nanoaod):
    with pytest.raises(InputFileError, match=r"has no collection 'Muons'.*did you mean 'Muon'\?"):
        inspect_file(str(nanoaod("nano_dy.root")), "Muons")


def test_the_command_leaves_the_garbage_collector_as_it_found_it(nanoaod, capsys):
    """``inspect`` reads with the collector off (it ends right after); a caller goes on with it."""
    assert main(["inspect", str(nanoaod("nano_dy.root")), "Pileup"]) == 0
    assert "Pileup_nTrueInt" in capsys.readouterr().out
    assert gc.isenabled()
