"""``opencoffea inspect``: a file's trees, format, collections and branch documentation.

The tests read the real CMS files of the shared test data (they skip without it).
"""

from __future__ import annotations

import gc
import io
import json

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


def test_search_finds_names_and_titles_across_collections(nanoaod, capsys):
    assert main(["inspect", str(nanoaod("nano_dy.root")), "--search", "PILEUP INTERACTIONS"]) == 0
    out = capsys.readouterr().out
    assert "1 branch of Events matching 'PILEUP INTERACTIONS'" in out
    hit = next(line for line in out.splitlines() if "Pileup_nPU" in line)
    assert hit.split()[:3] == ["Pileup", "Pileup_nPU", "int32_t"]  # collection, branch, type
    # the title whole on the branch's line, as a pipe gets it: nothing folded or cut
    assert hit.endswith("in the current bunch crossing")
    assert "…" not in out
    hits = inspect_file(str(nanoaod("nano_dy.root")), search="dxy").branches
    names = {branch.name for branch in hits}
    assert {"Muon_dxy", "Electron_dxy", "Tau_dxy"} <= names


def test_search_within_a_collection_and_without_hits(nanoaod, capsys):
    inspection = inspect_file(str(nanoaod("pfnano.root")), "Jet", search="deepcsv")
    assert inspection.branches
    assert {branch.collection for branch in inspection.branches} == {"Jet"}
    assert main(["inspect", str(nanoaod("nano_dy.root")), "Muon", "--search", "nothing"]) == 0
    assert "0 branches of Muon matching 'nothing'" in capsys.readouterr().out


def test_json_has_the_file_and_every_branch(nanoaod, capsys):
    assert main(["inspect", str(nanoaod("nano_tt_v15.root")), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["tree"], data["entries"], data["flavour"], data["version"]) == (
        "Events",
        200,
        "nanoaod",
        "v15",
    )
    assert len(data["branches"]) == 2656
    muon_pt = next(branch for branch in data["branches"] if branch["name"] == "Muon_pt")
    assert muon_pt["collection"] == "Muon" and muon_pt["type"] == "float[]"
    assert set(muon_pt) == {"name", "type", "title", "documented", "collection"}


def test_json_of_a_search_has_only_the_hits(nanoaod, capsys):
    path = str(nanoaod("nano_dy.root"))
    assert main(["inspect", path, "--search", "nTrueInt", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["search"] == "nTrueInt"
    assert [(b["collection"], b["name"]) for b in data["branches"]] == [
        ("Pileup", "Pileup_nTrueInt")
    ]
    assert data["branches"][0]["title"].startswith("the true mean number of the poisson")


def test_the_pfnano_file_reads_as_nanoaod_v8(nanoaod, capsys):
    """Its own metadata says v8, whatever its README says: the NANO step ran in CMSSW_10_6_20
    with NanoAODv8's global tag, and it has the v8 content (the Fall17V1 electron MVA, no
    LowPtElectron or boostedTau, which v9 added)."""
    assert main(["inspect", str(nanoaod("pfnano.root")), "Electron", "--search", "Fall17V1"]) == 0
    out = capsys.readouterr().out
    assert "PFNano, version v8 (best estimate)" in out
    assert "CMSSW_10_6_20" in out.splitlines()[5]  # the NANO step, last
    assert "Electron_mvaFall17V1Iso" in out
    assert not inspect_file(str(nanoaod("pfnano.root")), search="LowPtElectron").branches
