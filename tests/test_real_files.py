"""Runs on the real CMS NanoAOD files of the test data, checked against uproot directly."""

from __future__ import annotations

import json

import awkward as ak
import numpy as np
import pytest
import uproot
import vector

from opencoffea import run, write_result
from opencoffea.cli import main
from opencoffea.results import normalise

from .helpers import config_of, write_analysis
from .test_run import DIMUON, DIMUON_HISTOGRAMS

vector.register_awkward()


def test_mc_v6_sumw_from_runs_with_trailing_underscore(nanoaod, tmp_path):
    path = nanoaod("nano_dy.root")
    config = config_of(
        tmp_path, datasets={"DY": {"files": [str(path)], "kind": "mc", "xsec": 5765.4}}
    )
    result = run(config, status=False)

    # independently: Σ genEventSumw_ of the Runs tree, and the muon pt spectrum
    with uproot.open(path) as f:
        sumw = float(np.sum(f["Runs"]["genEventSumw_"].array(library="np"), dtype=np.float64))
        events = f["Events"].arrays(["Muon_pt", "genWeight"])
    (record,) = result.inputs["DY"]
    assert record.sums.branch == "genEventSumw_" and record.sums.sumw == sumw
    assert record.info.version == "v6" and not record.info.is_data

    norm = normalise(result)["DY"]
    assert norm.sumw == sumw
    assert norm.factor == pytest.approx(5765.4 * 1000.0 / sumw, rel=1e-12)

    selected = events[ak.num(events.Muon_pt) >= 1]
    expected, _ = np.histogram(
        ak.to_numpy(ak.flatten(selected.Muon_pt)),
        bins=20,
        range=(0, 200),
        weights=ak.to_numpy(
            ak.flatten(ak.broadcast_arrays(selected.genWeight, selected.Muon_pt)[0])
        ).astype(np.float64),
    )
    raw = result.raw["pt"][{"dataset": "DY", "systematic": "nominal"}]
    np.testing.assert_allclose(raw.values(), expected, rtol=1e-12)

    directory = write_result(result, tmp_path / "out")
    with uproot.open(directory / "histograms.root") as f:
        np.testing.assert_allclose(
            f["normalised/pt/DY/nominal"].values(), expected * 5765.4 * 1000.0 / sumw, rtol=1e-12
        )


def test_data_v6_dimuon_mass_matches_a_hand_computation(nanoaod, tmp_path):
    path = nanoaod("nano_dimuon.root")
    config = config_of(
        tmp_path,
        datasets={"DoubleMuon": {"files": [str(path)], "kind": "data"}},
        histograms=DIMUON_HISTOGRAMS,
        code=DIMUON,
        cls="DimuonSpectrum",
    )
    result = run(config, status=False)
    (record,) = result.inputs["DoubleMuon"]
    assert record.info.is_data and record.sums is None

    with uproot.open(path) as f:
        m = f["Events"].arrays(["Muon_pt", "Muon_eta", "Muon_phi", "Muon_mass", "Muon_charge"])
    two = m[ak.num(m.Muon_pt) == 2]
    two = two[two.Muon_charge[:, 0] != two.Muon_charge[:, 1]]
    p4 = ak.zip(
        {"pt": two.Muon_pt, "eta": two.Muon_eta, "phi": two.Muon_phi, "mass": two.Muon_mass},
        with_name="Momentum4D",
    )
    mass = ak.to_numpy((p4[:, 0] + p4[:, 1]).mass)
    h = result.raw["mass"][{"dataset": "DoubleMuon", "systematic": "nominal"}]
    expected, _ = np.histogram(mass, bins=h.axes[0].edges)
    np.testing.assert_array_equal(h.values(), expected)
    assert result.cutflows["DoubleMuon"].entries["opposite charge"][0] == len(mass)


def test_v15_without_runs_tree_falls_back_to_sum_of_gen_weights(nanoaod, tmp_path):
    path = nanoaod("nano_tt_v15.root")
    config = config_of(
        tmp_path, datasets={"TT": {"files": [str(path)], "kind": "mc", "xsec": 98.0}}
    )
    result = run(config, status=False)
    (record,) = result.inputs["TT"]
    assert record.info.version == "v15" and record.sums is None
    with uproot.open(path) as f:
        gen = f["Events"]["genWeight"].array(library="np").astype(np.float64)
    norm = normalise(result)["TT"]
    assert norm.sumw == pytest.approx(gen.sum(), rel=1e-12)
    assert norm.files[0]["source"] == "Σ genWeight (no Runs sums)"
    manifest = json.loads((write_result(result, tmp_path / "o") / "manifest.json").read_text())
    assert manifest["inputs"]["TT"]["files"][0]["sumw_source"] == "Σ genWeight (no Runs sums)"
    assert manifest["inputs"]["TT"]["files"][0]["version"] == "v15"


PF = """
import awkward as ak
from opencoffea import Processor

class JetConstituents(Processor):
    def analyze(self, events, out):
        jets = events.Jet
        out.fill("ratio", ratio=ak.sum(jets.constituents.pf.pt, axis=-1) / jets.pt)
"""


def test_pfnano_jet_constituents_are_reachable(nanoaod, tmp_path):
    config = config_of(
        tmp_path,
        datasets={"PF": {"files": [str(nanoaod("pfnano.root"))], "kind": "mc", "xsec": 1.0}},
        histograms={"ratio": {"axes": [{"name": "ratio", "bins": 30, "start": 0, "stop": 3}]}},
        code=PF,
        cls="JetConstituents",
    )
    result = run(config, status=False)
    assert result.complete and result.inputs["PF"][0].info.flavour == "pfnano"
    ratio = result.raw["ratio"][{"dataset": "PF", "systematic": "nominal"}]
    # the PF candidates of a jet carry most of its momentum
    assert ratio.values().sum() > 0
    mean = np.average(ratio.axes[0].centers, weights=ratio.values())
    assert 0.7 < mean < 1.3


def test_outreach_2012_file_is_found_in_its_directory(nanoaod, tmp_path):
    path = nanoaod("AOD2NanoAODOutreachTool_output_20events.root")
    config = config_of(
        tmp_path, datasets={"H": {"files": [str(path)], "kind": "mc", "xsec": 0.0065}}
    )
    result = run(config, status=False)
    (record,) = result.inputs["H"]
    assert record.info.treename == "aod2nanoaod/Events" and record.info.flavour == "outreach"
    assert result.events_processed == 20
    with uproot.open(path) as f:
        pt = f["aod2nanoaod/Events"]["Muon_pt"].array()
    expected = ak.sum(ak.num(pt[ak.num(pt) >= 1]))
    h = result.raw["pt"][{"dataset": "H", "systematic": "nominal"}]
    assert h.values(flow=True).sum() == expected  # no genWeight: unit weights


def test_empty_file_gives_a_valid_empty_result(nanoaod, tmp_path):
    config = config_of(
        tmp_path,
        datasets={"DY": {"files": [str(nanoaod("nano_dy_empty.root"))], "kind": "mc", "xsec": 1.0}},
    )
    result = run(config, status=False)
    assert result.complete and result.events_in_input == result.events_processed == 0
    directory = write_result(result, tmp_path / "o")
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["events"]["input"] == 0 and manifest["complete"]
    assert "pt" in result.raw


def test_file_with_an_extra_tree_reads_events(nanoaod, tmp_path):
    config = config_of(
        tmp_path,
        datasets={
            "DY": {"files": [str(nanoaod("nano_dy_SpecialTree.root"))], "kind": "mc", "xsec": 1.0}
        },
    )
    result = run(config, status=False)
    assert result.inputs["DY"][0].info.treename == "Events"
    assert result.events_processed == 40


def test_missing_luminosity_block_names_the_file_and_branch(nanoaod, tmp_path, capsys):
    path = nanoaod("missing_luminosityBlock.root")
    yaml_path = write_analysis(
        tmp_path, datasets={"X": {"files": [str(path)], "kind": "mc", "xsec": 1.0}}
    )
    assert main(["run", str(yaml_path), "--quiet", "--output", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "missing_luminosityBlock.root" in err and "luminosityBlock" in err
    assert "Traceback" not in err


def test_not_a_root_file_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.root"
    bad.write_bytes(b"this is not ROOT" * 100)
    yaml_path = write_analysis(
        tmp_path, datasets={"X": {"files": [str(bad)], "kind": "mc", "xsec": 1.0}}
    )
    assert main(["run", str(yaml_path), "--quiet", "--output", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "bad.root" in err and "Traceback" not in err


def test_a_glob_matching_nothing_is_an_error(tmp_path, capsys):
    yaml_path = write_analysis(
        tmp_path, datasets={"X": {"files": ["nothing/*.root"], "kind": "mc", "xsec": 1.0}}
    )
    assert main(["run", str(yaml_path), "--quiet"]) == 1
    assert "no file matches 'nothing/*.root'" in capsys.readouterr().err
